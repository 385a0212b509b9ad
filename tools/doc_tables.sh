# doc_tables.sh: the generated tables of the docs, sourced by the
# tools/gen_*_doc.sh scripts. A table lives between the lines
# "<!-- NAME:begin -->" and "<!-- NAME:end -->" of its file, and each script
# has the same three modes, which doc_tables runs:
#   (no option)  print the tables
#   --update     rewrite them between their markers
#   --check      exit 1 if one is stale, naming it (the docs_* ctests)
# between FILE NAME: the lines between NAME's markers in FILE
between() { sed -n "/<!-- $2:begin -->/,/<!-- $2:end -->/p" "$1" | sed '1d;$d'; }
# replace FILE NAME GENERATOR: GENERATOR's output between NAME's markers in FILE
replace() {
  doc_tmp=$(mktemp)
  { sed -n "1,/<!-- $2:begin -->/p" "$1"; $3; sed -n "/<!-- $2:end -->/,\$p" "$1"; } >"$doc_tmp"
  mv "$doc_tmp" "$1"
}
# doc_tables MODE FILE NAME GENERATOR [FILE NAME GENERATOR...]: runs MODE
# (above) over the tables; a stale table makes --check print which, with the
# command that regenerates it, and return 1 (printing tables separates them
# by an empty line)
doc_tables() {
  doc_mode=$1 doc_stale=0 doc_sep=
  shift
  while [ $# -ge 3 ]; do
    case $doc_mode in
    --update) replace "$1" "$2" "$3" ;;
    --check)
      if [ "$($3)" != "$(between "$1" "$2")" ]; then
        echo "${1#"$top"/}'s $2 table is stale: run tools/$(basename "$0") --update"
        doc_stale=1
      fi ;;
    *)
      printf '%s' "$doc_sep"
      doc_sep='
'
      $3 ;;
    esac
    shift 3
  done
  return $doc_stale
}
