#!/usr/bin/env bash
# Builds the emulated cuBLAS, cuBLASLt and NCCL sources with the driver stand-in (host_stub.cpp) and the host
# tests into one program under AddressSanitizer and UBSan, and runs it (arguments: a name filter). The last
# line is "N passed, N failed"; the exit status is non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
emu="$(cd "$here/.." && pwd)"
out="${EP_EMU_HOSTTEST_OUT:-${TMPDIR:-/tmp}/ep-emu-hosttest-$(id -u)}"
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -Wall -Wextra -Werror -Wno-unused-parameter -I"$emu/include" \
    "$emu"/cublas/*.cpp "$emu"/cublaslt/*.cpp "$emu"/nccl/*.cpp "$here"/*.cpp -o "$out/hosttest" -lpthread
exec "$out/hosttest" "$@"
