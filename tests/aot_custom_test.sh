#!/bin/sh
# aot_custom_test.sh: a custom op end to end: an ONNX model with an op kiln
# does not know (MySwish, domain com.example; written by test_custom_op) runs
# with --custom-op on the JIT and the reference executor (which agree), then
# is built ahead of time: a host .so run by `kiln run` (the library is linked
# into it), and an aarch64 object linked with the function cross-compiled
# into the test program and run under qemu (skipped without the toolchain).
# usage: aot_custom_test.sh KILN KILN_PBCMP TEST_CUSTOM_OP CUSTOMOP_LIB SOURCE_DIR
set -u
kiln=$1 pbcmp=$2 writer=$3 lib=$4 src=$5
. "$src/tests/lib_expect.sh" # expect, expect_done, $tmp, $fails
"$writer" --write-onnx "$tmp/custom.onnx" || { echo "FAIL: cannot write the model"; exit 1; }
spec="MySwish=$lib:void kiln_test_swish(in0, numel(in0), out0, attr_f(beta))"
expect 1 "domain 'com.example'" "$kiln" run "$tmp/custom.onnx"
expect 2 "wants OPTYPE=LIBRARY" "$kiln" run "$tmp/custom.onnx" --custom-op "MySwish=nonsense"
expect 2 "unknown argument 'size'" "$kiln" run "$tmp/custom.onnx" --custom-op "MySwish=$lib:void f(size(in0))"
expect 1 "no function nope" "$kiln" run "$tmp/custom.onnx" --custom-op "MySwish=$lib:void nope(in0, out0)"
expect 0 "compiled, 0 on reference" "$kiln" run "$tmp/custom.onnx" --custom-op "$spec" -v --save-inputs "$tmp/in" -o "$tmp/jit"
expect 0 "engine ref" "$kiln" run "$tmp/custom.onnx" --custom-op "$spec" --engine ref -i "$tmp/in" -o "$tmp/ref"
expect 0 "match" "$pbcmp" "$tmp/jit" "$tmp/ref"
# ahead of time, host .so: the library is linked in (with an rpath)
expect 0 "compiled" "$kiln" compile "$tmp/custom.onnx" --custom-op "$spec" --emit so -o "$tmp/so" --name swish_model
expect 0 "engine aot" "$kiln" run "$tmp/so/swish_model.so" -i "$tmp/in" -o "$tmp/so_out"
expect 0 "match" "$pbcmp" "$tmp/so_out" "$tmp/jit"
# ahead of time, aarch64: the function is the user's to link
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  o=$tmp/a64
  expect 0 "compiled" "$kiln" compile "$tmp/custom.onnx" --custom-op "$spec" --target aarch64-linux-gnu -o "$o" \
    --name swish_model
  aarch64-linux-gnu-gcc -O2 -DKILN_MODEL=swish_model -I"$o" -I"$src/tests/aot" "$src/tests/aot/aot_driver.c" \
    "$src/tests/aot/pb_lite.c" "$src/tests/custom_op/swish.c" "$o/swish_model.o" -L"$o" -lkiln_rt -lpthread -lm \
    -o "$o/app" || fails=$((fails + 1))
  mkdir -p "$o/got"
  expect 0 "written" qemu-aarch64 -L /usr/aarch64-linux-gnu "$o/app" "$tmp/in" "$o/got"
  expect 0 "match" "$pbcmp" "$o/got" "$tmp/jit"
  # without the function the link fails, naming it
  expect 1 "kiln_test_swish" aarch64-linux-gnu-gcc -DKILN_MODEL=swish_model -I"$o" -I"$src/tests/aot" \
    "$src/tests/aot/aot_driver.c" "$src/tests/aot/pb_lite.c" "$o/swish_model.o" -L"$o" -lkiln_rt -lpthread -lm \
    -o "$o/app2"
else
  echo "SKIP the aarch64 part: aarch64-linux-gnu-gcc or qemu-aarch64 is not installed"
fi
expect_done
