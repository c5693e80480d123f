package io.dmpo.cli;

import io.dmpo.data.Dataset;
import io.dmpo.data.Datasets;
import io.dmpo.eval.StepSweep;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.mujoco.Tasks;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import io.dmpo.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code dmpo eval}: the step sweep ({@link StepSweep}: return, episode length, batch-1 latency per K) and embedding diagnostics. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a policy at several sampling-step counts K: mean return ± standard error over episodes, mean "
                + "episode length, batch-1 latency (median µs, this run), and the effective rank and mean pairwise distance "
                + "of its conditional embedding on a dataset sample. A run directory also gets eval.json.")
public final class EvalCommand implements Runnable {
    @Parameters(paramLabel = "<run dir | policy file>", description = "a pretrain run directory or a .safetensors policy file")
    Path target;
    @Option(names = "--steps", split = ",", description = "sampling steps K to sweep (default: 1,2,4,8,16,32,64)")
    List<Integer> steps = new ArrayList<>(List.of(1, 2, 4, 8, 16, 32, 64));
    @Option(names = "--episodes", description = "episodes per K (default: ${DEFAULT-VALUE})")
    int episodes = 10;
    @Option(names = "--envs", description = "envs run side by side, batched through the policy (default: ${DEFAULT-VALUE})")
    int envs = 10;
    @Option(names = "--seed", description = "episode i resets with seed + i (default: ${DEFAULT-VALUE})")
    long seed = 1_000_000;
    @Option(names = "--env", description = "task (default: the one the policy was trained for)")
    String env;
    @Option(names = "--data", description = "dataset for the embedding diagnostics (default: the training data)")
    Path data;
    @Option(names = "--threads", description = "engine threads (default: ${DEFAULT-VALUE})")
    int threads = 2;
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    @SuppressWarnings("unchecked")
    public void run() {
        Check.atLeast("--episodes", episodes, 1);
        Check.atLeast("--envs", envs, 1);
        Check.atLeast("--threads", threads, 1);
        for (int k : steps) if (k < 1 || k > 1024) throw new UserError("--steps values must be in [1, 1024], got " + k, 2);
        boolean runDir = Files.isDirectory(target);
        Path file = runDir ? target.resolve(Pretrainer.POLICY) : target;
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such policy file" + (runDir ? " (has the run published a checkpoint?)" : ""), 2);
        }
        FlowPolicy policy;
        try {
            policy = PolicyFile.load(file);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2);
        }
        Tasks.Setting setting = EnvCommand.userErrors(() -> Tasks.forPolicy(policy, env, file.toString()));
        String task = setting.task().name();
        io.dmpo.mujoco.Camera camera = setting.camera();
        boolean manipulation = setting.task().sparseSuccess();
        Parallel.setThreads(threads);
        Tensor cond = embeddingSample(policy, policy.spec().provenance()); // before the sweep: a bad path fails fast
        List<io.dmpo.env.Env> pool = new ArrayList<>();
        StepSweep.Result sweep;
        try {
            for (int i = 0; i < Math.min(envs, episodes); i++) pool.add(EnvCommand.userErrors(setting::make));
            sweep = StepSweep.run(policy, pool, steps.stream().mapToInt(Integer::intValue).toArray(), episodes, seed, manipulation, cond, r -> {
                if (!json) {
                    System.err.printf(Locale.ROOT, "K=%-3d %s %8.3f ± %6.3f  length %6.1f  latency %9.1f µs%n", r.steps(),
                            manipulation ? "success" : "return", r.episodes().mean(), r.episodes().stderr(), r.episodes().meanLength(),
                            r.latencyMicros());
                }
            });
        } catch (IllegalArgumentException ex) { // a non-finite action
            throw new UserError(file + ": " + ex.getMessage(), 1);
        } finally {
            for (io.dmpo.env.Env e : pool) e.close();
        }
        Map<String, Object> out = sweep.toMap();
        out.put("env", task);
        if (camera.pixels()) out.put("camera", camera.toString());
        out.put("episodes", episodes);
        out.put("seed", seed);
        out.put("algorithm", policy.spec().algorithm());
        out.put("policy", file.toString());
        String text = Json.write(out);
        if (runDir) {
            try {
                AtomicFiles.writeString(target.resolve("eval.json"), text + "\n");
            } catch (IOException e) {
                throw new UserError(e.getMessage(), 1);
            }
        }
        if (json) {
            System.out.println(text);
        } else {
            System.out.printf(Locale.ROOT, "%-6s %10s %8s %10s %12s%n", "K", manipulation ? "success" : "return", "stderr", "length", "latency_us");
            for (StepSweep.Row r : sweep.rows()) {
                System.out.printf(Locale.ROOT, manipulation ? "%-6d %10.3f %8.3f %10.1f %12.1f%n" : "%-6d %10.1f %8.1f %10.1f %12.1f%n",
                        r.steps(), r.episodes().mean(), r.episodes().stderr(), r.episodes().meanLength(), r.latencyMicros());
            }
            System.out.printf(Locale.ROOT, "embedding: effective rank %s, mean pairwise distance %s (%s, %d episodes per K)%n",
                    out.get("effective_rank"), out.get("mean_pairwise_distance"), task, episodes);
        }
    }

    /** The embedding of the policy's dataset sample ({@link StepSweep#embedding}), or null without a dataset. */
    private Tensor embeddingSample(FlowPolicy policy, Map<String, Object> prov) {
        Path d = data != null ? data : prov.get("dataset") == null ? null : PretrainCommand.resolveData(String.valueOf(prov.get("dataset")));
        if (d == null) return null;
        Object keys = prov.get("obs_keys");
        Dataset ds = Datasets.open(d, keys == null ? List.of() : List.of(String.valueOf(keys).split(",")));
        try {
            return StepSweep.embedding(policy, ds);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }
}
