#!/bin/sh
# gen_ops_doc.sh: the op lists generated from ir/ops.def, so they cannot drift:
# README.md's list of ONNX ops and docs/ops.md's table (op, domain, opsets,
# pattern class, how compiled code runs it, whether an AOT build takes it).
#   tools/gen_ops_doc.sh            print both
#   tools/gen_ops_doc.sh --update   rewrite them between their markers
#   tools/gen_ops_doc.sh --check    exit 1 if either is stale (the docs_ops ctest)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
def="$top/ir/ops.def"
readme="$top/README.md"
doc="$top/docs/ops.md"
max_opset=$(sed -n 's/^#define IR_ONNX_OPSET_MAX \([0-9]*\).*/\1/p' "$top/ir/ir.h")
# rows as "name domain since form pattern lowering", lowering as L, K, LK or L0
rows() {
  sed -n 's/^OP(\([A-Za-z0-9]*\), \([A-Z]*\), \([0-9]*\), \([0-9]*\), \([A-Z]*\), \(L0\|LK\|L\|K\)[(,].*/\1 \2 \3 \4 \5 \6/p' "$def"
}
oplist() {
  rows | awk '$2 == "ONNX" {print $1}' | sort | tr '\n' ' ' | fold -s -w 100 | sed 's/ *$//'
  echo
}
# "name k,k" for the SHAPED_BY rows: the operands whose values shape the outputs
shaped() {
  sed -n 's/^SHAPED_BY(\([A-Za-z0-9]*\), \(.*\))$/\1 \2/p' "$def" | sed 's/IN(\([0-9]\))/\1/g; s/ | /,/g'
}
# "name fuse,blocked" for the OP_FLAGS rows
flags() {
  sed -n 's/^OP_FLAGS(\([A-Za-z0-9]*\), \(.*\))$/\1 \2/p' "$def" |
    sed 's/FUSED_LOOP/fused-loop/; s/BLOCKED_OK/blocked-layout/; s/ | /,/g'
}
table() {
  echo "| op | domain | imported from opset | IR form (opset) | pattern | compiled code runs it as | AOT build | shaped by the values of inputs | passes may |"
  echo "|---|---|---|---|---|---|---|---|---|"
  # one stream: the SHAPED_BY (S) and OP_FLAGS (F) facts first, then the rows (R)
  { shaped | sed 's/^/S /'; flags | sed 's/^/F /'; rows | sort | sed 's/^/R /'; } | awk -v max="$max_opset" '
  $1 == "S" { by[$2] = $3; next }
  $1 == "F" { fl[$2] = $3; next }
  {
    $1 = ""; $0 = $0 # the row fields, renumbered from 1
    dom = $2 == "ONNX" ? "ai.onnx" : "internal"
    imp = $2 == "ONNX" ? $3 " to " max : "never (made by passes)"
    form = $2 == "ONNX" ? $4 : "-"
    how = $6 == "L" ? "generated code" : $6 == "K" ? "kernel call" : $6 == "LK" ? "generated code, else kernel call" : "reference kernel (JIT only)"
    aot = $6 == "L" ? "where generated code takes the node" : $6 != "L0" ? "yes" : $5 == "CONTROL" ? "no" : "when folded (its inputs constant or bound)"
    printf "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, dom, imp, form, tolower($5), how, aot, ($1 in by) ? by[$1] : "", ($1 in fl) ? fl[$1] : ""
  }'
}
. "$top/tools/doc_tables.sh"
doc_tables "${1:-}" "$readme" oplist oplist "$doc" ops table || exit 1
[ "${1:-}" != --check ] || echo "README.md's op list and docs/ops.md's table match ir/ops.def"
