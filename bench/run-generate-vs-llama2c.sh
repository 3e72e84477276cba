#!/usr/bin/env bash
# Whole processes, the way a user runs them: `edgeprune generate` (the NativeAOT build that `build.ps1 install`
# makes) against llama2.c's own run.c (bench/c-reference/llama2c, MIT) built as its Makefile builds it
# (`make run`: -O3; `make runfast`: -Ofast; `make runomp`: -Ofast -fopenmp -march=native), greedy, on the same
# random stories15M-shaped llama2.c file, one thread and two, 12 and 200 new tokens. The two must print the
# same text. Writes bench/results/cpu-generate-vs-llama2c.md.
#
#   bench/run-generate-vs-llama2c.sh     RUNS=N (default 10)  EDGEPRUNE=path (default: publish into bench/.data/startup/aot)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-10}"
results="bench/results/cpu-generate-vs-llama2c.md"
model="bench/.data/stories15M-random.bin"
tokenizer="${TOKENIZER:-$root/../shared/models/llama2c-tokenizer/tokenizer.bin}"
build="bench/.data/llama2c"
mkdir -p "$build" bench/results
[[ -f "$model" ]] || { bench/c-reference/build.sh > /dev/null; bench/c-reference/build/forward gen "$model" 42 > /dev/null; }
run_c="bench/c-reference/llama2c/run.c"
gcc -O3 -o "$build/run-o3" "$run_c" -lm
gcc -Ofast -o "$build/run-ofast" "$run_c" -lm
gcc -Ofast -fopenmp -march=native -o "$build/run-omp" "$run_c" -lm
if [[ -z "${EDGEPRUNE:-}" ]]; then
    dotnet publish src/Cli -c Release -p:IlcInstructionSet=native -o bench/.data/startup/aot > bench/.data/startup/aot-publish.log
    EDGEPRUNE=bench/.data/startup/aot/edgeprune
fi

prompt="Once"
prompt_tokens=2   # BOS and "Once"; run.c's -n counts every position, prompt included
table() { # threads steps c-binary label
    local threads=$1 steps=$2 c=$3 label=$4
    local ours="env DOTNET_PROCESSOR_COUNT=$threads $EDGEPRUNE generate --model $model --tokenizer $tokenizer --prompt $prompt --steps $steps"
    local theirs="env OMP_NUM_THREADS=$threads $c $model -t 0 -n $((steps + prompt_tokens - 1)) -i $prompt -z $tokenizer"
    local a b
    a="$($ours 2>/dev/null)"; b="$($theirs 2>/dev/null)"
    echo "### $threads thread(s), $steps new tokens, against $label"
    echo
    echo "Same text: $([[ "$a" == "$b" ]] && echo yes || echo "NO (edgeprune: '$a'; run.c: '$b')")"
    echo
    python3 bench/tools/ab_time.py -n "$RUNS" --label-a edgeprune --label-b "$label" -- "$ours" "$theirs"
    echo
}
{
    echo "# edgeprune generate against llama2.c's run.c, whole processes"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(gcc --version | head -1); .NET $(dotnet --version)"
    echo "- Load average before: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: the two commands run in turn; read the medians and ratios)"
    echo "- Git: $(git rev-parse --short HEAD); edgeprune: $EDGEPRUNE (NativeAOT, -p:IlcInstructionSet=native)"
    echo "- Model: $model (stories15M shape, random weights, seed 42); tokenizer: llama2.c's tokenizer.bin; greedy (-t 0)"
    echo
    echo '```'
    echo "bench/run-generate-vs-llama2c.sh   # RUNS=$RUNS"
    echo "gcc -O3 -o run-o3 $run_c -lm; gcc -Ofast -o run-ofast $run_c -lm; gcc -Ofast -fopenmp -march=native -o run-omp $run_c -lm"
    echo "python3 bench/tools/ab_time.py -n $RUNS -- 'env DOTNET_PROCESSOR_COUNT=T edgeprune generate --model M --tokenizer TOK --prompt Once --steps N' 'env OMP_NUM_THREADS=T run-X M -t 0 -n N+1 -i Once -z TOK'"
    echo '```'
    echo
    echo "A ratio edgeprune/run.c below 1 means edgeprune took less time."
    echo
    table 1 12 "$build/run-ofast" run-ofast
    table 1 200 "$build/run-ofast" run-ofast
    table 1 200 "$build/run-o3" run-o3
    table 2 200 "$build/run-omp" run-omp
} > "$results"
cat "$results"
