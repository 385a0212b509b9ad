#!/usr/bin/env bash
# tools/test.sh: builds kiln (Release) and runs the whole test suite with ctest:
# unit tests, the ONNX backend conformance runner and the tiny vision-language
# model runner (skipped with a message when ../shared/vlmodels is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
