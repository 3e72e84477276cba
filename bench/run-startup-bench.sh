#!/usr/bin/env bash
# Start-up of the edgeprune command: the JIT build as it was (framework-dependent publish of BEFORE, default
# main) against the NativeAOT build of this tree (what `build.ps1 install` puts in .bin), both as whole
# processes, in turn, on `--version` and on a 12-token greedy generate from the stories15M-shaped random
# llama2.c file. Writes bench/results/cpu-startup.md.
#
#   bench/run-startup-bench.sh            RUNS=N (default 15)  BEFORE=REF (default main)
#                                         REUSE=1: time the builds already in bench/.data/startup
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-15}"
BEFORE="${BEFORE:-main}"
data="bench/.data/startup"
results="bench/results/cpu-startup.md"
model="bench/.data/stories15M-random.bin"
tokenizer="${TOKENIZER:-$root/../shared/models/llama2c-tokenizer/tokenizer.bin}"
mkdir -p "$data" bench/results

[[ -f "$model" ]] || { bench/c-reference/build.sh > /dev/null; bench/c-reference/build/forward gen "$model" 42 > /dev/null; }
[[ -f "$tokenizer" ]] || { echo "no llama2.c tokenizer at $tokenizer (set TOKENIZER)"; exit 2; }

before_rev="$(git rev-parse --short "$BEFORE")"
if [[ "${REUSE:-}" != 1 || ! -x "$data/jit/edgeprune" || ! -x "$data/aot/edgeprune" ]]; then
    echo "== JIT build of $BEFORE"
    rm -rf "$data/before-src"
    git worktree add --detach "$data/before-src" "$BEFORE" > /dev/null
    dotnet publish "$data/before-src/src/Cli" -c Release -p:PublishAot=false -o "$data/jit" > "$data/jit-publish.log"
    git worktree remove --force "$data/before-src"
    echo "$before_rev" > "$data/jit.rev"
    echo "== NativeAOT build of this tree (as build.ps1 install)"
    dotnet publish src/Cli -c Release -p:IlcInstructionSet=native -o "$data/aot" > "$data/aot-publish.log"
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (with local changes)')" > "$data/aot.rev"
fi
before_rev="$(cat "$data/jit.rev" 2>/dev/null || echo unknown)"
after_rev="$(cat "$data/aot.rev" 2>/dev/null || echo unknown)"

gen="generate --model $model --tokenizer $tokenizer --prompt Once --steps 12"
same_text=FAIL
if [[ "$("$data/aot/edgeprune" $gen 2>/dev/null)" == "$("$data/jit/edgeprune" $gen 2>/dev/null)" ]]; then same_text=OK; fi

version_table="$(python3 bench/tools/ab_time.py -n "$RUNS" --label-a aot --label-b jit -- "$data/aot/edgeprune --version" "$data/jit/edgeprune --version")"
generate_table="$(python3 bench/tools/ab_time.py -n "$RUNS" --label-a aot --label-b jit -- "$data/aot/edgeprune $gen" "$data/jit/edgeprune $gen")"

{
    echo "# Start-up of the edgeprune command: JIT before, NativeAOT after"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); .NET $(dotnet --version); $(uname -sr)"
    echo "- Load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: read medians and ratios)"
    echo "- jit: \`dotnet publish src/Cli -c Release -p:PublishAot=false\` ($before_rev); aot: \`dotnet publish src/Cli -c Release -p:IlcInstructionSet=native\` of $after_rev"
    echo "- Same generated text from both: $same_text"
    echo
    echo '```'
    echo "bench/run-startup-bench.sh   # RUNS=$RUNS BEFORE=$BEFORE"
    echo "python3 bench/tools/ab_time.py -n $RUNS -- 'aot/edgeprune --version' 'jit/edgeprune --version'"
    echo "python3 bench/tools/ab_time.py -n $RUNS -- 'aot/edgeprune $gen' 'jit/edgeprune $gen'"
    echo '```'
    echo
    echo "## edgeprune --version"
    echo
    echo "$version_table"
    echo
    echo "## edgeprune generate, 12 tokens (stories15M shape, 60 MB llama2.c file)"
    echo
    echo "$generate_table"
} > "$results"
cat "$results"
