package io.dmpo.mujoco;

/**
 * robomimic-style end-effector control of the 7-joint arm through its joint-position servos. An action is 7 values in
 * [-1, 1] (values outside are clipped): end-effector translation (× {@link #POSITION_SCALE} m), rotation as an axis-angle vector in the world frame
 * (× {@link #ROTATION_SCALE} rad), and the gripper: its sign moves the fingers' command toward closed (+) or open (−)
 * by {@link #GRIPPER_SPEED} per 2 ms physics step, as robosuite's Panda gripper does ({@code current_action += speed ·
 * sign(action)} at every substep: 0.25 per 50 ms env step, fully open to fully closed in 8 steps); 0 holds. A policy
 * therefore needs only the gripper action's sign to be right: mapped linearly, a grip command sagging from +1 to +0.5
 * while carrying half-opened the fingers and dropped the can (docs/results.md, "Can: where the one-step policy
 * fails"). Each control step turns the 6-d pose delta
 * into joint deltas by damped least squares,
 * <pre>  dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e  +  (I − Jᵀ (J Jᵀ + λ² I)⁻¹ J) · k (q_home − q),</pre>
 * the second term pulling the arm's redundant (null-space) motion toward its home posture, and sets the servo targets
 * {@code q + dq} (clipped to the joint limits). Gravity and Coriolis forces are compensated by applying the bias forces
 * of the current state, as a torque-controlled arm's firmware does.
 */
public final class ArmController {
    /** Metres of end-effector travel per unit of action (robosuite's OSC_POSE default output limit). */
    public static final double POSITION_SCALE = 0.05;
    /** Radians of end-effector rotation per unit of action. */
    public static final double ROTATION_SCALE = 0.5;
    /** Damping λ of the least-squares solve: keeps joint steps bounded near singular poses. */
    static final double DAMPING = 0.05;
    /** Null-space pull toward the home posture per control step. */
    static final double NULL_SPACE_GAIN = 0.1;
    /** Change of the gripper command (−1 open … +1 closed) per physics step, in the direction of the action's sign (robosuite's Panda gripper speed). */
    public static final double GRIPPER_SPEED = 0.01;
    /** Finger opening of the open gripper (each finger, metres). */
    public static final double FINGER_OPEN = 0.04;
    /** Home joint configuration: gripper pointing down, 0.2 m above the table in front of the base. */
    public static final double[] HOME = {0, 0.19635, 0, -2.61799, 0, 2.94159, 0.785398};
    public static final int JOINTS = 7;

    private final MjModel model;
    private final MjData data;
    private final int site, nv;
    private final double[] low = new double[JOINTS], high = new double[JOINTS];
    // every buffer of a control step, allocated once (apply runs at every env step)
    private final double[] jacp, jacr, jac = new double[6 * JOINTS], a = new double[36], y = new double[6], e = new double[6];
    private final double[] q = new double[JOINTS], dq = new double[JOINTS], pull = new double[JOINTS],
            back = new double[JOINTS], jPull = new double[6];

    /** The fingers' command, −1 open … +1 closed: integrated from the actions' signs, reopened by {@link #reset}. */
    private double gripper = -1;

    ArmController(MjModel model, MjData data) {
        this.model = model;
        this.data = data;
        this.site = model.siteId("grip");
        this.nv = model.nv;
        this.jacp = new double[3 * nv];
        this.jacr = new double[3 * nv];
        double[][] r = model.ctrlRange();
        for (int j = 0; j < JOINTS; j++) {
            low[j] = r[0][j];
            high[j] = r[1][j];
        }
    }

    /** Opens the gripper's command, as at the start of an episode. */
    void reset() {
        gripper = -1;
    }

    /**
     * Sets the servo targets and compensation forces for one control step of {@code action} (7 values in [-1, 1]) that
     * the physics then advances by {@code physicsSteps}.
     */
    void apply(double[] action, int physicsSteps) {
        for (int j = 0; j < JOINTS; j++) q[j] = data.qpos.getAtIndex(MuJoCo.F64, j);
        data.jacobianSite(site, jacp, jacr);
        for (int r = 0; r < 3; r++) {
            for (int j = 0; j < JOINTS; j++) {
                jac[r * JOINTS + j] = jacp[r * nv + j];
                jac[(r + 3) * JOINTS + j] = jacr[r * nv + j];
            }
        }
        for (int i = 0; i < 3; i++) { // the action space is [-1, 1]: larger values are clipped, as robosuite does
            e[i] = POSITION_SCALE * Math.max(-1, Math.min(1, action[i]));
            e[i + 3] = ROTATION_SCALE * Math.max(-1, Math.min(1, action[i + 3]));
        }
        dampedLeastSquares(e, dq);
        for (int j = 0; j < JOINTS; j++) pull[j] = NULL_SPACE_GAIN * (HOME[j] - q[j]);
        for (int r = 0; r < 6; r++) {
            double s = 0;
            for (int j = 0; j < JOINTS; j++) s += jac[r * JOINTS + j] * pull[j];
            jPull[r] = s;
        }
        dampedLeastSquares(jPull, back);
        for (int j = 0; j < JOINTS; j++) {
            double target = q[j] + dq[j] + pull[j] - back[j];
            data.ctrl.setAtIndex(MuJoCo.F64, j, Math.max(low[j], Math.min(high[j], target)));
        }
        gripper = Math.max(-1, Math.min(1, gripper + GRIPPER_SPEED * physicsSteps * Math.signum(action[6])));
        double finger = FINGER_OPEN * (1 - gripper) / 2;
        data.ctrl.setAtIndex(MuJoCo.F64, JOINTS, finger);
        data.ctrl.setAtIndex(MuJoCo.F64, JOINTS + 1, finger);
        for (int j = 0; j < JOINTS; j++) data.qfrcApplied.setAtIndex(MuJoCo.F64, j, data.qfrcBias.getAtIndex(MuJoCo.F64, j));
    }

    /** out = Jᵀ (J Jᵀ + λ² I)⁻¹ v for the current 6 × 7 Jacobian, by Cholesky (the matrix is symmetric positive definite). */
    private void dampedLeastSquares(double[] v, double[] out) {
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c <= r; c++) {
                double s = 0;
                for (int j = 0; j < JOINTS; j++) s += jac[r * JOINTS + j] * jac[c * JOINTS + j];
                if (r == c) s += DAMPING * DAMPING;
                a[r * 6 + c] = s;
            }
        }
        for (int r = 0; r < 6; r++) { // in-place Cholesky: lower triangle of a = L
            for (int c = 0; c <= r; c++) {
                double s = a[r * 6 + c];
                for (int k = 0; k < c; k++) s -= a[r * 6 + k] * a[c * 6 + k];
                a[r * 6 + c] = r == c ? Math.sqrt(s) : s / a[c * 6 + c];
            }
        }
        for (int r = 0; r < 6; r++) { // L z = v
            double s = v[r];
            for (int k = 0; k < r; k++) s -= a[r * 6 + k] * y[k];
            y[r] = s / a[r * 6 + r];
        }
        for (int r = 5; r >= 0; r--) { // Lᵀ y = z
            double s = y[r];
            for (int k = r + 1; k < 6; k++) s -= a[k * 6 + r] * y[k];
            y[r] = s / a[r * 6 + r];
        }
        for (int j = 0; j < JOINTS; j++) {
            double s = 0;
            for (int r = 0; r < 6; r++) s += jac[r * JOINTS + j] * y[r];
            out[j] = s;
        }
    }

    /** Rotation vector (axis × angle) of the rotation taking orientation {@code from} to {@code to} (quaternions w, x, y, z) in the world frame. */
    public static double[] rotationBetween(double[] from, double[] to) {
        // q = to · from⁻¹
        double w0 = from[0], x0 = -from[1], y0 = -from[2], z0 = -from[3];
        double w = to[0] * w0 - to[1] * x0 - to[2] * y0 - to[3] * z0;
        double x = to[0] * x0 + to[1] * w0 + to[2] * z0 - to[3] * y0;
        double y = to[0] * y0 - to[1] * z0 + to[2] * w0 + to[3] * x0;
        double z = to[0] * z0 + to[1] * y0 - to[2] * x0 + to[3] * w0;
        if (w < 0) { // the short way round
            w = -w; x = -x; y = -y; z = -z;
        }
        double s = Math.sqrt(x * x + y * y + z * z);
        if (s < 1e-12) return new double[] {0, 0, 0};
        double angle = 2 * Math.atan2(s, w);
        return new double[] {x / s * angle, y / s * angle, z / s * angle};
    }
}
