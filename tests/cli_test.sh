#!/bin/sh
# cli_test.sh: the kiln CLI's contract: exit codes (0 ok, 1 model error,
# 2 usage error), one clear error line naming the file for bad models (and the
# node for invalid ONNX: a value name defined twice, a mistyped attribute), help for
# every command, the option parser (did-you-mean, --opt=value and --opt value,
# missing and bad values, unknown passes and targets: all usage errors), a
# run/inspect round trip through input/output .pb files, and export: its
# errors, and a written model that computes what the .kir does.
# usage: cli_test.sh KILN_BINARY SOURCE_DIR
set -u
kiln=$1
src=$2
. "$src/tests/lib_expect.sh" # expect, expect_done, $tmp, $fails
expect 0 "usage: kiln COMMAND" "$kiln" --help
expect 2 "usage: kiln COMMAND" "$kiln"
expect 0 "\-\-save-inputs" "$kiln" run --help
expect 0 "\-\-full" "$kiln" inspect --help
expect 2 "unknown command" "$kiln" frobnicate
expect 2 "unknown option" "$kiln" run --bogus "$src/models/clip_vit_tiny.kir"
expect 2 "no model given" "$kiln" run
expect 2 "bad dims" "$kiln" run "$src/models/clip_vit_tiny.kir" --shape x=3xq
expect 2 "no input named" "$kiln" run "$src/models/clip_vit_tiny.kir" --shape nope=1x3
# an ONNX file may not name a kiln-internal op (ir/ops.def): a node test's Softmax renamed in place
sm=/usr/share/libonnx-testdata/data/node/test_softmax_axis_0/model.onnx
if [ -f "$sm" ] && command -v perl >/dev/null 2>&1; then
  perl -pe 's/Softmax/ToNCHWc/g' "$sm" >"$tmp/internal_op.onnx"
  expect 1 "op ToNCHWc is internal to kiln" "$kiln" run "$tmp/internal_op.onnx"
fi
# the option parser (cli/options.c): a mistyped option gets a did-you-mean on every command
k=$src/models/clip_vit_tiny.kir
expect 2 "unknown option --thread (did you mean --threads?)" "$kiln" run "$k" --thread 2
expect 2 "unknown option --iter (did you mean --iters?)" "$kiln" bench "$k" --iter 3
expect 2 "unknown option --no-irr (did you mean --no-ir?)" "$kiln" inspect "$k" --no-irr
expect 2 "unknown option --opste (did you mean --opset?)" "$kiln" export "$k" -o "$tmp/x.onnx" --opste 18
expect 2 "unknown option --taget (did you mean --target?)" "$kiln" compile "$k" -o "$tmp/c" --taget aarch64-linux-gnu
expect 2 "unknown option --pass-stat (did you mean --pass-stats?)" "$kiln" inspect "$k" --pass-stat
expect 2 "unknown option --thr (did you mean --threads?)" "$kiln" run "$k" --thr=2
if "$kiln" run "$k" --bogus 2>&1 | grep -q "did you mean"; then
  failed "a suggestion for --bogus"
fi
# unknown pass names and targets are usage errors, with a suggestion when one is close
expect 2 "unknown pass 'foo' in --passes" "$kiln" run "$k" --passes=foo
expect 2 "unknown pass 'fsue-gelu' in --passes (did you mean fuse-gelu?)" "$kiln" run "$k" --passes=fold,fsue-gelu
expect 2 "unknown pass 'foo' in --disable-pass" "$kiln" bench "$k" --disable-pass=foo
expect 2 "unknown pass 'dcee' in --print-after (did you mean dce?)" "$kiln" inspect "$k" --print-after dcee
expect 2 "unknown pass 'foo' in --passes" "$kiln" export "$k" -o "$tmp/x.onnx" --passes foo
expect 2 "unsupported target 'x86-64-linux-gnu'.*did you mean x86_64-linux-gnu" "$kiln" compile "$k" -o "$tmp/c" \
  --target x86-64-linux-gnu
expect 2 "unsupported target 'sparc'" "$kiln" compile "$k" -o "$tmp/c" --target sparc
# both value forms, missing and bad values, model count
expect 0 "(2 threads)" "$kiln" run "$k" --threads=2 --repeat 2
expect 0 "(2 threads)" "$kiln" run "$k" --threads 2 --repeat=2
expect 0 "38 nodes" "$kiln" inspect "$src/models/clip_vit_b32.kir" --config=tiny --define=layers=1 --engine=ref --no-ir
expect 0 "passes -O2: fold,dce:" "$kiln" run "$k" --passes fold,dce
expect 0 "passes -O2: fold,dce:" "$kiln" run "$k" --passes=fold,dce
expect 2 "needs a value" "$kiln" run "$k" --threads
expect 2 "needs a value" "$kiln" bench "$k" --iters
expect 2 "needs a value" "$kiln" compile "$k" -o
expect 2 "needs a value" "$kiln" run "$k" --passes
expect 2 "threads wants an integer from 1 to 256, got 'x'" "$kiln" run "$k" --threads x
expect 2 "threads wants an integer from 1 to 256, got '0'" "$kiln" run "$k" --threads=0
expect 2 "repeat wants an integer" "$kiln" run "$k" --repeat 1001
expect 2 "takes no value" "$kiln" bench "$k" --json=yes
expect 2 "more than one model" "$kiln" run "$k" "$k"
expect 2 "no model given" "$kiln" bench --iters 2
expect 0 "fuse-gelu" "$kiln" run --list-passes
# pass instrumentation into a file, and a file that cannot be written
expect 0 "nodes" "$kiln" inspect "$src/models/clip_vit_tiny.kir" --no-ir --time-passes --print-after=dce --print-file "$tmp/passes.txt"
expect 0 "IR after dce" cat "$tmp/passes.txt"
expect 2 "cannot write" "$kiln" inspect "$src/models/clip_vit_tiny.kir" --print-file "$tmp/no/such/dir/x.txt"
# bad model files: exit 1 and a message naming the file
printf 'this is not a protobuf at all' > "$tmp/garbage.onnx"
expect 1 "garbage.onnx" "$kiln" run "$tmp/garbage.onnx"
head -c 1000 /dev/urandom > "$tmp/random.onnx"
expect 1 "random.onnx" "$kiln" inspect "$tmp/random.onnx"
: > "$tmp/empty.onnx"
expect 1 "empty.onnx" "$kiln" run "$tmp/empty.onnx"
expect 1 "cannot open" "$kiln" run "$tmp/missing.onnx"
printf 'graph g {\n  input x: f32[2]\n  y = Frob(x)\n  output y\n}\n' > "$tmp/unknown_op.kir"
expect 1 "Frob" "$kiln" run "$tmp/unknown_op.kir"
printf 'graph g {\n  input x: f32[99999999999, 99999999999]\n  y = Relu(x)\n  output y\n}\n' > "$tmp/huge.kir"
expect 1 "64 bits" "$kiln" run "$tmp/huge.kir"
expect 1 "memory limit" "$kiln" run "$src/models/clip_vit_tiny.kir" --mem-limit 1K
# limits (issue 11): a Loop of 10^12 iterations stops at --max-loop-iters; one that
# gathers a scan output stops at --mem-limit; 0 or an overflowing limit is a usage
# error; a .kir constant over the limit is refused before it is allocated
cat > "$tmp/loop.kir" <<'EOF'
graph g {
  const n: i64[] = [1000000000000]
  const go: bool[] = [1]
  input x: f32[256]
  final, scan = Loop(n, go, x) {body=graph {
    input i: i64[]
    input c: bool[]
    input acc: f32[256]
    s = Neg(acc)
    c2 = Identity(c)
    output c2, s, s
  }}
  output final, scan
}
EOF
expect 1 "Loop_0 (Loop): the loop ran 1000 iterations, the limit (--max-loop-iters)" timeout 60 "$kiln" run "$tmp/loop.kir" --max-loop-iters 1000
expect 1 "the loop's scan outputs take 1049600 bytes after 1025 iterations, more than the memory limit" timeout 60 "$kiln" run "$tmp/loop.kir" --mem-limit 1M
expect 2 "bad --mem-limit '0'" "$kiln" run "$tmp/loop.kir" --mem-limit 0
expect 2 "bad --mem-limit '99999999999G'" "$kiln" run "$tmp/loop.kir" --mem-limit 99999999999G
printf 'graph g {\n  input x: f32[4]\n  const w: f32[268435456] = seeded(1)\n  y = Add(x, x)\n  output y\n}\n' > "$tmp/big.kir"
expect 1 "big.kir:3:12: w: the constants would take 1073741824 bytes with this one, more than the memory limit" timeout 20 "$kiln" run "$tmp/big.kir" --mem-limit 512M
# invalid ONNX that ONNX Runtime refuses (issue 11): exit 1 naming the node and the value or
# attribute. A node test's Softmax with its axis retyped in place, and a written model with names
# of one length swapped
if [ -f "$sm" ] && command -v perl >/dev/null 2>&1; then
  perl -0777 -pe 's/axis\x18\x00\xa0\x01\x02/axis\x18\x00\xa0\x01\x01/' "$sm" >"$tmp/axis_float.onnx"
  expect 1 "node Softmax_0 (Softmax): attribute 'axis' is FLOAT, but Softmax expects INT" "$kiln" run "$tmp/axis_float.onnx"
  perl -0777 -pe 's/axis\x18\x00\xa0\x01\x02/axis\x18\x00\xa0\x01\x03/' "$sm" >"$tmp/axis_string.onnx"
  expect 1 "attribute 'axis' is STRING, but Softmax expects INT" "$kiln" run "$tmp/axis_string.onnx"
  printf 'graph g {\n  input xin1: f32[2]\n  input ina2: f32[2]\n  hid1 = Relu(xin1)\n  hid2 = Neg(ina2)\n  tmp1 = Add(hid1, hid2)\n  output tmp1\n}\n' >"$tmp/names.kir"
  expect 0 "wrote" "$kiln" export "$tmp/names.kir" -o "$tmp/names.onnx"
  expect 0 "tmp1" "$kiln" run "$tmp/names.onnx"
  perl -0777 -pe 's/hid2/hid1/g' "$tmp/names.onnx" >"$tmp/dup_output.onnx"
  expect 1 "output 'hid1' is already the output of node Relu_0 (Relu)" "$kiln" run "$tmp/dup_output.onnx"
  perl -0777 -pe 's/hid1/xin1/g' "$tmp/names.onnx" >"$tmp/output_is_input.onnx"
  expect 1 "node Relu_0 (Relu): output 'xin1' has the name of a graph input" "$kiln" run "$tmp/output_is_input.onnx"
  perl -0777 -pe 's/ina2/xin1/g' "$tmp/names.onnx" >"$tmp/input_twice.onnx"
  expect 1 "graph g: input 'xin1' is listed twice" "$kiln" run "$tmp/input_twice.onnx"
fi
# the main job, and outputs that read back as inputs of an identical run
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --save-inputs "$tmp/in" -o "$tmp/out1"
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" -i "$tmp/in" -o "$tmp/out2"
if ! cmp -s "$tmp/out1/output_0.pb" "$tmp/out2/output_0.pb"; then
  failed "outputs of the same inputs differ"
fi
expect 0 "ops:" "$kiln" inspect "$src/models/clip_vit_tiny.kir"
# export: the written model runs and gives the same outputs; internal ops are refused
expect 0 "\-\-opset" "$kiln" export --help
expect 2 "no output file" "$kiln" export "$src/models/clip_vit_tiny.kir"
expect 2 "no model given" "$kiln" export -o "$tmp/x.onnx"
expect 2 "unknown option" "$kiln" export "$src/models/clip_vit_tiny.kir" -o "$tmp/x.onnx" --bogus
expect 1 "missing.onnx" "$kiln" export "$tmp/missing.onnx" -o "$tmp/x.onnx"
expect 1 "kiln-internal" "$kiln" export "$src/models/clip_vit_tiny.kir" -O2 -o "$tmp/fused.onnx"
expect 1 "needs opset" "$kiln" export "$src/models/clip_vit_tiny.kir" --opset 16 -o "$tmp/old.onnx"
expect 0 "opset 18" "$kiln" export "$src/models/clip_vit_tiny.kir" -o "$tmp/clip.onnx"
expect 0 "image_embeds" "$kiln" run "$tmp/clip.onnx" -i "$tmp/in" -o "$tmp/out_onnx"
if ! cmp -s "$tmp/out1/output_0.pb" "$tmp/out_onnx/output_0.pb"; then
  failed "the exported model's outputs differ from the .kir model's"
fi
expect 0 "reference kernels" "$kiln" inspect --no-ir "$src/models/clip_vit_tiny.kir"
# engines agree, bench prints its JSON line, dumps are written
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --engine ref -i "$tmp/in" -o "$tmp/out3"
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --engine jit -O3 -i "$tmp/in" -o "$tmp/out4" \
  --dump-llvm "$tmp/m.ll" --dump-asm "$tmp/m.s" --no-cache
for f in m.ll m.s; do
  if [ ! -s "$tmp/$f" ]; then failed "$f is empty"; fi
done
grep -q "define.*@kiln_main" "$tmp/m.ll" || failed "no entry in the dumped IR"
expect 0 '"median_ms"' "$kiln" bench "$src/models/clip_vit_tiny.kir" --iters 3 --warmup 1 --json
# --cpu/--features that made LLVM abort the process (exit 134): normalized,
# refused, or a kiln error (codegen/cg_target.c; tests/aot_cli_test.sh has
# the same for kiln compile)
if [ "$(uname -m)" = x86_64 ]; then
  if grep -qw avx512f /proc/cpuinfo; then
    expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --cpu x86-64-v3 --features +avx512f --no-cache
  fi
  expect 1 "needs AVX512VL" "$kiln" run "$src/models/clip_vit_tiny.kir" --cpu x86-64-v4 --features -evex512,-avx512vl
  expect 1 "a 32-bit x86 CPU" "$kiln" run "$src/models/clip_vit_tiny.kir" --cpu i386
  expect 1 "SSE register return with SSE disabled" "$kiln" run "$src/models/clip_vit_tiny.kir" --cpu x86-64 \
    --features -sse --no-cache
fi
# .kir params: --config and --define (usage errors when wrong or on an .onnx model)
expect 0 "image_embeds .*\[1x32\]" "$kiln" run "$src/models/clip_vit_b32.kir" --config tiny
expect 0 "38 nodes" "$kiln" inspect "$src/models/clip_vit_b32.kir" --config tiny --define layers=1 --engine ref --no-ir
expect 0 "\[1x16\]" "$kiln" run "$src/models/clip_vit_b32.kir" --config=tiny --define=embed=16 --define layers=1
expect 0 '"median_ms"' "$kiln" bench "$src/models/clip_vit_b32.kir" --config tiny --iters 2 --warmup 1 --json
expect 2 "unknown config 'huge'" "$kiln" run "$src/models/clip_vit_b32.kir" --config huge
expect 2 "declares no param depth" "$kiln" run "$src/models/clip_vit_b32.kir" --define depth=3
expect 2 "NAME=VALUE" "$kiln" run "$src/models/clip_vit_b32.kir" --define depth
expect 2 "needs a value" "$kiln" run "$src/models/clip_vit_b32.kir" --config
expect 2 ".kir models only" "$kiln" run "$tmp/garbage.onnx" --config tiny
expect 1 "division by zero" "$kiln" run "$src/models/clip_vit_b32.kir" --config tiny --define heads=0
printf 'macro m(x) {\n  y = Relu(q)\n  return y\n}\ngraph g {\n  input x: f32[2]\n  y = m(x)\n  output y\n}\n' > "$tmp/macro.kir"
expect 1 "macro.kir:2:12: use of undefined value q (in macro m called at .*macro.kir:7:7)" "$kiln" run "$tmp/macro.kir"
expect 2 "unknown engine" "$kiln" run "$src/models/clip_vit_tiny.kir" --engine gpu
expect 2 "integer" "$kiln" bench "$src/models/clip_vit_tiny.kir" --iters 0
expect_done
