package io.dmpo.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training loop in miniature on {@link RunDirectory}: {@code iterations} iterations, a checkpoint every 2nd, a
 * score that rises and falls (so {@code best} is not simply the latest). Its "model" is a counter saved in each
 * checkpoint. Run as a child JVM by {@link RunDirectoryTest} with {@code -Ddmpo.crashAt=...} to be killed mid-way.
 */
final class ToyRun {
    static final int EVERY = 2;

    static double score(long it) {
        return Math.sin(it * 0.7) * 10 + it * 0.5;
    }

    static void train(Path dir, int iterations, boolean resume) throws IOException {
        RunDirectory run = resume ? RunDirectory.resume(dir) : RunDirectory.start(dir, Map.of("kind", "toy", "seed", 7L));
        long model = 0;
        if (run.resumedFrom().isPresent()) {
            model = Long.parseLong(Files.readString(run.resumedFrom().get().path().resolve("model.txt")).strip());
        }
        for (long it = run.startIteration() + 1; it <= iterations; it++) {
            model += it; // the "update"
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("iteration", it);
            m.put("model", model);
            run.appendMetrics(m);
            if (it % EVERY == 0) {
                long snapshot = model;
                run.publish(it, score(it), Map.of("eval_return", score(it)),
                        tmp -> Files.writeString(tmp.resolve("model.txt"), snapshot + "\n"));
            }
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length > 2 && args[2].equals("--hold")) { // open the run, say so, and keep it open until killed
            RunDirectory.start(Path.of(args[0]), Map.of("kind", "toy"));
            System.out.println("holding");
            System.out.flush();
            Thread.sleep(60_000);
            return;
        }
        train(Path.of(args[0]), Integer.parseInt(args[1]), args.length > 2 && args[2].equals("--resume"));
    }
}
