#!/usr/bin/env bash
# Stage 2 on manipulation from state (can, square): fine-tuning methods from Stage-1 policies pre-trained on the
# bundled scripted demos, the same env-step budget, several seeds, then learning curves (success rate vs env steps and
# vs wall time) and the table (docs/results.md, "Stage 2 on manipulation").
#   dmpo-k1         DMPO: the one-step MeanFlow+dispersive policy as a K = 1 chain, BC-W2  (configs/<task>/finetune-dmpo-state.yaml)
#   dmpo-k1-mp1     the same fine-tuning from MeanFlow without dispersion (MP1)           (meanflow-nodisp-state.yaml)
#   dmpo-k1-nobc    DMPO without BC (the paper reports a collapse to ~0 on square)        (finetune-dmpo-nobc-state.yaml)
#   dmpo-k5         the MeanFlow+dispersive policy as a K = 5 chain                       (finetune-dmpo-k5-state.yaml)
#   reinflow-k4     ReinFlow-style: the ReFlow policy as a K = 4 chain, no BC             (finetune-reinflow-k4-state.yaml)
#   gaussian-ppo    Gaussian PPO from scratch on the sparse reward (dmpo expert)
# Resumable: finished runs are skipped, interrupted ones continue from their last checkpoint.
#   experiments/stage2-manipulation.sh [OUT]   (default OUT: runs/stage2-manipulation)
#   DMPO=<launcher> TASKS="can square" SEEDS="0 1 2" ITERATIONS=100 METHODS="dmpo-k1 ..." experiments/stage2-manipulation.sh
# ITERATIONS fine-tuning iterations of 25 envs x 100 chunks x 4 steps = 10,000 env steps each (Gaussian PPO gets the
# same env steps).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/common.sh
out="${1:-runs/stage2-manipulation}"
dmpo="${DMPO:-./dmpo}"
tasks="${TASKS:-can square}"
seeds="${SEEDS:-0 1 2}"
iterations="${ITERATIONS:-100}"
methods="${METHODS:-dmpo-k1 dmpo-k1-mp1 dmpo-k1-nobc dmpo-k5 reinflow-k4 gaussian-ppo}"
mkdir -p "$out"
start=$(date +%s)
for seed in $seeds; do     # seed-major: a partial run still compares every method
  for task in $tasks; do
    for method in $methods; do
      run="$out/$task-$method-s$seed"
      if [ -f "$run/summary.json" ]; then echo "== $run: done"; continue; fi
      case "$method" in
        gaussian-ppo)
          if [ -f "$run/config.json" ]; then "$dmpo" expert --env "$task" --resume --out "$run" --steps $(( iterations * 10000 )); else
            "$dmpo" expert --env "$task" --seed "$seed" --steps $(( iterations * 10000 )) --envs 25 --rollout 400 --minibatch 2000 \
              --gamma 0.999 --set ppo.bootstrap_truncation=false --threads 2 --eval-every 10 --eval-episodes 50 --out "$run"; fi ;;
        *)
          case "$method" in
            dmpo-k1-mp1) pre=meanflow-nodisp-state; cfg=finetune-dmpo-state ;;
            dmpo-k1-nobc) pre=meanflow-disp-state; cfg=finetune-dmpo-nobc-state ;;
            dmpo-k5) pre=meanflow-disp-state; cfg=finetune-dmpo-k5-state ;;
            reinflow-k4) pre=reflow-state; cfg=finetune-reinflow-k4-state ;;
            *) pre=meanflow-disp-state; cfg=finetune-dmpo-state ;;
          esac
          init="$out/pretrain/$task-$pre-s$seed"
          pretrain_once "$dmpo" "$init" "configs/$task/$pre.yaml" "$seed"
          if [ -f "$run/config.json" ]; then "$dmpo" finetune --resume --out "$run"; else
            "$dmpo" finetune --config "configs/$task/$cfg.yaml" --init "$init" --seed "$seed" --set iterations="$iterations" --out "$run"; fi ;;
      esac
    done
  done
done
for task in $tasks; do
  "$dmpo" report "$out/$task"-*-s*/ --out "$out/report-$task"
done
echo "stage2-manipulation: done in $(( $(date +%s) - start )) s; reports in $out/report-<task>"
