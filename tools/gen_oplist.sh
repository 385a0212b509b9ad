#!/bin/sh
# gen_oplist.sh: prints the supported-op list from ir/ops.def (for the README).
grep -o '^OP([A-Za-z]*' "${1:-ir/ops.def}" | sed 's/^OP(//' | sort | tr '\n' ' ' | fold -s -w 100
echo
