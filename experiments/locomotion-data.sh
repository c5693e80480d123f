#!/usr/bin/env bash
# The medium dataset of a locomotion task by the Hopper recipe (data/hopper-medium.provenance.md; docs/results.md,
# "Locomotion data"): a Gaussian-PPO demonstrator, then 100k transitions sampled from the earliest checkpoint of the
# same run whose samples earn at least a third of the run's best evaluation.
#   experiments/locomotion-data.sh walker2d|ant|humanoid       (DMPO=<launcher> STEPS=<env steps, default 3M> CHECKPOINT=iter_N)
# Resumable: an existing data file is kept (no expert is trained for it), a finished expert is kept, an interrupted
# one resumes, scouts already written are reused. Checks the file
# against the SHA-256 recorded next to it (data/<task>-medium.h5.sha256), or records it when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
task="${1:?usage: experiments/locomotion-data.sh TASK}"
dmpo="${DMPO:-./dmpo}"
case "$task" in
  hopper|walker2d|halfcheetah|ant|humanoid) ;;
  *) echo "locomotion-data: '$task' is not a locomotion task (hopper, walker2d, halfcheetah, ant, humanoid)" >&2; exit 2 ;;
esac
source experiments/common.sh # expert_flags: what a task's Gaussian PPO needs beyond CleanRL's settings (Humanoid)
steps="${STEPS:-3000000}"
expert="${EXPERT:-runs/expert-$task-s1}"
data="data/$task-medium.h5"
start=$(date +%s)

if [ -f "$data" ]; then
  echo "== $data exists: kept (delete it to make it again)"
else
  if [ -f "$expert/config.json" ]; then
    "$dmpo" expert --env "$task" --resume --steps "$steps" --out "$expert"
  else
    "$dmpo" expert --env "$task" --steps "$steps" --envs 8 --threads 1 --seed 1 $(expert_flags "$task") --out "$expert"
  fi

  # The checkpoint: a deterministic evaluation overstates what the Gaussian's samples earn (Walker2d: 3236 vs 1627), so
  # candidates (deterministic evaluation >= a third of the best, earliest first) are scouted with 20k sampled
  # transitions each, and the first whose sampled return reaches a third of the best evaluation is taken.
  # evals.jsonl holds one line per evaluation: {"iteration":…,"checkpoint":"iter_…",…,"eval_return":…,…}
  candidates=$(awk '
    match($0, /"checkpoint":"[^"]*"/) { c = substr($0, RSTART + 14, RLENGTH - 15) }
    match($0, /"eval_return":[-0-9.eE+]*/) { r = substr($0, RSTART + 14, RLENGTH - 14) + 0; n++; name[n] = c; ret[n] = r; if (r > best) best = r }
    END { for (i = 1; i <= n; i++) if (ret[i] >= best / 3) print name[i] }' "$expert/evals.jsonl")
  checkpoint="${CHECKPOINT:-}"
  if [ -z "$checkpoint" ]; then
    mkdir -p "$expert/scout"
    for c in $candidates; do
      scout="$expert/scout/$c.h5"
      [ -f "$scout" ] || "$dmpo" collect --policy "$expert" --env "$task" --checkpoint "$c" --quality medium \
        --transitions 20000 --seed 0 --no-next-observations --out "$scout" >/dev/null
      fraction=$("$dmpo" dataset info "$scout" --json | grep -o '"fraction_of_expert_eval":[-0-9.eE+]*' | cut -d: -f2 || true)
      [ -n "$fraction" ] || { echo "locomotion-data: $scout records no fraction_of_expert_eval (delete it to scout again)" >&2; exit 1; }
      echo "   scout $c: sampled return / best evaluation = $fraction"
      if awk -v f="$fraction" 'BEGIN { exit !(f >= 1 / 3) }'; then checkpoint="$c"; break; fi
    done
  fi
  [ -n "$checkpoint" ] || { echo "locomotion-data: no checkpoint of $expert samples a third of its best return" >&2; exit 1; }
  echo "== $task: medium data from $expert checkpoint $checkpoint"

  "$dmpo" collect --policy "$expert" --env "$task" --checkpoint "$checkpoint" --quality medium --transitions 100000 \
    --seed 0 --no-next-observations --out "$data"
fi
# The recorded hash (committed) is what this script made at the commit its data attributes name; the bytes depend on
# the code's commit and on the host's vector width (8 or 16 float lanes sum in different orders), so another commit
# or host makes an equally valid but different file: say which, never overwrite the record.
recorded="$data.sha256"
if [ -f "$recorded" ]; then
  if (cd data && sha256sum --quiet -c "$(basename "$recorded")"); then echo "== $data: matches the recorded SHA-256"
  else echo "== $data: differs from the recorded SHA-256 in $recorded (another commit or host made it)"; fi
else
  (cd data && sha256sum "$(basename "$data")" > "$(basename "$recorded")")
fi
sha256sum "$data"
"$dmpo" dataset info "$data"
echo "locomotion-data $task: done in $(( $(date +%s) - start )) s"
