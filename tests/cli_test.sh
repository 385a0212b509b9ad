#!/bin/sh
# cli_test.sh: the kiln CLI's contract: exit codes (0 ok, 1 model error,
# 2 usage error), one clear error line naming the file for bad models, help for
# every command, a run/inspect round trip through input/output .pb files, and
# export: its errors, and a written model that computes what the .kir does.
# usage: cli_test.sh KILN_BINARY SOURCE_DIR
set -u
kiln=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
expect() { # expect CODE PATTERN CMD...
  want=$1 pat=$2
  shift 2
  out=$("$@" 2>&1)
  got=$?
  if [ "$got" != "$want" ] || ! printf '%s' "$out" | grep -q -- "$pat"; then
    echo "FAIL: $* -> exit $got (want $want), output:"
    printf '%s\n' "$out" | head -5
    fails=$((fails + 1))
  else
    echo "ok: $*"
  fi
}
expect 0 "usage: kiln COMMAND" "$kiln" --help
expect 2 "usage: kiln COMMAND" "$kiln"
expect 0 "\-\-save-inputs" "$kiln" run --help
expect 0 "\-\-full" "$kiln" inspect --help
expect 2 "unknown command" "$kiln" frobnicate
expect 2 "unknown option" "$kiln" run --bogus "$src/models/clip_vit_tiny.kir"
expect 2 "no model given" "$kiln" run
expect 2 "bad dims" "$kiln" run "$src/models/clip_vit_tiny.kir" --shape x=3xq
expect 2 "no input named" "$kiln" run "$src/models/clip_vit_tiny.kir" --shape nope=1x3
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
# the main job, and outputs that read back as inputs of an identical run
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --save-inputs "$tmp/in" -o "$tmp/out1"
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" -i "$tmp/in" -o "$tmp/out2"
if ! cmp -s "$tmp/out1/output_0.pb" "$tmp/out2/output_0.pb"; then
  echo "FAIL: outputs of the same inputs differ"
  fails=$((fails + 1))
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
  echo "FAIL: the exported model's outputs differ from the .kir model's"
  fails=$((fails + 1))
fi
expect 0 "reference kernels" "$kiln" inspect --no-ir "$src/models/clip_vit_tiny.kir"
# engines agree, bench prints its JSON line, dumps are written
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --engine ref -i "$tmp/in" -o "$tmp/out3"
expect 0 "image_embeds" "$kiln" run "$src/models/clip_vit_tiny.kir" --engine jit -O3 -i "$tmp/in" -o "$tmp/out4" \
  --dump-llvm "$tmp/m.ll" --dump-asm "$tmp/m.s" --no-cache
for f in m.ll m.s; do
  if [ ! -s "$tmp/$f" ]; then echo "FAIL: $f is empty"; fails=$((fails + 1)); fi
done
grep -q "define.*@kiln_main" "$tmp/m.ll" || { echo "FAIL: no entry in the dumped IR"; fails=$((fails + 1)); }
expect 0 '"median_ms"' "$kiln" bench "$src/models/clip_vit_tiny.kir" --iters 3 --warmup 1 --json
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
echo "$fails failures"
[ "$fails" = 0 ]
