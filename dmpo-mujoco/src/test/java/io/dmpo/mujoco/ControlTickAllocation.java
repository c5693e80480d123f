package io.dmpo.mujoco;

import io.dmpo.nn.AllocationMeter;

/**
 * Run by ArmTest in a fresh JVM: prints the bytes one control tick's env work allocates on every thread once
 * compiled — the camera image, the proprioception and one action at a control loop's rate (what ControlLoop calls).
 */
final class ControlTickAllocation {
    public static void main(String[] args) {
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, new Camera("agentview", 32, 32))) {
            env.reset(3);
            double[] row = new double[env.obsDim()], action = {0.2, -0.1, 0.1, 0, 0, 0.05, -1};
            int image = env.obsDim() - ArmEnv.PROPRIO;
            AllocationMeter meter = new AllocationMeter();
            long perTick = Long.MAX_VALUE;
            for (int round = 0; round < 10 && perTick >= 1; round++) { // until C2 has compiled the calls
                for (int i = 0; i < 300; i++) tick(env, row, image, action);
                meter.start();
                for (int i = 0; i < 200; i++) tick(env, row, image, action);
                perTick = meter.bytes() / 200;
            }
            System.out.println("bytes per tick: " + perTick);
        }
    }

    private static void tick(ArmEnv env, double[] row, int image, double[] action) {
        env.renderImage(row, 0);
        env.proprioception(row, image);
        env.applyAction(action, 4);
        action[0] = -action[0]; // back and forth: the arm stays in reach
    }
}
