#!/usr/bin/env bash
# Builds the CUDA emulator (a test tool) into OUT (default: <repo>/.cuda-emulator): stand-ins for libcuda.so.1,
# libnvrtc.so.12, libcublas.so.12 + libcublasLt.so.12 and libnccl.so.2, each from the .cpp files of its folder,
# and env.sh, which points the engine's explicit library variables at them. Rebuilds only what changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/.cuda-emulator}"
cxx="${CXX:-g++}"
mkdir -p "$out/lib" "$out/include" "$out/kernel-cache"
flags=(-std=c++17 -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra -Werror -Wno-unused-parameter -I"$here/include")

rebuilt=0
# build NAME SONAME FOLDER [extra link flags...]
build() {
    local name="$1" soname="$2" folder="$3"
    shift 3
    local target="$out/lib/$name"
    local sources=("$here/$folder"/*.cpp "$here/$folder"/*.S)
    local existing=()
    for s in "${sources[@]}"; do [[ -e "$s" ]] && existing+=("$s"); done
    if [[ ${#existing[@]} -eq 0 ]]; then return; fi
    local newest
    local inputs=("${existing[@]}" "$here/build.sh")
    for h in "$here"/*/*.h; do [[ -e "$h" ]] && inputs+=("$h"); done
    newest="$(ls -t "${inputs[@]}" | head -1)"
    if [[ -e "$target" && "$target" -nt "$newest" ]]; then return; fi
    echo "cuda emulator: building $name"
    rebuilt=1
    "$cxx" "${flags[@]}" -shared -Wl,-soname,"$soname" -o "$target.tmp" "${existing[@]}" "$@"
    mv "$target.tmp" "$target"
}

build libcuda.so.1 libcuda.so.1 driver -ldl -lpthread
build libnvrtc.so.12 libnvrtc.so.12 nvrtc -ldl
build libcublasLt.so.12 libcublasLt.so.12 cublaslt -L"$out/lib" -l:libcuda.so.1 -Wl,-rpath,'$ORIGIN'
build libcublas.so.12 libcublas.so.12 cublas -L"$out/lib" -l:libcuda.so.1 -l:libcublasLt.so.12 -Wl,-rpath,'$ORIGIN'
build libnccl.so.2 libnccl.so.2 nccl -L"$out/lib" -l:libcuda.so.1 -lpthread -Wl,-rpath,'$ORIGIN'

# The kernel-side headers the emulated NVRTC compiles every kernel with; kernels compiled by an older build are
# dropped with them (the engine's cache key knows the kernel source, not the emulator).
if [[ $rebuilt == 1 ]] || ! cmp -s "$here/include/ep_emu_device.h" "$out/include/ep_emu_device.h"; then
    rm -rf "$out/kernel-cache"
    mkdir -p "$out/kernel-cache"
fi
cp "$here"/include/*.h "$out/include/"

cat > "$out/env.sh" <<ENV
# Source this file to run edgeprune (and its tests) on the emulated GPU: the engine loads CUDA libraries only
# from these explicit paths. The emulator is a test tool: speed and hardware numerics are not emulated.
export EDGEPRUNE_LIBCUDA="$out/lib/libcuda.so.1"
export EDGEPRUNE_LIBNVRTC="$out/lib/libnvrtc.so.12"
export EDGEPRUNE_LIBCUBLAS="$out/lib/libcublas.so.12"
export EDGEPRUNE_LIBNCCL="$out/lib/libnccl.so.2"
export EDGEPRUNE_KERNEL_CACHE="$out/kernel-cache"
export EP_EMU_INCLUDE="$out/include"
ENV
echo "cuda emulator: $out (source $out/env.sh)"
