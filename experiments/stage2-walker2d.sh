#!/usr/bin/env bash
# Stage 2 on Walker2d (issue 9): no Walker2d data is bundled, so this makes it with the existing commands, then
# pre-trains MeanFlow+dispersive and compares DMPO K = 1 fine-tuning with Gaussian PPO from scratch at the same env steps.
#   1. the demonstrator (skipped when runs/expert-walker2d-s1 exists): ./dmpo expert --env walker2d --seed 1
#   2. data/walker2d-medium.h5: 100k transitions sampled from its checkpoint iter_000140 (deterministic eval 3236;
#      a 20k scout sampled 1627 ± 739 = 37 % of the best checkpoint's 4373, like Hopper's 35 %)
#   3. pre-training (configs/walker2d/meanflow-disp.yaml), 4. fine-tuning (configs/walker2d/finetune-dmpo.yaml:
#      the Hopper settings) and Gaussian PPO, then the report.
# Resumable like stage2-hopper.sh.   DMPO=<launcher> SEEDS="0" ITERATIONS=500 experiments/stage2-walker2d.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/stage2-walker2d}"
dmpo="${DMPO:-./dmpo}"
seeds="${SEEDS:-0}"
iterations="${ITERATIONS:-500}"
expert="${EXPERT:-runs/expert-walker2d-s1}"
mkdir -p "$out"
start=$(date +%s)
if [ ! -f "$expert/checkpoints/iter_000140/state.json" ]; then
  if [ -f "$expert/config.json" ]; then "$dmpo" expert --env walker2d --resume --out "$expert"; else "$dmpo" expert --env walker2d --seed 1 --out "$expert"; fi
fi
if [ ! -f data/walker2d-medium.h5 ]; then
  "$dmpo" collect --policy "$expert" --env walker2d --checkpoint iter_000140 --quality medium --transitions 100000 \
    --seed 0 --no-next-observations --out data/walker2d-medium.h5
fi
for seed in $seeds; do
  pre="$out/pretrain-meanflow-disp-s$seed"
  if [ ! -f "$pre/summary.json" ]; then
    if [ -f "$pre/config.json" ]; then "$dmpo" pretrain --resume --out "$pre"; else
      "$dmpo" pretrain --config configs/walker2d/meanflow-disp.yaml --seed "$seed" --out "$pre"; fi
  fi
  run="$out/dmpo-k1-s$seed"
  if [ ! -f "$run/summary.json" ]; then
    if [ -f "$run/config.json" ]; then "$dmpo" finetune --resume --out "$run"; else
      "$dmpo" finetune --config configs/walker2d/finetune-dmpo.yaml --init "$pre" --seed "$seed" --set iterations="$iterations" --out "$run"; fi
  fi
  run="$out/gaussian-ppo-s$seed"
  if [ ! -f "$run/summary.json" ]; then
    if [ -f "$run/config.json" ]; then "$dmpo" expert --env walker2d --resume --out "$run" --steps $(( iterations * 2000 )); else
      "$dmpo" expert --env walker2d --seed "$seed" --steps $(( iterations * 2000 )) --envs 8 --threads 2 --eval-every 10 --eval-episodes 10 --out "$run"; fi
    echo '{}' > "$run/summary.json"
  fi
done
"$dmpo" report "$out"/dmpo-k1-s*/ "$out"/gaussian-ppo-s*/ --out "$out/report"
echo "stage2-walker2d: done in $(( $(date +%s) - start )) s; report in $out/report"
