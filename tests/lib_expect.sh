# lib_expect.sh: what the CLI test scripts (cli_test.sh, aot_cli_test.sh,
# aot_custom_test.sh) share, sourced as . "$src/tests/lib_expect.sh" after
# `set -u`: a scratch folder $tmp (removed on exit), the failure count $fails,
# and these functions.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
# expect CODE PATTERN CMD...: runs CMD, passes when it exits with CODE and its
# output (stdout and stderr) matches the grep PATTERN ("" matches anything);
# prints ok/FAIL and counts failures in $fails.
expect() {
  want=$1 pat=$2
  shift 2
  out=$("$@" 2>&1)
  got=$?
  if [ "$got" != "$want" ] || { [ -n "$pat" ] && ! printf '%s' "$out" | grep -q -- "$pat"; }; then
    failed "$* -> exit $got (want $want), output:"
    printf '%s\n' "$out" | head -5
  else
    echo "ok: $*"
  fi
}
# failed MESSAGE: a check of the script's own failed: prints FAIL: MESSAGE
# and counts it in $fails.
failed() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
# expect_done: the last command of a script: prints the failure count and
# returns nonzero when there was one.
expect_done() {
  echo "$fails failures"
  [ "$fails" = 0 ]
}
