#!/usr/bin/env bash
# Runs the GPU checks and benchmarks from a self-contained publish (`dotnet pwsh build.ps1 publish-gpu`,
# which writes .gpu/bin and .gpu/bench) on a machine without the .NET SDK. Finds libcuda, NVRTC and cuBLAS
# (system or Python wheels), then: devices, the CUDA self-test, the fused masked read against its unfused
# baseline (BenchmarkDotNet, in-process), the end-to-end pruning benchmarks. Every output goes to $OUT
# (default ./gpu-out), one file per command, plus a log of the environment.
set -u
OUT=${OUT:-./gpu-out}
BIN=${BIN:-.gpu/bin/edgeprune}
BENCH=${BENCH:-.gpu/bench/EdgePruning.Bench}
mkdir -p "$OUT"
export EDGEPRUNE_KERNEL_CACHE=${EDGEPRUNE_KERNEL_CACHE:-$OUT/kernel-cache}

# NVIDIA's Python wheels keep NVRTC and cuBLAS under site-packages/nvidia/*/lib; name them explicitly so
# the run does not depend on where this image's Python lives.
find_lib() {
    local pattern=$1
    for root in $(python3 -c 'import site,sys; print(" ".join(site.getsitepackages()+[site.getusersitepackages()]))' 2>/dev/null) /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu; do
        [ -d "$root" ] || continue
        local hit
        hit=$(find "$root" -name "$pattern" -not -path '*stubs*' 2>/dev/null | sort -r | head -1)
        if [ -n "$hit" ]; then echo "$hit"; return; fi
    done
}
: "${EDGEPRUNE_LIBNVRTC:=$(find_lib 'libnvrtc.so.1[23]')}"
: "${EDGEPRUNE_LIBCUBLAS:=$(find_lib 'libcublas.so.1[23]')}"
export EDGEPRUNE_LIBNVRTC EDGEPRUNE_LIBCUBLAS

{
    echo "date: $(date -u +%FT%TZ)"
    echo "nvrtc: ${EDGEPRUNE_LIBNVRTC:-not found}"
    echo "cublas: ${EDGEPRUNE_LIBCUBLAS:-not found}"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1
} > "$OUT/environment.txt"

# run NAME ARGS...: $BIN ARGS (or $RUN_BIN ARGS) into $OUT/NAME.txt; skipped, with a line saying so, where that
# binary was not published or carried (.gpu/bin and .gpu/bench may travel to the device separately).
run() {
    local name=$1; shift
    local bin=${RUN_BIN:-$BIN}
    echo "== $name: $*"
    if [ ! -x "$bin" ]; then echo "skipped: $bin not found (dotnet pwsh build.ps1 publish-gpu writes it)" | tee "$OUT/$name.txt"; return; fi
    local start=$(date +%s.%N)
    "$bin" "$@" > "$OUT/$name.txt" 2>&1
    local rc=$?
    echo "rc=$rc seconds=$(echo "$(date +%s.%N) - $start" | bc)" | tee -a "$OUT/$name.txt"
    tail -5 "$OUT/$name.txt"
}

run devices devices
run selftest selftest --device cuda
run selftest-json --json selftest --device cuda
# GPT-2-small and Llama-7B layer shapes, f32 and bf16, forward and backward; a short job (3 warm-ups, 3 iterations).
# The markdown and CSV reports land in $OUT/bench-masked-read/results.
EDGEPRUNE_BENCH_DEVICE=cuda RUN_BIN=$BENCH run bench-masked-read --filter '*MaskedRead*' --job short --artifacts "$OUT/bench-masked-read"
# Each bench times the fused and then the unfused masked read on the same model (--masked-read both, the default).
# Micro-batches: the largest the memory plan fits in 80 GB (bench --plan-only --budget-gb 80), with per-layer
# recomputation for the 7B and 13B shapes.
# GPT-2 steps are short enough for launch costs to matter: each read path also runs through one captured CUDA
# graph (--cuda-graph both), the graph's step time beside the same path launched kernel by kernel.
run bench-gpt2-f32 bench --device cuda --shape gpt2-small --batch 32 --seq 64 --dtype f32 --steps 5 --warmup 2 --cuda-graph both
run bench-gpt2-bf16 bench --device cuda --shape gpt2-small --batch 32 --seq 64 --dtype bf16 --steps 5 --warmup 2 --cuda-graph both
run bench-llama7b bench --device cuda --shape llama-7b --batch 32 --seq 72 --micro-batch 16 --recompute --dtype bf16 --steps 2 --warmup 2
run bench-codellama13b bench --device cuda --shape codellama-13b --batch 32 --seq 72 --micro-batch 8 --recompute --dtype bf16 --steps 2 --warmup 2
