package io.dmpo.mujoco;

import io.dmpo.env.Env;
import io.dmpo.env.ObservationSpec;
import io.dmpo.env.SuccessReward;
import io.dmpo.policy.FlowPolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The one registry of tasks every command accepts: the five Gymnasium-v4 locomotion tasks (our own MJCF files,
 * shipped as resources), the robot-arm manipulation tasks {@code lift}, {@code can} and {@code square} ({@link ArmTask}), and
 * {@code mjcf:<path>} for any MJCF robot. A {@link Task} says everything a command needs — observation and action
 * layout, control period, horizon, success semantics, cameras, how to make an env — and learns its sizes from the env
 * itself (made once), so nothing is written down twice. Any task can observe through a {@link Camera}. Models are
 * loaded once per process and shared read-only; each env gets its own mjData.
 */
public final class Tasks {
    private Tasks() {}

    public enum Kind { LOCOMOTION, MANIPULATION, MJCF }

    /** The default frame skip of an {@code mjcf:} robot (Gymnasium's for most locomotion tasks). */
    public static final int MJCF_FRAME_SKIP = 5;

    /** What an env of the task reports about itself, read once from the first env made. */
    private record Facts(int stateDim, int actDim, double controlDt, int horizon) {}

    /** One task. */
    public static final class Task {
        private final String name;
        private final Kind kind;
        private final String resource; // the locomotion model's resource, else null
        private final BiFunction<Camera, SuccessReward, Env> maker;
        private volatile Facts facts;

        private Task(String name, Kind kind, String resource, BiFunction<Camera, SuccessReward, Env> maker) {
            this.name = name;
            this.kind = kind;
            this.resource = resource;
            this.maker = maker;
        }

        public String name() { return name; }
        public Kind kind() { return kind; }

        /** The MJCF resource a locomotion task is compiled from (null for the others). */
        public String resource() { return resource; }

        private Facts facts() {
            Facts f = facts;
            if (f == null) {
                try (Env env = maker.apply(Camera.NONE, SuccessReward.FIRST)) {
                    f = new Facts(env.obsDim(), env.actDim(), env.dt(), env.maxEpisodeSteps());
                }
                facts = f;
            }
            return f;
        }

        /**
         * The observation layout through {@code camera}: the image first (if any), then the task's low-dimensional
         * part — the whole state for locomotion and robots, the proprioception alone for a manipulation task seen
         * through a camera (its object state otherwise).
         */
        public ObservationSpec observation(Camera camera) {
            return kind == Kind.MANIPULATION ? ArmEnv.observation(camera) : camera.observation(facts().stateDim);
        }

        public int actDim() { return facts().actDim; }

        /** Seconds of simulated time per env step (the control period). */
        public double controlDt() { return facts().controlDt; }

        /** Episode length limit in env steps. */
        public int horizon() { return facts().horizon; }

        /**
         * Success semantics: true when the reward is 1 on success, which ends the episode (the mean return is then the
         * success rate); false when the return itself is the measure (locomotion, robots).
         */
        public boolean sparseSuccess() { return kind == Kind.MANIPULATION; }

        /** The camera a pixel policy of this task observes through by default. */
        public String defaultCamera() { return kind == Kind.MANIPULATION ? "agentview" : "free"; }

        /** The cameras its model defines, after MuJoCo's free camera. */
        public List<String> cameras() {
            List<String> c = new ArrayList<>(List.of("free"));
            c.addAll(List.of(model().names("cam")));
            if (kind == Kind.MANIPULATION && !c.contains("wrist")) c.add("wrist");
            return c;
        }

        /** Its compiled model (shared). */
        public MjModel model() {
            return kind == Kind.MANIPULATION ? ArmEnv.model(ArmTask.of(name)) : Tasks.model(name);
        }

        /** A new env observing through {@code camera} ({@link Camera#NONE}: state observations). */
        public Env make(Camera camera) {
            return make(camera, SuccessReward.FIRST);
        }

        /**
         * A new env paying {@code reward}; {@link SuccessReward#EVERY_STEP} exists for the sparse-success
         * (manipulation) tasks only.
         */
        public Env make(Camera camera, SuccessReward reward) {
            if (reward != SuccessReward.FIRST && kind != Kind.MANIPULATION) {
                throw new IllegalArgumentException("success_reward " + reward.key() + " applies to the manipulation tasks; '" + name
                        + "' has a dense reward");
            }
            return maker.apply(camera, reward);
        }

        /** A new env with state observations. */
        public Env make() {
            return make(Camera.NONE);
        }

        /** Checks that a policy's observation layout and action size fit this task through {@code camera}. */
        public void requireFits(ObservationSpec policyObs, int policyAct, Camera camera, String what) {
            ObservationSpec env = observation(camera);
            if (!env.equals(policyObs) || actDim() != policyAct) {
                throw new IllegalArgumentException(what + " has observation " + policyObs + " / action " + policyAct + "; task '"
                        + name + "'" + (camera.pixels() ? " through camera " + camera : "") + " has " + env + " / " + actDim());
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A task seen through a camera: the env a policy runs in. */
    public record Setting(Task task, Camera camera) {
        public Env make() {
            return task.make(camera);
        }

        public Env make(SuccessReward reward) {
            return task.make(camera, reward);
        }

        public ObservationSpec observation() {
            return task.observation(camera);
        }

        @Override
        public String toString() {
            return camera.pixels() ? task.name() + " through camera " + camera : task.name();
        }
    }

    /**
     * The task and camera a policy file was trained in (its provenance's {@code env} and {@code camera}, the camera
     * sized by the network), or {@code taskOverride}; checked against the policy's observation layout and action size.
     * Every command that runs a policy (eval, finetune, control, serve) resolves it here.
     */
    public static Setting forPolicy(FlowPolicy policy, String taskOverride, String what) {
        Map<String, Object> prov = policy.spec().provenance();
        String name = taskOverride != null ? taskOverride : prov.get("env") instanceof String s ? s : null;
        if (name == null || name.isBlank()) throw new IllegalArgumentException(what + " does not name its task (provenance 'env'): pass the task");
        Task task = of(name);
        FlowPolicy.Architecture arch = policy.spec().architecture();
        Camera camera = Camera.NONE;
        if (arch.pixel()) {
            if (!(prov.get("camera") instanceof String cam)) {
                throw new IllegalArgumentException(what + " is a pixel policy without the camera it was trained on (provenance "
                        + "'camera'); pre-train it with 'camera:' in the config");
            }
            camera = new Camera(cam, arch.width(), arch.height());
        }
        task.requireFits(policy.spec().observation(), policy.actDim(), camera, what);
        return new Setting(task, camera);
    }

    private static Task locomotion(String name, String resource, Function<MjModel, MujocoEnv> factory) {
        return new Task(name, Kind.LOCOMOTION, resource, (camera, reward) -> withCamera(factory.apply(model(name)), camera));
    }

    private static Task manipulation(ArmTask arm) {
        return new Task(arm.id, Kind.MANIPULATION, null, (camera, reward) -> new ArmEnv(arm, camera, reward));
    }

    private static final List<Task> REGISTERED = List.of(
            locomotion("hopper", "tasks/hopper.xml", Hopper::new),
            locomotion("walker2d", "tasks/walker2d.xml", Walker2d::new),
            locomotion("halfcheetah", "tasks/halfcheetah.xml", HalfCheetah::new),
            locomotion("ant", "tasks/ant.xml", Ant::new),
            locomotion("humanoid", "tasks/humanoid.xml", Humanoid::new),
            manipulation(ArmTask.LIFT),
            manipulation(ArmTask.CAN),
            manipulation(ArmTask.SQUARE));

    private static final Map<String, MjModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, Task> ROBOTS = new ConcurrentHashMap<>();

    /** Every registered task: locomotion, then manipulation. */
    public static List<Task> all() {
        return REGISTERED;
    }

    /** Their names. */
    public static List<String> names() {
        return REGISTERED.stream().map(Task::name).toList();
    }

    /** The registered task called {@code name} (case-insensitive; a Gymnasium "-v4" suffix is ignored), or null. */
    public static Task registered(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceAll("-v\\d+$", "");
        for (Task t : REGISTERED) if (t.name.equals(n)) return t;
        return null;
    }

    /** Any task: a registered name or {@code mjcf:<path>} (frame skip {@value #MJCF_FRAME_SKIP}). */
    public static Task of(String spec) {
        return of(spec, MJCF_FRAME_SKIP);
    }

    /**
     * Any task: a registered name, or {@code mjcf:<path>} with the given frame skip (its model is compiled here, so a
     * bad file fails now). Unknown names are an {@link IllegalArgumentException} naming the known ones.
     */
    public static Task of(String spec, int mjcfFrameSkip) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("no task given; known: " + names() + ", mjcf:<path>");
        if (spec.startsWith("mjcf:")) {
            if (mjcfFrameSkip < 1) throw new IllegalArgumentException("frame skip must be >= 1, got " + mjcfFrameSkip);
            String key = spec + "@" + mjcfFrameSkip;
            Task t = ROBOTS.get(key);
            if (t == null) {
                model(spec); // compile now: a bad MJCF is an error here, not at the first env
                t = new Task(spec, Kind.MJCF, null, (camera, reward) -> withCamera(new MjcfEnv(spec, model(spec), mjcfFrameSkip), camera));
                ROBOTS.put(key, t);
            }
            return t;
        }
        Task t = registered(spec);
        if (t == null) throw new IllegalArgumentException("unknown task '" + spec + "'; known: " + names() + ", mjcf:<path>");
        return t;
    }

    private static Env withCamera(MujocoEnv env, Camera camera) {
        if (!camera.pixels()) return env;
        try {
            return new CameraEnv(env, camera);
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    /** The shared model of a locomotion task or {@code mjcf:} robot (loaded on first use). */
    static MjModel model(String spec) {
        if (spec.startsWith("mjcf:")) {
            Path p = Path.of(spec.substring(5)).toAbsolutePath().normalize();
            return MODELS.computeIfAbsent("mjcf:" + p, k -> MjModel.load(p));
        }
        Task t = registered(spec);
        if (t == null || t.resource == null) throw new IllegalArgumentException("not a locomotion task: '" + spec + "'");
        return MODELS.computeIfAbsent(t.name, k -> MjModel.loadResource(Tasks.class, t.resource));
    }

    /** A new state-observation env of a locomotion task or robot, as its concrete class (physics tests, benchmarks). */
    public static MujocoEnv make(String spec) {
        Env e = of(spec).make();
        if (e instanceof MujocoEnv m) return m;
        e.close();
        throw new IllegalArgumentException("'" + spec + "' is not a MuJoCo locomotion task or robot");
    }
}
