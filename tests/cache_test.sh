#!/bin/sh
# cache_test.sh: the JIT's compile cache (codegen/compile_cache.c) survives
# whatever is in its directory. A tiny model runs once into a fresh
# --cache-dir; then its entry is truncated, cut to a few bytes, emptied,
# overwritten with zeros, has bytes of its object flipped, is replaced by
# another model's entry, by a FIFO, a symbolic link to /dev/zero and a
# directory. Every later run must exit 0 within 60 s with outputs matching
# ONNX Runtime's (kiln_pbcmp), say under -v why the entry was refused, and
# leave a good entry (the run after it is a cache hit). The key follows the
# code, not the file: a renamed copy and a model with other weights hit (and
# compute their own outputs), other code misses. Also: stale
# temporary files are removed and fresh ones kept, an unwritable or
# uncreatable directory gives exit 0 and exactly one warning, and the size
# cap (--cache-max, $KILN_CACHE_MAX) evicts the least recently used entries.
# usage: cache_test.sh KILN KILN_PBCMP SOURCE_DIR
set -u
kiln=$1 pbcmp=$2 src=$3
. "$src/tests/lib_expect.sh" # failed, expect_done, $tmp, $fails
zoo=${KILN_VLMODELS:-$src/../shared/vlmodels}/tiny
m1=$zoo/dalle_dvae_decoder m2=$zoo/align_image m3=$zoo/clip_vit_image
for m in "$m1" "$m2" "$m3"; do
  if [ ! -f "$m/model.onnx" ]; then
    echo "SKIP: $m/model.onnx is missing (set KILN_VLMODELS)"
    exit 77
  fi
done

# run_ok WHAT MODEL DIR [PATTERN]: kiln run -v with the cache in DIR must exit
# 0 within 60 s with outputs matching the model's data set, and its output
# match the grep PATTERN (when given); the output is left in $tmp/log
run_ok() {
  what=$1 model=$2 dir=$3 pat=${4:-}
  rm -rf "$tmp/out"
  timeout 60 "$kiln" run "$model/model.onnx" -i "$model/test_data_set_0" -o "$tmp/out" --cache-dir "$dir" -v \
    >"$tmp/log" 2>&1
  rc=$?
  if [ $rc != 0 ]; then
    failed "$what: exit $rc (want 0)$([ $rc = 124 ] && echo ', timed out')"
    head -5 "$tmp/log"
    return 1
  fi
  if ! "$pbcmp" "$tmp/out" "$model/test_data_set_0" >"$tmp/cmp" 2>&1; then
    failed "$what: outputs differ from the references: $(tr '\n' ' ' <"$tmp/cmp")"
    return 1
  fi
  if [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/log"; then
    failed "$what: no '$pat' in the output:"
    head -8 "$tmp/log"
    return 1
  fi
  echo "ok: $what"
}

# the entries: m1's in $c, m2's in $c2
c=$tmp/cache c2=$tmp/cache2
run_ok "first run" "$m1" "$c"
run_ok "second run hits" "$m1" "$c" "compile cache hit"
run_ok "another model" "$m2" "$c2"
entry=$(ls "$c"/kiln-*.kco 2>/dev/null)
other=$(ls "$c2"/kiln-*.kco 2>/dev/null)
if [ ! -f "$entry" ] || [ ! -f "$other" ]; then
  failed "no entry kiln-*.kco written (in $c: $(ls "$c"); in $c2: $(ls "$c2"))"
  expect_done
  exit 1
fi
cp "$entry" "$tmp/good"
size=$(wc -c <"$tmp/good")

# check_bad WHAT REASON: after the entry was spoiled, a run must refuse it
# for REASON and write it again
check_bad() {
  what=$1 reason=$2
  run_ok "$what" "$m1" "$c" "$reason" || return
  if [ -L "$entry" ] || [ ! -f "$entry" ]; then
    failed "$what: the entry was not written again"
  elif ! cmp -s "$entry" "$tmp/good"; then
    run_ok "$what, the entry written again hits" "$m1" "$c" "compile cache hit"
  else
    echo "ok: $what: the entry is written again as it was"
  fi
}
fresh() {
  rm -rf "$entry"
  cp "$tmp/good" "$entry"
}

fresh
head -c $((size / 2)) "$tmp/good" >"$entry"
check_bad "truncated to half" "where its header says"
head -c 40 "$tmp/good" >"$entry"
check_bad "cut inside the header" "shorter than an entry's header"
: >"$entry"
check_bad "empty" "0 bytes, shorter"
head -c "$size" /dev/zero >"$entry"
check_bad "zeros" "not a kiln cache entry"
fresh
# flip the top bit of 64 bytes near the end of the object
off=$((size - 3000))
dd if="$tmp/good" bs=1 skip=$off count=64 2>/dev/null | LC_ALL=C tr '\000-\177\200-\377' '\200-\377\000-\177' >"$tmp/flip"
dd if="$tmp/flip" of="$entry" bs=1 seek=$off conv=notrunc 2>/dev/null
if cmp -s "$entry" "$tmp/good"; then failed "flipping bytes changed nothing"; fi
check_bad "bytes of the object flipped" "checksum does not match"
cp "$other" "$entry"
check_bad "another model's entry" "the entry of another key"
rm -f "$entry"
mkfifo "$entry"
check_bad "a FIFO" "not a regular file (a FIFO)"
rm -f "$entry"
ln -s /dev/zero "$entry"
check_bad "a symbolic link to /dev/zero" "a symbolic link"
rm -f "$entry"
mkdir "$entry"
check_bad "a directory" "not a regular file (a directory)"

# the key is the lowered code, not the file: the same model under another
# name hits; one whose weights differ hits too (the weights are passed to
# the code at run time) and computes its own outputs (those of the reference
# engine); one whose code differs (a LayerNormalization epsilon) misses
kir=$src/models/clip_vit_tiny.kir kc=$tmp/kircache
sed 's/std=0.02)$/std=0.03)/' "$kir" >"$tmp/weights.kir"
sed 's/epsilon=1e-05/epsilon=1e-04/' "$kir" >"$tmp/code.kir"
cp "$kir" "$tmp/renamed.kir"
if cmp -s "$kir" "$tmp/weights.kir" || cmp -s "$kir" "$tmp/code.kir"; then failed "the sed edits of $kir did nothing"; fi
kir_run() { # kir_run WHAT FILE PATTERN [NOT]: the JIT with the cache in $kc against the reference engine
  rm -rf "$tmp/kj" "$tmp/kr"
  timeout 60 "$kiln" run "$2" --cache-dir "$kc" -o "$tmp/kj" >"$tmp/log" 2>&1 &&
    timeout 60 "$kiln" run "$2" --engine ref -o "$tmp/kr" >/dev/null 2>&1 || {
    failed "$1: the run failed: $(tail -2 "$tmp/log")"
    return
  }
  if ! "$pbcmp" "$tmp/kj" "$tmp/kr" >"$tmp/cmp" 2>&1; then failed "$1: the JIT and the reference engine differ"
  elif [ -z "${4:-}" ] && ! grep -q "$3" "$tmp/log"; then failed "$1: no '$3' in: $(grep compile "$tmp/log")"
  elif [ -n "${4:-}" ] && grep -q "$3" "$tmp/log"; then failed "$1: '$3' in: $(grep compile "$tmp/log")"
  else echo "ok: $1"; fi
}
kir_run "a .kir model" "$kir" "engine jit)"
kir_run "the same model under another name hits" "$tmp/renamed.kir" "compile cache hit"
kir_run "other weights hit, with their own outputs" "$tmp/weights.kir" "compile cache hit"
kir_run "other code misses" "$tmp/code.kir" "compile cache hit" not

# temporary files: a killed compile's (two hours old) goes, a fresh one stays
old=$c/kiln-0123456789abcdef.kco.99.0.tmp young=$c/kiln-fedcba9876543210.kco.98.0.tmp
: >"$old"
: >"$young"
touch -d '2 hours ago' "$old"
run_ok "stale temporary files" "$m1" "$c" "removed the stale temporary file $old"
if [ -e "$old" ]; then failed "the stale temporary file is still there"; fi
if [ ! -e "$young" ]; then failed "a fresh temporary file (a compile running now) was removed"; fi
rm -f "$young"
leftover=$(ls "$c" | grep -v '\.kco$')
if [ -n "$leftover" ]; then failed "files other than entries left in the cache: $leftover"; fi

# a directory that cannot be written (root writes into a mode 555 one, but
# not into /proc) or created: exit 0 and one warning
ro=$tmp/readonly
mkdir "$ro"
chmod 555 "$ro"
if touch "$ro/probe" 2>/dev/null; then
  rm -f "$ro/probe"
  ro=/proc
fi
for dir in "$ro" "$tmp/good/sub"; do
  run_ok "cache directory $dir" "$m1" "$dir" || continue
  n=$(grep -c "warning" "$tmp/log")
  if [ "$n" != 1 ] || ! grep -q "warning: compile cache: .*compiling without the cache" "$tmp/log"; then
    failed "cache directory $dir: $n warnings (want one):"
    cat "$tmp/log"
  fi
done
chmod 755 "$tmp/readonly"

# the size cap: one byte less than the three models' entries, so storing
# the third evicts one; m1 used again after m2 makes m2's the least recently
# used (the sizes depend on the CPU, so m3's is measured first)
run_ok "m3" "$m3" "$tmp/cache3"
n1=$(basename "$entry") n2=$(basename "$other") n3=$(basename "$(ls "$tmp/cache3"/kiln-*.kco)")
cap=$(($(wc -c <"$entry") + $(wc -c <"$other") + $(wc -c <"$tmp/cache3/$n3") - 1))
lru=$tmp/lru
run_ok "lru: m1" "$m1" "$lru"
run_ok "lru: m2" "$m2" "$lru"
run_ok "lru: m1 again, a hit" "$m1" "$lru" "compile cache hit"
timeout 60 "$kiln" run "$m3/model.onnx" --cache-dir "$lru" --cache-max "$cap" -v >"$tmp/log" 2>&1 ||
  failed "lru: m3 with --cache-max $cap failed"
if ! grep -q "evicted 1 least recently used entries" "$tmp/log"; then
  failed "lru: no eviction reported:"
  cat "$tmp/log"
fi
if [ ! -f "$lru/$n1" ] || [ -f "$lru/$n2" ] || [ ! -f "$lru/$n3" ]; then
  failed "lru: want m1's and m3's entries, m2's evicted; left: $(ls "$lru" | tr '\n' ' ')"
else
  echo "ok: lru: m2's entry evicted, m1's and m3's kept"
fi
# a cap smaller than one entry keeps just the newest ($KILN_CACHE_MAX)
KILN_CACHE_MAX=1K timeout 60 "$kiln" run "$m2/model.onnx" --cache-dir "$lru" >/dev/null 2>&1 ||
  failed "KILN_CACHE_MAX=1K: the run failed"
if [ "$(ls "$lru")" != "$n2" ]; then
  failed "KILN_CACHE_MAX=1K: want only m2's entry, left: $(ls "$lru" | tr '\n' ' ')"
else
  echo "ok: KILN_CACHE_MAX=1K keeps the newest entry only"
fi
expect 2 "cache-max wants a size" "$kiln" run "$m1/model.onnx" --cache-max lots
expect_done
