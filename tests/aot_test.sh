#!/bin/sh
# aot_test.sh: ahead-of-time builds of every tiny zoo model, checked against
# the stored ONNX Runtime outputs (kiln_pbcmp: max|got-ref|/max|ref| <= 1e-4).
# One mode per run:
#   aarch64  kiln compile --target aarch64-linux-gnu, linked with the aarch64
#            libkiln_rt.a and tests/aot/aot_driver.c by aarch64-linux-gnu-gcc,
#            run under qemu-aarch64 (NAME_run, embedded weights)
#   avx2     --target x86_64-linux-gnu --cpu x86-64-v3 --weights file, linked
#            natively, run with a 2-thread context (NAME_ctx_new + NAME_run_ctx);
#            the object must contain no AVX-512 (zmm) instruction
#   so       --emit so for this machine, run by `kiln run NAME.so` (dlopen +
#            libffi call of the typed entry point)
# Each data set is compiled for its own input shapes. Exits 77 (skip) with a
# message when the zoo, qemu-aarch64 or the cross compiler is missing.
# usage: aot_test.sh MODE KILN KILN_PBCMP SOURCE_DIR [FILTER]
set -u
mode=$1 kiln=$2 pbcmp=$3 src=$4 filter=${5:-}
zoo=${KILN_VLMODELS:-$src/../shared/vlmodels}/tiny
if [ ! -d "$zoo" ]; then
  echo "SKIP: the model zoo is not at $zoo (set KILN_VLMODELS)"
  exit 77
fi
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "SKIP: $1 is not installed ($2)"
    exit 77
  fi
}
case $mode in
aarch64)
  need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu"
  need qemu-aarch64 "apt-get install qemu-user"
  cc=aarch64-linux-gnu-gcc
  flags="--target aarch64-linux-gnu"
  ;;
avx2)
  need cc "a C compiler"
  cc=cc
  flags="--target x86_64-linux-gnu --cpu x86-64-v3 --weights file"
  objdump=$(command -v llvm-objdump-19 || command -v objdump || true)
  ;;
so)
  need cc "a C compiler"
  flags="--emit so"
  ;;
*)
  echo "usage: $0 aarch64|avx2|so KILN KILN_PBCMP SOURCE_DIR [FILTER]"
  exit 2
  ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 failed=""
for dir in "$zoo"/*/; do
  model=$(basename "$dir")
  case $model in *"$filter"*) ;; *) continue ;; esac
  ok=1 note=""
  for set in "$dir"/test_data_set_*; do
    s=$(basename "$set")
    out=$tmp/$model/$s
    mkdir -p "$out/got"
    # shellcheck disable=SC2086
    if ! "$kiln" compile "$dir/model.onnx" -i "$set" -o "$out" --name "$model" $flags >"$out/log" 2>&1; then
      note="compile: $(grep -m1 error "$out/log")"
      ok=0
      break
    fi
    case $mode in
    aarch64 | avx2)
      if ! $cc -O2 -DKILN_MODEL="$model" -I"$out" -I"$src/tests/aot" "$src/tests/aot/aot_driver.c" \
        "$src/tests/aot/pb_lite.c" "$out/$model.o" -L"$out" -lkiln_rt -lpthread -lm -o "$out/app" >>"$out/log" 2>&1; then
        note="link: $(tail -3 "$out/log")"
        ok=0
        break
      fi
      if [ "$mode" = aarch64 ]; then
        run="qemu-aarch64 -L /usr/aarch64-linux-gnu $out/app $set $out/got"
      else
        run="$out/app $set $out/got 2 $out/$model.weights"
        if [ -n "$objdump" ] && "$objdump" -d "$out/$model.o" | grep -q zmm; then
          note="the x86-64-v3 object has AVX-512 (zmm) instructions"
          ok=0
          break
        fi
      fi
      ;;
    so) run="$kiln run $out/$model.so -i $set -o $out/got" ;;
    esac
    # shellcheck disable=SC2086
    if ! $run >>"$out/log" 2>&1; then
      note="run: $(tail -2 "$out/log" | tr '\n' ' ')"
      ok=0
      break
    fi
    if ! "$pbcmp" "$out/got" "$set" >"$out/cmp" 2>&1; then
      note="$s: $(tr '\n' ' ' <"$out/cmp")"
      ok=0
      break
    fi
    note="$note $s $(sed -n 's/.*worst rel_to_max //p' "$out/cmp")"
  done
  if [ $ok = 1 ]; then
    pass=$((pass + 1))
    printf '%-22s pass  rel_to_max:%s\n' "$model" "$note"
  else
    fail=$((fail + 1))
    failed="$failed $model"
    printf '%-22s FAIL  %s\n' "$model" "$note"
  fi
done
echo "aot $mode: $pass passed, $fail failed${failed:+ ($failed )}"
[ $fail = 0 ]
