#!/bin/bash
# The host step before and after a change: prune 300 steps of gpt2-tasks IOI (3 rounds) and stories260K gp-stories
# (2 rounds), BEFORE and AFTER binaries in turn; prints each run's median step time (steps 3 on, from --json) and
# /usr/bin/time's wall, CPU and peak. Usage: BEFORE=<dir>/edgeprune AFTER=<dir>/edgeprune step-ab.sh (from the worktree root)
SHARED=$(cd ../shared && pwd)
out=$(mktemp -d)
med() { python3 -c "
import json,statistics
s=[]
for l in open('$1'):
    l=l.strip()
    if l.startswith('{'):
        try: e=json.loads(l)
        except Exception: continue
        if e.get('event')=='step' and e['step']>=3: s.append(e['seconds'])
print(f'median {statistics.median(s)*1000:.1f} ms/step over {len(s)} steps', end='; ')"; }
one() { # task label, binary label, binary, prune arguments
  local task=$1 label=$2 bin=$3; shift 3
  echo -n "$task $label: "
  /usr/bin/time -o $out/time -f "%e s wall, %U s user, %S s sys, %M KB peak" $bin prune "$@" --steps 300 --batch 8 \
    --out $out/$task-$label --force --json 2> $out/$task-$label.err > /dev/null
  med $out/$task-$label.err; cat $out/time
}
for r in 1 2 3; do
  for b in before after; do
    bin=$([ $b = before ] && echo $BEFORE || echo $AFTER)
    one ioi $b $bin --model $SHARED/models/gpt2-tasks --task ioi --target-sparsity 0.5 --lr 0.2 --lambda-lr 0.013
  done
done
for r in 1 2; do
  for b in before after; do
    bin=$([ $b = before ] && echo $BEFORE || echo $AFTER)
    one stories $b $bin --model $SHARED/models/stories260K/stories260K.bin --task gp-stories
  done
done
rm -rf $out
