#!/usr/bin/env bash
# Sweep throughput on a loopback Spark standalone cluster with 1 and then 2 one-core workers (docs/sweeps.md): the
# same reduced Stage-1 Hopper grid (4 methods x 2 seeds, EPOCHS epochs, K in {1, 4}) into a fresh directory each time;
# prints runs per minute and the ratio, and checks that both sweeps produced the same runs (metrics without timings).
#   experiments/sweep-throughput.sh [OUT]     (default OUT: runs/sweep-throughput; EPOCHS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/sweep-throughput}"
export SPARK_STATE="${SPARK_STATE:-$out/cluster}"
epochs="${EPOCHS:-1}"
mkdir -p "$out"
cat > "$out/grid.yaml" <<EOF2
name: stage1-hopper-reduced
tasks: [hopper]
algorithms: [meanflow-disp, meanflow, reflow, shortcut]
seeds: [0, 1]
threads: 1
set: {train: {epochs: $epochs}}
eval: {steps: [1, 4], episodes: 10, envs: 10}
EOF2
./dmpo sweep --help > /dev/null
trap 'scripts/spark-standalone.sh stop > /dev/null' EXIT
for w in 1 2; do
  scripts/spark-standalone.sh stop > /dev/null
  scripts/spark-standalone.sh start "$w" > /dev/null
  rm -rf "$out/workers-$w"
  t0=$(date +%s%N)
  ./dmpo sweep --grid "$out/grid.yaml" --out "$out/workers-$w" --master spark://127.0.0.1:7077 > /dev/null 2> "$out/workers-$w.err" \
    || { echo "sweep-throughput: the sweep failed (see $out/workers-$w.err)" >&2; exit 1; }
  t1=$(date +%s%N)
  seconds=$(( (t1 - t0) / 1000000 ))   # milliseconds
  seconds="$((seconds / 1000)).$(printf '%03d' $((seconds % 1000)))"
  echo "$w $seconds" >> "$out/times"
  echo "workers $w: $seconds s"
done
python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
times = dict(l.split() for l in open(out / "times").read().splitlines()[-2:])
runs = [json.loads(l)["run"] for l in open(out / "workers-1/results.jsonl")]
def metrics(d):
    return [{k: v for k, v in json.loads(l).items() if k != "epoch_seconds"} for l in open(d / "metrics.jsonl")]
for r in runs:
    assert metrics(out / "workers-1" / r) == metrics(out / "workers-2" / r), r
t1, t2 = float(times["1"]), float(times["2"])
print(f"{len(runs)} runs: 1 worker {t1:.0f} s ({60 * len(runs) / t1:.2f} runs/min), 2 workers {t2:.0f} s "
      f"({60 * len(runs) / t2:.2f} runs/min): {t1 / t2:.2f}x; the runs are identical")
PY
