#!/bin/sh
# gen_passes_doc.sh: the pass table of docs/passes.md, generated from passes/passes.def.
#   tools/gen_passes_doc.sh           print the table
#   tools/gen_passes_doc.sh --update  rewrite it between the passes markers of docs/passes.md
#   tools/gen_passes_doc.sh --check   exit 1 if docs/passes.md's table is stale (a ctest)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
doc="$top/docs/passes.md"
table() {
  echo "| pass | what it does |"
  echo "|---|---|"
  sed -n 's/^PASS([a-z_]*, *"\([^"]*\)", *"\(.*\)")$/| `\1` | \2 |/p' "$top/passes/passes.def"
}
. "$top/tools/doc_tables.sh"
doc_tables "${1:-}" "$doc" passes table || exit 1
[ "${1:-}" != --check ] || echo "docs/passes.md's table matches passes/passes.def"
