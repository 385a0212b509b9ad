#!/usr/bin/env bash
# gen_models_table.sh: the model table of docs/models.md, measured on this
# machine: for every models/*.kir, its architecture and the system it stands
# for (from the file's `# architecture:` and `# stands for:` comment lines),
# parameters and multiply-accumulates (kiln inspect), the ops it uses, and the
# JIT's median latency at 1 and 2 threads (kiln bench). Prints the table;
# paste it into docs/models.md with the date and machine.
# usage: tools/gen_models_table.sh [--config NAME] [--iters N] [MODEL.kir...]
#   env: KILN (build/kiln)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$top/build/kiln}
config=() iters=10 files=()
while [ $# -gt 0 ]; do
  case $1 in
  --config) config=(--config "$2"); shift 2 ;;
  --iters) iters=$2; shift 2 ;;
  *) files+=("$1"); shift ;;
  esac
done
[ ${#files[@]} -eq 0 ] && files=("$top"/models/*.kir)
num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | tail -1; }
comment() { sed -n "s/^# $1: *//p" "$2" | head -1; }
echo "| file | architecture | stands for | params | GMACs | ops | 1 thread (ms) | 2 threads (ms) |"
echo "|---|---|---|---|---|---|---|---|"
for f in "${files[@]}"; do
  js=$("$kiln" inspect "$f" "${config[@]}" --engine ref --no-ir --json 2>/dev/null | tail -1)
  params=$(echo "$js" | num params)
  macs=$(echo "$js" | num macs)
  ops=$(echo "$js" | sed -n 's/.*"ops":{\([^}]*\)}.*/\1/p' | tr ',' '\n' | sed 's/"\([A-Za-z0-9]*\)".*/\1/' | sort | tr '\n' ' ')
  t1=$("$kiln" bench "$f" "${config[@]}" --iters "$iters" --threads 1 --json 2>/dev/null | tail -1 | num median_ms)
  t2=$("$kiln" bench "$f" "${config[@]}" --iters "$iters" --threads 2 --json 2>/dev/null | tail -1 | num median_ms)
  printf '| %s | %s | %s | %.1fM | %.2f | %s | %s | %s |\n' "$(basename "$f")" "$(comment architecture "$f")" \
    "$(comment 'stands for' "$f")" "$(awk -v p="$params" 'BEGIN {print p / 1e6}')" \
    "$(awk -v m="$macs" 'BEGIN {print m / 1e9}')" "${ops% }" "$t1" "$t2"
done
