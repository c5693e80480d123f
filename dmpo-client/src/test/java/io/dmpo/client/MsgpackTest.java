package io.dmpo.client;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire format against messages written by openpi's own encoder (test resources openpi-frames/). */
class MsgpackTest {
    @Test
    void readsTheReferenceEncodersStateObservation() {
        Map<String, Object> m = Msgpack.unpack(Fixtures.frame("state-observation"));
        assertEquals(List.of("observation/state", "prompt"), new ArrayList<>(m.keySet()));
        NdArray state = assertInstanceOf(NdArray.class, m.get("observation/state"));
        assertEquals("<f4", state.dtype());
        assertArrayEquals(new int[] {11}, state.shape());
        float[] want = new float[11];
        for (int i = 0; i < 11; i++) want[i] = (float) i * 0.1f - 0.5f; // numpy's float32 arithmetic
        assertArrayEquals(want, state.floats());
        assertEquals("hop forward", m.get("prompt"));
    }

    @Test
    void readsAnImageAsRawBytesInHwcOrder() {
        Map<String, Object> m = Msgpack.unpack(Fixtures.frame("wrist-observation"));
        NdArray img = (NdArray) m.get("observation/wrist_image");
        assertEquals("|u1", img.dtype());
        assertArrayEquals(new int[] {32, 32, 3}, img.shape());
        for (int i = 0; i < 32 * 32 * 3; i++) assertEquals(i % 256, img.data()[i] & 0xff);
        float[] s = ((NdArray) m.get("observation/state")).floats();
        assertEquals(-1f, s[0]);
        assertEquals(1f, s[8]);
    }

    @Test
    void writesTheSameBytesAsTheReferenceEncoder() {
        float[] actions = new float[12];
        for (int i = 0; i < 12; i++) actions[i] = (float) i / 8 - 0.5f;
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("infer_ms", 0.125);
        timing.put("prev_total_ms", 1.5);
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("actions", NdArray.float32(actions, 4, 3));
        reply.put("server_timing", timing);
        assertEquals(HexFormat.of().formatHex(Fixtures.frame("reply")), HexFormat.of().formatHex(Msgpack.pack(reply)));
        // and the request a client sends
        float[] state = new float[11];
        for (int i = 0; i < 11; i++) state[i] = (float) i * 0.1f - 0.5f;
        Map<String, Object> obs = new LinkedHashMap<>();
        obs.put("observation/state", NdArray.float32(state, 11));
        obs.put("prompt", "hop forward");
        assertArrayEquals(Fixtures.frame("state-observation"), Msgpack.pack(obs));
    }

    @Test
    void everyValueKindRoundTripsToTheReferenceBytes() {
        byte[] ref = Fixtures.frame("values");
        Map<String, Object> m = Msgpack.unpack(ref);
        assertEquals(new NpScalar(0.5, "<f4"), m.get("f32"));
        assertEquals(new NpScalar(-3L, "<i8"), m.get("i64"));
        assertEquals(new NpScalar(true, "|b1"), m.get("flag"));
        List<?> list = (List<?>) m.get("list");
        assertEquals(1L, list.get(0));
        assertEquals(2.5, list.get(1));
        assertEquals("s", list.get(2));
        assertArrayEquals("raw".getBytes(), (byte[]) list.get(3));
        assertEquals(null, list.get(4));
        assertEquals(true, list.get(5));
        assertEquals(List.of(300L, -40000L, 1L << 40), list.subList(6, 9));
        Map<?, ?> nested = (Map<?, ?>) m.get("nested");
        assertEquals(-1L, nested.get("k"));
        assertEquals(Map.of(), nested.get("empty"));
        NdArray f8 = (NdArray) nested.get("f8");
        assertEquals("<f8", f8.dtype());
        assertEquals(-2.0, ByteBuffer.wrap(f8.data()).order(ByteOrder.LITTLE_ENDIAN).getDouble(8));
        assertArrayEquals(ref, Msgpack.pack(m));
    }

    @Test
    void everyTruncationOfAMessageIsOneProtocolError() {
        for (String name : List.of("state-observation", "wrist-observation", "reply", "values")) {
            byte[] full = Fixtures.frame(name);
            for (int n = 0; n < full.length; n++) {
                byte[] cut = Arrays.copyOf(full, n);
                ProtocolException e = assertThrows(ProtocolException.class, () -> Msgpack.unpack(cut), name + " cut at " + n);
                assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
            }
        }
    }

    @Test
    void malformedMessagesAreNamed() {
        assertMessage("trailing bytes", concat(Fixtures.frame("reply"), new byte[] {(byte) 0xc0}));
        assertMessage("must be a msgpack map", hex("90"));
        assertMessage("malformed msgpack", hex("c1"));
        assertMessage("extension types", hex("81a178d40100"));
        assertMessage("map keys must be strings", hex("810102"));
        // lengths and counts beyond the message allocate nothing
        assertMessage("runs past the message's end", hex("81a178c67fffffff00"));
        assertMessage("runs past the message's end", hex("81a178ddffffffff"));
        assertMessage("runs past the message's end", hex("dfffffffff"));
        byte[] deep = new byte[3 + 100 + 1];
        deep[0] = (byte) 0x81;
        deep[1] = (byte) 0xa1;
        deep[2] = 'x';
        Arrays.fill(deep, 3, 103, (byte) 0x91);
        deep[103] = (byte) 0xc0;
        assertMessage("nested deeper", deep);
        // arrays that do not hold together
        assertMessage("needs 8 bytes, got 4", ndarray("<f4", "c40400000000", "92 01 02"));
        assertMessage("unsupported numpy dtype '|O8'", ndarray("|O8", "c40400000000", "91 01"));
        assertMessage("unsupported numpy dtype '<c8'", ndarray("<c8", "c40400000000", "91 01"));
        assertMessage("non-negative integers", ndarray("<f4", "c40400000000", "91 ff"));
        assertMessage("needs bytes 'data'", ndarray("<f4", "a0", "91 01"));
    }

    /** A map {"x": ndarray} with the given dtype, data (hex msgpack value) and shape (hex msgpack array). */
    private static byte[] ndarray(String dtype, String dataHex, String shapeHex) {
        String dt = HexFormat.of().formatHex(dtype.getBytes());
        return hex("81a178 84 c40b5f5f6e6461727261795f5f c3 c40464617461" + dataHex + " c4056474797065a3" + dt
                + " c40573686170 65" + shapeHex);
    }

    @Test
    void seededRandomMessagesRoundTrip() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 500; trial++) {
            Map<String, Object> m = new LinkedHashMap<>();
            int keys = rng.nextInt(6);
            for (int k = 0; k < keys; k++) m.put("key" + k + "/" + rng.nextInt(100), randomValue(rng, 0));
            Map<String, Object> back = Msgpack.unpack(Msgpack.pack(m));
            assertEquals(m, back, "trial " + trial);
        }
    }

    @Test
    void seededRandomBytesAreAMessageOrOneProtocolError() {
        SplittableRandom rng = new SplittableRandom(11);
        byte[] ref = Fixtures.frame("values");
        for (int trial = 0; trial < 2000; trial++) {
            byte[] b = ref.clone();
            int flips = 1 + rng.nextInt(4);
            for (int f = 0; f < flips; f++) b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
            try {
                Msgpack.unpack(b);
            } catch (ProtocolException expected) {
                assertTrue(expected.getMessage().lines().count() == 1, expected.getMessage());
            }
        }
    }

    /** Values in the form {@link Msgpack#unpack} returns them (Long, Double, byte[] inside lists compare by content). */
    private static Object randomValue(SplittableRandom rng, int depth) {
        int kind = rng.nextInt(depth > 3 ? 6 : 9);
        return switch (kind) {
            case 0 -> null;
            case 1 -> rng.nextBoolean();
            case 2 -> rng.nextLong() >> rng.nextInt(64);
            case 3 -> rng.nextDouble() * 1e6 - 5e5;
            case 4 -> "s" + rng.nextInt();
            case 5 -> {
                float[] v = new float[rng.nextInt(5)];
                for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextDouble();
                yield NdArray.float32(v, v.length);
            }
            case 6 -> {
                List<Object> l = new ArrayList<>();
                for (int i = rng.nextInt(4); i > 0; i--) l.add(randomValue(rng, depth + 1));
                yield l;
            }
            case 7 -> {
                Map<String, Object> mm = new LinkedHashMap<>();
                for (int i = rng.nextInt(4); i > 0; i--) mm.put("k" + i, randomValue(rng, depth + 1));
                yield mm;
            }
            default -> new NpScalar(rng.nextDouble(), "<f8");
        };
    }

    private static void assertMessage(String fragment, byte[] bytes) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Msgpack.unpack(bytes));
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
