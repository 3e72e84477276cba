#!/usr/bin/env bash
# CPU forward throughput: the plain C llama2.c-format forward (bench/c-reference) against the C# engine,
# on the same stories15M-shaped random checkpoint, plus the C# engine on GPT-2 small random weights.
# Writes bench/results/cpu-forward.md.
#
#   bench/run-forward-bench.sh
#   KERNELS=reference|cpu  C# kernels (default: cpu when the engine has CpuKernels, else reference)
#   STEPS=N                greedy tokens decoded per run (default 128; 16 with the reference kernels)
#   RUNS=N                 timed runs of the C# bench, median reported (default 5; 3 with reference)
#   PREFILL=N              prompt tokens for prefill (default 64, the C program's fixed prompt length)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

model="bench/.data/stories15M-random.bin"
seed=42
results="bench/results/cpu-forward.md"
logs="bench/.data/logs"
mkdir -p bench/.data "$logs" bench/results

if [[ -z "${KERNELS:-}" ]]; then
    if grep -rqs "class CpuKernels" src/Kernels; then KERNELS=cpu; else KERNELS=reference; fi
fi
if [[ "$KERNELS" == reference ]]; then STEPS="${STEPS:-16}"; RUNS="${RUNS:-3}"; else STEPS="${STEPS:-128}"; RUNS="${RUNS:-5}"; fi
PREFILL="${PREFILL:-64}"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== building the C reference and checking it on stories260K"
bench/c-reference/build.sh | tee "$logs/c-build.txt"
c260k="$(grep -c ': OK$' "$logs/c-build.txt" || true)"

# The C# bench is reached through Program.cs once it dispatches "forward"; until then through a small
# driver project kept under bench/.data.
if grep -q "ForwardThroughput" bench/EdgePruning.Bench/Program.cs; then
    csharp=(dotnet run -c Release --project bench/EdgePruning.Bench -- forward)
else
    driver="bench/.data/forward-driver"
    mkdir -p "$driver"
    cat > "$driver/ForwardDriver.csproj" <<'PROJ'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType></PropertyGroup>
  <ItemGroup><ProjectReference Include="../../EdgePruning.Bench/EdgePruning.Bench.csproj" /></ItemGroup>
</Project>
PROJ
    echo 'return EdgePruning.Bench.ForwardThroughput.Run(args);' > "$driver/Program.cs"
    csharp=(dotnet run -c Release --project "$driver" --)
fi
csharp_args=(--kernels "$KERNELS" --model "$model" --seed "$seed" --steps "$STEPS" --runs "$RUNS" --prefill "$PREFILL")

echo "== C# bench (${KERNELS} kernels, all cores); it writes $model if it is missing"
"${csharp[@]}" "${csharp_args[@]}" | tee "$logs/csharp.txt"

echo "== the C writer must produce the same file"
bench/c-reference/build/forward gen bench/.data/stories15M-random-c.bin "$seed" > /dev/null
if cmp -s bench/.data/stories15M-random-c.bin "$model"; then same_file=OK; else same_file=FAIL; fi
rm -f bench/.data/stories15M-random-c.bin
echo "C and C# random checkpoints byte-identical: $same_file"

echo "== C bench"
bench/c-reference/build/forward bench "$model" "$STEPS" | tee "$logs/c-native.txt"
bench/c-reference/build/forward-generic bench "$model" "$STEPS" | tee "$logs/c-generic.txt"

# Against llama2.c's fastest plain build (-Ofast), one thread and two, on two shapes: stories15M and a
# llama2.c file of GPT-2 small's size (d 768, 12 layers, 12 heads, vocab 50257; SwiGLU hidden 2048, so that
# its three MLP matrices hold what GPT-2's two of width 3072 do: 124 M parameters).
gpt2="bench/.data/gpt2small-llama.bin"
[[ -f "$gpt2" ]] || bench/c-reference/build/forward gen "$gpt2" "$seed" 768 2048 12 12 12 50257 256 > /dev/null
GPT2_STEPS="${GPT2_STEPS:-32}"
for shape in stories15m gpt2; do
    if [[ "$shape" == stories15m ]]; then file="$model"; steps="$STEPS"; else file="$gpt2"; steps="$GPT2_STEPS"; fi
    for threads in 1 2; do
        echo "== $shape, $threads thread(s)"
        OMP_NUM_THREADS=$threads bench/c-reference/build/forward-ofast bench "$file" "$steps" > "$logs/ofast-$shape-$threads.txt"
        OMP_NUM_THREADS=$threads bench/c-reference/build/forward bench "$file" "$steps" > "$logs/o3-$shape-$threads.txt"
        DOTNET_PROCESSOR_COUNT=$threads "${csharp[@]}" --kernels "$KERNELS" --models stories15m --model "$file" --steps "$steps" \
            --runs "$RUNS" --prefill "$PREFILL" > "$logs/csharp-$shape-$threads.txt"
        grep -h -E "tokens_per_s|decode " "$logs/ofast-$shape-$threads.txt" "$logs/o3-$shape-$threads.txt" "$logs/csharp-$shape-$threads.txt"
    done
done

field() { sed -n "s/^$1:* *\([^ (]*\).*/\1/p" "$2" | head -1; }
line() { sed -n "s/^$1:* *//p" "$2" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { # "| engine | model | ... |" row of the C# table, by model prefix
    grep -F "| C# (${KERNELS} kernels) | $1" "$2" | head -1 | awk -F'|' '{ gsub(/ /, "", $4); gsub(/ /, "", $5); print $4, $5 }'
}

c_dec="$(field decode_tokens_per_s "$logs/c-native.txt")";  c_pre="$(field prefill_tokens_per_s "$logs/c-native.txt")"
g_dec="$(field decode_tokens_per_s "$logs/c-generic.txt")"; g_pre="$(field prefill_tokens_per_s "$logs/c-generic.txt")"
read -r s_dec s_pre < <(row "stories15M" "$logs/csharp.txt")
read -r p_dec p_pre < <(row "GPT-2" "$logs/csharp.txt")
c_ids="$(line greedy_ids "$logs/c-native.txt")"
cs_ids="$(line "stories15M greedy_ids" "$logs/csharp.txt")"
c_logits="$(line prompt_last_logits_first8 "$logs/c-native.txt")"
cs_logits="$(line "stories15M prompt_last_logits_first8" "$logs/csharp.txt")"
c_arg="$(line prompt_last_argmax "$logs/c-native.txt")"
cs_arg="$(line "stories15M prompt_last_argmax" "$logs/csharp.txt")"
if [[ -n "$c_ids" && "$c_ids" == "$cs_ids" ]]; then ids_match=OK; else ids_match=FAIL; fi
if [[ -n "$c_arg" && "$c_arg" == "$cs_arg" ]]; then arg_match=OK; else arg_match=FAIL; fi
[[ "$PREFILL" == 64 ]] || arg_match="n/a (C prompt is 64 tokens, C# prompt $PREFILL)"

# One row per shape and thread count: decode and prefill of -Ofast, -O3 and C#, C#/-Ofast, same greedy ids.
peer_rows=""
peer_ok=OK
for shape in stories15m gpt2; do
    for threads in 1 2; do
        of="$logs/ofast-$shape-$threads.txt"; o3="$logs/o3-$shape-$threads.txt"; cs="$logs/csharp-$shape-$threads.txt"
        of_dec="$(field decode_tokens_per_s "$of")"; of_pre="$(field prefill_tokens_per_s "$of")"
        o3_dec="$(field decode_tokens_per_s "$o3")"
        read -r x_dec x_pre < <(row "" "$cs")
        same="$([[ "$(line greedy_ids "$of")" == "$(line "stories15M greedy_ids" "$cs")" ]] && echo yes || echo no)"
        r="$(ratio "$x_dec" "$of_dec")"
        awk -v r="$r" 'BEGIN { exit !(r >= 1.0) }' || peer_ok=FAIL
        name="$([[ "$shape" == stories15m ]] && echo "stories15M" || echo "GPT-2-small size (llama2.c file)")"
        peer_rows+="| $name | $threads | $of_dec | $o3_dec | $x_dec | **$r** | $of_pre | $x_pre | $same |"$'\n'
    done
done

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu_model="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cpus="$(lscpu | sed -n 's/^CPU(s): *//p' | head -1)"
threads_per_core="$(lscpu | sed -n 's/^Thread(s) per core: *//p' | head -1)"
mem="$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
flags="$(grep -o -w -E 'avx2|avx512f|avx512_bf16|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"

{
    echo "# CPU forward throughput"
    echo
    echo "C# kernels: **${KERNELS}**$([[ "$KERNELS" == reference ]] && echo " (the scalar oracle: a pipeline check, not the engine's speed)")."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: ${cpu_model}, ${cpus} logical CPUs (${threads_per_core} thread(s) per core), ${mem}; flags: ${flags}"
    echo "- $(gcc --version | head -1); .NET $(dotnet --version); $(uname -sr)"
    echo "- Load average (1/5/15 min) before: ${load_before}; after: ${load_after} (other work on the machine slows both engines; a load above ${cpus} makes the figures unreliable)"
    echo "- Git: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench 2>/dev/null || echo ' (with local changes)')"
    echo
    echo "## Commands"
    echo
    echo '```'
    echo "bench/run-forward-bench.sh   # KERNELS=${KERNELS} STEPS=${STEPS} RUNS=${RUNS} PREFILL=${PREFILL}"
    echo "bench/c-reference/build.sh"
    echo "${csharp[*]} ${csharp_args[*]}"
    echo "bench/c-reference/build/forward bench $model $STEPS"
    echo "bench/c-reference/build/forward-generic bench $model $STEPS"
    echo "bench/c-reference/build/forward gen $gpt2 $seed 768 2048 12 12 12 50257 256"
    echo "OMP_NUM_THREADS=N bench/c-reference/build/forward-ofast bench FILE STEPS   # and forward (-O3), N = 1, 2"
    echo "DOTNET_PROCESSOR_COUNT=N ${csharp[*]} --kernels $KERNELS --models stories15m --model FILE --steps STEPS --runs $RUNS --prefill $PREFILL"
    echo '```'
    echo
    echo "## Results"
    echo
    echo "Decode: greedy from BOS, one token per forward through the KV cache, $STEPS tokens per run, median of"
    echo "5 (C) / $RUNS (C#) runs after a warm-up run. Prefill: a 64-token prompt (BOS, then (7919·i + 13) mod vocab);"
    echo "the C program feeds it one token at a time (as llama2.c does) and computes logits for the last token only,"
    echo "the C# engine runs it as one batched forward. Ratios are against C \`-O3 -march=native\` on the same file."
    echo
    echo "| engine | model | decode tokens/s | prefill tokens/s | decode ratio vs C | prefill ratio vs C |"
    echo "| --- | --- | ---: | ---: | ---: | ---: |"
    echo "| C, gcc -O3 -march=native -fopenmp | stories15M random (llama2.c file) | $c_dec | $c_pre | 1.00 | 1.00 |"
    echo "| C, gcc -O3 -fopenmp | stories15M random (llama2.c file) | $g_dec | $g_pre | $(ratio "$g_dec" "$c_dec") | $(ratio "$g_pre" "$c_pre") |"
    echo "| C# (${KERNELS} kernels) | stories15M random (llama2.c file) | $s_dec | $s_pre | $(ratio "$s_dec" "$c_dec") | $(ratio "$s_pre" "$c_pre") |"
    echo "| C# (${KERNELS} kernels) | GPT-2 small random (in memory) | $p_dec | $p_pre | n/a | n/a |"
    echo
    echo "## Against llama2.c's -Ofast build, one thread and two"
    echo
    echo "The same forward.c built as llama2.c's \`make runfast\` builds run.c (\`gcc -Ofast -march=native -fopenmp\`; -O3 beside it),"
    echo "OMP_NUM_THREADS=N for C and DOTNET_PROCESSOR_COUNT=N for the C# engine (its kernels' thread pool), on the same file."
    echo "Decode: $STEPS tokens (stories15M) / $GPT2_STEPS tokens (GPT-2-small size) greedy from BOS, median of 5 (C) / $RUNS (C#) runs."
    echo "Prefill: C one token at a time, C# one batched forward. C#/-Ofast is the decode ratio; at least 1.00 meets the target: **$peer_ok**."
    echo
    echo "| model | threads | -Ofast decode tok/s | -O3 decode tok/s | C# decode tok/s | C#/-Ofast decode | -Ofast prefill tok/s | C# prefill tok/s | same 16 greedy ids |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    printf "%s" "$peer_rows"
    echo
    echo "## Correctness"
    echo
    echo "- C forward on the real stories260K: first 64 greedy ids from BOS equal reference_output.json: $([[ "$c260k" == 3 ]] && echo OK || echo FAIL) (all three builds)"
    echo "- Random checkpoint written by the C# writer and by \`forward gen\` byte-identical: $same_file"
    echo "- First 16 greedy ids from BOS, C vs C#: $ids_match"
    echo "  - C:  $c_ids"
    echo "  - C#: $cs_ids"
    echo "- Last-token argmax after the 64-token prompt, C vs C#: $arg_match"
    echo "  - C  logits[0..8): $c_logits (argmax $c_arg)"
    echo "  - C# logits[0..8): $cs_logits (argmax $cs_arg)"
} > "$results"

echo "== wrote $results"
cat "$results"
[[ "$ids_match" == OK && "$same_file" == OK && "$c260k" == 3 ]]
