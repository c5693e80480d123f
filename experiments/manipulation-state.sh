#!/usr/bin/env bash
# Dispersive vs no dispersive on the manipulation tasks from low-dimensional state (issue 10): for lift and can,
# {meanflow-disp-state, meanflow-nodisp-state} x seeds pre-trained on the bundled scripted demos (data/lift-state.h5,
# data/can-state.h5), each evaluated at K = 1, 2, 4, 8 (success rate over EPISODES episodes per K), then one report per
# task. Resumable: finished runs are skipped, interrupted ones continue from their last checkpoint.
#   experiments/manipulation-state.sh [OUT]        (default OUT: runs/manipulation-state)
#   DMPO=<launcher> TASKS="lift can" SEEDS="0 1 2" EPISODES=50 experiments/manipulation-state.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/common.sh
out="${1:-runs/manipulation-state}"
dmpo="${DMPO:-./dmpo}"
tasks="${TASKS:-lift can}"
seeds="${SEEDS:-0 1 2}"
episodes="${EPISODES:-50}"
mkdir -p "$out"
start=$(date +%s)
for seed in $seeds; do
  for task in $tasks; do
    for algo in meanflow-disp-state meanflow-nodisp-state; do
      run="$out/$task-$algo-s$seed"
      config="configs/$task/$algo.yaml"
      pretrain_once "$dmpo" "$run" "$config" "$seed"
      if [ ! -f "$run/eval.json" ]; then
        "$dmpo" eval "$run" --steps 1,2,4,8 --episodes "$episodes" --envs 10 --json > /dev/null
      fi
    done
  done
done
for task in $tasks; do
  "$dmpo" report "$out/$task"-*/ --out "$out/report-$task"
done
echo "manipulation-state: done in $(( $(date +%s) - start )) s; reports in $out/report-<task>"
