package io.dmpo.cli;

import io.dmpo.io.AtomicFiles;
import io.dmpo.onnx.OnnxExport;
import io.dmpo.policy.ActorCheckpoints;
import io.dmpo.policy.MeanFlowActor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./dmpo export <weights> --onnx out.onnx}: a trained state policy as a standard ONNX model. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export MeanFlow state-policy weights (safetensors) to ONNX (opset 17): inputs obs [batch, obs_dim] "
                + "and noise [batch, Ta·Da], output action [batch, Ta·Da] (the K-step sampler, unrolled).")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "WEIGHTS", description = "actor weights (.safetensors)")
    Path weights;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "ONNX file to write")
    Path onnx;

    @Option(names = "--force", description = "overwrite the ONNX file if it exists")
    boolean force;

    @Option(names = "--steps", defaultValue = "1", description = "sampling steps K to unroll (default ${DEFAULT-VALUE})")
    int steps;

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || steps > 1000) throw new UserError("--steps must be in [1, 1000], got " + steps);
        if (!Files.isRegularFile(weights)) throw new UserError(weights + ": no such weights file");
        String problem = AtomicFiles.outputProblem(onnx, force);
        if (problem != null) throw new UserError(problem, 2);
        MeanFlowActor actor;
        try {
            actor = ActorCheckpoints.loadStateActor(weights);
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
        for (var p : actor.params()) {
            for (int i = 0; i < p.value.length; i++) {
                if (!Float.isFinite(p.value[i])) {
                    throw new UserError(weights + ": tensor '" + p.name + "' holds a non-finite value (" + p.value[i]
                            + " at index " + i + "); refusing to export a broken policy");
                }
            }
        }
        byte[] model = OnnxExport.stateActor(actor, steps);
        try {
            AtomicFiles.write(onnx, out -> out.write(model));
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 1);
        }
        System.out.printf("wrote %s (%d bytes): obs [batch, %d], noise [batch, %d] -> action [batch, %d], K = %d%n",
                onnx, model.length, actor.obsDim, actor.actionDim, actor.actionDim, steps);
        return 0;
    }
}
