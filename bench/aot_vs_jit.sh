#!/usr/bin/env bash
# bench/aot_vs_jit.sh: the same model ahead of time (`kiln compile --emit so`
# for this machine, run by `kiln bench NAME.so`) and on the JIT (`kiln bench
# MODEL`), alternating: each of REPS rounds runs both once (ITERS timed runs
# each, the median and minimum kept), so machine noise hits both alike. Prints
# every round, then the median of the round medians, the best minimum, and
# the AOT/JIT ratios. Extra flags after -- go to both compile and bench.
# usage: bench/aot_vs_jit.sh MODEL.onnx DATA_DIR [-- flags]
#   env: REPS (5), ITERS (20), THREADS (1), KILN (build/kiln), OUT (a temp dir)
set -euo pipefail
model=$1 data=$2
shift 2
[ "${1:-}" = "--" ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$top/build/kiln}
reps=${REPS:-5} iters=${ITERS:-20} threads=${THREADS:-1}
out=${OUT:-$(mktemp -d)}
"$kiln" compile "$model" -i "$data" -o "$out" --emit so --name bench_model "$@" >&2
num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | tail -1; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
least() { printf '%s\n' "$@" | sort -g | head -1; }
am="" jm="" an="" jn=""
for r in $(seq "$reps"); do
  a=$("$kiln" bench "$out/bench_model.so" -i "$data" --iters "$iters" --threads "$threads" --json "$@" | tail -1)
  j=$("$kiln" bench "$model" -i "$data" --iters "$iters" --threads "$threads" --json "$@" | tail -1)
  am="$am $(echo "$a" | num median_ms)" an="$an $(echo "$a" | num min_ms)"
  jm="$jm $(echo "$j" | num median_ms)" jn="$jn $(echo "$j" | num min_ms)"
  echo "round $r: aot median $(echo "$a" | num median_ms) min $(echo "$a" | num min_ms)," \
    "jit median $(echo "$j" | num median_ms) min $(echo "$j" | num min_ms)" >&2
done
# shellcheck disable=SC2086
A=$(med $am) J=$(med $jm) AN=$(least $an) JN=$(least $jn)
echo "aot: median $A ms, min $AN ms; jit: median $J ms, min $JN ms;" \
  "aot/jit $(awk -v a="$A" -v b="$J" 'BEGIN {printf "%.3f", a / b}') (medians)," \
  "$(awk -v a="$AN" -v b="$JN" 'BEGIN {printf "%.3f", a / b}') (minimums)"
