#!/usr/bin/env bash
# Stage 2 experiment on Hopper (issue 9): fine-tuning methods from the same Stage-1 pre-training, the same env-step
# budget, several seeds, then learning curves (return vs env steps and vs wall time) and the table.
#   dmpo-k1        DMPO: the one-step MeanFlow+dispersive policy as a K = 1 chain, BC-W2  (configs/hopper/finetune-dmpo.yaml)
#   dmpo-k5        the same policy as a K = 5 chain                                       (finetune-dmpo-k5.yaml)
#   dmpo-k1-nobc   DMPO without BC regularization (the paper's App. A.3.2 ablation)        (finetune-dmpo-nobc.yaml)
#   reinflow-k4    ReinFlow-style: the ReFlow policy as a K = 4 chain, σ ∈ [0.10, 0.24]   (finetune-reinflow-k4.yaml)
#   gaussian-ppo   Gaussian PPO from scratch (dmpo expert)
# Pre-trained policies come from the Stage-1 grid's runs (`./dmpo sweep --grid experiments/stage1-hopper.yaml --out
# runs/stage1-hopper`, run directories hopper-<config>-s<seed>; made here if missing).
# Resumable: finished runs are skipped, interrupted ones continue from their last checkpoint.
#   experiments/stage2-hopper.sh [OUT]   (default OUT: runs/stage2-hopper)
#   DMPO=<launcher> SEEDS="0 1 2" ITERATIONS=200 METHODS="dmpo-k1 ..." experiments/stage2-hopper.sh
# ITERATIONS fine-tuning iterations of 10 envs x 50 chunks x 4 steps = 2,000 env steps each (Gaussian PPO gets the
# same env steps).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/stage2-hopper}"
dmpo="${DMPO:-./dmpo}"
seeds="${SEEDS:-0 1 2}"
iterations="${ITERATIONS:-500}"
methods="${METHODS:-dmpo-k1 dmpo-k1-nobc dmpo-k5 reinflow-k4 gaussian-ppo}"
pre="${PRETRAINED:-runs/stage1-hopper}"
mkdir -p "$out"
start=$(date +%s)
pretrained() { # $1 = stage-1 config name, $2 = seed
  local run="$pre/hopper-$1-s$2"
  if [ ! -f "$run/summary.json" ]; then # written only when the last epoch is done (a killed run has a policy file too)
    echo "== $run: pre-training"
    if [ -f "$run/config.json" ]; then "$dmpo" pretrain --resume --out "$run"; else "$dmpo" pretrain --config "configs/hopper/$1.yaml" --seed "$2" --out "$run"; fi
  fi
  echo "$run"
}
for seed in $seeds; do     # seed-major: a partial run still compares every method
  for method in $methods; do
    run="$out/$method-s$seed"
    if [ -f "$run/summary.json" ]; then echo "== $run: done"; continue; fi
    case "$method" in
      gaussian-ppo)
        if [ -f "$run/config.json" ]; then "$dmpo" expert --env hopper --resume --out "$run" --steps $(( iterations * 2000 )); else
          "$dmpo" expert --env hopper --seed "$seed" --steps $(( iterations * 2000 )) --envs 8 --threads 2 --eval-every 10 --eval-episodes 10 --out "$run"; fi ;;
      *)
        case "$method" in
          reinflow-k4) init=$(pretrained reflow "$seed" | tail -1); cfg=finetune-reinflow-k4 ;;
          dmpo-k5) init=$(pretrained meanflow-disp "$seed" | tail -1); cfg=finetune-dmpo-k5 ;;
          dmpo-k1-nobc) init=$(pretrained meanflow-disp "$seed" | tail -1); cfg=finetune-dmpo-nobc ;;
          *) init=$(pretrained meanflow-disp "$seed" | tail -1); cfg=finetune-dmpo ;;
        esac
        if [ -f "$run/config.json" ]; then "$dmpo" finetune --resume --out "$run"; else
          "$dmpo" finetune --config "configs/hopper/$cfg.yaml" --init "$init" --seed "$seed" --set iterations="$iterations" --out "$run"; fi ;;
    esac
  done
done
"$dmpo" report "$out"/*-s*/ --out "$out/report"
echo "stage2-hopper: done in $(( $(date +%s) - start )) s; report in $out/report"
