#!/usr/bin/env bash
# tools/test.sh: the whole test suite. Builds kiln twice from scratch-able
# build folders and runs every ctest in each:
#   build/       Release: unit tests, ONNX conformance, tiny vision-language models
#   build-asan/  Debug with AddressSanitizer + UndefinedBehaviorSanitizer, so a
#                leak, overflow or undefined behaviour anywhere fails the run
#   build-tsan/  Debug with ThreadSanitizer, for test_codegen_threads only
#                (one compiled model run from 8 threads at once)
# The tiny-model tests skip with a message when ../shared/vlmodels is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ctest --test-dir build-asan --output-on-failure -j"$jobs"
# ThreadSanitizer: only the test that runs one compiled model from 8 threads
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DKILN_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target test_codegen_threads
ctest --test-dir build-tsan --output-on-failure -R '^test_codegen_threads$'
