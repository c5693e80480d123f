package io.dmpo.cli;

import io.dmpo.train.ConfigMap;
import io.dmpo.train.FinetuneConfig;
import io.dmpo.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config files: every bundled one reads strictly; {@code extends:} lays a file over its base. */
class ConfigsTest {
    private static final Path CONFIGS = Path.of("..", "configs");

    @Test
    void everyBundledConfigReadsIntoItsTrainersSettings() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(CONFIGS)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 15, files.toString());
        for (Path f : files) {
            ConfigMap c = new ConfigMap(Configs.read(f, List.of()), f.toString());
            if (f.getFileName().toString().startsWith("finetune-")) FinetuneConfig.from(c);
            else PretrainConfig.from(c);
        }
    }

    /**
     * The pixel configs observe as the release does: lift and can through the wrist camera (robomimic's
     * robot0_eye_in_hand), square through agentview, each with random shift pad 4, the image first in obs_keys; the
     * MP1 variants differ only in having no dispersive term.
     */
    @Test
    void pixelConfigsUseTheReleasesCamerasAndShift() {
        for (String task : List.of("lift", "can", "square")) {
            String camera = task.equals("square") ? "agentview" : "wrist";
            String imageKey = task.equals("square") ? "agentview_image" : "robot0_eye_in_hand_image";
            PretrainConfig disp = null;
            for (String variant : List.of("meanflow-disp-pixel", "meanflow-nodisp-pixel")) {
                Path f = CONFIGS.resolve(task).resolve(variant + ".yaml");
                PretrainConfig c = PretrainConfig.from(new ConfigMap(Configs.read(f, List.of()), f.toString()));
                assertTrue(c.network().pixel(), f + " is a pixel policy");
                assertEquals(camera, c.camera(), f + " camera");
                assertEquals(imageKey, c.obsKeys().get(0), f + " image key");
                assertEquals(task, c.env(), f + " env");
                assertEquals(4, c.train().randomShift(), f + " random shift pad");
                assertEquals("data/" + task + "-pixels.h5", c.data(), f + " data");
                if (disp == null) {
                    disp = c;
                    assertTrue(c.resolved().get("dispersive") instanceof Map<?, ?> d && !"none".equals(d.get("kind")), f + " is dispersive");
                } else {
                    Map<String, Object> expected = new java.util.LinkedHashMap<>(disp.resolved());
                    expected.remove("dispersive");
                    Map<String, Object> mp1 = new java.util.LinkedHashMap<>(c.resolved());
                    assertTrue(mp1.remove("dispersive") instanceof Map<?, ?> d && "none".equals(d.get("kind")), f + " has no dispersive term");
                    assertEquals(expected, mp1, f + " differs from the dispersive config only in the dispersive term");
                }
            }
        }
    }

    @Test
    void aVariantIsItsBaseWithWhatItSets() {
        Map<String, Object> base = Configs.read(CONFIGS.resolve("hopper/finetune-dmpo.yaml"), List.of());
        Map<String, Object> k5 = Configs.read(CONFIGS.resolve("hopper/finetune-dmpo-k5.yaml"), List.of());
        FinetuneConfig b = FinetuneConfig.from(new ConfigMap(base, "base")), v = FinetuneConfig.from(new ConfigMap(k5, "k5"));
        assertEquals(1, b.chainSteps());
        assertEquals(5, v.chainSteps());
        Map<String, Object> expected = ConfigMap.merge(b.resolved(), Map.of("chain", Map.of("steps", 5)));
        assertEquals(expected, v.resolved(), "only chain.steps differs");
        assertFalse(k5.containsKey(Configs.EXTENDS));
    }

    /**
     * The Stage-1 rows of the other locomotion tasks are Hopper's settings on each task's own medium data
     * (docs/results.md, "Locomotion data"): a change to a Hopper config reaches every task, and nothing else differs.
     */
    @Test
    void locomotionStage1ConfigsAreHoppersOnTheirOwnData() {
        for (String task : List.of("walker2d", "ant", "humanoid")) {
            for (String algorithm : List.of("meanflow-disp", "meanflow", "reflow", "shortcut")) {
                Path f = CONFIGS.resolve(task).resolve(algorithm + ".yaml");
                PretrainConfig c = PretrainConfig.from(new ConfigMap(Configs.read(f, List.of()), f.toString()));
                Path hopperFile = CONFIGS.resolve("hopper").resolve(algorithm + ".yaml");
                PretrainConfig hopper = PretrainConfig.from(new ConfigMap(Configs.read(hopperFile, List.of()), hopperFile.toString()));
                assertEquals(task, c.env(), f + " env");
                assertEquals("data/" + task + "-medium.h5", c.data(), f + " data");
                Map<String, Object> expected = new java.util.LinkedHashMap<>(hopper.resolved());
                expected.put("env", task);
                expected.put("data", "data/" + task + "-medium.h5");
                assertEquals(expected, c.resolved(), f + " differs from " + hopperFile + " only in env and data");
            }
        }
    }

    /**
     * A locomotion task's Stage-2 variants (K = 5, ReinFlow K = 4) change the task's own DMPO fine-tuning config
     * exactly as Hopper's variants change Hopper's (experiments/stage2-locomotion.sh compares the same methods on
     * every task), and each task's DMPO config runs on that task.
     */
    @Test
    void locomotionStage2VariantsDifferFromTheirTasksDmpoAsHoppersDo() {
        FinetuneConfig hopperBase = finetune(CONFIGS.resolve("hopper/finetune-dmpo.yaml"));
        for (String task : List.of("walker2d", "ant", "humanoid")) {
            FinetuneConfig base = finetune(CONFIGS.resolve(task).resolve("finetune-dmpo.yaml"));
            assertEquals(task, base.resolved().get("env"), task + " finetune-dmpo env");
            for (String variant : List.of("finetune-dmpo-k5", "finetune-reinflow-k4")) {
                Map<String, Object> hopperDelta = delta(hopperBase.resolved(), finetune(CONFIGS.resolve("hopper").resolve(variant + ".yaml")).resolved());
                Map<String, Object> delta = delta(base.resolved(), finetune(CONFIGS.resolve(task).resolve(variant + ".yaml")).resolved());
                assertFalse(hopperDelta.isEmpty(), variant);
                assertEquals(hopperDelta, delta, task + "/" + variant + " changes its base as hopper/" + variant + " does");
            }
        }
    }

    private static FinetuneConfig finetune(Path f) {
        return FinetuneConfig.from(new ConfigMap(Configs.read(f, List.of()), f.toString()));
    }

    /** The leaves of {@code variant} that differ from {@code base}, as dotted key → value. */
    private static Map<String, Object> delta(Map<String, Object> base, Map<String, Object> variant) {
        Map<String, Object> out = new java.util.TreeMap<>();
        flatten("", base, variant, out);
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> base, Map<?, ?> variant, Map<String, Object> out) {
        java.util.Set<Object> keys = new java.util.LinkedHashSet<>(base.keySet());
        keys.addAll(variant.keySet());
        for (Object k : keys) {
            Object b = base.get(k), v = variant.get(k);
            if (b instanceof Map<?, ?> bm && v instanceof Map<?, ?> vm) flatten(prefix + k + ".", bm, vm, out);
            else if (!java.util.Objects.equals(b, v)) out.put(prefix + k, v);
        }
    }

    @Test
    void successRewardIsFirstUnlessSetAndNamesItsChoices() {
        Map<String, Object> base = Configs.read(CONFIGS.resolve("hopper/finetune-dmpo.yaml"), List.of());
        assertEquals(io.dmpo.env.SuccessReward.FIRST, FinetuneConfig.from(new ConfigMap(base, "base")).successReward());
        FinetuneConfig every = FinetuneConfig.from(new ConfigMap(ConfigMap.merge(base, Map.of("success_reward", "every_step")), "every"));
        assertEquals(io.dmpo.env.SuccessReward.EVERY_STEP, every.successReward());
        assertEquals("every_step", every.resolved().get("success_reward"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FinetuneConfig.from(new ConfigMap(ConfigMap.merge(base, Map.of("success_reward", "dense")), "bad")));
        assertEquals("success_reward must be first or every_step, got 'dense'", e.getMessage());
    }

    @Test
    void extendsErrorsAreOneLineNamingTheFile(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("a.yaml"), "extends: b.yaml\nseed: 1\n");
        Files.writeString(tmp.resolve("b.yaml"), "extends: a.yaml\nseed: 2\n");
        UserError e = assertThrows(UserError.class, () -> Configs.read(tmp.resolve("a.yaml"), List.of()));
        assertTrue(e.getMessage().contains("'extends' forms a cycle"), e.getMessage());
        Files.writeString(tmp.resolve("c.yaml"), "extends: missing.yaml\n");
        e = assertThrows(UserError.class, () -> Configs.read(tmp.resolve("c.yaml"), List.of()));
        assertTrue(e.getMessage().startsWith(tmp.resolve("c.yaml") + ": extends 'missing.yaml': no such config file"), e.getMessage());
        Files.writeString(tmp.resolve("d.yaml"), "extends: [x]\n");
        e = assertThrows(UserError.class, () -> Configs.read(tmp.resolve("d.yaml"), List.of()));
        assertTrue(e.getMessage().contains("'extends' must name a config file"), e.getMessage());
        // sections merge key by key; --set applies after the merge
        Files.writeString(tmp.resolve("base.yaml"), "seed: 3\nppo: {clip: 0.1, epochs: 5}\n");
        Files.writeString(tmp.resolve("top.yaml"), "extends: base.yaml\nppo: {epochs: 7}\n");
        Map<String, Object> m = Configs.read(tmp.resolve("top.yaml"), List.of("ppo.clip=0.2"));
        assertEquals(Map.of("seed", 3, "ppo", Map.of("clip", 0.2, "epochs", 7)), m);
    }
}
