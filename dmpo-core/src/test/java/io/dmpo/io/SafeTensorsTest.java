package io.dmpo.io;

import io.dmpo.nn.Init;
import io.dmpo.nn.Param;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripWithMetadata() throws IOException {
        MeanFlowActor a = MeanFlowActor.state(11, 12), b = MeanFlowActor.state(11, 12);
        Init.apply(a.params(), 3);
        Path f = dir.resolve("w.safetensors");
        SafeTensors.saveParams(f, a.params(), Map.of("seed", "3", "config", "{\"x\":1}"));
        SafeTensors st = SafeTensors.read(f);
        assertEquals("3", st.metadata().get("seed"));
        SafeTensors.loadParams(st, b.params(), f.toString());
        for (int i = 0; i < a.params().size(); i++) assertArrayEquals(a.params().get(i).value, b.params().get(i).value);
        assertArrayEquals(new long[] {512, 60}, st.get("head.inp.weight").shape());
        // header is 8-byte aligned, as the format requires
        long headerLen = java.nio.ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8);
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
    }

    @Test
    void truncatedFileIsOneClearError() throws IOException {
        MeanFlowActor a = MeanFlowActor.state(11, 12);
        Path f = dir.resolve("w.safetensors");
        SafeTensors.saveParams(f, a.params(), Map.of());
        byte[] all = Files.readAllBytes(f);
        for (int cut : new int[] {0, 5, 8, 100, all.length - 1}) {
            Path g = dir.resolve("cut" + cut);
            Files.write(g, Arrays.copyOf(all, cut));
            IOException e = assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.read(g));
            assertTrue(e.getMessage().contains(g.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void malformedHeadersAreRejected() {
        String[] bad = {
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",      // unterminated JSON
            "{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}",      // unknown dtype
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",     // size mismatch
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",     // reversed offsets
            "[1,2]",
        };
        for (String h : bad) {
            byte[] json = h.getBytes();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + json.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            buf.putLong(json.length).put(json);
            assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.parse(buf.array(), "x.safetensors"), h);
        }
    }

    @Test
    void wrongArchitectureDoesNotLoadSilently() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.saveParams(f, MeanFlowActor.state(11, 12).params(), Map.of());
        SafeTensors st = SafeTensors.read(f);
        List<Param> other = MeanFlowActor.state(17, 24).params();
        var e = assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.loadParams(st, other, f.toString()));
        assertTrue(e.getMessage().contains("cond.fc1.weight"), e.getMessage());
    }
}
