package io.dmpo.cli;

import io.dmpo.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dmpo expert / collect / dataset: a few-second expert run, determinism, resume, collection and one-line errors. */
class ExpertDataCommandsTest {
    private static final String[] TINY = {"--env", "hopper", "--envs", "4", "--rollout", "128", "--minibatch", "64",
            "--epochs", "2", "--eval-every", "2", "--eval-episodes", "2", "--hidden", "16,16"};

    private static String[] expert(Path out, long steps, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("expert", "--out", out.toString(), "--steps", String.valueOf(steps)));
        a.addAll(List.of(TINY));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** metrics.jsonl without the wall-clock fields. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> metrics(Path dir) throws Exception {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            m.remove("rollout_seconds");
            m.remove("update_seconds");
            out.add(m);
        }
        return out;
    }

    /** The --json output, parsed (one JSON document, nothing else on stdout). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String out) {
        return (Map<String, Object>) Json.parse(out.strip());
    }

    @Test
    void expertIsDeterministicResumesAndFeedsCollect(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        var r = run(expert(a, 2048));
        assertEquals(0, r.code(), r.err());
        assertEquals(0, run(expert(b, 2048)).code());
        assertEquals(metrics(a), metrics(b), "same seed, same threads => identical metrics");
        assertEquals(4, metrics(a).size());
        for (String f : new String[] {"config.json", "evals.jsonl", "latest", "best", "checkpoints/iter_000004/weights.safetensors",
                "checkpoints/iter_000004/optimizer.safetensors", "checkpoints/iter_000004/state.json"}) {
            assertTrue(Files.exists(a.resolve(f)), f);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) Json.parse(Files.readString(a.resolve("checkpoints/iter_000004/state.json")));
        assertTrue(state.containsKey("git_commit"), state.keySet().toString());
        assertEquals(4L, state.get("iteration"));
        assertEquals(2048L, state.get("env_steps"));
        // refuses to overwrite a run; resumes from the latest checkpoint
        assertEquals(2, run(expert(a, 2048)).code());
        assertEquals(0, run(expert(c, 1024)).code());
        assertEquals(2, metrics(c).size());
        r = run(expert(c, 2048, "--resume"));
        assertEquals(0, r.code(), r.err());
        assertEquals(4, metrics(c).size());
        assertEquals(List.of(1.0, 2.0, 3.0, 4.0), metrics(c).stream().map(m -> ((Number) m.get("iteration")).doubleValue()).toList());
        // resuming a finished run trains nothing and keeps its summary (the last evaluation is the recorded one)
        String summary = Files.readString(c.resolve("summary.json"));
        assertTrue(((Number) json(summary).get("last_eval_return")).doubleValue() > 0, summary);
        r = run(expert(c, 2048, "--resume"));
        assertEquals(0, r.code(), r.err());
        assertEquals(4, metrics(c).size());
        assertEquals(summary, Files.readString(c.resolve("summary.json")));

        Path h5 = tmp.resolve("d.h5");
        r = run("collect", "--policy", a.toString(), "--env", "hopper", "--transitions", "300", "--quality", "expert", "--out", h5.toString());
        assertEquals(0, r.code(), r.err());
        r = run("dataset", "info", h5.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> info = json(r.out());
        assertEquals("d4rl", info.get("layout"));
        assertEquals(300L, info.get("transitions"));
        assertEquals(11L, info.get("obs_dim"));
        assertEquals(3L, info.get("act_dim"));
        @SuppressWarnings("unchecked")
        Map<String, Object> attrs = (Map<String, Object>) info.get("attributes");
        assertTrue(((String) attrs.get("policy_checkpoint_sha256")).matches("[0-9a-f]{64}"), attrs.toString());
        assertTrue(((String) attrs.get("command_line")).startsWith("dmpo collect --policy "), attrs.toString());
        assertEquals("hopper", attrs.get("env"));
        assertEquals("expert", attrs.get("quality"));

        r = run("collect", "--policy", a.toString(), "--env", "walker2d", "--transitions", "10", "--out", tmp.resolve("w.h5").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("trained on 'hopper'"), r.err());
        r = run("collect", "--policy", tmp.resolve("nothing").toString(), "--env", "hopper", "--out", tmp.resolve("n.h5").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("dmpo: error: ") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void bundledHopperMediumDataset() {
        var r = run("dataset", "info", Path.of("..", "data", "hopper-medium.h5").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> info = json(r.out());
        assertEquals("d4rl", info.get("layout"));
        assertEquals(100000L, info.get("transitions"));
        assertEquals(294L, info.get("episodes"));
        assertEquals(11L, info.get("obs_dim"));
        assertEquals(3L, info.get("act_dim"));
        double ret = ((Number) info.get("return_mean")).doubleValue();
        double expert = 3327.7; // data/hopper-medium.provenance.md: the best deterministic evaluation of its expert run
        assertTrue(ret > expert / 3 && ret < expert / 2, "medium = 1/3..1/2 of the expert's " + expert + ": " + ret);
        @SuppressWarnings("unchecked")
        Map<String, Object> attrs = (Map<String, Object>) info.get("attributes");
        assertEquals("b96bb4322ec34c7e00225ca1cc4a0ff007df70f05f1f965b5693bbdcb0c6e713", attrs.get("policy_checkpoint_sha256"));
    }

    /**
     * The bundled manipulation demos are what data/README.md says made them: the right counts and dimensions, and
     * re-recording the first two with the same command gives the same observations and actions, bit for bit.
     */
    @Test
    void bundledManipulationDatasetsAreTheirRecordedCommands(@TempDir Path tmp) {
        Map<String, Integer> demos = Map.of("lift", 50, "can", 200, "square", 100);
        Map<String, String> labels = Map.of("lift", "executed", "can", "intended", "square", "intended"); // data/README.md
        for (var e : demos.entrySet()) {
            Path bundled = Path.of("..", "data", e.getKey() + "-state.h5");
            var info = run("dataset", "info", bundled.toString(), "--json");
            assertEquals(0, info.code(), info.err());
            Map<String, Object> m = json(info.out());
            assertEquals("robomimic", m.get("layout"), e.getKey());
            assertEquals((long) e.getValue(), m.get("episodes"), e.getKey());
            assertEquals(19L, m.get("obs_dim"), e.getKey());
            assertEquals(7L, m.get("act_dim"), e.getKey());
            Path again = tmp.resolve(e.getKey() + ".h5");
            var r = run("demos", "--task", e.getKey(), "--demos", "2", "--labels", labels.get(e.getKey()), "--out", again.toString());
            assertEquals(0, r.code(), r.err());
            io.dmpo.data.Dataset a = io.dmpo.data.Datasets.open(bundled), b = io.dmpo.data.Datasets.open(again);
            int n = b.size();
            assertEquals(a.episodes().get(1).end(), n, e.getKey() + ": length of the first two demos");
            assertArrayEquals(java.util.Arrays.copyOf(a.actions(), n * 7), b.actions(), e.getKey() + " actions");
            assertArrayEquals(java.util.Arrays.copyOf(a.observations(), n * 19), b.observations(), e.getKey() + " observations");
        }
    }

    @Test
    void datasetInfoAndErrors(@TempDir Path tmp) throws Exception {
        Path fixtures = Path.of("..", "dmpo-core", "src", "test", "resources", "fixtures");
        var r = run("dataset", "info", fixtures.resolve("robomimic_h5py.h5").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> info = json(r.out());
        assertEquals("robomimic", info.get("layout"));
        assertEquals(10L, info.get("transitions"));
        assertEquals(3L, info.get("episodes"));
        assertEquals(5L, info.get("obs_dim"));
        assertEquals(2L, info.get("act_dim"));
        r = run("dataset", "info", fixtures.resolve("d4rl_h5py.h5").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("episodes             3"), r.out());

        r = run("dataset", "info", fixtures.resolve("d4rl_h5py.h5").toString(), "--env", "hopper");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("d4rl_h5py.h5: field 'observations': has 3 columns, env 'hopper' has obs_dim 11"), r.err());
        r = run("dataset", "info", tmp.resolve("missing.h5").toString());
        assertEquals(2, r.code());
        assertEquals("dmpo: error: " + tmp.resolve("missing.h5") + ": no such file", r.err().strip());
        Path junk = tmp.resolve("junk.h5");
        Files.writeString(junk, "junk");
        r = run("dataset", "info", junk.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not a readable HDF5 file") && r.err().strip().lines().count() == 1, r.err());
    }
}
