#!/usr/bin/env bash
# The sweep's kill test (docs/sweeps.md): a loopback Spark standalone cluster of two one-core workers runs a reduced
# Stage-1 Hopper grid; once a run has a checkpoint, the worker running it is killed (kill -9, worker and executor).
# The sweep must still finish with every run exactly once: one results row per run, each run's metrics listing every
# epoch once, the killed run retried (attempt >= 1) and resumed from its checkpoint.
#   experiments/sweep-kill-test.sh [OUT]      (default OUT: runs/sweep-kill-test)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/sweep-kill-test}"
export SPARK_STATE="${SPARK_STATE:-$out/cluster}"
epochs="${EPOCHS:-3}"
rm -rf "$out/sweep"
mkdir -p "$out"
cat > "$out/grid.yaml" <<EOF
name: stage1-hopper-reduced
tasks: [hopper]
algorithms: [meanflow-disp, meanflow, reflow, shortcut]
seeds: [0]
threads: 1
set: {train: {epochs: $epochs}}
eval: {steps: [1, 4], episodes: 4, envs: 4}
EOF
./dmpo sweep --help > /dev/null   # builds the module if needed
sweep=""
trap '[ -n "$sweep" ] && kill "$sweep" 2>/dev/null; scripts/spark-standalone.sh stop > /dev/null' EXIT
scripts/spark-standalone.sh start 2
start=$(date +%s)
./dmpo sweep --grid "$out/grid.yaml" --out "$out/sweep" --master spark://127.0.0.1:7077 > "$out/sweep.out" 2> "$out/sweep.err" &
sweep=$!
# wait for a run that has published a checkpoint but not finished, and for the executor that runs it
victim=""
for _ in $(seq 1 600); do
  for d in "$out"/sweep/*/; do
    [ -f "$d/latest" ] && [ ! -f "$d/summary.json" ] && victim="$d" && break
  done
  [ -n "$victim" ] && break
  sleep 0.5
done
[ -n "$victim" ] || { echo "kill test: no run reached a checkpoint" >&2; exit 1; }
executor_pid="$(grep -o '/pid [0-9]*' "$victim/sweep.log" | tail -n 1 | cut -d' ' -f2 || true)"
[ -n "$executor_pid" ] || { echo "kill test: $victim/sweep.log names no executor" >&2; exit 1; }
worker=""
for k in 1 2; do
  if [ "$(pgrep -P "$(cat "$SPARK_STATE/worker-$k.pid")" || true)" = "$executor_pid" ]; then worker=$k; fi
done
[ -n "$worker" ] || { echo "kill test: cannot tell which worker runs $victim (executor pid $executor_pid)" >&2; exit 1; }
echo "kill test: $(basename "$victim") at $(cat "$victim/latest") on worker $worker (executor pid $executor_pid): killing it"
scripts/spark-standalone.sh kill-worker "$worker"
wait "$sweep" || { echo "kill test: the sweep failed (see $out/sweep.err)" >&2; exit 1; }
sweep=""
echo "kill test: sweep finished in $(( $(date +%s) - start )) s"
python3 - "$out/sweep" "$epochs" "$(basename "$victim")" <<'PY'
import json, sys, pathlib
root, epochs, victim = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for l in open(root / "results.jsonl")]
names = [r["run"] for r in rows]
assert len(names) == len(set(names)) == 4, names
for r in rows:
    assert r["status"] == "ok", r
    its = [json.loads(l)["iteration"] for l in open(root / r["run"] / "metrics.jsonl")]
    assert its == list(range(1, epochs + 1)), (r["run"], its)
    print(f'{r["run"]:28s} attempt {r["attempt"]}  pretrain {r["pretrain"]:12s} executor {r["executor"]}  K=1 return {r["eval"]["1"]["return_mean"]:.1f}')
v = next(r for r in rows if r["run"] == victim)
assert v["attempt"] >= 1 and v["pretrain"] == "resumed", v
print("kill test: passed: every run once, every epoch once; the killed run was retried and resumed from its checkpoint")
PY
