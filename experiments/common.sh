# Shared by the experiment scripts (source it): one resumable pre-training run.
#   pretrain_once DMPO RUN CONFIG SEED — skips a finished run (its last checkpoint and policy exist), resumes an
#   interrupted one (config.json exists), else trains from CONFIG with SEED into RUN.
pretrain_once() {
  local dmpo="$1" run="$2" config="$3" seed="$4" epochs last
  epochs=$(grep -E '^  epochs:' "$config" | awk '{print $2}')
  last=$(printf '%s/checkpoints/iter_%06d' "$run" "$epochs")
  if [ -d "$last" ] && [ -f "$run/policy.safetensors" ]; then
    echo "== $run: trained"
  elif [ -f "$run/config.json" ]; then
    echo "== $run: resuming"
    "$dmpo" pretrain --resume --out "$run"
  else
    echo "== $run: training"
    "$dmpo" pretrain --config "$config" --seed "$seed" --out "$run"
  fi
}
