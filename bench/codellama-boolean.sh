#!/usr/bin/env bash
# The paper's CodeLlama-13B case study as one run: Boolean Expressions pruned once with instruction prompting
# (bool-instruct) and once few-shot (bool-fewshot) on the same Llama checkpoint, then the two circuits compared:
# shared edges and nodes, and each circuit run on both prompt styles with its own edges, the other's and the
# shared ones alone.
#
#   bench/codellama-boolean.sh MODEL OUT [prune options...]
#
#   MODEL   a Llama checkpoint: a Hugging Face directory with its tokenizer.model (CodeLlama-13B-Instruct), or a
#           llama2.c .bin with its tokenizer beside it
#   OUT     folder for instruct/ and fewshot/ (each a prune run: circuit.json, checkpoint.bin, run.json),
#           compare.json, compare.txt, compare.html and timings.tsv
#   prune options go unchanged to both prune runs (e.g. --steps 200 --batch 8 --device cuda --dtype bf16); left
#           out, the task's recipe applies: the reference's CodeLlama launch scripts (6,000 steps of 32 sequences,
#           edge target 1.2). --tokenizer, --device, --dtype and --threads among them are given to compare too.
#
# Environment:
#   EDGEPRUNE         the edgeprune command (default: edgeprune on PATH, else .bin/edgeprune, else dotnet run)
#   COMPARE_OPTIONS   more options for compare, e.g. "--batch 8 --split validation"
#   EVALUATE=0        compare the edge sets only, without running the circuits on the model
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
model="$1"; out="$2"; shift 2
prune_options=("$@")
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -n "${EDGEPRUNE:-}" ]]; then
    read -r -a edgeprune <<< "$EDGEPRUNE"
elif command -v edgeprune > /dev/null; then
    edgeprune=(edgeprune)
elif [[ -x "$root/.bin/edgeprune" ]]; then
    edgeprune=("$root/.bin/edgeprune")
else
    edgeprune=(dotnet run -c Release --project "$root/src/Cli" --)
fi

compare_options=()
if [[ "${EVALUATE:-1}" != 0 ]]; then
    compare_options+=(--model "$model")
    # The options that say how to run the model apply to compare's runs too.
    for ((i = 0; i < ${#prune_options[@]}; i++)); do
        case "${prune_options[$i]}" in
            --tokenizer | --device | --dtype | --threads) compare_options+=("${prune_options[$i]}" "${prune_options[$((i + 1))]}") ;;
            --tokenizer=* | --device=* | --dtype=* | --threads=*) compare_options+=("${prune_options[$i]}") ;;
        esac
    done
fi
if [[ -n "${COMPARE_OPTIONS:-}" ]]; then read -r -a extra <<< "$COMPARE_OPTIONS"; compare_options+=("${extra[@]}"); fi

mkdir -p "$out"
timings="$out/timings.tsv"
printf 'stage\tseconds\n' > "$timings"

# Runs a stage, appending its wall time to timings.tsv.
timed() {
    local stage="$1"; shift
    local start end
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    awk -v s="$stage" -v ns="$((end - start))" 'BEGIN { printf "%s\t%.1f\n", s, ns / 1e9 }' >> "$timings"
}

for variant in instruct fewshot; do
    echo "== prune bool-$variant on $model" >&2
    timed "prune bool-$variant" "${edgeprune[@]}" prune --model "$model" --task "bool-$variant" --out "$out/$variant" --force \
        "${prune_options[@]}" > "$out/$variant.txt"
    cat "$out/$variant.txt"
done

echo "== compare" >&2
a="$out/instruct/circuit.json"; b="$out/fewshot/circuit.json"
timed "compare" "${edgeprune[@]}" compare "$a" "$b" "${compare_options[@]}" --html "$out/compare.html" --out "$out/compare.json" \
    > "$out/compare.txt"
cat "$out/compare.txt"
echo
echo "compare.json, compare.html and timings in $out:"
cat "$timings"
