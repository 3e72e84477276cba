#!/bin/bash
# The sweeps of bench/results/faithfulness.md, from the worktree root; each writes sweep.csv, sweep.png,
# points.csv (resumable: run the same line again to continue) and its log into bench/results/faithfulness/<run>/.
# The gpt2-tasks sweeps list the attribution methods and ACDC first, so that a sweep stopped early has its baselines.
EP=${EP:-src/Cli/bin/Release/net10.0/edgeprune}
R=bench/results/faithfulness
run() { local name=$1; shift; mkdir -p $R/$name; $EP sweep "$@" --out $R/$name > $R/$name/sweep.txt 2> $R/$name/sweep.log; }
case "$1" in
  ioi) run gpt2-tasks-ioi --model ../shared/models/gpt2-tasks --task ioi --methods eap,eap-ig,acdc,ep,ep-ig \
        --sizes 5,11,27,53,80,106,160,266 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 ;;
  gt)  run gpt2-tasks-gt --model ../shared/models/gpt2-tasks --task gt --methods eap,eap-ig,acdc,ep,ep-ig \
        --sizes 5,11,27,53,80,106,160,266 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 ;;
  gp)  run gpt2-tasks-gp --model ../shared/models/gpt2-tasks --task gp --methods eap,eap-ig,acdc,ep,ep-ig \
        --sizes 5,11,27,53,80,106,160,266 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 ;;
  ioi-late-lr|gt-late-lr|gp-late-lr)
        # cold Edge Pruning with prune --steps 300's warm-ups; the main run's attribution and ACDC points reused
        t=${1%-late-lr}; d=$R/gpt2-tasks-$1; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/gpt2-tasks-$t/points.csv > $d/points.csv
        run gpt2-tasks-$1 --model ../shared/models/gpt2-tasks --task $t --methods eap,eap-ig,acdc,ep \
        --sizes 5,11,27,53,80,106,160,266 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 \
        --sparsity-warmup 300 --lr-warmup 200 ;;
  ioi-reached|gt-reached|gp-reached)
        # Edge Pruning read out where each run ends (the paper's read-out), its multipliers at a learning rate scaled to
        # this 532-edge graph; EAP and EAP-IG scored at the sizes the runs reach; the main run's baseline points reused
        # (with LAMBDA_LR or LR, the masks' rate, set: into gpt2-tasks-<task>-reached-lambda<rate>-lr<rate>)
        t=${1%-reached}; name=gpt2-tasks-$1${LAMBDA_LR:+-lambda$LAMBDA_LR}${LR:+-lr$LR}; d=$R/$name; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/gpt2-tasks-$t/points.csv > $d/points.csv
        run $name --model ../shared/models/gpt2-tasks --task $t --methods eap,eap-ig,acdc,ep,ep-ig \
        --sizes 5,11,27,53,80,106,160,266 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 \
        --readout reached --lambda-lr ${LAMBDA_LR:-0.05} ${LR:+--lr $LR} ;;
  ioi-recipe|gt-recipe|gp-recipe)
        # cold Edge Pruning at the recipe's 3,000 steps (batch 8), the masks' rate LR (default 0.2, a quarter of the
        # recipe's) and the multipliers' LAMBDA_LR (default 0.013), at SIZES (default all 8); read out where each run ends;
        # baselines reused (with TAG set: into gpt2-tasks-<task>-recipe-<tag>)
        t=${1%-recipe}; name=gpt2-tasks-$1${TAG:+-$TAG}; d=$R/$name; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/gpt2-tasks-$t/points.csv > $d/points.csv
        run $name --model ../shared/models/gpt2-tasks --task $t --methods eap,eap-ig,acdc,ep \
        --sizes ${SIZES:-5,11,27,53,80,106,160,266} --steps 3000 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 \
        --readout reached --lr ${LR:-0.2} --lambda-lr ${LAMBDA_LR:-0.013} ;;
  ioi-recipe-ig|gt-recipe-ig|gp-recipe-ig)
        # Edge Pruning from EAP-IG's ranking at the recipe-length rates of <task>-recipe (3,000 steps × 8, mask lr LR
        # default 0.2, λ lr LAMBDA_LR default 0.013), read out where each run ends; baselines reused
        t=${1%-recipe-ig}; name=gpt2-tasks-$1${TAG:+-$TAG}; d=$R/$name; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/gpt2-tasks-$t/points.csv > $d/points.csv
        run $name --model ../shared/models/gpt2-tasks --task $t --methods eap,eap-ig,acdc,ep-ig \
        --sizes ${SIZES:-5,11,27,53,80,106,160,266} --steps 3000 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.1 \
        --readout reached --lr ${LR:-0.2} --lambda-lr ${LAMBDA_LR:-0.013} ;;
  gp-stories-recipe)
        # stories260K at recipe length with the rates scaled as on gpt2-tasks: mask lr LR (default 0.2, a quarter of the
        # recipe's), λ lr LAMBDA_LR (default 0.039 = 0.8 × 1,615 / 32,936 edges); read out where each run ends; baselines reused
        name=stories260K-gp-stories-recipe${TAG:+-$TAG}; d=$R/$name; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/stories260K-gp-stories/points.csv > $d/points.csv
        run $name --model ../shared/models/stories260K/stories260K.bin --task gp-stories --methods eap,eap-ig,acdc,ep \
        --sizes ${SIZES:-8,16,40,81,162,242,323,808} --steps 3000 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.01,0.1 \
        --readout reached --lr ${LR:-0.2} --lambda-lr ${LAMBDA_LR:-0.039} ;;
  gp-stories-recipe-ig)
        # stories260K from EAP-IG's ranking at gp-stories-recipe's rates (SIZES default: the three smallest, below the
        # cold runs' reach); baselines reused
        name=stories260K-gp-stories-recipe-ig${TAG:+-$TAG}; d=$R/$name; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/stories260K-gp-stories/points.csv > $d/points.csv
        run $name --model ../shared/models/stories260K/stories260K.bin --task gp-stories --methods eap,eap-ig,acdc,ep-ig \
        --sizes ${SIZES:-8,16,40} --steps 3000 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.01,0.1 \
        --readout reached --lr ${LR:-0.2} --lambda-lr ${LAMBDA_LR:-0.039} ;;
  ioi-targets)
        # cold Edge Pruning at the paper's kind of targets (up to above 1), read out where each run ends, for the smallest circuits
        d=$R/gpt2-tasks-ioi-targets; mkdir -p $d
        [ -f $d/points.csv ] || grep -E "^(method|eap|eap-ig|acdc)," $R/gpt2-tasks-ioi/points.csv > $d/points.csv
        run gpt2-tasks-ioi-targets --model ../shared/models/gpt2-tasks --task ioi --methods eap,eap-ig,acdc,ep \
        --sizes 5,11,27,53,80,106,160,266 --targets 0.92,0.95,0.98,1.02,1.1 --steps 300 --batch 8 --examples 32 --eval-examples 200 \
        --acdc-thresholds 0.1 --readout reached --lambda-lr ${LAMBDA_LR:-0.05} ;;
  gp-stories) run stories260K-gp-stories --model ../shared/models/stories260K/stories260K.bin --task gp-stories --methods ep,eap,eap-ig,acdc,ep-ig \
        --sizes 8,16,40,81,162,242,323,808 --steps 300 --batch 8 --examples 32 --eval-examples 200 --acdc-thresholds 0.01,0.1 ;;
  tracr-reverse) run tracr-reverse --model ../shared/models/tracr/reverse.safetensors --methods ep,eap,eap-ig,acdc \
        --sizes 2,4,7,11,16,24,32,47 --acdc-thresholds 0.0001,0.001,0.01,0.03,0.1,0.3 ;;
  rasp-histogram|rasp-sort|rasp-xmajority)
        # a built-in RASP program, compiled here (deterministic), with the recipe its program carries
        prog=${1#rasp-}; tmp=$(mktemp -d); model=$tmp/$prog.safetensors
        $EP rasp compile $prog --out $model > /dev/null
        case $prog in histogram) sizes=1,2,3,4,6,8,10 ;; *) sizes=2,4,7,9,12,16,24 ;; esac
        run $1 --model $model --methods ep,eap,eap-ig,acdc,ep-ig --sizes $sizes --acdc-thresholds 0.0001,0.001,0.01,0.03,0.1,0.3
        rm -rf $tmp ;;
  tracr-xproportion) run tracr-xproportion --model ../shared/models/tracr/xproportion.safetensors --methods ep,eap,eap-ig,acdc \
        --sizes 2,4,7,11,16,24,32 --acdc-thresholds 0.0001,0.001,0.01,0.03,0.1,0.3 ;;
esac
