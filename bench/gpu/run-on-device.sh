#!/usr/bin/env bash
# Runs the GPU checks and benchmarks from a self-contained publish (`dotnet pwsh build.ps1 publish-gpu`,
# which writes .gpu/bin and .gpu/bench) on a machine without the .NET SDK. Finds libcuda, NVRTC and cuBLAS
# (system or Python wheels), then: devices, the CUDA self-test, the fused masked read against its unfused
# baseline (BenchmarkDotNet, in-process), the end-to-end pruning benchmarks, then `prune --device cuda` on real
# models against the same run on the CPU. Every output goes to $OUT (default ./gpu-out), one file per command,
# plus a log of the environment and compare-*.txt for each CPU/GPU pair.
# Models are read from $MODELS (default .gpu/models: copy ../shared/models/{tracr,stories260K,gpt2-tasks} there and
# name .gpu in carry; a model that is absent is skipped with a line saying so).
set -u
OUT=${OUT:-./gpu-out}
BIN=${BIN:-.gpu/bin/edgeprune}
BENCH=${BENCH:-.gpu/bench/EdgePruning.Bench}
MODELS=${MODELS:-.gpu/models}
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
# ONLY (a bash regular expression) keeps the commands whose name matches, to rerun a part.
run() {
    local name=$1; shift
    if [ -n "${ONLY:-}" ] && [[ ! "$name" =~ $ONLY ]]; then return; fi
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

# prune_pair NAME MODEL ARGS...: the same prune on the GPU and on the CPU (same seed), then their circuits compared:
# kept edges shared and apart, and each run's metrics and wall time.
prune_pair() {
    local name=$1 model=$2; shift 2
    if [ -n "${ONLY:-}" ] && [[ ! "prune-$name" =~ $ONLY ]]; then return; fi
    if [ ! -e "$model" ]; then echo "skipped: $model not found (copy it under $MODELS)" | tee "$OUT/compare-$name.txt"; return; fi
    run "prune-$name-cuda" prune --model "$model" "$@" --device cuda --out "$OUT/runs/$name-cuda" --force
    run "prune-$name-cpu" prune --model "$model" "$@" --device cpu --out "$OUT/runs/$name-cpu" --force
    python3 - "$OUT/runs/$name-cuda/circuit.json" "$OUT/runs/$name-cpu/circuit.json" > "$OUT/compare-$name.txt" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ka = {e["edge"] for e in a["edges"] if e["kept"]}
kb = {e["edge"] for e in b["edges"] if e["kept"]}
print(f"cuda keeps {len(ka)}, cpu keeps {len(kb)}, shared {len(ka & kb)}, only cuda {sorted(ka - kb)}, only cpu {sorted(kb - ka)}")
print("same circuit" if ka == kb else "circuits differ")
for k in sorted(set(a["metrics"]) | set(b["metrics"])):
    print(f"{k:16} cuda {a['metrics'].get(k)}  cpu {b['metrics'].get(k)}")
print(f"wall seconds     cuda {a['wall_time_seconds']:.1f}  cpu {b['wall_time_seconds']:.1f}")
PY
    cat "$OUT/compare-$name.txt"
}

# Both Tracr models with their recipes (exact ground truth expected on both devices; shortfalls appear in the output).
prune_pair tracr-xproportion "$MODELS/tracr/xproportion.safetensors" --task tracr
prune_pair tracr-reverse "$MODELS/tracr/reverse.safetensors" --task tracr --seed 2
# stories260K gp-stories, 300 steps of its recipe, f32; the same on the GPU in bf16 beside it.
prune_pair stories-gp "$MODELS/stories260K/stories260K.bin" --task gp-stories --steps 300
[ -e "$MODELS/stories260K/stories260K.bin" ] && run prune-stories-gp-bf16 prune --model "$MODELS/stories260K/stories260K.bin" --task gp-stories \
    --steps 300 --device cuda --dtype bf16 --out "$OUT/runs/stories-gp-bf16" --force
# The GPT-2 IOI recipe's step time on real trained weights (3,000 steps × 32 sequences): 200 steps timed here;
# the recipe's time is the per-step time × 3,000 (the paper: 2,756 s on its GPUs).
[ -e "$MODELS/gpt2-tasks/model.safetensors" ] && run prune-gpt2-tasks-ioi prune --model "$MODELS/gpt2-tasks" --task ioi \
    --steps 200 --device cuda --out "$OUT/runs/gpt2-ioi" --force --json

