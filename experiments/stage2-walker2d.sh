#!/usr/bin/env bash
# Stage 2 on Walker2d: pre-trains MeanFlow+dispersive on the bundled data/walker2d-medium.h5 and compares DMPO K = 1
# fine-tuning with Gaussian PPO from scratch at the same env steps.
#   1.-2. the data, when missing: experiments/locomotion-data.sh walker2d (the demonstrator and its checkpoint iter_000140)
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
[ -f data/walker2d-medium.h5 ] || DMPO="$dmpo" EXPERT="$expert" experiments/locomotion-data.sh walker2d
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
