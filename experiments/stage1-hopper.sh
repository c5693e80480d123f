#!/usr/bin/env bash
# Stage 1 experiment on Hopper (issue 8): {meanflow-disp, meanflow (MP1), reflow, shortcut} x 3 seeds pre-trained on the
# bundled data/hopper-medium.h5, each evaluated at K = 1, 2, 4, 8, 16, 32, 64 (20 episodes per K), then the report.
# Resumable: finished runs are skipped, interrupted ones continue from their last checkpoint.
#   experiments/stage1-hopper.sh [OUT]        (default OUT: runs/stage1-hopper)
#   DMPO=<launcher> SEEDS="0 1 2" EPISODES=20 experiments/stage1-hopper.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/common.sh
out="${1:-runs/stage1-hopper}"
dmpo="${DMPO:-./dmpo}"
seeds="${SEEDS:-0 1 2}"
episodes="${EPISODES:-20}"
mkdir -p "$out"
start=$(date +%s)
for algo in meanflow-disp meanflow reflow shortcut; do
  for seed in $seeds; do
    run="$out/$algo-s$seed"
    pretrain_once "$dmpo" "$run" "configs/hopper/$algo.yaml" "$seed"
    if [ ! -f "$run/eval.json" ]; then
      "$dmpo" eval "$run" --steps 1,2,4,8,16,32,64 --episodes "$episodes" --envs 10 --json > /dev/null
    fi
  done
done
"$dmpo" report "$out"/*/ --out "$out/report"
echo "stage1-hopper: done in $(( $(date +%s) - start )) s; report in $out/report"
