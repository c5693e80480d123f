package io.dmpo.run;

import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The run machinery every training command shares (expert, pre-training, fine-tuning): one directory holding
 * <ul>
 *   <li>{@code config.json}: the full resolved configuration, seed, git commit, data hash, thread count (the caller's map);</li>
 *   <li>{@code metrics.jsonl}: one JSON object per iteration, each with an {@code iteration} field;</li>
 *   <li>{@code evals.jsonl}: one JSON object per published checkpoint ({@code iteration}, {@code checkpoint}, {@code score});</li>
 *   <li>{@code checkpoints/<name>/}: whatever the caller writes into a checkpoint directory;</li>
 *   <li>{@code latest} and {@code best}: the names of the newest and the best-scoring checkpoint.</li>
 * </ul>
 * <b>Crash safety.</b> An iteration's lines are appended before its checkpoint is published; a checkpoint is written
 * into a temporary directory and renamed into place; {@code best}, then {@code latest} are replaced atomically last.
 * So whatever instant a run is killed at, {@link #resume} finds a consistent state: it restarts from the checkpoint
 * {@code latest} names (or from scratch), drops metric and eval lines past it (they will be recomputed), deletes
 * checkpoints newer than it and temporary leftovers, and recomputes {@code best} from the surviving evaluations. The
 * metrics file then lists every finished iteration exactly once.
 */
public final class RunDirectory {
    public static final String CONFIG = "config.json", METRICS = "metrics.jsonl", EVALS = "evals.jsonl",
            CHECKPOINTS = "checkpoints", LATEST = "latest", BEST = "best";

    /** A published checkpoint: its name ({@code iter_000120}), directory and training iteration. */
    public record Checkpoint(String name, Path path, long iteration) {}

    /** Writes a checkpoint's files into the (empty, temporary) directory it is given. */
    @FunctionalInterface
    public interface CheckpointWriter {
        void write(Path dir) throws IOException;
    }

    private static final Pattern NAME = Pattern.compile("iter_(\\d{6,18})");

    private final Path dir;
    private Map<String, Object> config;
    private final Checkpoint resumedFrom;
    private Checkpoint latest;
    private Checkpoint best;
    private double bestScore = Double.NEGATIVE_INFINITY;

    private RunDirectory(Path dir, Map<String, Object> config, Checkpoint resumedFrom) {
        this.dir = dir;
        this.config = config;
        this.resumedFrom = resumedFrom;
        this.latest = resumedFrom;
    }

    /** The checkpoint name of an iteration. */
    public static String checkpointName(long iteration) {
        return String.format(Locale.ROOT, "iter_%06d", iteration);
    }

    /** Whether {@code dir} holds a run that made progress (a metrics line or a checkpoint). */
    public static boolean hasProgress(Path dir) throws IOException {
        Path metrics = dir.resolve(METRICS);
        if (Files.isRegularFile(metrics) && Files.size(metrics) > 0) return true;
        Path ck = dir.resolve(CHECKPOINTS);
        if (!Files.isDirectory(ck)) return false;
        try (var s = Files.list(ck)) {
            return s.anyMatch(p -> NAME.matcher(p.getFileName().toString()).matches());
        }
    }

    /**
     * Starts a new run in {@code dir}. Refuses a directory that holds a run with progress (resume it instead) and any
     * {@code dir} that is not a directory; a directory left by a run that failed before its first iteration is reused.
     * Call it after every option and input has been validated, so a rejected command leaves nothing behind.
     */
    public static RunDirectory start(Path dir, Map<String, Object> config) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir)) {
            throw new RunException(dir + ": exists and is not a directory");
        }
        Files.createDirectories(dir);
        lock(dir);
        if (hasProgress(dir)) {
            throw new RunException(dir + " already holds a run; pass --resume to continue it or --out for a new directory");
        }
        Files.createDirectories(dir);
        for (String f : List.of(METRICS, EVALS, LATEST, BEST)) Files.deleteIfExists(dir.resolve(f));
        removeLeftovers(dir);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.write(config) + "\n");
        return new RunDirectory(dir, config, null);
    }

    /** Reads a run's config.json (one clear error if it is missing or unreadable). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readConfig(Path dir) {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) throw new RunException(dir + ": not a run directory (no " + CONFIG + ")");
        try {
            Object o = Json.parse(Files.readString(f, StandardCharsets.UTF_8));
            if (!(o instanceof Map)) throw new RunException(f + ": not a JSON object");
            return (Map<String, Object>) o;
        } catch (IOException | IllegalArgumentException e) {
            throw new RunException(f + ": unreadable (" + e.getMessage() + ")");
        }
    }

    /**
     * Opens an existing run to continue it: finds the checkpoint {@code latest} names, and brings the directory back to
     * the state it had when that checkpoint was published (see the class comment).
     */
    public static RunDirectory resume(Path dir) throws IOException {
        Map<String, Object> config = readConfig(dir);
        lock(dir);
        removeLeftovers(dir);
        Checkpoint latest = readPointer(dir, LATEST);
        long keepUpTo = latest == null ? 0 : latest.iteration();
        trimLines(dir.resolve(METRICS), keepUpTo);
        trimLines(dir.resolve(EVALS), keepUpTo);
        Path ck = dir.resolve(CHECKPOINTS);
        if (Files.isDirectory(ck)) {
            try (var s = Files.list(ck)) {
                for (Path p : s.toList()) {
                    Matcher m = NAME.matcher(p.getFileName().toString());
                    if (m.matches() && Long.parseLong(m.group(1)) > keepUpTo) deleteTree(p); // published after latest
                }
            }
        }
        RunDirectory run = new RunDirectory(dir, config, latest);
        run.recomputeBest();
        return run;
    }

    /** Locks held by this process (one writer per run directory; a second process gets a clear error). */
    private static final Map<Path, java.nio.channels.FileLock> LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

    private static void lock(Path dir) throws IOException {
        Path key = dir.toAbsolutePath().normalize();
        synchronized (LOCKS) {
            if (LOCKS.containsKey(key)) return; // this process already writes here
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(key.resolve(".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            java.nio.channels.FileLock l = ch.tryLock();
            if (l == null) {
                ch.close();
                throw new RunException(dir + ": in use by another dmpo process (one writer per run directory)");
            }
            LOCKS.put(key, l); // released by release(dir), or when the process ends
        }
    }

    /**
     * Gives up this process's lock on a run directory (a trainer calls it when its run ends, however it ends), so a
     * long-lived process — a Spark executor running many runs — does not keep another process from resuming the run.
     */
    public static void release(Path dir) throws IOException {
        synchronized (LOCKS) {
            java.nio.channels.FileLock l = LOCKS.remove(dir.toAbsolutePath().normalize());
            if (l != null) l.acquiredBy().close(); // closing the channel releases the lock
        }
    }

    public Path dir() {
        return dir;
    }

    public Map<String, Object> config() {
        return config;
    }

    /**
     * Replaces {@code config.json} (atomically, under this process's lock) when a resumed run is continued with a
     * changed setting its trainer allows, e.g. a raised iteration total; the file must keep describing the run.
     */
    public void rewriteConfig(Map<String, Object> changed) throws IOException {
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.write(changed) + "\n");
        config = changed;
    }

    /** The checkpoint this session continues from (empty for a new run or a run killed before its first checkpoint). */
    public Optional<Checkpoint> resumedFrom() {
        return Optional.ofNullable(resumedFrom);
    }

    /** The iteration training continues after: the resumed checkpoint's, or 0. */
    public long startIteration() {
        return resumedFrom == null ? 0 : resumedFrom.iteration();
    }

    /** The newest published checkpoint (this session's or the one resumed from). */
    public Optional<Checkpoint> latest() {
        return Optional.ofNullable(latest);
    }

    public Optional<Checkpoint> best() {
        return Optional.ofNullable(best);
    }

    public double bestScore() {
        return bestScore;
    }

    /** Appends one iteration's metrics (must hold {@code iteration}). */
    public void appendMetrics(Map<String, Object> line) throws IOException {
        requireIteration(line);
        append(dir.resolve(METRICS), line);
        CrashPoints.reached("metrics", iterationOf(line));
    }

    /**
     * Publishes the checkpoint of {@code iteration}: appends {@code evalRecord} (plus iteration, checkpoint name and
     * score) to evals.jsonl, writes the checkpoint through {@code writer} into a temporary directory, renames it into
     * place, then updates {@code best} (when {@code score} beats every earlier one) and {@code latest}. Append the
     * iteration's metrics line before calling this.
     */
    public Checkpoint publish(long iteration, double score, Map<String, Object> evalRecord, CheckpointWriter writer)
            throws IOException {
        String name = checkpointName(iteration);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("iteration", iteration);
        ev.put("checkpoint", name);
        ev.put("score", Double.isFinite(score) ? score : null);
        for (var e : evalRecord.entrySet()) ev.putIfAbsent(e.getKey(), e.getValue());
        append(dir.resolve(EVALS), ev);
        CrashPoints.reached("eval-line", iteration);

        Path ckDir = dir.resolve(CHECKPOINTS);
        Files.createDirectories(ckDir);
        Path target = ckDir.resolve(name);
        Path tmp = Files.createTempDirectory(ckDir, "." + name + ".");
        try {
            writer.write(tmp);
            AtomicFiles.shareDirectory(tmp); // temporary directories are created owner-only
            CrashPoints.reached("checkpoint-written", iteration);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new RunException(target + ": a checkpoint of this iteration exists already (never overwritten)");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) deleteTree(tmp);
        }
        CrashPoints.reached("checkpoint-renamed", iteration);
        Checkpoint c = new Checkpoint(name, target, iteration);
        if (Double.isFinite(score) && score > bestScore) {
            bestScore = score;
            best = c;
            AtomicFiles.writeString(dir.resolve(BEST), name + "\n");
            CrashPoints.reached("best", iteration);
        }
        AtomicFiles.writeString(dir.resolve(LATEST), name + "\n");
        latest = c;
        CrashPoints.reached("latest", iteration);
        return c;
    }

    /**
     * Deletes every checkpoint except {@code latest}, {@code best} and the {@code newest} most recent ones (a long
     * fine-tuning run would otherwise keep hundreds). Call after {@link #publish}: the pointers are already written, so
     * a kill during the deletion leaves a resumable directory ({@code resume} recomputes {@code best} among the
     * checkpoints that exist).
     */
    public void retain(int newest) throws IOException {
        if (newest < 1) throw new IllegalArgumentException("keep at least the newest checkpoint");
        Path ck = dir.resolve(CHECKPOINTS);
        if (!Files.isDirectory(ck)) return;
        List<Long> iterations = new java.util.ArrayList<>();
        try (var s = Files.list(ck)) {
            for (Path p : s.toList()) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) iterations.add(Long.parseLong(m.group(1)));
            }
        }
        iterations.sort(java.util.Comparator.reverseOrder());
        for (int i = newest; i < iterations.size(); i++) {
            long it = iterations.get(i);
            if ((latest != null && latest.iteration() == it) || (best != null && best.iteration() == it)) continue;
            deleteTree(ck.resolve(checkpointName(it)));
        }
    }

    /** Every evaluation record, in training order. */
    public List<Map<String, Object>> evals() throws IOException {
        return readLines(dir.resolve(EVALS));
    }

    /** Every metrics line, in training order. */
    public List<Map<String, Object>> metrics() throws IOException {
        return readLines(dir.resolve(METRICS));
    }

    /** The checkpoint a pointer file ({@code latest} or {@code best}) names, or null when there is no pointer yet. */
    public static Checkpoint readPointer(Path dir, String pointer) throws IOException {
        Path f = dir.resolve(pointer);
        String name;
        try {
            name = Files.readString(f, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return null;
        }
        Matcher m = NAME.matcher(name);
        if (!m.matches()) throw new RunException(f + ": names '" + name + "', not a checkpoint (iter_NNNNNN)");
        Path c = dir.resolve(CHECKPOINTS).resolve(name);
        if (!Files.isDirectory(c)) throw new RunException(f + ": names " + name + ", but " + c + " is missing");
        return new Checkpoint(name, c, Long.parseLong(m.group(1)));
    }

    private void recomputeBest() throws IOException {
        best = null;
        bestScore = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> e : evals()) {
            if (!(e.get("score") instanceof Number n) || !(e.get("checkpoint") instanceof String name)) continue;
            Path c = dir.resolve(CHECKPOINTS).resolve(name);
            if (n.doubleValue() > bestScore && Files.isDirectory(c)) {
                bestScore = n.doubleValue();
                best = new Checkpoint(name, c, iterationOf(e));
            }
        }
        if (best != null) AtomicFiles.writeString(dir.resolve(BEST), best.name() + "\n");
        else Files.deleteIfExists(dir.resolve(BEST));
    }

    private static void requireIteration(Map<String, Object> line) {
        if (!(line.get("iteration") instanceof Number)) throw new IllegalArgumentException("a metrics line needs an 'iteration'");
    }

    private static long iterationOf(Map<String, Object> line) {
        return ((Number) line.get("iteration")).longValue();
    }

    private static void append(Path f, Map<String, Object> line) throws IOException {
        Files.writeString(f, Json.write(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /**
     * The JSON objects of a JSON-lines file of a run (metrics, evals), read-only: a missing file is empty, a torn last
     * line (a kill mid-append) is skipped, any other bad line is a {@link RunException} naming the file and line.
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> readLines(Path f) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) return out;
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                out.add((Map<String, Object>) Json.parse(lines.get(i)));
            } catch (IllegalArgumentException | ClassCastException e) {
                if (i == lines.size() - 1) break; // a torn last line from a kill mid-append
                throw new RunException(f + ": line " + (i + 1) + " is not a JSON object (" + e.getMessage() + ")");
            }
        }
        return out;
    }

    /** Keeps the lines of iterations ≤ {@code upTo} (drops a torn last line). */
    private static void trimLines(Path f, long upTo) throws IOException {
        if (!Files.isRegularFile(f)) return;
        StringBuilder keep = new StringBuilder();
        for (Map<String, Object> m : readLines(f)) {
            if (m.get("iteration") instanceof Number n && n.longValue() <= upTo) keep.append(Json.write(m)).append('\n');
        }
        AtomicFiles.writeString(f, keep.toString());
    }

    /** Temporary files and directories of interrupted atomic writes ({@code .name.XXXX[.tmp]}). */
    private static void removeLeftovers(Path dir) throws IOException {
        for (Path d : List.of(dir, dir.resolve(CHECKPOINTS))) {
            if (!Files.isDirectory(d)) continue;
            try (var s = Files.list(d)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".") && (n.endsWith(".tmp") || NAME.matcher(n.substring(1).replaceAll("\\.[^.]*$", "")).matches())) {
                        deleteTree(p);
                    }
                }
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(p)) {
                for (Path c : s.sorted(Comparator.reverseOrder()).toList()) deleteTree(c);
            }
        }
        Files.deleteIfExists(p);
    }
}
