#!/usr/bin/env bash
# bench/olevels.sh: one model at every kiln -O level and on ONNX Runtime, in
# one run on the same machine. Each of REPS rounds runs kiln -O0, -O1, -O2,
# -O3 and ORT once each (ITERS timed runs each, the median kept), so machine
# noise hits all five alike; the table row is the median of the round medians
# and the ratio of each level to ORT.
# usage: bench/olevels.sh MODEL.onnx [DATA_DIR] [-- extra kiln bench flags]
#   env: REPS (3), ITERS (10), THREADS (1), KILN (build/kiln),
#        ORT_RUN (../shared/vlmodels/ort_run.mjs), NODE_PATH (~/kiln-ws/ort/node_modules)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_args "$@"
reps=${REPS:-3} iters=${ITERS:-10} threads=${THREADS:-1}
dargs=() oargs=(bench "$model" --threads "$threads" --iters "$iters")
if [ -n "$data" ]; then dargs=(-i "$data"); oargs+=(--data "$data"); fi
declare -A times
for r in $(seq "$reps"); do
  line="rep $r:"
  for lvl in 0 1 2 3; do
    t=$("$kiln" bench "$model" "${dargs[@]}" -O$lvl --iters "$iters" --warmup 2 --threads "$threads" --json "${kextra[@]}" | tail -1 | num median_ms)
    times[$lvl]="${times[$lvl]:-} $t"
    line="$line -O$lvl $t"
  done
  t=$(node "$ort_run" "${oargs[@]}" | tail -1 | num median_ms)
  times[ort]="${times[ort]:-} $t"
  echo "$line ORT $t" >&2
done
# shellcheck disable=SC2086
ort=$(med ${times[ort]})
row="| $(basename "$(dirname "$model")") | $threads |"
for lvl in 0 1 2 3; do
  # shellcheck disable=SC2086
  m=$(med ${times[$lvl]})
  row="$row $m ($(awk -v a="$m" -v b="$ort" 'BEGIN {printf "%.2f", a / b}')) |"
done
echo "$row $ort |"
