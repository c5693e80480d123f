package io.dmpo.cli;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.Robomimic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.dmpo.cli.EnvCommandTest.json;
import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pixel manipulation path from the command line, in miniature (32×32 images, a few demos, one epoch):
 * demos → pixel pre-training → eval with success rates; camera checks and their errors.
 */
class ManipulationCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void demosThenPixelPretrainingThenEval() throws Exception {
        Path data = tmp.resolve("lift.h5");
        EnvCommandTest.Run d = run("demos", "--task", "lift", "--demos", "3", "--image", "32x32", "--out", data.toString(), "--json");
        assertEquals(0, d.code(), d.err());
        Map<String, Object> summary = json(d);
        assertEquals(3, ((Number) summary.get("demos")).intValue());
        assertTrue(((Number) summary.get("success_rate")).doubleValue() > 0.5, summary.toString());
        ArrayDataset ds = Robomimic.read(data, List.of("robot0_eye_in_hand_image", "robot0_eef_pos"));
        assertEquals(3 * 32 * 32 + 3, ds.obsDim());

        Path cfg = tmp.resolve("pixel.yaml");
        Files.writeString(cfg, """
                algorithm: meanflow
                data: %s
                obs_keys: [agentview_image, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos]
                env: lift
                camera: agentview
                threads: 2
                network: {kind: pixel, channels: 3, height: 32, width: 32}
                train: {epochs: 1, batch_size: 16, val_batches: 1, warmup_epochs: 0}
                dispersive: {kind: infonce_l2, weight: 0.5}
                """.formatted(data));
        // keys that do not match what the env observes through that camera: one line, exit 2, before any training
        Path wrong = tmp.resolve("wrong.yaml");
        Files.writeString(wrong, Files.readString(cfg).replace("obs_keys: [agentview_image, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos]",
                "obs_keys: [robot0_eye_in_hand_image, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos]"));
        EnvCommandTest.Run w = run("pretrain", "--config", wrong.toString(), "--out", tmp.resolve("wrong-run").toString());
        assertEquals(2, w.code(), w.err());
        assertTrue(w.err().contains("agentview_image") && w.err().strip().lines().count() == 1, w.err());
        assertFalse(Files.exists(tmp.resolve("wrong-run")));

        Path runDir = tmp.resolve("run");
        EnvCommandTest.Run p = run("pretrain", "--config", cfg.toString(), "--out", runDir.toString());
        assertEquals(0, p.code(), p.err());
        EnvCommandTest.Run e = run("eval", runDir.toString(), "--steps", "1,2", "--episodes", "1", "--envs", "1", "--json");
        assertEquals(0, e.code(), e.err());
        Map<String, Object> ev = json(e);
        assertEquals("agentview 32x32", ev.get("camera"));
        List<Map<String, Object>> results = (List<Map<String, Object>>) ev.get("results");
        assertEquals(2, results.size());
        for (Map<String, Object> r : results) {
            // sparse success: reward 1 on success, which ends the episode; otherwise it runs to the task's horizon
            double s = ((Number) r.get("success_rate")).doubleValue(), length = ((Number) r.get("episode_length")).doubleValue();
            assertEquals(((Number) r.get("return_mean")).doubleValue(), s, "success rate = mean return");
            assertEquals(s == 0 ? 300.0 : s == 1 ? length : -1, length, "one episode ends at the horizon exactly when it fails: " + r);
            assertTrue(length >= 1 && length <= 300, r.toString());
        }

        // the pixel manipulation policy through Stage 2 for two iterations; its logged evaluation is what dmpo eval gives
        Path ftCfg = tmp.resolve("ft.yaml");
        Files.writeString(ftCfg, """
                env: lift
                seed: 3
                threads: 2
                envs: 2
                iterations: 2
                chain: {steps: 1, noise_hidden: [16], noise_time_dim: 8}
                critic: {hidden: [32]}
                ppo: {rollout_steps: 4, epochs: 1, minibatch_size: 8, actor_lr: 1.0e-5, critic_warmup_iterations: 0}
                bc: {c0: 0.05, c1: 0.05, i0: 0, i1: 1}
                eval: {every: 2, episodes: 1}
                """);
        Path ftDir = tmp.resolve("ft");
        EnvCommandTest.Run f = run("finetune", "--config", ftCfg.toString(), "--init", runDir.toString(), "--out", ftDir.toString());
        assertEquals(0, f.code(), f.err());
        FinetuneCommandTest.assertEvalMatches(ftDir, 1, "lift");
        // a sparse-success task's evaluations are success rates too, and its report is drawn in them
        for (String line : Files.readAllLines(ftDir.resolve("metrics.jsonl"))) {
            Map<String, Object> m = (Map<String, Object>) io.dmpo.io.Json.parse(line);
            if (m.containsKey("eval_return")) assertEquals(m.get("eval_return"), m.get("eval_success_rate"), m.toString());
        }
        EnvCommandTest.Run rep = run("report", ftDir.toString(), "--out", tmp.resolve("ft-report").toString());
        assertEquals(0, rep.code(), rep.err());
        String report = Files.readString(tmp.resolve("ft-report").resolve("summary.md"));
        assertTrue(report.contains("wall to 0.900 (s)") && report.contains("![success rate vs env steps]"), report);
        // the trained pixel policy in the control loop: its own camera (32x32), refused for another task
        // (pinned, two threads: the loop's thread and the controller's helper on their own CPUs where Linux allows it)
        boolean canPin = io.dmpo.nn.Affinity.unavailableReason() == null;
        EnvCommandTest.Run c = canPin
                ? run("control", "--policy", runDir.toString(), "--hz", "50", "--seconds", "0.2", "--warmup", "0", "--threads", "2", "--pin", "--json")
                : run("control", "--policy", runDir.toString(), "--hz", "50", "--seconds", "0.2", "--warmup", "0", "--threads", "1", "--json");
        assertEquals(0, c.code(), c.err());
        Map<String, Object> cj = json(c);
        assertEquals("agentview 32x32", cj.get("camera"));
        assertEquals(10, ((Number) cj.get("ticks")).intValue(), cj.toString());
        assertEquals(canPin, cj.get("pinned"), cj.toString());
        assertFalse(io.dmpo.nn.Parallel.pinned(), "control --pin must leave the engine unpinned for whatever runs next");
        EnvCommandTest.Run wrongTask = run("control", "--policy", runDir.toString(), "--task", "can", "--seconds", "0.1");
        assertEquals(2, wrongTask.code(), wrongTask.err());
        assertTrue(wrongTask.err().contains("not 'can'"), wrongTask.err());
    }

    /**
     * The bundled state configs of a manipulation task, as the docs run them, in miniature (one epoch, one iteration):
     * pre-training on the bundled square demos, then fine-tuning from configs/square/finetune-dmpo-state.yaml — a
     * finite-horizon task (no bootstrap at the horizon) with the release's BC schedule, logging success rates.
     */
    @Test
    @SuppressWarnings("unchecked")
    void bundledSquareConfigsPretrainThenFinetune() throws Exception {
        Path pre = tmp.resolve("square-pre");
        EnvCommandTest.Run p = run("pretrain", "--config", Path.of("..", "configs", "square", "meanflow-disp-state.yaml").toString(),
                "--set", "data=" + Path.of("..", "data", "square-state.h5").toAbsolutePath(), "--set", "train.epochs=1",
                "--set", "train.warmup_epochs=0", "--set", "train.val_batches=1", "--set", "eval.episodes=2", "--set", "eval.envs=2",
                "--out", pre.toString());
        assertEquals(0, p.code(), p.err());
        Map<String, Object> preSummary = (Map<String, Object>) io.dmpo.io.Json.parse(Files.readString(pre.resolve("summary.json")));
        assertEquals("eval_success_rate", preSummary.get("selected_by"), "arm-task checkpoints are chosen by their success rate");
        assertTrue(p.out().contains("best success rate"), p.out());
        Path ft = tmp.resolve("square-ft");
        EnvCommandTest.Run f = run("finetune", "--config", Path.of("..", "configs", "square", "finetune-dmpo-state.yaml").toString(),
                "--init", pre.toString(), "--set", "envs=2", "--set", "iterations=1", "--set", "ppo.rollout_steps=8",
                "--set", "ppo.minibatch_size=16", "--set", "ppo.critic_warmup_iterations=0", "--set", "eval.every=1",
                "--set", "eval.episodes=1", "--out", ft.toString());
        assertEquals(0, f.code(), f.err());
        Map<String, Object> config = (Map<String, Object>) io.dmpo.io.Json.parse(Files.readString(ft.resolve("config.json")));
        Map<String, Object> resolved = (Map<String, Object>) config.getOrDefault("config", config);
        assertEquals("square", resolved.get("env"), config.toString());
        assertEquals(false, ((Map<String, Object>) resolved.get("ppo")).get("bootstrap_truncation"), config.toString());
        assertEquals(0.2, ((Number) ((Map<String, Object>) resolved.get("bc")).get("c0")).doubleValue(), config.toString());
        List<String> lines = Files.readAllLines(ft.resolve("metrics.jsonl"));
        Map<String, Object> last = (Map<String, Object>) io.dmpo.io.Json.parse(lines.get(lines.size() - 1));
        assertTrue(last.containsKey("eval_success_rate") && last.containsKey("eval_success_rate_stderr"), last.toString());
    }

    @Test
    void cameraChecksAndErrors() throws Exception {
        Path png = tmp.resolve("frame.png");
        EnvCommandTest.Run c = run("env", "check", "lift", "--camera", "wrist", "--image", "48x40", "--steps", "20", "--frame", png.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        Map<String, Object> r = json(c);
        assertEquals(3 * 48 * 40 + 9, ((Number) r.get("obs_dim")).intValue());
        assertEquals(Boolean.TRUE, r.get("deterministic"));
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(48, img.getWidth());
        assertEquals(40, img.getHeight());

        EnvCommandTest.Run h = run("env", "check", "hopper", "--camera", "free", "--image", "16x16", "--steps", "5", "--json");
        assertEquals(0, h.code(), h.err());
        assertEquals(3 * 16 * 16 + 11, ((Number) ((Map<String, Object>) json(h)).get("obs_dim")).intValue());

        EnvCommandTest.Run bad = run("env", "check", "lift", "--camera", "nosuch", "--steps", "5");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("agentview") && bad.err().strip().lines().count() == 1, bad.err());
        EnvCommandTest.Run size = run("env", "check", "lift", "--camera", "wrist", "--image", "96by96", "--steps", "5");
        assertEquals(2, size.code());
        assertTrue(size.err().contains("96x96"), size.err());
        EnvCommandTest.Run task = run("demos", "--task", "stack", "--out", tmp.resolve("x.h5").toString());
        assertEquals(2, task.code());
        assertFalse(Files.exists(tmp.resolve("x.h5")));
    }

    @Test
    void controlLoopReportsEveryStageAtItsRate() {
        EnvCommandTest.Run r = run("control", "--task", "lift", "--hz", "50", "--seconds", "0.4", "--warmup", "0.5", "--threads", "1", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> out = EnvCommandTest.json(r);
        assertEquals(20, ((Number) out.get("ticks")).intValue(), out.toString());
        assertEquals(10, ((Number) out.get("physics_steps_per_tick")).intValue(), out.toString()); // 20 ms of 2 ms steps
        for (String stage : io.dmpo.mujoco.ControlLoop.STAGES) {
            double median = ((Number) out.get(stage + "_median_us")).doubleValue(), p99 = ((Number) out.get(stage + "_p99_us")).doubleValue();
            assertTrue(median > 0 && p99 >= median, stage + ": " + out);
        }
        assertTrue(((Number) out.get("achieved_hz")).doubleValue() <= 50.5, out.toString()); // paced, never faster
        assertEquals(2, run("control", "--hz", "0").code());
        assertEquals(2, run("control", "--task", "stack").code());
        assertEquals(2, run("control", "--policy", tmp.resolve("missing.safetensors").toString()).code());
    }
}
