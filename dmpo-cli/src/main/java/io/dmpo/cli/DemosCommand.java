package io.dmpo.cli;

import io.dmpo.data.Robomimic;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.mujoco.ArmTask;
import io.dmpo.mujoco.DemoRecorder;
import io.dmpo.run.Progress;
import io.dmpo.run.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code dmpo demos}: scripted demonstrations of a manipulation task, written in the robomimic layout. */
@Command(name = "demos", mixinStandardHelpOptions = true,
        description = "Record scripted demonstrations of a manipulation task (lift, can, square) and write them in the robomimic "
                + "HDF5 layout (data/demo_i/obs/<key>, actions, rewards, dones); with --image, both cameras' frames too.")
public final class DemosCommand implements Runnable {
    @Option(names = "--task", required = true, description = "lift, can or square")
    String task;
    @Option(names = "--demos", description = "successful demonstrations to record (default: ${DEFAULT-VALUE})")
    int demos = 50;
    @Option(names = "--image", description = "also record agentview and wrist images of this size, e.g. 96x96 (square)")
    String image;
    @Option(names = "--noise", description = "Gaussian noise σ on the demonstrator's arm actions (default: ${DEFAULT-VALUE})")
    double noise = 0.1;
    @Option(names = "--labels", description = "the action each sample stores: executed (the demonstrator's noise included) or "
            + "intended (before the noise; the env still runs the noisy one) (default: ${DEFAULT-VALUE})")
    String labels = "intended";
    @Option(names = "--seed", description = "attempt i resets with seed + i (default: ${DEFAULT-VALUE})")
    long seed = 0;
    @Option(names = "--out", required = true, description = "output .h5 file (written atomically)")
    Path out;
    @Option(names = "--force", description = "overwrite --out if it exists")
    boolean force;
    @Option(names = "--json", description = "print a JSON summary")
    boolean json;

    @Override
    public void run() {
        ArmTask t = ArmTask.of(task);
        if (t == null) throw new UserError("--task must be lift, can or square, got '" + task + "'", 2);
        Check.atLeast("--demos", demos, 1);
        if (!(noise >= 0 && noise <= 1)) throw new UserError("--noise must be in [0, 1], got " + noise, 2);
        DemoRecorder.Labels label = DemoRecorder.Labels.of(labels);
        if (label == null) throw new UserError("--labels must be executed or intended, got '" + labels + "'", 2);
        int size = 0;
        if (image != null) {
            io.dmpo.mujoco.Camera c;
            try {
                c = io.dmpo.mujoco.Camera.of("agentview", image);
            } catch (IllegalArgumentException e) {
                throw new UserError("--image: " + e.getMessage(), 2);
            }
            if (c.width() != c.height()) throw new UserError("--image must be square (the pixel actor's patches), got " + image, 2);
            size = c.width();
        }
        String problem = AtomicFiles.outputProblem(out, force);
        if (problem != null) throw new UserError(problem, 2);
        Progress progress = new Progress(demos, 0);
        DemoRecorder.Result r = DemoRecorder.record(t, demos, 2 * demos + 20, size, noise, label, seed,
                n -> progress.update(n, "demos", false));
        progress.finish();
        if (r.demos().size() < demos) {
            throw new UserError(String.format(Locale.ROOT, "the demonstrator succeeded in %d of %d attempts, fewer than the %d demos asked for; nothing written",
                    r.demos().size(), r.attempts(), demos), 1);
        }
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("env", t.id);
        attrs.put("env_args", Json.write(Map.of("env_name", t.id, "horizon", t.horizon, "control_freq", 20,
                "image_size", size, "cameras", size > 0 ? "agentview,wrist" : "")));
        attrs.put("demonstrator", "dmpo scripted waypoints, noise " + noise + ", " + label.name().toLowerCase(Locale.ROOT) + " actions");
        attrs.put("seed", seed);
        attrs.put("attempts", r.attempts());
        attrs.put("git_commit", Provenance.gitCommit());
        try {
            Robomimic.write(out, r.demos(), attrs);
        } catch (IOException e) {
            throw new UserError(out + ": cannot write: " + AtomicFiles.describe(e), 1);
        }
        int samples = r.demos().stream().mapToInt(d -> d.actions().length).sum();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("task", t.id);
        summary.put("demos", r.demos().size());
        summary.put("attempts", r.attempts());
        summary.put("success_rate", Math.round(r.successRate() * 1000) / 1000.0);
        summary.put("samples", samples);
        summary.put("mean_demo_length", Math.round(10.0 * samples / r.demos().size()) / 10.0);
        summary.put("seconds", Math.round(r.seconds() * 10) / 10.0);
        summary.put("env_steps_per_s", Math.round(r.steps() / r.seconds()));
        summary.put("render_ms_per_frame", size == 0 ? null : Math.round(1e6 * r.renderSeconds() / (2.0 * r.steps())) / 1000.0);
        summary.put("out", out.toString());
        if (json) {
            System.out.println(Json.write(summary));
        } else {
            System.out.printf(Locale.ROOT, "%s: %d demos (%d samples, mean length %.1f) from %d attempts: success rate %.1f%%; %.1f s, %d steps/s%s -> %s%n",
                    t.id, r.demos().size(), samples, (double) summary.get("mean_demo_length"), r.attempts(), 100 * r.successRate(), r.seconds(),
                    (long) summary.get("env_steps_per_s"), size == 0 ? "" : String.format(Locale.ROOT, ", %.2f ms per frame", (double) summary.get("render_ms_per_frame")), out);
        }
    }
}
