#!/bin/sh
# gen_oplist.sh: the supported-op list, generated from ir/ops.def.
#   tools/gen_oplist.sh                 print the list
#   tools/gen_oplist.sh --update-readme rewrite the list between the oplist markers of README.md
#   tools/gen_oplist.sh --check-readme  exit 1 if README.md's list is stale (a ctest)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
list() { grep -o '^OP([A-Za-z0-9]*' "$top/ir/ops.def" | sed 's/^OP(//' | sort | tr '\n' ' ' | fold -s -w 100 | sed 's/ *$//'; echo; }
readme_list() { sed -n '/<!-- oplist:begin -->/,/<!-- oplist:end -->/p' "$top/README.md" | sed '1d;$d'; }
case "${1:-}" in
--update-readme)
  tmp=$(mktemp)
  { sed -n '1,/<!-- oplist:begin -->/p' "$top/README.md"; list; sed -n '/<!-- oplist:end -->/,$p' "$top/README.md"; } > "$tmp"
  mv "$tmp" "$top/README.md" ;;
--check-readme)
  if [ "$(list)" != "$(readme_list)" ]; then
    echo "README.md's op list is stale: run tools/gen_oplist.sh --update-readme"; exit 1
  fi
  echo "README.md's op list matches ir/ops.def" ;;
*) list ;;
esac
