// Where a can or square policy fails, episode by episode (docs/results.md, "Square pre-training" and "Can: where the
// fine-tuned policy fails"): N noise-free K = 1 episodes on `dmpo eval`'s start states (1000000 + i), each classified
// by what happened to the object.
//   can:    lifted?, highest point, closest approach to the bin centre while carried above the rim, the can's tilt at
//           the end, where it ended (in the bin's walls, on the table, on the floor); a can knocked over before it was
//           lifted (tilt > 30°) also gets the step at which it started to tip (tilt > 5°), where the grip point was
//           relative to the can then and the fingers' opening.
//   square: lifted?, how close the nut's centre came to the peg's axis below the carrying height, the nut's yaw error
//           against the peg's square there, where it ended.
//   ./dmpo env list > /dev/null   # builds the CLI once
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//     -cp "dmpo-cli/target/classes:dmpo-cli/target/lib/*" scripts/ArmFailures.java <can|square> <policy.safetensors> [episodes]
import io.dmpo.mujoco.ArmEnv;
import io.dmpo.mujoco.ArmTask;
import io.dmpo.mujoco.Camera;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

public class ArmFailures {
    /** What one episode's object did, step by step; {@link #verdict} names the outcome of a failed episode. */
    abstract static class Trace {
        final double z0;
        double maxZ;

        Trace(ArmEnv env) {
            z0 = env.objectPosition()[2];
            maxZ = z0;
        }

        /** Called after every env step. */
        final void observe(ArmEnv env) {
            double[] p = env.objectPosition();
            maxZ = Math.max(maxZ, p[2]);
            track(env, p);
        }

        /** Whether the object has been raised 3 cm above where it started (tipping over raises a can by ~1 cm). */
        final boolean lifted() {
            return maxZ >= z0 + 0.03;
        }

        abstract void track(ArmEnv env, double[] objectPosition);
        abstract String describe(ArmEnv env);
        abstract String verdict(ArmEnv env);
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException | IOException e) { // bad arguments or policy file: one line, not a stack trace
            System.err.println("ArmFailures: " + e.getMessage());
            System.exit(2);
        }
    }

    static void run(String[] args) throws IOException {
        if (args.length < 2) throw new IllegalArgumentException("usage: ArmFailures <can|square> <policy.safetensors> [episodes]");
        ArmTask task = ArmTask.of(args[0]);
        if (task == null || task == ArmTask.LIFT) throw new IllegalArgumentException("task must be can or square, got " + args[0]);
        FlowPolicy policy = PolicyFile.load(Path.of(args[1]));
        Object trainedOn = policy.spec().provenance().get("env"); // can and square observations have the same layout
        if (trainedOn != null && !trainedOn.toString().equals(task.id)) {
            throw new IllegalArgumentException(args[1] + " was trained on " + trainedOn + ", not " + task.id);
        }
        int episodes = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        if (episodes < 1) throw new IllegalArgumentException("episodes must be >= 1, got " + episodes);
        Map<String, Integer> outcomes = new TreeMap<>();
        try (ArmEnv env = new ArmEnv(task, Camera.NONE)) {
            for (int e = 0; e < episodes; e++) {
                double[] obs = env.reset(1_000_000L + e);
                SplittableRandom noise = new SplittableRandom(e);
                Trace trace = task == ArmTask.CAN ? new CanTrace(env) : new SquareTrace(env);
                boolean done = false;
                while (!done) {
                    for (double[] action : policy.act(new double[][] {obs}, noise)) {
                        var r = env.step(action);
                        obs = r.obs();
                        trace.observe(env);
                        if (r.done()) {
                            done = true;
                            break;
                        }
                    }
                }
                String verdict = env.success() ? "success" : trace.verdict(env);
                outcomes.merge(verdict, 1, Integer::sum);
                System.out.printf("episode %2d: %-24s after %3d steps, %s%n", e, verdict, env.elapsedSteps(), trace.describe(env));
            }
        }
        System.out.println(outcomes.entrySet().stream().map(o -> o.getValue() + " " + o.getKey()).toList() + " of " + episodes);
    }

    /** Angle in degrees between the body's z axis (the can's axis) and the world's vertical. */
    static double tiltDegrees(double[] q) {
        double zz = 1 - 2 * (q[1] * q[1] + q[2] * q[2]); // R[2][2] of the unit quaternion (w, x, y, z)
        return Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, zz))));
    }

    static final class CanTrace extends Trace {
        double closestOverBin = Double.POSITIVE_INFINITY;
        int steps, tiltStartedAt = -1;
        double[] handWhenTiltStarted;
        boolean knockedOver;

        CanTrace(ArmEnv env) {
            super(env);
        }

        void track(ArmEnv env, double[] p) {
            if (p[2] > ArmTask.BIN_RIM) closestOverBin = Math.min(closestOverBin, Math.hypot(p[0] - ArmTask.BIN_X, p[1] - ArmTask.BIN_Y));
            steps++;
            if (lifted()) return;
            double tilt = tiltDegrees(env.objectQuaternion());
            if (tiltStartedAt < 0 && tilt > 5) {
                // the can starts to tip before any lift: where the grip point was, relative to the can's centre
                tiltStartedAt = steps;
                double[] g = env.gripPosition();
                double[] f = env.fingers();
                handWhenTiltStarted = new double[] {g[0] - p[0], g[1] - p[1], g[2] - p[2], f[0] + f[1]};
            }
            if (tilt > 30) knockedOver = true;
        }

        boolean withinBinWalls(double[] p) {
            return Math.abs(p[0] - ArmTask.BIN_X) < ArmTask.BIN_INNER && Math.abs(p[1] - ArmTask.BIN_Y) < ArmTask.BIN_INNER;
        }

        String verdict(ArmEnv env) {
            double[] p = env.objectPosition();
            if (!lifted()) return "never lifted";
            if (withinBinWalls(p)) return "over the bin, not lowered";
            if (p[2] < 0) return "dropped off the table";
            if (closestOverBin < ArmTask.BIN_INNER) return "reached the bin, ended outside";
            return "dropped before the bin";
        }

        String describe(ArmEnv env) {
            double[] p = env.objectPosition();
            String tipped = !knockedOver ? "" : String.format("; knocked over, its tilt passed 5° at step %d with the grip point at (%+.3f, %+.3f, %+.3f) m from the can's centre, fingers %.3f m open",
                    tiltStartedAt, handWhenTiltStarted[0], handWhenTiltStarted[1], handWhenTiltStarted[2], handWhenTiltStarted[3]);
            return String.format("highest %.3f m, closest to the bin centre above its rim %.3f m, ends at (%.3f, %.3f, %.3f) tilted %4.0f°%s",
                    maxZ, closestOverBin, p[0], p[1], p[2], tiltDegrees(env.objectQuaternion()), tipped);
        }
    }

    static final class SquareTrace extends Trace {
        double closest = Double.POSITIVE_INFINITY, yawError;

        SquareTrace(ArmEnv env) {
            super(env);
        }

        void track(ArmEnv env, double[] p) {
            double off = Math.hypot(p[0] - ArmTask.PEG_X, p[1] - ArmTask.PEG_Y);
            if (p[2] < z0 + 0.12 && off < closest) {
                closest = off;
                double[] q = env.objectQuaternion();
                double yaw = Math.toDegrees(2 * Math.atan2(q[3], q[0]));
                yawError = ((yaw % 90) + 90) % 90;
                if (yawError > 45) yawError -= 90;
            }
        }

        String verdict(ArmEnv env) {
            if (!lifted()) return "never lifted";
            if (closest > 0.025) return "carried, never near the axis";
            if (Math.abs(yawError) > 15) return "near the axis, turned";
            return "centred and aligned, jammed";
        }

        String describe(ArmEnv env) {
            double[] p = env.objectPosition();
            return String.format("closest to the axis %.3f m (yaw error %5.1f°), nut ends at (%.3f, %.3f, %.3f)",
                    closest, yawError, p[0], p[1], p[2]);
        }
    }
}
