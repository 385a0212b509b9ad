#!/bin/sh
# aot_load_test.sh: kiln's loader (runtime/loader/artifact.c) on shared
# libraries it must not trust. A damaged `kiln compile --emit so` artifact,
# a library that is not one, or hand-made metadata must be refused with
# exit 1 and a message, before dlopen runs any of its code: never a signal,
# never wrong outputs with exit 0. Cases:
#   (a) the artifact truncated at 20 points, and two ELF header edits the
#       structure checks accept (the image hash covers the header);
#   (b) 40 copies with 20 bytes flipped each (tests/aot/flip_bytes.c, fixed
#       seeds): each refused, or run with outputs equal to the intact one's;
#   (c) a plain library whose constructor creates a marker file: refused and
#       the marker absent (LD_PRELOAD of the same library shows it works);
#   (d) hand-made metadata (tests/aot/fake_meta.c), one defect per build, also
#       linked by lld (RELATIVE relocations with 0 in place) and with packed
#       (RELR) relocations when the linker has them;
#   (e) the runtime's own check of embedded weights: a program linked with a
#       copy whose weights have a flipped byte fails with KILN_EIO;
# and a stripped copy still loads and gives the same outputs.
# usage: aot_load_test.sh KILN SOURCE_DIR   (needs cc; exit 77 without it)
set -u
kiln=$1
src=$2
. "$src/tests/lib_expect.sh" # expect, expect_done, $tmp, $fails
if ! command -v cc >/dev/null; then
  echo "SKIP: no C compiler (kiln compile --emit so links with cc)"
  exit 77
fi
to=""
command -v timeout >/dev/null && to="timeout 60"
m=$src/models/clip_vit_tiny.kir
expect 0 "compiled" "$kiln" compile "$m" -o "$tmp/so" --emit so
so=$tmp/so/clip_vit_tiny.so
"$kiln" run "$m" --save-inputs "$tmp/in" >/dev/null
expect 0 "engine aot" "$kiln" run "$so" -i "$tmp/in" -o "$tmp/ref"
[ -s "$tmp/ref/output_0.pb" ] || failed "the intact library wrote no output"
size=$(wc -c <"$so")

# runs `kiln run FILE` into $tmp/out; sets $rc and $log
run_so() {
  rm -rf "$tmp/out"
  # shellcheck disable=SC2086
  log=$($to "$kiln" run "$1" -i "$tmp/in" -o "$tmp/out" 2>&1)
  rc=$?
}

# a stripped copy keeps its image hash (of the loaded bytes strip changes
# only the ELF header's section-header fields, which the hash leaves out)
if command -v strip >/dev/null; then
  cp "$so" "$tmp/stripped.so" && strip "$tmp/stripped.so"
  expect 0 "engine aot" "$kiln" run "$tmp/stripped.so" -i "$tmp/in" -o "$tmp/stripped"
  cmp -s "$tmp/stripped/output_0.pb" "$tmp/ref/output_0.pb" || failed "the stripped copy's outputs differ"
  cmp -s "$tmp/stripped.so" "$so" && failed "strip changed nothing: not the case tested"
fi

# (a) truncated copies: headers, tables, code, weights, metadata, section headers
for n in 0 3 40 64 100 500 1000 3000 5000 9000 20000 60000 $((size / 4)) $((size / 2)) $((size * 3 / 4)) \
  $((size - 12000)) $((size - 7000)) $((size - 3000)) $((size - 100)) $((size - 1)); do
  head -c "$n" "$so" >"$tmp/cut.so"
  run_so "$tmp/cut.so"
  if [ "$rc" = 1 ] && printf '%s' "$log" | grep -q "cut.so"; then
    echo "ok: truncated to $n bytes: $(printf '%s' "$log" | head -1)"
  else
    failed "truncated to $n bytes: exit $rc (want 1 and a message naming the file): $log"
  fi
done

# the ELF header is in the image hash but for its section-header fields: a
# nonzero e_ident pad byte, or fewer program headers (dropping PT_TLS and
# PT_GNU_RELRO, a file the structure checks alone accept)
for edit in "12 \001" "56 \006"; do
  cp "$so" "$tmp/hdr.so"
  # shellcheck disable=SC2086
  set -- $edit
  printf "$2" | dd of="$tmp/hdr.so" bs=1 seek="$1" conv=notrunc 2>/dev/null
  expect 1 "do not match the hash kiln compile wrote" "$kiln" run "$tmp/hdr.so" -i "$tmp/in"
done

# (b) 20 flipped bytes, 40 seeds
cc -O2 -o "$tmp/flip" "$src/tests/aot/flip_bytes.c" || failed "cannot build flip_bytes"
refused=0 same=0
for seed in $(seq 1 40); do
  at=$("$tmp/flip" "$so" "$tmp/flip.so" "$seed" 20) || {
    failed "flip_bytes seed $seed"
    continue
  }
  run_so "$tmp/flip.so"
  if [ "$rc" = 1 ] && [ -n "$log" ]; then
    refused=$((refused + 1))
  elif [ "$rc" = 0 ] && cmp -s "$tmp/out/output_0.pb" "$tmp/ref/output_0.pb"; then
    same=$((same + 1))
  else
    failed "seed $seed (bytes at $at): exit $rc$([ "$rc" = 0 ] && echo ' with different outputs'): $log"
  fi
done
echo "flipped copies: $refused refused, $same ran with the intact outputs, $((40 - refused - same)) failed"

# (c) a library that is not an artifact: its constructor must not run
printf '#include <stdio.h>\n__attribute__((constructor)) static void mark(void) {\n  FILE *f = fopen(MARKER, "w");\n  if (f) fclose(f);\n}\nint nothing_here(void) { return 0; }\n' >"$tmp/ctor.c"
cc -shared -fPIC -DMARKER="\"$tmp/marker\"" "$tmp/ctor.c" -o "$tmp/ctor.so" || failed "cannot build ctor.so"
expect 1 "not a kiln artifact" "$kiln" run "$tmp/ctor.so"
[ -e "$tmp/marker" ] && failed "the constructor of a refused library ran"
env LD_PRELOAD="$tmp/ctor.so" true
[ -e "$tmp/marker" ] || failed "the constructor does not create the marker when loaded: the check above proves nothing"
rm -f "$tmp/marker"

# (d) hand-made metadata, one defect each
fake() { # fake OUT.so CC-ARGS...: builds tests/aot/fake_meta.c
  out=$1
  shift
  cc -shared -fPIC -I"$src/runtime" "$@" "$src/tests/aot/fake_meta.c" -o "$out" 2>"$tmp/cc.log"
}
while IFS='|' read -r want def; do
  # shellcheck disable=SC2086
  fake "$tmp/fake.so" $def || {
    failed "cannot build fake_meta.c with $def: $(cat "$tmp/cc.log")"
    continue
  }
  expect 1 "$want" "$kiln" run "$tmp/fake.so"
done <<'EOF'
name is NULL|-DNAME=0
its entry point is NULL|-DENTRY=0
input 'x' has a rank (9)|-DRANK=9
input 'x' says 7 elements and 28 bytes, its shape makes 6|-DNUMEL=7
input 'x' has a negative or huge dimension|-DDIM0=-3
implausible I/O counts|-DNINPUTS=100000
inputs is a pointer without a relocation|-DRAW_INPUTS=64
the entry point no_such_function is missing|-DSYM_RUN="no_such_function"
output 0 takes its value from source kind 1 index 5|-DSRC_KIND=1 -DSRC_INDEX=5
EOF
# well formed but not written by kiln compile (no image hash), with a constructor
fake "$tmp/fake.so" -DMARKER="\"$tmp/marker\"" || failed "cannot build fake_meta.c: $(cat "$tmp/cc.log")"
expect 1 "has no image hash" "$kiln" run "$tmp/fake.so"
[ -e "$tmp/marker" ] && failed "the constructor of a refused hand-made artifact ran"
# pointers read through the relocations of other linkers: the name of input
# 'x' is only in the relocation (lld) or only in place (RELR)
for how in lld relr; do
  case $how in
  lld) flags="-fuse-ld=lld" ;;
  relr) flags="-Wl,-z,pack-relative-relocs" ;;
  esac
  # shellcheck disable=SC2086
  if fake "$tmp/fake_$how.so" $flags -DRANK=9 && fake "$tmp/ok_$how.so" $flags; then
    expect 1 "input 'x' has a rank (9)" "$kiln" run "$tmp/fake_$how.so"
    expect 1 "has no image hash" "$kiln" run "$tmp/ok_$how.so"
  else
    echo "note: the linker cannot build with $flags; skipped"
  fi
done
if [ -e "$tmp/fake_relr.so" ] && command -v readelf >/dev/null; then
  readelf -SW "$tmp/fake_relr.so" | grep -q "RELR" || failed "fake_relr.so has no packed relocations: not the case tested"
fi

# (e) the runtime checks embedded weights itself, for programs that link the
# library without kiln's loader: one flipped weight byte fails NAME_ctx_new
# and NAME_run with KILN_EIO
if command -v readelf >/dev/null; then
  mkdir -p "$tmp/app/out"
  cp "$so" "$tmp/app/"
  # (the runtime is hidden inside the library: its errors come through
  # NAME_error; -l: records the bare name, found next to the program)
  (cd "$tmp/app" && cc "$src/tests/aot/aot_driver.c" "$src/tests/aot/pb_lite.c" -I"$tmp/so" -I"$src/tests/aot" \
    -DKILN_MODEL=clip_vit_tiny -Dkiln_rt_error=clip_vit_tiny_error -L. -l:clip_vit_tiny.so -Wl,-rpath,'$ORIGIN' \
    -o app) || failed "cannot link the driver"
  expect 0 "written" "$tmp/app/app" "$tmp/in" "$tmp/app/out" 1
  cmp -s "$tmp/app/out/output_0.pb" "$tmp/ref/output_0.pb" || failed "the program's outputs differ from kiln run's"
  # the middle of .rodata, which is the weights (their 622592 bytes are most of it)
  ro=$(readelf -SW "$so" | sed -n 's/.*\] \.rodata *PROGBITS *[0-9a-f]* \([0-9a-f]*\) \([0-9a-f]*\).*/\1 \2/p')
  set -- $ro
  if [ $# = 2 ]; then
    at=$((0x$1 + 0x$2 / 2))
    printf 'Z' | dd of="$tmp/app/clip_vit_tiny.so" bs=1 seek="$at" conv=notrunc 2>/dev/null
    expect 1 "embedded weights do not match their hash" "$tmp/app/app" "$tmp/in" "$tmp/app/out" 1
    expect 1 "embedded weights do not match their hash" "$tmp/app/app" "$tmp/in" "$tmp/app/out" 0
    expect 1 "do not match the hash kiln compile wrote" "$kiln" run "$tmp/app/clip_vit_tiny.so" -i "$tmp/in"
  else
    failed "no .rodata in readelf -S of $so"
  fi
else
  echo "note: readelf is missing: the embedded-weights check of the runtime is not tested"
fi
expect_done
