# bench/lib.sh: what the benchmark scripts share (sourced, not run): their
# argument form `MODEL.onnx [DATA_DIR] [-- extra kiln bench flags]`, the tool
# locations, and reading numbers out of the tools' one-line JSON.
# After `bench_args "$@"`: $model, $data, the extra kiln flags in kextra[],
# $kiln, $ort_run, NODE_PATH exported.
bench_args() {
  model=$1
  shift
  data=""
  if [ $# -gt 0 ] && [ "$1" != "--" ]; then data=$1; shift; fi
  [ "${1:-}" = "--" ] && shift
  kextra=("$@")
  local top
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  kiln=${KILN:-$top/build/kiln}
  ort_run=${ORT_RUN:-$top/../shared/vlmodels/ort_run.mjs}
  export NODE_PATH=${NODE_PATH:-$HOME/kiln-ws/ort/node_modules}
}
# the value of "KEY": in a JSON line on stdin
num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | tail -1; }
# the median of the arguments
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
