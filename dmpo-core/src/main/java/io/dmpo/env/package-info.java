/**
 * Environments: the {@link io.dmpo.env.Env} interface, the threaded {@link io.dmpo.env.VectorEnv} and wrappers
 * (observation normalization, action chunking, action clipping). No native code here: simulators live in other
 * modules (dmpo-mujoco).
 *
 * <p><b>Numbers are {@code double[]} at this boundary, deliberately.</b> MuJoCo's state is float64 (mjtNum), Gymnasium
 * returns float64 observations, rewards are summed over 1000-step episodes, running mean/variance statistics need
 * the precision, and the determinism checksum compares exact bits of what the simulator produced. The NN engine is
 * float32: a policy converts an observation once, when it fills its input tensor (a few hundred values per step,
 * negligible against a physics step); actions come back as float32 and are widened into the {@code double[]} action.
 */
package io.dmpo.env;
