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

# Gaussian-PPO (dmpo expert) flags a task needs beyond CleanRL's settings, for its demonstrator and for the
# from-scratch baseline alike. Humanoid: with CleanRL's settings the evaluation stalls at ~600-760 while each update's
# KL grows past 2; a KL stop at 0.05 and an initial σ of e^-1 (Humanoid's action box is ±0.4) learn it
# (docs/results.md, "Locomotion data").
expert_flags() {
  case "$1" in
    humanoid) echo "--target-kl 0.05 --log-std-init -1" ;;
  esac
}
