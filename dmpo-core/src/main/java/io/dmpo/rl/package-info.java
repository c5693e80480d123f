/**
 * Reinforcement learning (docs/algorithms.md, "Stage 2"): generalized advantage estimation ({@link io.dmpo.rl.Gae}), the PPO loss
 * ({@link io.dmpo.rl.PpoLoss}) and trainer ({@link io.dmpo.rl.Ppo}) over any {@link io.dmpo.rl.StochasticPolicy}
 * (sample with log-probabilities, re-evaluate log-probabilities, entropy), the Gaussian baseline policy
 * ({@link io.dmpo.rl.GaussianPolicy}), running reward scaling and atomic checkpoints ({@link io.dmpo.rl.PpoCheckpoint}).
 * Stage 2 reuses the trainer with a denoising-chain policy (records = chain states), an
 * {@link io.dmpo.env.ActionChunking} env (GAE then runs over chunks) and an {@link io.dmpo.rl.Ppo.ExtraLoss} for the
 * behavior-cloning term.
 */
package io.dmpo.rl;
