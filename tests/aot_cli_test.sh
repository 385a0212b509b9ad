#!/bin/sh
# aot_cli_test.sh: `kiln compile`'s contract on bad input (unknown triple, CPU
# or feature, a node with no compiled code, a dynamic graph without the
# values that shape it, a bound input run with another value, a missing or
# wrong C compiler, a bad name) and the artifact's on bad weights files; and
# that what it writes is usable: the header compiles cleanly as C and C++,
# the README's link line links, and the program runs and matches the JIT.
# usage: aot_cli_test.sh KILN SOURCE_DIR
set -u
kiln=$1
src=$2
. "$src/tests/lib_expect.sh" # expect, expect_done, $tmp, $fails
m=$src/models/clip_vit_tiny.kir
o=$tmp/o
expect 0 "compile MODEL" "$kiln" compile --help
expect 2 "no -o OUTDIR" "$kiln" compile "$m"
expect 2 "emit wants" "$kiln" compile "$m" -o "$o" --emit exe
expect 2 "weights wants" "$kiln" compile "$m" -o "$o" --weights cloud
expect 2 "unsupported target 'riscv64-linux-gnu'.*aarch64-linux-gnu" "$kiln" compile "$m" -o "$o" --target riscv64-linux-gnu
expect 1 "not a recognized processor" "$kiln" compile "$m" -o "$o" --target aarch64-linux-gnu --cpu skylake --no-runtime
expect 1 "not a recognized feature" "$kiln" compile "$m" -o "$o" --target x86_64-linux-gnu --features +neon --no-runtime
expect 1 "each feature is +NAME" "$kiln" compile "$m" -o "$o" --features avx2 --no-runtime
# CPU/feature combinations LLVM accepts and then aborts on (exit 134) are
# normalized or refused first (codegen/cg_target.c): AVX-512 on a CPU without
# it gets its 512-bit registers (+evex512), AVX-512 limited to 256 bits needs
# AVX512VL, 32-bit CPUs are refused; errors LLVM reports while compiling
# (-sse) are kiln errors, not LLVM exiting the process
x86="--target x86_64-linux-gnu --no-runtime"
# shellcheck disable=SC2086
expect 0 "" "$kiln" compile "$m" -o "$o/v3" $x86 --cpu x86-64-v3 --features +avx512f --emit asm
grep -q zmm "$o/v3/clip_vit_tiny.s" 2>/dev/null || failed "x86-64-v3 with +avx512f: no zmm in the assembly"
# shellcheck disable=SC2086
expect 0 "" "$kiln" compile "$m" -o "$o/v3" $x86 --cpu haswell --features +avx512bw,+avx512dq
# shellcheck disable=SC2086
expect 1 "needs AVX512VL" "$kiln" compile "$m" -o "$o" $x86 --cpu x86-64 --features +avx512f,-evex512
# shellcheck disable=SC2086
expect 1 "needs AVX512VL" "$kiln" compile "$m" -o "$o" $x86 --cpu knl --features -evex512
# shellcheck disable=SC2086
expect 1 "cpu i686: a 32-bit x86 CPU" "$kiln" compile "$m" -o "$o" $x86 --cpu i686
# shellcheck disable=SC2086
expect 1 "LLVM cannot compile the model for CPU x86-64 with features '-sse'.*SSE register return with SSE disabled" \
  "$kiln" compile "$m" -o "$o" $x86 --cpu x86-64 --features -sse
expect 1 "must be a C identifier" "$kiln" compile "$m" -o "$o" --name 9lives --no-runtime
expect 1 "is not installed" "$kiln" compile "$m" -o "$o" --cc /nonexistent/aarch64-gcc --target aarch64-linux-gnu
if command -v cc >/dev/null && [ "$(uname -m)" = x86_64 ]; then
  expect 1 "not aarch64" "$kiln" compile "$m" -o "$o" --cc cc --target aarch64-linux-gnu
fi
expect 1 "native means this machine" "$kiln" compile "$m" -o "$o" --target aarch64-linux-gnu --cpu native --no-runtime
# graphs an artifact cannot hold
# (Det runs as a kernel call in f32, but no kernel call takes f16 data)
printf 'graph g {\n  input x: f16[3, 3]\n  y = Det(x)\n  output y\n}\n' > "$tmp/det.kir"
expect 1 "Det.*cannot be built ahead of time" "$kiln" compile "$tmp/det.kir" -o "$o" --no-runtime
printf 'graph g {\n  input x: f32[3, 3]\n  y = Det(x)\n  output y\n}\n' > "$tmp/det32.kir"
expect 0 "compiled" "$kiln" compile "$tmp/det32.kir" -o "$o" --no-runtime
printf 'graph g {\n  input x: f32[4]\n  y = NonZero(x)\n  output y\n}\n' > "$tmp/nz.kir"
expect 1 "data-dependent output shape: the value of input 'x' shapes it" "$kiln" compile "$tmp/nz.kir" -o "$o" --no-runtime
# with -i DIR the inputs that shape the graph are bound to DIR's values, and checked on every run
nt=/usr/share/libonnx-testdata/data/node
if [ -d "$nt/test_reshape_reordered_all_dims" ] && command -v cc >/dev/null; then
  expect 0 "compiled" "$kiln" compile "$nt/test_reshape_reordered_all_dims/model.onnx" \
    -i "$nt/test_reshape_reordered_all_dims/test_data_set_0" -o "$tmp/rs" --name rs --emit so
  expect 0 "" "$kiln" run "$tmp/rs/rs.so" -i "$nt/test_reshape_reordered_all_dims/test_data_set_0"
  expect 1 "input 'shape' of model 'rs' differs from the value it was compiled for" \
    "$kiln" run "$tmp/rs/rs.so" -i "$nt/test_reshape_reordered_last_dims/test_data_set_0"
else
  echo "note: the reshape binding check needs libonnx-testdata and cc; skipped"
fi
# every emit kind writes its artifact; --no-runtime needs no compiler
for e in obj asm llvm; do
  expect 0 "compiled" "$kiln" compile "$m" -o "$tmp/$e" --emit $e --no-runtime --target aarch64-linux-gnu --cc /nonexistent
done
[ -s "$tmp/obj/clip_vit_tiny.o" ] && [ -s "$tmp/asm/clip_vit_tiny.s" ] && [ -s "$tmp/llvm/clip_vit_tiny.ll" ] ||
  failed "an emitted file is missing"
grep -q "clip_vit_tiny_run_ctx" "$tmp/llvm/clip_vit_tiny.ll" || failed "no entry point in the IR"
if ! command -v cc >/dev/null; then
  echo "SKIP the link and run checks: no C compiler"
  expect_done
  exit $?
fi
# the header is clean C11 and C++
w=$tmp/w
expect 0 "compiled" "$kiln" compile "$m" -o "$w" --weights file
printf '#include "clip_vit_tiny.h"\nint main(void) { return CLIP_VIT_TINY_NUM_INPUTS - 1; }\n' > "$tmp/h.c"
expect 0 "" cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$w" -fsyntax-only "$tmp/h.c"
if command -v c++ >/dev/null; then
  cp "$tmp/h.c" "$tmp/h.cc"
  expect 0 "" c++ -Wall -Wextra -Werror -I"$w" -fsyntax-only "$tmp/h.cc"
fi
# the README's link line, with the test driver as main.c
link=$(sed -n '/^link/{n;p;}' "$w/README.txt")
cp "$src/tests/aot/aot_driver.c" "$w/main.c"
cp "$src/tests/aot/pb_lite.c" "$src/tests/aot/pb_lite.h" "$w/"
(cd "$w" && eval "$link -DKILN_MODEL=clip_vit_tiny pb_lite.c") >"$tmp/link.log" 2>&1 ||
  { failed "the README's link line: $link"; cat "$tmp/link.log"; }
"$kiln" run "$m" --save-inputs "$tmp/in" -o "$tmp/jit" >/dev/null
mkdir -p "$tmp/got"
expect 0 "written" "$w/app" "$tmp/in" "$tmp/got" 1 "$w/clip_vit_tiny.weights"
expect 0 "written" "$w/app" "$tmp/in" "$tmp/got" 0 "$w/clip_vit_tiny.weights"
cmp -s "$tmp/got/output_0.pb" "$tmp/jit/output_0.pb" || failed "AOT and JIT outputs differ"
# weights files that are not this model's
expect 1 "keeps its weights in a file" "$w/app" "$tmp/in" "$tmp/got"
expect 1 "No such file" "$w/app" "$tmp/in" "$tmp/got" 1 "$tmp/missing.weights"
head -c 1000 "$w/clip_vit_tiny.weights" > "$tmp/short.weights"
expect 1 "shorter than its header" "$w/app" "$tmp/in" "$tmp/got" 1 "$tmp/short.weights"
cp "$w/clip_vit_tiny.weights" "$tmp/bad.weights"
printf 'X' | dd of="$tmp/bad.weights" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect 1 "does not match its hash" "$w/app" "$tmp/in" "$tmp/got" 1 "$tmp/bad.weights"
printf 'nope' > "$tmp/junk.weights"
expect 1 "not a kiln weights file" "$w/app" "$tmp/in" "$tmp/got" 1 "$tmp/junk.weights"
# a run-time error in compiled code (a token id past the table) is a status and a message
printf 'graph g {\n  input ids: i64[6]\n  const table: f32[4, 3] = zeros\n  y = Gather(table, ids)\n  output y\n}\n' \
  > "$tmp/gather.kir"
"$kiln" run "$tmp/gather.kir" --save-inputs "$tmp/gin" >/dev/null 2>&1 # ids 1..6: 4 and 5 are out of range
expect 0 "compiled" "$kiln" compile "$tmp/gather.kir" -o "$tmp/g" --name gather_model
(cd "$tmp/g" && cc "$src/tests/aot/aot_driver.c" "$src/tests/aot/pb_lite.c" -I. -I"$src/tests/aot" \
  -DKILN_MODEL=gather_model gather_model.o -L. -lkiln_rt -lpthread -lm -o app) || fails=$((fails + 1))
expect 1 "status 1.*out of range" "$tmp/g/app" "$tmp/gin" "$tmp/got"
# kiln run NAME.so: the loader refuses what it cannot run, with a message
expect 0 "compiled" "$kiln" compile "$m" -o "$tmp/so" --emit so
expect 0 "engine aot" "$kiln" run "$tmp/so/clip_vit_tiny.so" -i "$tmp/in" -o "$tmp/so_out"
cmp -s "$tmp/so_out/output_0.pb" "$tmp/jit/output_0.pb" || failed ".so and JIT outputs differ"
expect 0 "GFLOP/s" "$kiln" bench "$tmp/so/clip_vit_tiny.so" --iters 3 --threads 2
printf 'graph g {\n  input x: f32[2, 2]\n  y = Relu(x)\n  output y\n}\n' > "$tmp/small.kir"
"$kiln" run "$tmp/small.kir" --save-inputs "$tmp/small_in" >/dev/null
expect 1 "does not have the dtype and shape" "$kiln" run "$tmp/so/clip_vit_tiny.so" -i "$tmp/small_in"
if command -v aarch64-linux-gnu-gcc >/dev/null; then
  expect 0 "compiled" "$kiln" compile "$m" -o "$tmp/so64" --emit so --target aarch64-linux-gnu
  expect 1 "built for aarch64, this machine is x86_64" "$kiln" run "$tmp/so64/clip_vit_tiny.so"
fi
printf 'not elf' > "$tmp/junk.so"
expect 1 "not an ELF" "$kiln" run "$tmp/junk.so"
printf 'int nothing_here(void) { return 0; }\n' > "$tmp/plain.c"
cc -shared -fPIC "$tmp/plain.c" -o "$tmp/plain.so"
expect 1 "not a kiln artifact" "$kiln" run "$tmp/plain.so"
for abi in "KILN_ARTIFACT_MAGIC, 999, KILN_ARCH_X86_64" "KILN_ARTIFACT_MAGIC, KILN_ABI_VERSION, KILN_ARCH_AARCH64" "42, 1, 1"; do
  printf '#include "kiln_rt.h"\nconst kiln_artifact_meta m __asm__("kiln_artifact_meta") = {%s, sizeof(kiln_artifact_meta)};\n' \
    "$abi" > "$tmp/fake.c"
  cc -shared -fPIC -I"$w" "$tmp/fake.c" -o "$tmp/fake.so"
  case $abi in 42*) want="bad magic" ;; *999*) want="ABI version 999" ;; *) want="another architecture" ;; esac
  expect 1 "$want" "$kiln" run "$tmp/fake.so"
done
expect_done
