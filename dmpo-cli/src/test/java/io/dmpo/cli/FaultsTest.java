package io.dmpo.cli;

import io.dmpo.io.Json;
import io.dmpo.nn.Init;
import io.dmpo.nn.Param;
import io.dmpo.policy.ActorCheckpoints;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Each class of bad input the hardening issue found gives one line on stderr and the documented exit code
 * (2 = bad input or usage, 1 = failure while running), and leaves no output or run directory behind.
 */
class FaultsTest {
    @TempDir
    Path tmp;

    static void oneLine(EnvCommandTest.Run r, int code, String contains) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().startsWith("dmpo: error: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(contains), "expected '" + contains + "' in: " + r.err());
    }

    @Test
    void nonFiniteAndOutOfRangeOptionsAreRejectedUpFront() {
        Path out = tmp.resolve("run");
        String[][] cases = {
                {"--lr", "NaN", "--lr must be a finite number"},
                {"--lr", "-1", "--lr must be"},
                {"--gamma", "2", "--gamma must be a finite number in [0, 1], got 2.0"},
                {"--gae-lambda", "Infinity", "--gae-lambda"},
                {"--ent", "NaN", "--ent"},
                {"--log-std-init", "NaN", "--log-std-init"},
                {"--steps", "0", "--steps must be >= 1"},
                {"--minibatch", "100000", "exceeds one rollout"},
        };
        for (String[] c : cases) {
            oneLine(run("expert", "--env", "hopper", "--out", out.toString(), c[0], c[1]), 2, c[2]);
            assertFalse(Files.exists(out), "no run directory for rejected options " + c[0] + " " + c[1]);
        }
        oneLine(run("collect", "--env", "hopper", "--quality", "random", "--noise", "NaN", "--out", tmp.resolve("x.h5").toString()),
                2, "--noise must be a finite number");
        Path demos = tmp.resolve("demos.h5");
        oneLine(run("demos", "--task", "can", "--demos", "1", "--labels", "noisy", "--out", demos.toString()), 2,
                "--labels must be executed or intended, got 'noisy'");
        assertFalse(Files.exists(demos), "nothing written for a rejected --labels");
        oneLine(run("expert", "--env", "hopper", "--bogus"), 2, "Unknown option: '--bogus' (see 'dmpo expert --help')");
        oneLine(run("env", "check", "hopper", "--steps", "0"), 2, "must be >= 1");
        oneLine(run("export", "w.safetensors", "--onnx", "x.onnx", "--steps", "0"), 2, "--steps must be in [1, 1000]");
    }

    @Test
    void outputsThatAreNotRegularFilesOrExistAreRefused() throws Exception {
        String[] collect = {"collect", "--env", "hopper", "--quality", "random", "--transitions", "50", "--out"};
        Path existing = Files.writeString(tmp.resolve("old.h5"), "keep me");
        oneLine(run(with(collect, existing.toString())), 2, "exists; pass --force to overwrite it");
        assertEquals("keep me", Files.readString(existing));
        Path dir = Files.createDirectory(tmp.resolve("adir"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.h5"), existing);
        for (String target : new String[] {"/dev/null", "/", dir.toString(), link.toString()}) {
            oneLine(run(with(collect, target, "--force")), 2, target);
        }
        assertTrue(Files.isSymbolicLink(link));
        var r = run(with(collect, existing.toString(), "--force"));
        assertEquals(0, r.code(), r.err());
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)));
        assertNotEquals("keep me", Files.readString(existing, StandardCharsets.ISO_8859_1));

        oneLine(run("dataset", "concat", existing.toString(), existing.toString(), "--out", existing.toString(), "--force"),
                2, "is also an input");
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList(), "no temp files");
        }
    }

    /** A safetensors file with the actor's tensors converted to {@code dtype} (F16, I32, ...) or a forged shape. */
    private static void writeSafetensors(Path f, List<Param> params, String dtype, Map<String, List<Long>> shapeOverride)
            throws Exception {
        Map<String, Object> header = new LinkedHashMap<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int width = dtype.equals("F16") ? 2 : 4;
        for (Param p : params) {
            ByteBuffer b = ByteBuffer.allocate(width * p.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : p.value) {
                switch (dtype) {
                    case "F16" -> b.putShort(Float.floatToFloat16(v));
                    case "I32" -> b.putInt(Math.round(v * 100));
                    default -> b.putFloat(v);
                }
            }
            List<Long> shape = new ArrayList<>();
            for (int s : p.shape) shape.add((long) s);
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("dtype", dtype);
            spec.put("shape", shapeOverride.getOrDefault(p.name, shape));
            spec.put("data_offsets", List.of((long) data.size(), (long) data.size() + b.capacity()));
            header.put(p.name, spec);
            data.write(b.array());
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(len.array());
        all.write(json);
        all.write(data.toByteArray());
        Files.write(f, all.toByteArray());
    }

    @Test
    void exportRefusesNonFiniteWeightsAndExplainsDtypesAndShapes() throws Exception {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 5);
        Path onnx = tmp.resolve("a.onnx");

        Path half = tmp.resolve("half.safetensors");
        writeSafetensors(half, actor.params(), "F16", Map.of());
        var r = run("export", half.toString(), "--onnx", onnx.toString());
        assertEquals(0, r.code(), "F16 weights load (converted to float32): " + r.err());
        Files.delete(onnx);

        Path ints = tmp.resolve("ints.safetensors");
        writeSafetensors(ints, actor.params(), "I32", Map.of());
        oneLine(run("export", ints.toString(), "--onnx", onnx.toString()), 2, "has dtype I32; weights must be floating point");

        Path huge = tmp.resolve("huge.safetensors");
        writeSafetensors(huge, actor.params(), "F32", Map.of("cond.fc1.weight", List.of(1L << 40, 1L << 40)));
        oneLine(run("export", huge.toString(), "--onnx", onnx.toString()), 2, "too large");

        actor.params().get(3).value[7] = Float.NaN;
        Path nan = tmp.resolve("nan.safetensors");
        ActorCheckpoints.save(nan, actor, Map.of());
        oneLine(run("export", nan.toString(), "--onnx", onnx.toString()), 2, "non-finite value");
        assertFalse(Files.exists(onnx), "nothing written for refused inputs");
    }

    @Test
    void resumeWithABrokenPointerIsAnErrorNotAFreshStart() throws Exception {
        Path dir = tmp.resolve("run");
        String[] tiny = {"expert", "--env", "hopper", "--out", dir.toString(), "--steps", "512", "--envs", "2", "--rollout",
                "128", "--minibatch", "64", "--epochs", "1", "--eval-every", "2", "--eval-episodes", "1", "--hidden", "8"};
        assertEquals(0, run(tiny).code());
        Files.writeString(dir.resolve("latest"), "iter_000777\n");
        oneLine(run(with(tiny, "--resume")), 2, "iter_000777");
        Files.writeString(dir.resolve("config.json"), "{\"env\": ");
        oneLine(run(with(tiny, "--resume")), 2, "config.json");
    }

    private static String[] with(String[] base, String... more) {
        String[] a = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, a, base.length, more.length);
        return a;
    }
}
