package io.dmpo.mujoco;

import io.dmpo.env.Env;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The registry of MuJoCo tasks: the five Gymnasium-v4 locomotion tasks (our own MJCF files, shipped as resources)
 * and {@code mjcf:<path>} for any MJCF robot. Models are loaded once per process (serialized) and shared read-only;
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

    /** Whether {@code spec} is a registered task name or {@code mjcf:<path>}. */
    public static boolean known(String spec) {
        return spec.startsWith("mjcf:") || task(spec) != null;
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

    public static List<String> names() {
        return ALL.stream().map(Task::name).toList();
    }

    /** Convenience for code that only needs the interface. */
    public static Env env(String spec) {
        return make(spec);
    }
}
