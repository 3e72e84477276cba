#!/usr/bin/env bash
# The host-side mask math of one Edge Pruning step (draws, hard-concrete sample and backward, AdamW over every
# edge mask), scalar as it was against SIMD on every core now, at GPT-2 small's 32,936 and CodeLlama-13B's
# 3,872,820 edges. Writes bench/results/cpu-mask-step.md.
#
#   bench/run-mask-step-bench.sh       RUNS=N (default 15)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-15}"
results="bench/results/cpu-mask-step.md"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
table="$(dotnet run -c Release --project bench/EdgePruning.Bench -- mask-step "$RUNS")"
{
    echo "# Host mask math of an Edge Pruning step: scalar (before) against SIMD on every core (now)"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); .NET $(dotnet --version); $(uname -sr)"
    echo "- Load average before: ${load_before}; after: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: the two paths run in turn, read the ratios)"
    echo "- Git: $(git rev-parse --short HEAD)"
    echo "- Command: \`dotnet run -c Release --project bench/EdgePruning.Bench -- mask-step $RUNS\` (bench/run-mask-step-bench.sh)"
    echo
    echo "scalar: the step's mask math as EdgePruner.Step ran it before (HardConcreteMath and AdamWMath per entry in"
    echo "double, a fresh array for u, z, ∂z and ∂log α every step); simd: CpuHardConcrete and CpuAdamW on every core,"
    echo "buffers kept from step to step. u: SubtractiveStream on every core, the same numbers as System.Random's sequential stream, so every run and every"
    echo "resumed run draws the same noise as before."
    echo
    echo "$table"
} > "$results"
cat "$results"
