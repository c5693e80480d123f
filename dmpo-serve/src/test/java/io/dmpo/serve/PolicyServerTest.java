package io.dmpo.serve;

import io.dmpo.client.Fixtures;
import io.dmpo.client.Msgpack;
import io.dmpo.client.NdArray;
import io.dmpo.client.PolicyClient;
import io.dmpo.policy.FlowPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server against an independent client ({@link RawWebSocket}: RFC 6455 on a socket) sending frames written by
 * openpi's own encoder (the fixtures), and against {@link PolicyClient}.
 */
class PolicyServerTest {
    private static final long SEED = 42;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private PolicyServer server;

    private PolicyServer serve(FlowPolicy policy, String apiKey) throws IOException {
        server = PolicyServer.start(new PolicyEndpoint(policy, "test.safetensors"),
                new PolicyServer.Options("127.0.0.1", 0, apiKey, 2, SEED), log::add);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    @Test
    void healthCheckAndPlainHttp() throws Exception {
        serve(TestPolicies.state(1), null);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        assertEquals("OK\n", ok.body());
        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(426, plain.statusCode());
        try (RawWebSocket badTarget = new RawWebSocket(server.port(), "/%zz")) {
            assertTrue(badTarget.status.startsWith("HTTP/1.1 400"), badTarget.status);
        }
        try (RawWebSocket absolute = new RawWebSocket(server.port(), "ws://127.0.0.1:" + server.port() + "/")) {
            assertTrue(absolute.status.startsWith("HTTP/1.1 400"), absolute.status);
        }
    }

    @Test
    void answersTheReferenceClientsFramesByteForByte() throws Exception {
        FlowPolicy policy = TestPolicies.state(3);
        serve(policy, null);
        byte[] request = Fixtures.frame("state-observation");
        // what the server must answer: the first connection's session, in process
        PolicyEndpoint.Session local = new PolicyEndpoint(policy, "x").open(new SplittableRandom(SEED).split());
        try (RawWebSocket ws = new RawWebSocket(server.port(), "/")) {
            assertTrue(ws.upgraded(), ws.status + " " + ws.headers);
            assertNull(ws.headers.get("sec-websocket-extensions"), "no compression");
            RawWebSocket.Frame meta = ws.readMessage();
            assertEquals(RawWebSocket.BINARY, meta.opcode());
            Map<String, Object> m = Msgpack.unpack(meta.payload());
            assertEquals(Map.of("observation/state", Map.of("shape", List.of(11L), "dtype", "<f4")), m.get("observation"));
            assertEquals(Map.of("shape", List.of(4L, 3L), "dtype", "<f4"), m.get("actions"));
            assertEquals(4L, m.get("action_steps"));
            for (int r = 0; r < 3; r++) {
                ws.sendBinary(request);
                RawWebSocket.Frame reply = ws.readMessage();
                assertEquals(RawWebSocket.BINARY, reply.opcode());
                NdArray want = (NdArray) local.infer(Msgpack.unpack(request)).get("actions");
                String head = "82 a7" + hex("actions") + "84 c40b" + hex("__ndarray__") + "c3 c404" + hex("data") + "c430"
                        + HexFormat.of().formatHex(want.data()) + "c405" + hex("dtype") + "a3" + hex("<f4") + "c405" + hex("shape")
                        + "92 04 03 ad" + hex("server_timing") + (r == 0 ? "81" : "82") + "a8" + hex("infer_ms") + "cb";
                String got = HexFormat.of().formatHex(reply.payload());
                head = head.replace(" ", "");
                assertTrue(got.startsWith(head), "reply " + r + ":\n" + got + "\nexpected to start with\n" + head);
                ByteBuffer rest = ByteBuffer.wrap(reply.payload(), head.length() / 2, reply.payload().length - head.length() / 2);
                double infer = rest.getDouble();
                assertTrue(infer > 0 && infer < 10_000, "infer_ms " + infer);
                if (r > 0) {
                    byte[] key = new byte[15];
                    rest.get(key);
                    assertEquals("ad" + hex("prev_total_ms") + "cb", HexFormat.of().formatHex(key));
                    double total = rest.getDouble();
                    assertTrue(total >= 0 && total < 10_000, "prev_total_ms " + total);
                }
                assertFalse(rest.hasRemaining(), "nothing after server_timing");
            }
            ws.sendClose(1000);
            RawWebSocket.Frame close = ws.read();
            assertEquals(RawWebSocket.CLOSE, close.opcode());
            assertEquals(1000, close.closeCode());
            assertTrue(ws.closedByServer());
        }
        String line = awaitLog("connection 1 ");
        assertTrue(line.contains("3 requests") && line.contains("closed by the client (1000)"), line);
    }

    @Test
    void aWristImageArrivesAsHwcBytes() throws Exception {
        FlowPolicy policy = TestPolicies.wristPixel(32, 5);
        serve(policy, null);
        byte[] request = Fixtures.frame("wrist-observation");
        // the expected actions from the policy's own controller, the image transposed to CHW here, independently
        double[][] history = new double[1][policy.obsDim()];
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) for (int c = 0; c < 3; c++) history[0][c * 1024 + y * 32 + x] = ((y * 32 + x) * 3 + c) % 256;
        for (int i = 0; i < 9; i++) history[0][3072 + i] = (float) (-1 + 2.0 * i / 8); // numpy's linspace in float32
        float[] want = new float[4 * 7];
        try (FlowPolicy.Controller c = policy.controller()) {
            c.prepare(history, new SplittableRandom(SEED).split());
            c.infer();
            c.chunk(want);
        }
        try (RawWebSocket ws = new RawWebSocket(server.port(), "/")) {
            Map<String, Object> m = Msgpack.unpack(ws.readMessage().payload());
            assertEquals(List.of("observation/wrist_image", "observation/state"), new ArrayList<>(((Map<?, ?>) m.get("observation")).keySet().stream().map(String::valueOf).toList()));
            ws.sendBinary(request);
            NdArray actions = (NdArray) Msgpack.unpack(ws.readMessage().payload()).get("actions");
            assertArrayEquals(new int[] {4, 7}, actions.shape());
            assertArrayEquals(want, actions.floats());
        }
    }

    @Test
    void aBadRequestGetsAnErrorFrameAndCode1011WhileOthersAreServed() throws Exception {
        serve(TestPolicies.state(3), null);
        byte[] good = Fixtures.frame("state-observation");
        float[] nan = new float[11];
        nan[3] = Float.NaN;
        byte[] f8 = new byte[88];
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("malformed msgpack", new byte[] {(byte) 0xc1});
        bad.put("malformed msgpack: a length of 44 runs past the message's end", Arrays.copyOf(good, good.length / 2));
        bad.put("the observation has no 'observation/state' (expected float32 (11,)); it has ['prompt']", Msgpack.pack(Map.of("prompt", "hop")));
        bad.put("it has ['a\\u000ab']", Msgpack.pack(Map.of("a\nb", 1L))); // a key's newline does not split the line
        bad.put("'observation/state' has shape (10,), expected float32 (11,)", Msgpack.pack(Map.of("observation/state", NdArray.float32(new float[10], 10))));
        bad.put("'observation/state' has dtype <f8, expected float32 (11,)", Msgpack.pack(Map.of("observation/state", new NdArray("<f8", new int[] {11}, f8))));
        bad.put("'observation/state' is a string", Msgpack.pack(Map.of("observation/state", "zeros")));
        bad.put("'observation/state'[3] is NaN", Msgpack.pack(Map.of("observation/state", NdArray.float32(nan, 11))));
        bad.put("a message must be a msgpack map", new byte[] {(byte) 0x90});
        try (RawWebSocket healthy = new RawWebSocket(server.port(), "/")) {
            healthy.readMessage();
            for (Map.Entry<String, byte[]> e : bad.entrySet()) {
                try (RawWebSocket ws = new RawWebSocket(server.port(), "/")) {
                    ws.readMessage();
                    ws.sendBinary(e.getValue());
                    assertRefused(ws, e.getKey());
                }
                healthy.sendBinary(good);
                assertEquals(RawWebSocket.BINARY, healthy.readMessage().opcode(), "the other connection is still served after: " + e.getKey());
            }
            try (RawWebSocket ws = new RawWebSocket(server.port(), "/")) {
                ws.readMessage();
                ws.send(RawWebSocket.TEXT, "{}".getBytes(StandardCharsets.UTF_8), true);
                assertRefused(ws, "expected a binary frame holding msgpack, got a text frame");
            }
        }
        assertTrue(awaitLog("refused: 'observation/state'[3] is NaN").contains("0 requests"));
    }

    private static void assertRefused(RawWebSocket ws, String message) throws IOException {
        RawWebSocket.Frame err = ws.readMessage();
        assertEquals(RawWebSocket.TEXT, err.opcode(), "an error is a text frame");
        assertTrue(err.text().contains(message), "expected '" + message + "' in: " + err.text());
        assertEquals(1, err.text().lines().count(), err.text());
        RawWebSocket.Frame close = ws.read();
        assertEquals(RawWebSocket.CLOSE, close.opcode());
        assertEquals(1011, close.closeCode());
        assertTrue(ws.closedByServer());
    }

    @Test
    void anApiKeyIsCheckedAtTheUpgrade() throws Exception {
        serve(TestPolicies.state(3), "s3cret-key");
        try (RawWebSocket none = new RawWebSocket(server.port(), "/")) {
            assertTrue(none.status.startsWith("HTTP/1.1 401"), none.status);
            assertTrue(none.body().contains("API key"));
        }
        try (RawWebSocket wrong = new RawWebSocket(server.port(), "/", "Authorization: Api-Key s3cret-kez")) {
            assertTrue(wrong.status.startsWith("HTTP/1.1 401"), wrong.status);
        }
        try (RawWebSocket right = new RawWebSocket(server.port(), "/", "Authorization: Api-Key s3cret-key")) {
            assertTrue(right.upgraded(), right.status);
            assertEquals(RawWebSocket.BINARY, right.readMessage().opcode());
        }
        try (PolicyClient c = PolicyClient.connect(URI.create("ws://127.0.0.1:" + server.port()), "s3cret-key", Duration.ofSeconds(10))) {
            assertEquals(4, c.actions(Map.of("observation/state", NdArray.float32(new float[11], 11))).length);
        }
        IOException e = assertThrows(IOException.class,
                () -> PolicyClient.connect(URI.create("ws://127.0.0.1:" + server.port()), null, Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "the health check needs no key");
    }

    @Test
    void theJavaClientGetsTheInProcessActionsAndTheServersErrors() throws Exception {
        FlowPolicy policy = TestPolicies.state(9);
        serve(policy, null);
        PolicyEndpoint.Session local = new PolicyEndpoint(policy, "x").open(new SplittableRandom(SEED).split());
        SplittableRandom rng = new SplittableRandom(1);
        try (PolicyClient c = PolicyClient.connect(URI.create("ws://127.0.0.1:" + server.port()), null, Duration.ofSeconds(10))) {
            assertEquals("test.safetensors", c.metadata().get("policy"));
            assertEquals(Map.of("shape", List.of(11L), "dtype", "<f4"), c.observationSpec().get("observation/state"));
            for (int i = 0; i < 20; i++) {
                float[] s = new float[11];
                for (int j = 0; j < 11; j++) s[j] = (float) rng.nextGaussian();
                Map<String, Object> obs = Map.of("observation/state", NdArray.float32(s, 11));
                float[][] got = c.actions(obs);
                float[] want = ((NdArray) local.infer(new LinkedHashMap<>(obs)).get("actions")).floats();
                for (int k = 0; k < 4; k++) assertArrayEquals(Arrays.copyOfRange(want, 3 * k, 3 * k + 3), got[k]);
            }
            PolicyClient.ServerError e = assertThrows(PolicyClient.ServerError.class,
                    () -> c.infer(Map.of("observation/state", NdArray.float32(new float[12], 12))));
            assertTrue(e.getMessage().contains("'observation/state' has shape (12,)"), e.getMessage());
            assertEquals(1011, e.closeCode());
        }
    }

    @Test
    void slowAndDeadClientsDoNotHoldUpOthers() throws Exception {
        serve(TestPolicies.state(3), null);
        byte[] good = Fixtures.frame("state-observation");
        try (RawWebSocket stalled = new RawWebSocket(server.port(), "/"); RawWebSocket flooding = new RawWebSocket(server.port(), "/")) {
            stalled.readMessage();
            // half a frame: a header announcing 1000 bytes, then 10 of them, then silence
            stalled.out.write(new byte[] {(byte) 0x82, (byte) (0x80 | 126), 0x03, (byte) 0xe8, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6});
            stalled.out.flush();
            flooding.readMessage();
            for (int i = 0; i < 300; i++) flooding.sendBinary(good); // and never reads a reply
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Integer>> clients = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    clients.add(pool.submit(() -> {
                        try (PolicyClient pc = PolicyClient.connect(URI.create("ws://127.0.0.1:" + server.port()), null, Duration.ofSeconds(10))) {
                            int n = 0;
                            for (int i = 0; i < 50; i++) n += pc.actions(Map.of("observation/state", NdArray.float32(new float[11], 11))).length;
                            return n;
                        }
                    }));
                }
                for (Future<Integer> f : clients) assertEquals(200, f.get());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private String awaitLog(String fragment) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            for (String l : log) if (l.contains(fragment)) return l;
            Thread.sleep(10);
        }
        throw new AssertionError("no log line with '" + fragment + "' in " + log);
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
    }
}
