# Shared by the experiment scripts (source it): one resumable pre-training run.
#   pretrain_once DMPO RUN CONFIG SEED — skips a finished run (pretrain writes summary.json only when its last epoch is
#   done), resumes an interrupted one (config.json exists), else trains from CONFIG with SEED into RUN.
pretrain_once() {
  local dmpo="$1" run="$2" config="$3" seed="$4"
  if [ -f "$run/summary.json" ]; then
    echo "== $run: trained"
  elif [ -f "$run/config.json" ]; then
    echo "== $run: resuming"
    "$dmpo" pretrain --resume --out "$run"
  else
    echo "== $run: training"
    "$dmpo" pretrain --config "$config" --seed "$seed" --out "$run"
  fi
}
