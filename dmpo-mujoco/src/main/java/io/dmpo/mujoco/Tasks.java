package io.dmpo.mujoco;

import io.dmpo.env.Env;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The registry of MuJoCo tasks: the five Gymnasium-v4 locomotion tasks (our own MJCF files, shipped as resources),
 * the robot-arm manipulation tasks {@code lift} and {@code can} ({@link ArmTask}), and {@code mjcf:<path>} for any
 * MJCF robot. Any of them can observe through a {@link Camera}. Models are loaded once per process (serialized) and shared read-only;
 * each env gets its own mjData.
 */
public final class Tasks {
    private Tasks() {}

    /** A registered task. */
    public record Task(String name, String resource, int obsDim, int actDim, int frameSkip,
                       Function<MjModel, MujocoEnv> factory) {}

    public static final List<Task> ALL = List.of(
            new Task("hopper", "tasks/hopper.xml", 11, 3, 4, Hopper::new),
            new Task("walker2d", "tasks/walker2d.xml", 17, 6, 4, Walker2d::new),
            new Task("halfcheetah", "tasks/halfcheetah.xml", 17, 6, 5, HalfCheetah::new),
            new Task("ant", "tasks/ant.xml", 27, 8, 5, Ant::new),
            new Task("humanoid", "tasks/humanoid.xml", 376, 17, 5, Humanoid::new));

    private static final Map<String, MjModel> MODELS = new ConcurrentHashMap<>();

    public static Task task(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT).replaceAll("-v\\d+$", "");
        for (Task t : ALL) if (t.name.equals(n)) return t;
        return null;
    }

    /** Whether {@code spec} is a registered task name (locomotion or manipulation) or {@code mjcf:<path>}. */
    public static boolean known(String spec) {
        return spec.startsWith("mjcf:") || task(spec) != null || ArmTask.of(spec) != null;
    }

    /**
     * A new env for any task spec, observing through {@code camera} ({@link Camera#NONE}: state observations). The
     * frame skip applies to {@code mjcf:} robots only.
     */
    public static Env make(String spec, Camera camera, int mjcfFrameSkip) {
        ArmTask arm = ArmTask.of(spec);
        if (arm != null) return new ArmEnv(arm, camera);
        MujocoEnv env = make(spec, mjcfFrameSkip);
        if (!camera.pixels()) return env;
        try {
            return new CameraEnv(env, camera);
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    /** Observation size of a registered task seen through {@code camera}, without making an env; -1 for mjcf: or unknown. */
    public static int obsDim(String spec, Camera camera) {
        ArmTask arm = ArmTask.of(spec);
        if (arm != null) return camera.imageSize() + (camera.pixels() ? ArmEnv.PROPRIO : ArmEnv.OBJECT + ArmEnv.PROPRIO);
        Task t = task(spec);
        return t == null ? -1 : camera.imageSize() + t.obsDim();
    }

    /** Action size of a registered task; -1 for mjcf: or unknown. */
    public static int actDim(String spec) {
        if (ArmTask.of(spec) != null) return ArmEnv.ACT_DIM;
        Task t = task(spec);
        return t == null ? -1 : t.actDim();
    }

    /** The compiled model of any task spec (locomotion, manipulation or mjcf:). */
    public static MjModel anyModel(String spec) {
        ArmTask arm = ArmTask.of(spec);
        return arm != null ? ArmEnv.model(arm) : model(spec);
    }

    /** The shared model of a task spec (loaded on first use). */
    public static MjModel model(String spec) {
        if (spec.startsWith("mjcf:")) {
            Path p = Path.of(spec.substring(5)).toAbsolutePath().normalize();
            return MODELS.computeIfAbsent("mjcf:" + p, k -> MjModel.load(p));
        }
        Task t = task(spec);
        if (t == null) throw new IllegalArgumentException("unknown task '" + spec + "'; known: " + names() + ", mjcf:<path>");

        return MODELS.computeIfAbsent(t.name, k -> MjModel.loadResource(Tasks.class, t.resource));
    }

    /** A new env for {@code spec} (task name or {@code mjcf:<path>}, whose frame skip is {@code mjcfFrameSkip}). */
    public static MujocoEnv make(String spec, int mjcfFrameSkip) {
        MjModel m = model(spec);
        if (spec.startsWith("mjcf:")) return new MjcfEnv(spec, m, mjcfFrameSkip);
        return task(spec).factory.apply(m);
    }

    public static MujocoEnv make(String spec) {
        return make(spec, 5);
    }

    /** The locomotion task names (what expert, collect, finetune and run accept). */
    public static List<String> names() {
        return ALL.stream().map(Task::name).toList();
    }

    /** Every task name: locomotion, then manipulation (what env, demos' data, pretrain and eval accept). */
    public static List<String> allNames() {
        List<String> n = new java.util.ArrayList<>(names());
        for (ArmTask t : ArmTask.values()) n.add(t.id);
        return n;
    }

    /** Convenience for code that only needs the interface. */
    public static Env env(String spec) {
        return make(spec);
    }
}
