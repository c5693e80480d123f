#!/usr/bin/env bash
# Stage 2 on Hopper (docs/results.md, "Method comparison"): experiments/stage2-locomotion.sh with Hopper's defaults —
# five methods (the four of every task and DMPO without BC), the pre-trained policies of the Stage-1 grid run as
# `./dmpo sweep --grid experiments/stage1-hopper.yaml --out runs/stage1-hopper`, out runs/stage2-hopper.
#   DMPO=<launcher> SEEDS="0 1 2" ITERATIONS=200 METHODS="dmpo-k1 ..." experiments/stage2-hopper.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
PRETRAINED="${PRETRAINED:-runs/stage1-hopper}" \
METHODS="${METHODS:-dmpo-k1 dmpo-k1-nobc dmpo-k5 reinflow-k4 gaussian-ppo}" \
  exec experiments/stage2-locomotion.sh hopper "$@"
