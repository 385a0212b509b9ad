#!/bin/sh
# ort_roundtrip.sh: checks kiln against ONNX Runtime through kiln's ONNX writer.
#  1. every models/*.kir (with --config tiny when the file has a `config tiny`
#     block): `kiln export` writes it as ONNX, `kiln run` (JIT) computes it on
#     deterministic inputs (--save-inputs), ONNX Runtime runs the exported file
#     on the same inputs, and the outputs must agree within 1e-4 relative to
#     the largest |ORT output| (tests/compare_outputs.c). That proves kiln's
#     lowering and the writer against the reference runtime.
#  2. every tiny zoo model (../shared/vlmodels/tiny or $KILN_VLMODELS/tiny, when
#     present): imported and written back by kiln, run by ONNX Runtime on
#     test_data_set_0, compared with the stored ONNX Runtime outputs of the
#     original file (the writer on real exports).
#  3. with KILN_ORT_CONFORMANCE=1, also every ONNX backend test case (in
#     $KILN_ONNX_TESTDATA, default /usr/share/libonnx-testdata/data): ONNX
#     Runtime must compute the same on kiln's written file as on the original.
# Needs node and onnxruntime-node: found through NODE_PATH, the node_modules
# folder in $KILN_ORT_NODE_MODULES, or the cache .ci/run installs into
# (${XDG_CACHE_HOME:-$HOME/.cache}/kiln/ort/node_modules); skips (exit 77) with
# a message when they are missing.
# usage: ort_roundtrip.sh KILN_BINARY KILN_COMPARE SOURCE_DIR
#   env: KILN_ORT_MODELS=GLOB checks only models/GLOB.kir; KILN_ORT_SKIP_ZOO=1 skips part 2
set -u
kiln=$1
compare=$2
src=$3
ort_run=${KILN_ORT_RUN:-$src/../shared/vlmodels/ort_run.mjs}
zoo=${KILN_VLMODELS:-$src/../shared/vlmodels}/tiny
tol=1e-4

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (apt-get install nodejs npm)"
  exit 77
fi
if [ ! -f "$ort_run" ]; then
  echo "SKIP: $ort_run not found (set KILN_ORT_RUN)"
  exit 77
fi
cache_modules=${XDG_CACHE_HOME:-$HOME/.cache}/kiln/ort/node_modules
for dir in "${KILN_ORT_NODE_MODULES:-}" "$cache_modules"; do
  if [ -n "$dir" ] && [ -d "$dir" ]; then NODE_PATH="$dir${NODE_PATH:+:$NODE_PATH}"; fi
done
export NODE_PATH=${NODE_PATH:-}
if ! (cd / && node -e "require('onnxruntime-node')") >/dev/null 2>&1; then
  echo "SKIP: onnxruntime-node not found (set NODE_PATH or KILN_ORT_NODE_MODULES to a node_modules folder with it)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
total=0
report() { # report NAME RESULT DETAIL
  printf '%-28s %-8s %s\n' "$1" "$2" "$3"
}
worst() { # the max rel_to_max line of a kiln_compare log
  sed -n 's/.*max rel_to_max \([^ ]*\).*/\1/p' "$1" | tail -1
}
fail() { # fail NAME WHAT LOG
  report "$1" FAIL "$2"
  sed 's/^/    /' "$3" | tail -8
  fails=$((fails + 1))
}
# ort_compare NAME DIR DATA GOT WANT ORT_FAILED DIFFER [NOTE]: ONNX Runtime runs
# DIR/model.onnx on the inputs in DATA, writing its outputs there, then
# kiln_compare checks GOT against WANT; a failure is reported as NAME with
# the message ORT_FAILED or DIFFER; success is reported with NOTE when given
ort_compare() {
  if ! node "$ort_run" run "$2/model.onnx" --data "$3" --write-outputs --iters 0 >"$2/log" 2>&1; then
    fail "$1" "$6" "$2/log"
  elif ! "$compare" --tol "$tol" "$4" "$5" >"$2/log" 2>&1; then
    fail "$1" "$7" "$2/log"
  else
    [ -z "${8:-}" ] || report "$1" ok "max rel_to_max $(worst "$2/log") ($8)"
    return 0
  fi
  return 1
}

# models/*.kir: kiln (JIT) against ONNX Runtime on the exported file
for model in "$src"/models/${KILN_ORT_MODELS:-*}.kir; do
  [ -f "$model" ] || continue
  name=$(basename "$model" .kir)
  total=$((total + 1))
  set --
  cfg="default configuration"
  if grep -v '^[[:space:]]*#' "$model" | grep -Eq '(^|[^A-Za-z0-9_])config[[:space:]]+tiny([^A-Za-z0-9_]|$)'; then
    set -- --config tiny
    cfg="--config tiny"
  fi
  d=$tmp/kir_$name
  mkdir -p "$d/ort"
  if ! "$kiln" export "$model" "$@" -o "$d/model.onnx" >"$d/log" 2>&1; then
    fail "$name.kir" "kiln export failed" "$d/log"
    continue
  fi
  if ! "$kiln" run "$model" "$@" --no-cache --save-inputs "$d/in" -o "$d/kiln" >"$d/log" 2>&1; then
    fail "$name.kir" "kiln run failed" "$d/log"
    continue
  fi
  cp "$d"/in/input_*.pb "$d/ort/" 2>/dev/null
  ort_compare "$name.kir" "$d" "$d/ort" "$d/kiln" "$d/ort" "ONNX Runtime failed on the exported model" \
    "kiln and ONNX Runtime differ" "kiln JIT vs ONNX Runtime, $cfg"
done

# the tiny zoo: written back by kiln, run by ONNX Runtime, against the stored outputs
if [ -d "$zoo" ] && [ -z "${KILN_ORT_SKIP_ZOO:-}" ]; then
  for dir in "$zoo"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/model.onnx" ] && [ -d "$dir/test_data_set_0" ] || continue
    total=$((total + 1))
    d=$tmp/zoo_$name
    mkdir -p "$d/ort"
    if ! "$kiln" export "$dir/model.onnx" -o "$d/model.onnx" >"$d/log" 2>&1; then
      fail "$name" "kiln export failed" "$d/log"
      continue
    fi
    cp "$dir"/test_data_set_0/input_*.pb "$d/ort/"
    ort_compare "$name" "$d" "$d/ort" "$d/ort" "$dir/test_data_set_0" "ONNX Runtime failed on the written model" \
      "ONNX Runtime on the written model differs from the stored outputs" \
      "ONNX Runtime on the written model vs stored"
  done
else
  echo "note: the tiny zoo is not at $zoo; only models/*.kir were checked"
fi

# opt-in (a quarter of an hour): every ONNX backend test case kiln imports,
# written back by kiln; ONNX Runtime must compute the same on the written file
# as on the original (cases ONNX Runtime cannot run are left out)
if [ "${KILN_ORT_CONFORMANCE:-0}" = 1 ]; then
  data=${KILN_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
  ctotal=0 cfails=0 cskipped=0
  for dir in "$data"/*/*/; do
    [ -f "$dir/model.onnx" ] && [ -d "$dir/test_data_set_0" ] || continue
    name=$(basename "$(dirname "$dir")")/$(basename "$dir")
    d=$tmp/conformance
    rm -rf "$d"
    mkdir -p "$d/orig" "$d/written"
    cp "$dir"/test_data_set_0/input_*.pb "$d/orig/" 2>/dev/null
    cp "$dir"/test_data_set_0/input_*.pb "$d/written/" 2>/dev/null
    if ! "$kiln" export "$dir/model.onnx" -o "$d/model.onnx" >/dev/null 2>&1 ||
      ! node "$ort_run" run "$dir/model.onnx" --data "$d/orig" --write-outputs --iters 0 >/dev/null 2>&1; then
      cskipped=$((cskipped + 1)) # kiln cannot import it, or ONNX Runtime cannot run it
      continue
    fi
    ctotal=$((ctotal + 1))
    ort_compare "$name" "$d" "$d/written" "$d/written" "$d/orig" "ONNX Runtime fails on the written model" \
      "ONNX Runtime computes differently on the written model" || cfails=$((cfails + 1))
  done
  total=$((total + ctotal))
  echo "conformance: $((ctotal - cfails)) of $ctotal written cases run the same on ONNX Runtime ($cskipped left out: kiln or ONNX Runtime cannot run the original)"
fi

echo "$((total - fails)) of $total round trips through ONNX Runtime agree within $tol"
[ "$fails" = 0 ]
