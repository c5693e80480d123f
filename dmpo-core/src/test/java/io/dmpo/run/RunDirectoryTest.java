package io.dmpo.run;

import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Crash safety of the run machinery: a child JVM running {@link ToyRun} is halted (as by kill -9) at every publish
 * point of the first and of a later checkpoint; {@code --resume} must then finish with every iteration's metrics line
 * exactly once, one eval line per checkpoint, {@code latest}/{@code best} right, no temporary leftovers, and the same
 * final model as an uninterrupted run.
 */
class RunDirectoryTest {
    static final int ITERATIONS = 9;
    static final String[] POINTS = {"metrics", "eval-line", "checkpoint-written", "checkpoint-renamed", "best", "latest"};

    @TempDir
    Path tmp;

    @Test
    void killedAtEveryPublishPointResumesToTheUninterruptedResult() throws Exception {
        Path reference = tmp.resolve("reference");
        ToyRun.train(reference, ITERATIONS, false);
        List<String> refMetrics = Files.readAllLines(reference.resolve(RunDirectory.METRICS));
        assertEquals(ITERATIONS, refMetrics.size());
        List<String> failures = new ArrayList<>();
        for (int crashIteration : new int[] {2, 6}) {
            for (String point : POINTS) {
                if (point.equals("best") && !improves(crashIteration)) continue; // best is only written on improvement
                Path dir = tmp.resolve(point + "@" + crashIteration);
                int status = child(dir, point + "@" + crashIteration);
                assertEquals(CrashPoints.STATUS, status, "the child must be killed at " + point + "@" + crashIteration);
                ToyRun.train(dir, ITERATIONS, true);
                String where = point + "@" + crashIteration + ": ";
                List<String> metrics = Files.readAllLines(dir.resolve(RunDirectory.METRICS));
                if (!metrics.equals(refMetrics)) failures.add(where + "metrics " + metrics);
                RunDirectory done = RunDirectory.resume(dir);
                List<Long> evalIterations = done.evals().stream().map(e -> ((Number) e.get("iteration")).longValue()).toList();
                if (!evalIterations.equals(List.of(2L, 4L, 6L, 8L))) failures.add(where + "evals " + evalIterations);
                if (done.startIteration() != 8) failures.add(where + "latest " + done.startIteration());
                if (!done.best().orElseThrow().name().equals(RunDirectory.readPointer(reference, RunDirectory.BEST).name())) {
                    failures.add(where + "best " + done.best());
                }
                try (Stream<Path> s = Stream.concat(Files.list(dir), Files.list(dir.resolve(RunDirectory.CHECKPOINTS)))) {
                    List<String> hidden = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && !n.equals(".lock")).toList();
                    if (!hidden.isEmpty()) failures.add(where + "leftovers " + hidden);
                }
                try (Stream<Path> s = Files.list(dir.resolve(RunDirectory.CHECKPOINTS))) {
                    if (s.count() != 4) failures.add(where + "checkpoint count");
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    private static boolean improves(int iteration) {
        double best = Double.NEGATIVE_INFINITY;
        for (int it = ToyRun.EVERY; it < iteration; it += ToyRun.EVERY) best = Math.max(best, ToyRun.score(it));
        return ToyRun.score(iteration) > best;
    }

    /** Runs ToyRun in a child JVM that halts at {@code crashAt}; returns its exit status. */
    private static int child(Path dir, String crashAt) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Ddmpo.crashAt=" + crashAt, "-cp", System.getProperty("java.class.path"),
                ToyRun.class.getName(), dir.toString(), Integer.toString(ITERATIONS))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("child run did not finish");
        }
        return p.exitValue();
    }

    @Test
    void aRunDirectoryHasOneWriterProcess() throws Exception {
        Path dir = tmp.resolve("busy");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ToyRun.class.getName(),
                dir.toString(), "0", "--hold").redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
            String line;
            while ((line = out.readLine()) != null && !line.equals("holding")) { /* JVM warnings */ }
            assertEquals("holding", line);
            RunException e = assertThrows(RunException.class, () -> RunDirectory.resume(dir));
            assertTrue(e.getMessage().contains("in use by another dmpo process"), e.getMessage());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        RunDirectory.resume(dir); // the lock died with its process
        // a long-lived process (a Spark executor) hands a run over when its trainer releases it: another lock holder can take it
        RunDirectory.release(dir);
        try (var ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.WRITE);
             var l = ch.tryLock()) {
            assertNotNull(l, "released: the lock file can be locked again");
        }
        RunDirectory.resume(dir);
        RunDirectory.release(dir);
    }

    @Test
    void startRefusesARunWithProgressButReusesAnEmptyOne() throws IOException {
        Path dir = tmp.resolve("run");
        RunDirectory.start(dir, Map.of("a", 1L)); // e.g. a command that failed right after creating it
        RunDirectory again = RunDirectory.start(dir, Map.of("a", 2L));
        assertEquals(2L, RunDirectory.readConfig(dir).get("a"));
        again.appendMetrics(Map.of("iteration", 1L));
        RunException e = assertThrows(RunException.class, () -> RunDirectory.start(dir, Map.of()));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(RunException.class, () -> RunDirectory.start(file, Map.of()));
    }

    @Test
    void retainKeepsLatestBestAndTheNewestCheckpointsAndResumesAfterward() throws IOException {
        Path dir = tmp.resolve("retain");
        RunDirectory run = RunDirectory.start(dir, Map.of("kind", "toy"));
        double[] scores = {5, 1, 9, 2, 3, 4};
        for (int i = 1; i <= scores.length; i++) {
            run.appendMetrics(Map.of("iteration", (long) i));
            run.publish(i, scores[i - 1], Map.of(), tmp2 -> Files.writeString(tmp2.resolve("w"), "x"));
            run.retain(2);
        }
        try (Stream<Path> s = Files.list(dir.resolve(RunDirectory.CHECKPOINTS))) {
            assertEquals(List.of("iter_000003", "iter_000005", "iter_000006"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        RunDirectory again = RunDirectory.resume(dir);
        assertEquals(3, again.best().orElseThrow().iteration());
        assertEquals(6, again.latest().orElseThrow().iteration());
        assertThrows(IllegalArgumentException.class, () -> again.retain(0));
    }

    @Test
    void publishedFilesAndCheckpointsAreSharedReadable() throws IOException {
        Path dir = tmp.resolve("perm");
        ToyRun.train(dir, 2, false);
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve(RunDirectory.CHECKPOINTS).resolve("iter_000002"))));
        for (String f : new String[] {RunDirectory.CONFIG, RunDirectory.LATEST, RunDirectory.BEST, "checkpoints/iter_000002/model.txt"}) {
            assertTrue(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))
                    .startsWith("rw-r--r"), f);
        }
    }

    @Test
    void unreadablePointersAndConfigsAreErrorsNotAFreshStart() throws IOException {
        Path dir = tmp.resolve("run");
        ToyRun.train(dir, 4, false);
        Files.writeString(dir.resolve(RunDirectory.LATEST), "iter_000099\n");
        assertThrows(RunException.class, () -> RunDirectory.resume(dir));
        Files.writeString(dir.resolve(RunDirectory.LATEST), "../../etc\n");
        assertThrows(RunException.class, () -> RunDirectory.resume(dir));
        Files.writeString(dir.resolve(RunDirectory.CONFIG), "{\"kind\": ");
        RunException e = assertThrows(RunException.class, () -> RunDirectory.resume(dir));
        assertTrue(e.getMessage().contains(RunDirectory.CONFIG), e.getMessage());
        assertThrows(RunException.class, () -> RunDirectory.resume(tmp.resolve("nothing")));
    }
}
