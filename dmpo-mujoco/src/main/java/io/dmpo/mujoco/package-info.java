/**
 * MuJoCo 2.2.2 (Debian's {@code libmujoco.so.2.2.2}) through the JDK's FFM API, the five Gymnasium-v4 locomotion
 * tasks and a generic MJCF env.
 *
 * <ul>
 *   <li>{@link io.dmpo.mujoco.MuJoCo}: loads libmujoco by SONAME and the build-time C shim ({@code mjshim.c}) that
 *       contains {@code mju_error} (setjmp/longjmp), so MuJoCo errors become {@link io.dmpo.mujoco.MujocoException}s;
 *       checks {@code mj_version()} against the header version the struct offsets were generated from.</li>
 *   <li>{@code MjLayout} (generated at build time by {@code gen_layout.c}: {@code offsetof} over {@code mjxmacro.h}).</li>
 *   <li>{@link io.dmpo.mujoco.MjModel} (loaded under a lock, shared read-only, reference-counted) and
 *       {@link io.dmpo.mujoco.MjData} (one per env); both {@code AutoCloseable} with a {@code Cleaner} fallback.</li>
 *   <li>{@link io.dmpo.mujoco.Tasks}: {@code hopper}, {@code walker2d}, {@code halfcheetah}, {@code ant},
 *       {@code humanoid} (our own MJCF files under {@code tasks/}) and {@code mjcf:<path>}.</li>
 * </ul>
 *
 * <pre>{@code
 * try (VectorEnv v = VectorEnv.of(8, 2, i -> Tasks.make("hopper"))) {
 *     double[][] obs = v.reset(42);
 *     VectorEnv.Step s = v.step(actions);          // auto-reset; v.drainEpisodes() for returns and lengths
 * }
 * }</pre>
 */
package io.dmpo.mujoco;
