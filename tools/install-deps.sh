#!/usr/bin/env bash
# tools/install-deps.sh: installs kiln's build and test dependencies from
# Debian's packages (bookworm). Used by the README's commands and by .ci/run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake llvm-19-dev clang-19 libffi-dev libprotobuf-c-dev protobuf-c-compiler \
  libcmocka-dev libonnx-testdata qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
