#!/bin/sh
# gen_testing_doc.sh: the table of tests in docs/testing.md, generated from the
# sources so it cannot drift: one row per tests/test_*.c (the first sentence of
# its top comment) and one per add_test of tests/CMakeLists.txt (its
# "# ctest NAME: description" line; loop variables shown as <var>).
#   tools/gen_testing_doc.sh                          print the table
#   tools/gen_testing_doc.sh --update                 rewrite it between the tests markers of docs/testing.md
#   tools/gen_testing_doc.sh --check [CTEST BUILD]    exit 1 if the table is stale or a description is missing;
#     with CTEST and BUILD also if `CTEST -N` in BUILD lists a test no row names (the docs_testing ctest; any
#     build folder, and a test that build does not register, e.g. Release-only ones, is no error)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
doc="$top/docs/testing.md"
cml="$top/tests/CMakeLists.txt"
missing=$(mktemp) pats=$(mktemp) # add_tests without a description; the table's names as patterns
trap 'rm -f "$missing" "$pats"' EXIT
# first sentence of a C file's top comment, without the "name.c: " prefix
first_sentence() {
  awk 'NR==1{sub(/^\/\*+ */,"")} {sub(/^ *\*+ ?/,""); end=sub(/ *\*\/.*$/,"")
       t = t (t=="" || t ~ /\/$/ ? "" : " ") $0; if (end) exit}
       END{sub(/^[A-Za-z0-9_]+\.c: */,"",t); if (match(t,/\.( |$)/)) t=substr(t,1,RSTART); gsub(/\|/,"\\|",t); print t}' "$1"
}
# names of the add_tests, in file order, loop variables as <var>; the glob's ${name} is the test_*.c files
registered() { sed -n 's/^ *add_test(NAME \([^ )]*\).*/\1/p' "$cml" | sed 's/\${\([a-z_]*\)}/<\1>/g' | grep -v '^<[a-z_]*>$'; }
table() {
  echo "| ctest name | what it checks |"
  echo "|---|---|"
  for f in "$top"/tests/test_*.c; do
    name=$(basename "$f" .c)
    echo "| \`$name\` | $(first_sentence "$f") |"
  done
  for name in $(registered); do
    desc=$(grep -F "# ctest $name: " "$cml" | head -n 1 | sed 's/^ *# ctest [^ ]*: //')
    [ -n "$desc" ] || echo "$name" >>"$missing"
    echo "| \`$name\` | ${desc:-(no description)} |"
  done
}
. "$top/tools/doc_tables.sh"
case "${1:-}" in
--check)
  status=0
  doc_tables --check "$doc" tests table || status=1
  for name in $(cat "$missing"); do
    echo "tests/CMakeLists.txt: add_test $name has no '# ctest $name: description' line"; status=1
  done
  if [ $# -ge 3 ]; then
    # every test this build registers must match a row (<var> matches any name part)
    table | sed -n 's/^| `\([^`]*\)` |.*/\1/p' | sed 's/<[a-z_]*>/[A-Za-z0-9_.-]*/g' >"$pats"
    ctest_out=$("$2" --test-dir "$3" -N) || { echo "$2 -N in $3 failed"; exit 1; }
    listed=$(printf '%s\n' "$ctest_out" | sed -n 's/^ *Test *#[0-9]*: *//p')
    [ -n "$listed" ] || { echo "$2 -N in $3 lists no tests"; exit 1; }
    for t in $listed; do
      printf '%s\n' "$t" | grep -qx -f "$pats" || { echo "ctest $t (registered in $3) has no row in docs/testing.md's table"; status=1; }
    done
  fi
  [ $status = 0 ] && echo "docs/testing.md's table of tests is up to date"
  exit $status ;;
*) doc_tables "${1:-}" "$doc" tests table ;;
esac
