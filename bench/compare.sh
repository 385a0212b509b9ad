#!/usr/bin/env bash
# bench/compare.sh: kiln and ONNX Runtime side by side on one model, in one
# run, on the same machine. Alternates the two engines REPS times (so machine
# noise hits both alike), each time taking the median of ITERS runs, and
# reports the median of those medians and the ratio kiln/ORT.
# usage: bench/compare.sh MODEL.onnx [DATA_DIR] [-- extra kiln bench flags]
#   env: REPS (5), ITERS (20), THREADS (1), KILN (build/kiln),
#        ORT_RUN (../shared/vlmodels/ort_run.mjs), NODE_PATH (~/kiln-ws/ort/node_modules)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_args "$@"
reps=${REPS:-5} iters=${ITERS:-20} threads=${THREADS:-1}
kargs=(bench "$model" --iters "$iters" --warmup 3 --threads "$threads" --json "${kextra[@]}")
oargs=(bench "$model" --threads "$threads" --iters "$iters")
if [ -n "$data" ]; then kargs+=(-i "$data"); oargs+=(--data "$data"); fi
k=() o=() c=()
for r in $(seq "$reps"); do
  kj=$("$kiln" "${kargs[@]}" | tail -1)
  oj=$(node "$ort_run" "${oargs[@]}" | tail -1)
  k+=("$(echo "$kj" | num median_ms)")
  c+=("$(echo "$kj" | num compile_ms)")
  o+=("$(echo "$oj" | num median_ms)")
  echo "rep $r: kiln $(echo "$kj" | num median_ms) ms, ort $(echo "$oj" | num median_ms) ms" >&2
done
km=$(med "${k[@]}") om=$(med "${o[@]}") cm=$(med "${c[@]}")
ratio=$(awk -v a="$km" -v b="$om" 'BEGIN {printf "%.2f", a / b}')
printf '%s threads=%s: kiln median %s ms (compile %s ms), ORT median %s ms, kiln/ORT %s\n' \
  "$(basename "$(dirname "$model")")" "$threads" "$km" "$cm" "$om" "$ratio"
echo "{\"model\":\"$model\",\"threads\":$threads,\"kiln_ms\":$km,\"ort_ms\":$om,\"ratio\":$ratio,\"compile_ms\":$cm}"
