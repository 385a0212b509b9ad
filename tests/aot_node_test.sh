#!/bin/sh
# aot_node_test.sh: ahead-of-time builds of the ONNX node tests whose ops run
# as kernel calls (runtime/kcall/: TopK, CumSum, scatters and gathers, the
# losses, Einsum, ConvTranspose, quantization, RoiAlign, what generated code
# declines of Pow/Mod/Reduce/Gemm/BatchNormalization, ...): every such case
# that compiles without reference kernels (not listed in
# tests/conformance_expected_compiled.txt) is built by `kiln compile` and run
# as tests/aot_test.sh runs the tiny zoo (MODE so: a host .so run by `kiln
# run`; aarch64: cross-built, run under qemu), against the suite's outputs.
# usage: aot_node_test.sh MODE KILN KILN_PBCMP SOURCE_DIR
set -u
mode=$1 kiln=$2 pbcmp=$3 src=$4
data=/usr/share/libonnx-testdata/data/node
if [ ! -d "$data" ]; then
  echo "SKIP: the ONNX backend test data is not at $data (apt-get install libonnx-testdata)"
  exit 77
fi
ops='topk|cumsum|eyelike|tril|triu|onehot|gather_elements|gathernd|scatter|reversesequence|nllloss|sce_|einsum|test_det|convtranspose|lrn|mvn|quantizelinear|roialign|test_pow|test_mod|training|dropout|reduce_sum_'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tiny"
grep -v '^#' "$src/tests/conformance_expected_compiled.txt" | awk '{print $1}' | sed 's#^node/##' >"$tmp/skip"
n=0
for dir in "$data"/*/; do
  case=$(basename "$dir")
  echo "$case" | grep -Eq "$ops" || continue
  grep -qxF "$case" "$tmp/skip" && continue
  ln -s "$dir" "$tmp/tiny/$case"
  n=$((n + 1))
done
echo "$n node tests with kernel-call ops"
KILN_VLMODELS=$tmp sh "$src/tests/aot_test.sh" "$mode" "$kiln" "$pbcmp" "$src"
