# lib_expect.sh: the `expect` helper of the CLI test scripts (cli_test.sh,
# aot_cli_test.sh, aot_custom_test.sh), sourced as . "$src/tests/lib_expect.sh".
# expect CODE PATTERN CMD...: runs CMD, passes when it exits with CODE and its
# output (stdout and stderr) matches the grep PATTERN ("" matches anything);
# prints ok/FAIL and counts failures in $fails.
expect() {
  want=$1 pat=$2
  shift 2
  out=$("$@" 2>&1)
  got=$?
  if [ "$got" != "$want" ] || { [ -n "$pat" ] && ! printf '%s' "$out" | grep -q -- "$pat"; }; then
    echo "FAIL: $* -> exit $got (want $want), output:"
    printf '%s\n' "$out" | head -5
    fails=$((fails + 1))
  else
    echo "ok: $*"
  fi
}
