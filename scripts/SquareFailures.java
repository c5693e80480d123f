// Where a square policy fails, episode by episode (docs/results.md, "Square pre-training"): for each of N noise-free
// K = 1 episodes (start states 1000000 + i, as `dmpo eval`), whether the nut was lifted, how close its centre came to
// the peg's axis below the carrying height, the nut's yaw error against the peg's square there, and where it ended.
//   ./dmpo env list > /dev/null   # builds the CLI once
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//     -cp "dmpo-cli/target/classes:dmpo-cli/target/lib/*" scripts/SquareFailures.java <policy.safetensors> [episodes]
import io.dmpo.mujoco.ArmEnv;
import io.dmpo.mujoco.ArmTask;
import io.dmpo.mujoco.Camera;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;

import java.nio.file.Path;
import java.util.SplittableRandom;

public class SquareFailures {
    /** The peg's axis (ArmTask square: the peg is fixed at (0.15, 0.10)). */
    static final double PEG_X = 0.15, PEG_Y = 0.10;

    public static void main(String[] args) throws Exception {
        FlowPolicy policy = PolicyFile.load(Path.of(args[0]));
        int episodes = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int successes = 0, lifted = 0;
        try (ArmEnv env = new ArmEnv(ArmTask.of("square"), Camera.NONE)) {
            for (int e = 0; e < episodes; e++) {
                double[] obs = env.reset(1_000_000L + e);
                SplittableRandom noise = new SplittableRandom(e);
                double z0 = env.objectPosition()[2], maxZ = z0, closest = Double.POSITIVE_INFINITY, yawError = 0;
                boolean done = false;
                while (!done) {
                    for (double[] action : policy.act(new double[][] {obs}, noise)) {
                        var r = env.step(action);
                        obs = r.obs();
                        double[] p = env.objectPosition();
                        maxZ = Math.max(maxZ, p[2]);
                        double off = Math.hypot(p[0] - PEG_X, p[1] - PEG_Y);
                        if (p[2] < z0 + 0.12 && off < closest) {
                            closest = off;
                            double[] q = env.objectQuaternion();
                            double yaw = Math.toDegrees(2 * Math.atan2(q[3], q[0]));
                            yawError = ((yaw % 90) + 90) % 90;
                            if (yawError > 45) yawError -= 90;
                        }
                        if (r.done()) {
                            done = true;
                            break;
                        }
                    }
                }
                boolean up = maxZ > z0 + 0.03;
                if (env.success()) successes++;
                if (up) lifted++;
                double[] p = env.objectPosition();
                System.out.printf("episode %2d: %-7s after %3d steps, lifted %-5b closest to the axis %.3f m (yaw error %5.1f°), nut ends at (%.3f, %.3f, %.3f)%n",
                        e, env.success() ? "success" : "failure", env.elapsedSteps(), up, closest, yawError, p[0], p[1], p[2]);
            }
        }
        System.out.printf("%d/%d successes, %d/%d lifted%n", successes, episodes, lifted, episodes);
    }
}
