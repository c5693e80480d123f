package io.dmpo.cli;

import io.dmpo.io.AtomicFiles;
import io.dmpo.io.SafeTensors;
import io.dmpo.onnx.OnnxExport;
import io.dmpo.policy.ActorCheckpoints;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.PolicyFile;
import io.dmpo.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./dmpo export <policy> --onnx out.onnx}: a trained policy as a standard ONNX model. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a policy to ONNX (opset 17). A policy file (or a pretrain run directory) becomes a complete "
                + "policy: inputs obs [batch, cond_steps·obs_dim] (raw env observations) and noise [batch, Ta·Da], output "
                + "action [batch, act_steps·act_dim] (env actions; normalization folded in; spec and provenance in the "
                + "model metadata). Bare actor weights give the normalized sampler: obs [batch, obs_dim] -> action [batch, Ta·Da].")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "POLICY", description = "policy file, pretrain run directory, or actor weights (.safetensors)")
    Path weights;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "ONNX file to write")
    Path onnx;

    @Option(names = "--force", description = "overwrite the ONNX file if it exists")
    boolean force;

    @Option(names = "--steps", description = "sampling steps K to unroll (default: the policy's own K, or 1)")
    Integer steps;

    @Override
    public Integer call() throws IOException {
        if (steps != null && (steps < 1 || steps > 1000)) throw new UserError("--steps must be in [1, 1000], got " + steps);
        Path file = Files.isDirectory(weights) ? weights.resolve(Pretrainer.POLICY) : weights;
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such weights file");
        String problem = AtomicFiles.outputProblem(onnx, force);
        if (problem != null) throw new UserError(problem, 2);
        byte[] model;
        String summary;
        try {
            SafeTensors st = SafeTensors.read(file);
            if (PolicyFile.KIND.equals(st.metadata().get(ActorCheckpoints.KIND_KEY))) {
                FlowPolicy p = PolicyFile.load(file); // also refuses non-finite weights and statistics
                if (p.spec().architecture().pixel()) throw new UserError(file + ": ONNX export covers state policies, not pixel ones", 2);
                int k = steps != null ? steps : p.spec().steps();
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("dmpo.policy", st.metadata().get("dmpo.policy"));
                meta.put("dmpo.onnx_steps", Integer.toString(k));
                meta.put("dmpo.inputs", "obs: raw env observations, cond_steps x obs_dim, oldest first; noise: N(0, I)");
                model = OnnxExport.policy(p, k, meta);
                summary = String.format("obs [batch, %d] (raw), noise [batch, %d] -> action [batch, %d] (env actions), K = %d",
                        p.condSteps() * p.obsDim(), p.actor().actionDim, p.actSteps() * p.actDim(), k);
            } else {
                MeanFlowActor actor = ActorCheckpoints.loadStateActor(file);
                int k = steps != null ? steps : 1;
                model = OnnxExport.stateActor(actor, k);
                summary = String.format("obs [batch, %d], noise [batch, %d] -> action [batch, %d], K = %d", actor.obsDim,
                        actor.actionDim, actor.actionDim, k);
            }
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
        try {
            AtomicFiles.write(onnx, out -> out.write(model));
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 1);
        }
        System.out.printf("wrote %s (%d bytes): %s%n", onnx, model.length, summary);
        return 0;
    }
}
