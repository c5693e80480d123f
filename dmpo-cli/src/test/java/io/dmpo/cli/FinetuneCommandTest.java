package io.dmpo.cli;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.io.Json;
import io.dmpo.nn.Init;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** dmpo finetune on Hopper with a small policy: artifacts, seeded determinism, resume after a kill, input errors. */
class FinetuneCommandTest {
    @TempDir
    Path tmp;

    /** A small untrained Hopper flow policy (obs 11, act 3, horizon 4, act_steps 4). */
    private Path policy() throws Exception {
        FlowPolicy.Architecture arch = new FlowPolicy.Architecture("state", 16, 8, 8, 32, 1, 0, 0, 0);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, arch, Map.of("test", true));
        var actor = arch.build(11, 12);
        Init.apply(actor.params(), 5);
        float[] olo = new float[11], ohi = new float[11], alo = {-1, -1, -1}, ahi = {1, 1, 1};
        for (int i = 0; i < 11; i++) {
            olo[i] = -3;
            ohi[i] = 3;
        }
        olo[0] = 0.7f;
        ohi[0] = 1.6f;
        Path f = tmp.resolve("init.safetensors");
        PolicyFile.save(f, new FlowPolicy(spec, actor, new MinMaxNormalizer(olo, ohi), new MinMaxNormalizer(alo, ahi)));
        return f;
    }

    private Path config() throws Exception {
        Path c = tmp.resolve("ft.yaml");
        Files.writeString(c, """
                env: hopper
                seed: 4
                threads: 1
                envs: 2
                iterations: 4
                chain: {steps: 2, noise_hidden: [16], noise_time_dim: 8}
                critic: {hidden: [32, 32]}
                ppo: {rollout_steps: 16, epochs: 2, minibatch_size: 16, actor_lr: 1.0e-4, critic_warmup_iterations: 1}
                bc: {c0: 0.2, c1: 0.05, i0: 1, i1: 3}
                eval: {every: 2, episodes: 2}
                """);
        return c;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> metrics(Path dir) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            for (String timing : new String[] {"iteration_seconds", "rollout_seconds", "update_seconds", "env_steps_per_second"}) m.remove(timing);
            out.add(m);
        }
        return out;
    }

    @Test
    void finetunesDeterministicallyWritesArtifactsAndResumesAfterAKill() throws Exception {
        Path init = policy(), cfg = config(), a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        var r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--out", a.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[] {"config.json", "metrics.jsonl", "evals.jsonl", "latest", "best", "policy.safetensors",
                "init_policy.safetensors", "summary.json", "checkpoints/iter_000002/ppo/state.json", "checkpoints/iter_000004/policy.safetensors"}) {
            assertTrue(Files.exists(a.resolve(f)), f);
        }
        List<Map<String, Object>> m = metrics(a);
        assertEquals(5, m.size(), "iteration 0 (the pre-trained policy's evaluation) and 4 iterations");
        assertTrue(m.get(0).containsKey("eval_return"));
        for (int i = 1; i <= 4; i++) {
            Map<String, Object> line = m.get(i);
            assertEquals(i, ((Number) line.get("iteration")).intValue());
            assertTrue(((Number) line.get("first_ratio_deviation")).doubleValue() <= 1e-6, "ratio 1 at the first minibatch");
            double sigma = ((Number) line.get("sigma_mean")).doubleValue();
            assertTrue(sigma >= 0.05 && sigma <= 0.12, "σ in range: " + sigma);
            assertEquals(new io.dmpo.rl.BehaviorCloning.Schedule(0.2, 0.05, 1, 3).at(i - 1), ((Number) line.get("bc_coef")).doubleValue(), 1e-12);
            assertEquals(i % 2 == 0, line.containsKey("eval_return"));
        }
        assertEquals(0.0, ((Number) m.get(1).get("bc_loss")).doubleValue(), "critic warm-up: no actor update, no BC term");
        FlowPolicy tuned = PolicyFile.load(a.resolve("policy.safetensors"));
        assertEquals(2, tuned.spec().steps(), "the fine-tuned policy samples with the chain's K");
        assertNotNull(tuned.spec().provenance().get("pretrained"), "provenance keeps the pre-trained policy's");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("policy.safetensors")), Files.readAllBytes(a.resolve("init_policy.safetensors"))));

        // same seed and threads: the same metrics
        r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--out", b.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(metrics(a), metrics(b));

        // killed after iteration 3's metrics line (the checkpoint of iteration 2 is the latest): resume finishes the run
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-Ddmpo.crashAt=metrics@3", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "finetune",
                "--config", cfg.toString(), "--init", init.toString(), "--out", c.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child run finishes");
        assertEquals(137, p.exitValue(), "killed at the crash point");
        assertFalse(Files.exists(c.resolve("summary.json")));
        Files.delete(init); // the resumed run needs only its own directory
        r = run("finetune", "--resume", "--out", c.toString());
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> mc = metrics(c);
        assertEquals(5, mc.size(), "each iteration once after the resume");
        for (int i = 0; i <= 4; i++) assertEquals(i, ((Number) mc.get(i).get("iteration")).intValue());
        assertEquals(m.subList(0, 3), mc.subList(0, 3), "what was checkpointed before the kill is kept as it was");
        assertTrue(Files.exists(c.resolve("checkpoints/iter_000004/policy.safetensors")));
    }

    /**
     * {@code --resume --iterations N} continues a finished run to N iterations (each once, the first ones kept as they
     * were) and config.json records the new total and the raise; a cosine schedule, a lower total and a new run are refused.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aFinishedRunIsContinuedToARaisedIterationTotal() throws Exception {
        Path init = policy(), cfg = config(), d = tmp.resolve("raised"), cos = tmp.resolve("cosine");
        var r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--out", d.toString(),
                "--set", "iterations=2", "--set", "ppo.critic_lr_schedule=constant");
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> before = metrics(d);
        assertEquals(3, before.size());
        r = run("finetune", "--resume", "--out", d.toString(), "--iterations", "4");
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> after = metrics(d);
        assertEquals(5, after.size());
        for (int i = 0; i <= 4; i++) assertEquals(i, ((Number) after.get(i).get("iteration")).intValue());
        assertEquals(before, after.subList(0, 3), "the first two iterations are kept as they were");
        assertTrue(Files.exists(d.resolve("checkpoints/iter_000004/policy.safetensors")));
        Map<String, Object> recorded = (Map<String, Object>) Json.parse(Files.readString(d.resolve("config.json")));
        assertEquals(4, ((Number) ((Map<String, Object>) recorded.get("config")).get("iterations")).intValue());
        Map<String, Object> raise = ((List<Map<String, Object>>) recorded.get("iterations_raised")).get(0);
        assertEquals(2, ((Number) raise.get("from")).intValue());
        assertEquals(4, ((Number) raise.get("to")).intValue());
        assertEquals(2, ((Number) raise.get("at_iteration")).intValue());
        Map<String, Object> summary = (Map<String, Object>) Json.parse(Files.readString(d.resolve("summary.json")));
        assertEquals(4, ((Number) summary.get("iterations")).intValue());

        // killed between recording its config and copying the pre-trained policy: the recorded init (same SHA-256) serves
        Files.delete(d.resolve("init_policy.safetensors"));
        r = run("finetune", "--resume", "--out", d.toString(), "--iterations", "5");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(init), Files.readAllBytes(d.resolve("init_policy.safetensors")), "the copy is written again");
        Files.delete(d.resolve("init_policy.safetensors"));
        byte[] kept = Files.readAllBytes(init);
        Files.write(init, new byte[] {1, 2, 3});
        FaultsTest.oneLine(run("finetune", "--resume", "--out", d.toString()), 2, "gone or changed");
        Files.write(init, kept);

        // resuming without --iterations keeps the (raised) total: nothing more to do
        r = run("finetune", "--resume", "--out", d.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6, metrics(d).size());
        FaultsTest.oneLine(run("finetune", "--resume", "--out", d.toString(), "--iterations", "3"), 2, "only raise");
        FaultsTest.oneLine(run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--iterations", "3"), 2, "--set iterations");

        r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--out", cos.toString(), "--set", "iterations=2");
        assertEquals(0, r.code(), r.err());
        byte[] config = Files.readAllBytes(cos.resolve("config.json"));
        FaultsTest.oneLine(run("finetune", "--resume", "--out", cos.toString(), "--iterations", "4"), 2, "critic cosine");
        assertArrayEquals(config, Files.readAllBytes(cos.resolve("config.json")), "a refused raise leaves the record as it was");
        assertEquals(3, metrics(cos).size());
    }

    /**
     * One evaluator, one chain: the return finetune logs for a published file (iteration 0: the pre-trained policy;
     * the last: policy.safetensors) is exactly what {@code dmpo eval} reports for that file with the logged seed, for
     * one step and for a five-step chain.
     */
    @Test
    void loggedEvaluationIsWhatDmpoEvalReportsForOneAndFiveSteps() throws Exception {
        Path init = policy(), cfg = config();
        for (int k : new int[] {1, 5}) {
            Path dir = tmp.resolve("k" + k);
            var r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--out", dir.toString(),
                    "--set", "chain.steps=" + k, "--set", "iterations=2");
            assertEquals(0, r.code(), r.err());
            assertEvalMatches(dir, k, "hopper");
        }
    }

    /** The run's first and last logged evaluations equal {@code dmpo eval} of init_policy and policy.safetensors. */
    @SuppressWarnings("unchecked")
    static void assertEvalMatches(Path dir, int k, String env) throws Exception {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) lines.add((Map<String, Object>) Json.parse(line));
        List<Map<String, Object>> evals = lines.stream().filter(l -> l.containsKey("eval_return")).toList();
        assertTrue(evals.size() >= 2, "an initial and a final evaluation");
        Map<Path, Map<String, Object>> checks = Map.of(dir.resolve("init_policy.safetensors"), evals.get(0),
                dir.resolve("policy.safetensors"), evals.get(evals.size() - 1));
        for (var c : checks.entrySet()) {
            Map<String, Object> line = c.getValue();
            List<Object> returns = (List<Object>) line.get("eval_returns");
            var e = run("eval", c.getKey().toString(), "--env", env, "--steps", String.valueOf(k), "--episodes", String.valueOf(returns.size()),
                    "--seed", String.valueOf(((Number) line.get("eval_seed")).longValue()), "--json");
            assertEquals(0, e.code(), e.err());
            Map<String, Object> result = ((List<Map<String, Object>>) EnvCommandTest.<Map<String, Object>>json(e).get("results")).get(0);
            assertEquals(((Number) line.get("eval_return")).doubleValue(), ((Number) result.get("return_mean")).doubleValue(),
                    c.getKey().getFileName() + ", K=" + k + ", iteration " + line.get("iteration"));
        }
    }

    @Test
    void badInputsAreOneLineErrors() throws Exception {
        Path cfg = config();
        var r = run("finetune", "--config", cfg.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no pre-trained policy"), r.err());
        r = run("finetune", "--config", cfg.toString(), "--init", tmp.resolve("missing").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such policy file"), r.err());
        Path init = policy();
        r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--set", "chain.sigma_min=0.5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("sigma_min <= sigma_max"), r.err());
        r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--set", "ppo.clip_range=0.2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown key 'ppo.clip_range'"), r.err());
        r = run("finetune", "--config", cfg.toString(), "--init", init.toString(), "--set", "env=walker2d");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("task 'walker2d' has 17 / 6"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void mainJobRejectsBadArgumentsBeforeDoingAnything() {
        var r = run("run", "--task", "nosuch", "--out", tmp.resolve("m").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown task 'nosuch'"), r.err());
        r = run("run", "--budget-minutes", "0.5", "--out", tmp.resolve("m").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--budget-minutes"), r.err());
        r = run("run", "--task", "ant", "--out", tmp.resolve("m").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no bundled configs for task 'ant'"), r.err());
        assertFalse(Files.exists(tmp.resolve("m")), "nothing written");
    }
}
