#!/usr/bin/env bash
# Stage 2 on a locomotion task (docs/results.md, "Stage 2"): fine-tuning methods from the same Stage-1 pre-training,
# the same env-step budget, several seeds, then learning curves (return vs env steps and vs wall time) and the table.
#   dmpo-k1        DMPO: the one-step MeanFlow+dispersive policy as a K = 1 chain, BC-W2  (configs/TASK/finetune-dmpo.yaml)
#   dmpo-k5        the same policy as a K = 5 chain                                       (finetune-dmpo-k5.yaml)
#   dmpo-k1-nobc   DMPO without BC regularization (the paper's App. A.3.2 ablation)        (finetune-dmpo-nobc.yaml)
#   reinflow-k4    ReinFlow-style: the ReFlow policy as a K = 4 chain, no BC               (finetune-reinflow-k4.yaml)
#   gaussian-ppo   Gaussian PPO from scratch (dmpo expert, 8 envs; the demonstrator's settings) at the same env steps
# Pre-trained policies come from the task's Stage-1 grid (`./dmpo sweep --grid experiments/stage1-TASK.yaml`, run
# directories TASK-<config>-s<seed> under runs/sweep-stage1-TASK); a missing one is pre-trained here from
# configs/TASK/<config>.yaml. The data file must exist (experiments/locomotion-data.sh TASK).
# Resumable: finished runs are skipped, interrupted ones continue from their last checkpoint.
#   experiments/stage2-locomotion.sh TASK [OUT]          (default OUT: runs/stage2-TASK)
#   DMPO=<launcher> SEEDS="0 1 2" ITERATIONS=375 METHODS="dmpo-k1 gaussian-ppo" PRETRAINED=<dir> experiments/stage2-locomotion.sh walker2d
# ITERATIONS fine-tuning iterations of 10 envs x 50 chunks x 4 steps = 2,000 env steps each (every locomotion
# fine-tuning config extends configs/hopper/finetune-dmpo.yaml's rollout shape); Gaussian PPO gets the same env steps.
set -euo pipefail
cd "$(dirname "$0")/.."
task="${1:?usage: experiments/stage2-locomotion.sh TASK [OUT]}"
case "$task" in
  hopper|walker2d|halfcheetah|ant|humanoid) ;;
  *) echo "stage2-locomotion: '$task' is not a locomotion task (hopper, walker2d, halfcheetah, ant, humanoid)" >&2; exit 2 ;;
esac
out="${2:-runs/stage2-$task}"
dmpo="${DMPO:-./dmpo}"
seeds="${SEEDS:-0 1 2}"
iterations="${ITERATIONS:-500}"
methods="${METHODS:-dmpo-k1 dmpo-k5 reinflow-k4 gaussian-ppo}"
pre="${PRETRAINED:-runs/sweep-stage1-$task}"
source experiments/common.sh
# A fine-tuning method's Stage-1 config and its fine-tuning config (gaussian-ppo trains from scratch: neither).
method_configs() {
  case "$1" in
    dmpo-k1) echo "meanflow-disp finetune-dmpo" ;;
    dmpo-k5) echo "meanflow-disp finetune-dmpo-k5" ;;
    dmpo-k1-nobc) echo "meanflow-disp finetune-dmpo-nobc" ;;
    reinflow-k4) echo "reflow finetune-reinflow-k4" ;;
    gaussian-ppo) echo "" ;;
    *) echo "stage2-locomotion: unknown method '$1' (dmpo-k1, dmpo-k5, dmpo-k1-nobc, reinflow-k4, gaussian-ppo)" >&2; return 2 ;;
  esac
}
for method in $methods; do # every config is checked before hours of runs start
  configs=$(method_configs "$method") || exit 2
  for cfg in $configs; do
    [ -f "configs/$task/$cfg.yaml" ] || { echo "stage2-locomotion: no configs/$task/$cfg.yaml for method $method" >&2; exit 2; }
  done
done
mkdir -p "$out"
start=$(date +%s)
pretrained() { # $1 = stage-1 config name, $2 = seed; prints the run directory last
  local run="$pre/$task-$1-s$2"
  pretrain_once "$dmpo" "$run" "configs/$task/$1.yaml" "$2" >&2
  echo "$run"
}
for seed in $seeds; do     # seed-major: a partial run still compares every method
  for method in $methods; do
    run="$out/$method-s$seed"
    if [ -f "$run/summary.json" ]; then echo "== $run: done"; continue; fi
    echo "== $run"
    case "$method" in
      gaussian-ppo)
        if [ -f "$run/config.json" ]; then "$dmpo" expert --env "$task" --resume --out "$run" --steps $(( iterations * 2000 )); else
          "$dmpo" expert --env "$task" --seed "$seed" --steps $(( iterations * 2000 )) --envs 8 --threads 2 --eval-every 10 --eval-episodes 10 $(expert_flags "$task") --out "$run"; fi ;;
      *)
        read -r stage1 cfg <<< "$(method_configs "$method")"
        init=$(pretrained "$stage1" "$seed")
        if [ -f "$run/config.json" ]; then "$dmpo" finetune --resume --out "$run"; else
          "$dmpo" finetune --config "configs/$task/$cfg.yaml" --init "$init" --seed "$seed" --set iterations="$iterations" --out "$run"; fi ;;
    esac
  done
done
"$dmpo" report "$out"/*-s*/ --out "$out/report"
echo "stage2-locomotion $task: done in $(( $(date +%s) - start )) s; report in $out/report"
