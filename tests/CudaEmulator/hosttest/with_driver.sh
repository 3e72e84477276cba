#!/usr/bin/env bash
# Runs with_driver/smoke.cpp against the built emulator (argument: build.sh's output folder, default
# <repo>/.cuda-emulator): the emulated cuBLAS and NCCL on the emulated libcuda.so.1 with two devices.
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
lib="$(cd "${1:-$repo/.cuda-emulator}/lib" && pwd)"
out="${EP_EMU_HOSTTEST_OUT:-${TMPDIR:-/tmp}/ep-emu-hosttest-$(id -u)}"
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter "$here/with_driver/smoke.cpp" "$here/test_main.cpp" \
    -o "$out/smoke" -L"$lib" -l:libcublas.so.12 -l:libnccl.so.2 -l:libcuda.so.1 -lpthread -Wl,-rpath,"$lib"
EP_EMU_DEVICES=2 exec "$out/smoke"
