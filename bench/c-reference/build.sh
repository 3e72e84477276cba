#!/usr/bin/env bash
# Builds the plain C forward (bench/c-reference/forward.c) in two variants and checks both against the
# real stories260K model: the first 64 greedy ids from BOS must equal reference_output.json.
#   build/forward          gcc -O3 -march=native -fopenmp
#   build/forward-generic  gcc -O3 -fopenmp            (baseline x86-64, no AVX)
#   build/forward-ofast    gcc -Ofast -march=native -fopenmp  (llama2.c's fastest plain build: reassociated,
#                          vectorized reductions and fast-math exp; the bar the C# engine must reach)
# Usage: bench/c-reference/build.sh   (MODELS=/path/to/shared/models to override the model folder)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
models="${MODELS:-/work/shared/models}"
mkdir -p "$here/build"

gcc -O3 -march=native -fopenmp -o "$here/build/forward" "$here/forward.c" -lm
gcc -O3 -fopenmp -o "$here/build/forward-generic" "$here/forward.c" -lm
gcc -Ofast -march=native -fopenmp -o "$here/build/forward-ofast" "$here/forward.c" -lm
echo "built $here/build/forward (-O3 -march=native -fopenmp), $here/build/forward-generic (-O3 -fopenmp) and $here/build/forward-ofast (-Ofast -march=native -fopenmp)"

model="$models/stories260K/stories260K.bin"
reference="$models/stories260K/reference_output.json"
if [[ ! -f "$model" || ! -f "$reference" ]]; then
    echo "stories260K check: SKIPPED ($model not found)"
    exit 0
fi
expected="$(python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["greedy_ids_from_BOS"][:64])))' "$reference")"
status=0
for exe in forward forward-generic forward-ofast; do
    got="$(OMP_NUM_THREADS=1 "$here/build/$exe" ids "$model" 64)"
    if [[ "$got" == "$expected" ]]; then
        echo "stories260K greedy ids ($exe): OK"
    else
        echo "stories260K greedy ids ($exe): FAIL"
        echo "  expected: $expected"
        echo "  got:      $got"
        status=1
    fi
done
exit $status
