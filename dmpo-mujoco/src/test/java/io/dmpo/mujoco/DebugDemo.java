package io.dmpo.mujoco;
import org.junit.jupiter.api.Test;
class DebugDemo {
    @Test void can() {
        try (ArmEnv env = new ArmEnv(ArmTask.CAN, Camera.NONE)) {
            for (int e = 0; e < 2; e++) {
            env.reset(100 + e);
            ScriptedDemonstrator demo = new ScriptedDemonstrator(env, 0.1, e);
            demo.start();
            io.dmpo.env.StepResult r; String last = "";
            int t = 0;
            do { double[] a = demo.act(); r = env.step(a); t++;
                if (!demo.phase().equals(last) || t % 25 == 0) { last = demo.phase();
                System.out.printf("t=%d %s grip=%s obj=%s fingers=%s%n", t, last, java.util.Arrays.toString(env.gripPosition()), java.util.Arrays.toString(env.objectPosition()), java.util.Arrays.toString(env.fingers())); }
            } while (!r.terminated() && !r.truncated());
            System.out.println("end " + r.terminated());
            }
        }
    }
}
