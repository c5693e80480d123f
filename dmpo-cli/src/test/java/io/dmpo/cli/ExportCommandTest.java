package io.dmpo.cli;

import io.dmpo.nn.Init;
import io.dmpo.policy.ActorCheckpoints;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportCommandTest {
    @Test
    void exportsAStateActor(@TempDir Path dir) throws Exception {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 2);
        Path w = dir.resolve("actor.safetensors");
        ActorCheckpoints.save(w, actor, Map.of("seed", "2"));
        Path onnx = dir.resolve("actor.onnx");
        EnvCommandTest.Run r = EnvCommandTest.run("export", w.toString(), "--onnx", onnx.toString(), "--steps", "2");
        assertEquals(0, r.code(), r.err());
        byte[] model = Files.readAllBytes(onnx);
        assertTrue(model.length > 4 * actor.paramCount(), "all weights are in the model");
        assertTrue(r.out().contains("K = 2"), r.out());
    }

    @Test
    void truncatedWeightsGiveOneLineAndExit2(@TempDir Path dir) throws Exception {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Path w = dir.resolve("actor.safetensors");
        ActorCheckpoints.save(w, actor, Map.of());
        byte[] all = Files.readAllBytes(w);
        Files.write(w, Arrays.copyOf(all, all.length / 2));
        Path onnx = dir.resolve("actor.onnx");
        EnvCommandTest.Run r = EnvCommandTest.run("export", w.toString(), "--onnx", onnx.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("truncated"), r.err());
        assertFalse(Files.exists(onnx), "no output on failure");
    }
}
