#!/bin/sh
# runner_checks_test.sh: the checks of the test runners can fail. Edited copies
# of tests/conformance_expected.txt must make kiln_conformance fail (a case
# worse than listed) or report without failing (better, or changed at the same
# rank); a typo in the list, a filter matching nothing, an empty zoo and a
# fallback budget overrun (forced with --no-lower) must fail; a budget with
# room must pass. Without the test data or the zoo that half is skipped.
# usage: runner_checks_test.sh KILN_CONFORMANCE KILN_MODELS SOURCE_DIR
set -u
conf=$1 models=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 ran=0
# expect WANT_RC PATTERN CMD...: CMD exits WANT_RC and prints a line matching PATTERN
expect() {
  want=$1 pat=$2
  shift 2
  "$@" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" "$tmp/out"; then
    echo "FAIL: exit $rc (want $want), '$pat' $(grep -q -- "$pat" "$tmp/out" && echo found || echo missing): $*"
    sed 's/^/    /' "$tmp/out" | tail -n 15
    fails=$((fails + 1))
  else
    echo "ok: exit $rc, '$pat': $(echo "$*" | sed "s|$tmp/||g; s|$src/||g")"
  fi
}

list=$src/tests/conformance_expected.txt
bf16=node/test_cast_FLOAT_to_BFLOAT16 # listed mismatch
str=node/test_castlike_FLOAT_to_STRING # listed unsupported
like=node/test_castlike_BFLOAT16_to_FLOAT # listed error
# edit NAME STATUS: a copy of the list with NAME's status replaced (STATUS "-" deletes it)
edit() {
  if [ "$2" = - ]; then grep -v "^$1 " "$list"; else sed "s|^$1 [a-z]*|$1 $2|" "$list"; fi >"$tmp/expect.txt"
}
run_conf() { "$conf" --suite node --filter test_cast --expect "$tmp/expect.txt"; }
if [ -d /usr/share/libonnx-testdata/data/node ]; then
  ran=1
  edit "$bf16" mismatch
  expect 0 "0 cases differ" run_conf
  edit "$bf16" unsupported
  expect 1 "^WORSE   $bf16: expected unsupported -> got mismatch" run_conf
  edit "$bf16" -
  expect 1 "^WORSE   $bf16: expected pass -> got mismatch" run_conf
  edit "$str" mismatch
  expect 0 "^BETTER  $str: expected mismatch -> got unsupported" run_conf
  expect 0 "^update .*--write-expect" run_conf
  edit "$like" unsupported
  expect 0 "^CHANGED $like: expected unsupported -> got error (same rank)" run_conf
  edit "$bf16" mismatchh
  expect 2 "unknown status 'mismatchh'" run_conf
  expect 2 "No such file" "$conf" --expect "$tmp/absent.txt"
  expect 1 "no conformance case found" "$conf" --filter no_such_case --expect "$list"
else
  echo "skipped the conformance checks: no ONNX backend test data"
fi

zoo=${KILN_VLMODELS:-$src/../shared/vlmodels}
mkdir -p "$tmp/empty/tiny"
expect 1 "no model in" "$models" --zoo "$tmp/empty"
expect 77 "SKIP" "$models" --zoo "$tmp/absent"
if [ -d "$zoo/tiny/align_text" ]; then
  ran=1
  m="$models --zoo $zoo --filter align_text --engine jit"
  expect 1 "no model in .* matches --filter no_such_model" "$models" --zoo "$zoo" --filter no_such_model
  : >"$tmp/budget.txt"
  expect 0 "fallback budget .*: 0 models over, 0 under" $m --fallback-budget "$tmp/budget.txt"
  expect 1 "^FALLBACK OVER BUDGET align_text: [0-9]* nodes .* -O3, budget 0 .*: ops .*MatMul" \
    $m --no-lower --fallback-budget "$tmp/budget.txt"
  echo "align_text 100000" >"$tmp/budget.txt"
  expect 0 "^fallback under budget align_text: .*lower it" $m --no-lower --fallback-budget "$tmp/budget.txt"
  echo "align_text 0 -O3" >>"$tmp/budget.txt"
  expect 1 "^FALLBACK OVER BUDGET align_text" $m --no-lower --fallback-budget "$tmp/budget.txt"
  expect 0 "^fallback under budget align_text" $m --no-lower -O2 --fallback-budget "$tmp/budget.txt"
  echo "align_text lots" >"$tmp/budget.txt"
  expect 2 "budget.txt:1: expected" $m --fallback-budget "$tmp/budget.txt"
else
  echo "skipped the model runner checks: no tiny zoo at $zoo"
fi
[ "$ran" = 1 ] || { echo "SKIP: neither the ONNX test data nor the tiny zoo is here"; exit 77; }
[ "$fails" = 0 ] || { echo "$fails checks failed"; exit 1; }
echo "every check of the runners fails when it should"
