package io.dmpo.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of a policy server that speaks openpi's WebSocket protocol ({@code ./dmpo serve}, or openpi's own server),
 * for JVM robot code (docs/serving.md, "From Java"): on connect the server's metadata frame; then one
 * {@link #infer} per control step, which sends {@code msgpack(observation)} and returns the decoded reply
 * ({@code "actions"}, {@code "server_timing"}). Built on the JDK's own {@link WebSocket}: this module needs
 * msgpack-core and nothing else. Not thread-safe: one client per control thread (requests on one connection are
 * answered in order).
 *
 * <pre>{@code
 * try (PolicyClient policy = PolicyClient.connect(URI.create("ws://127.0.0.1:8000"), null, Duration.ofSeconds(5))) {
 *     float[][] actions = policy.actions(Map.of("observation/state", NdArray.float32(state, state.length)));
 * }
 * }</pre>
 */
public final class PolicyClient implements AutoCloseable {
    /** The server answered with an error frame (a text frame, then close code 1011), or closed the connection. */
    public static final class ServerError extends IOException {
        private final int closeCode;

        ServerError(String message, int closeCode) {
            super(message);
            this.closeCode = closeCode;
        }

        /** The WebSocket close code that followed (1011 for a refused request), or -1 if the connection is still open. */
        public int closeCode() {
            return closeCode;
        }
    }

    private sealed interface Event permits Binary, Text, Closed, Failed {}
    private record Binary(byte[] bytes) implements Event {}
    private record Text(String text) implements Event {}
    private record Closed(int code, String reason) implements Event {}
    private record Failed(Throwable error) implements Event {}

    private final HttpClient http;
    private final WebSocket socket;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Duration timeout;
    private final Map<String, Object> metadata;
    private boolean closed;

    private PolicyClient(URI uri, String apiKey, Duration timeout) throws IOException {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(timeout);
        if (apiKey != null) b.header("Authorization", "Api-Key " + apiKey);
        CompletableFuture<WebSocket> pending = b.buildAsync(uri, new Listener());
        try {
            this.socket = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            http.shutdownNow();
            Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
            throw new IOException("cannot connect to " + uri + ": " + message(c), c);
        } catch (TimeoutException e) {
            pending.whenComplete((ws, t) -> { // a connection that completes after we gave up must not stay open
                if (ws != null) ws.abort();
                http.shutdownNow();
            });
            throw new IOException("cannot connect to " + uri + ": no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.cancel(true);
            http.shutdownNow();
            throw new IOException("interrupted while connecting to " + uri);
        }
        try {
            this.metadata = Msgpack.unpack(nextBinary("the metadata frame"));
        } catch (IOException | RuntimeException e) {
            socket.abort();
            http.shutdownNow();
            throw e;
        }
    }

    /**
     * Connects and reads the server's metadata frame. {@code apiKey} (or null) goes in {@code Authorization: Api-Key};
     * {@code timeout} bounds the connection and every reply.
     */
    public static PolicyClient connect(URI uri, String apiKey, Duration timeout) throws IOException {
        return new PolicyClient(uri, apiKey, timeout);
    }

    /** The server's metadata: what it serves, its observation keys with shapes and dtypes, the action shape. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Sends one observation and returns the server's reply (a map with {@code "actions"} and {@code "server_timing"}). */
    public Map<String, Object> infer(Map<String, ?> observation) throws IOException {
        if (closed) throw new IOException("the client is closed");
        byte[] request = Msgpack.pack(observation);
        try {
            socket.sendBinary(ByteBuffer.wrap(request), true).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            abandon();
            throw new IOException("sending the observation failed: " + message(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            abandon();
            throw new IOException("sending the observation took more than " + timeout.toMillis() + " ms (connection dropped)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon();
            throw new IOException("interrupted while sending");
        }
        return Msgpack.unpack(nextBinary("the reply"));
    }

    /** {@link #infer} and the reply's {@code "actions"} array as rows ([horizon][action_dim], env units). */
    public float[][] actions(Map<String, ?> observation) throws IOException {
        Object a = infer(observation).get("actions");
        if (!(a instanceof NdArray arr) || arr.shape().length != 2) throw new ProtocolException("the reply's 'actions' is not a 2-d array: " + Msgpack.kindOf(a));
        float[] flat = arr.floats();
        float[][] rows = new float[arr.shape()[0]][arr.shape()[1]];
        for (int i = 0; i < rows.length; i++) System.arraycopy(flat, i * rows[i].length, rows[i], 0, rows[i].length);
        return rows;
    }

    private byte[] nextBinary(String what) throws IOException {
        Event e;
        try {
            e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            abandon();
            throw new IOException("interrupted while waiting for " + what);
        }
        switch (e) {
            case null -> {
                // a reply that comes later must never be taken for the answer to the next observation
                abandon();
                throw new IOException("no " + what + " within " + timeout.toMillis() + " ms (connection dropped)");
            }
            case Binary b -> {
                return b.bytes();
            }
            case Text t -> {
                // an error frame: the server closes with 1011 next
                Event next = null;
                try {
                    next = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                closed = true;
                throw new ServerError("server error: " + t.text(), next instanceof Closed c ? c.code() : -1);
            }
            case Closed c -> {
                closed = true;
                throw new ServerError("the server closed the connection (" + c.code() + (c.reason().isEmpty() ? "" : ": " + c.reason()) + ")", c.code());
            }
            case Failed f -> {
                closed = true;
                throw new IOException("connection failed: " + message(f.error()), f.error());
            }
        }
    }

    /** Drops the connection at once: after a timeout its replies are out of step with the requests. */
    private void abandon() {
        closed = true;
        socket.abort();
        http.shutdownNow();
    }

    @Override
    public void close() {
        if (closed) {
            socket.abort();
            http.shutdownNow();
            return;
        }
        closed = true;
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            // wait for the server's close frame, so the server's log says "closed by the client"
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                Event e = events.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (e == null || e instanceof Closed || e instanceof Failed) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the connection is already gone: nothing left to close politely
        } finally {
            socket.abort();
            http.shutdownNow();
        }
    }

    private static String message(Throwable t) {
        while (t != null && t.getMessage() == null && t.getCause() != null) t = t.getCause();
        return t == null ? "unknown" : t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Collects each whole message (the JDK delivers parts) into the event queue. */
    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                events.add(new Binary(binary.toByteArray()));
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                events.add(new Text(text.toString()));
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            events.add(new Closed(code, reason));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            events.add(new Failed(error));
        }
    }

    /** A copy of the metadata's observation section: key → {shape, dtype} (empty if the server sends none). */
    @SuppressWarnings("unchecked")
    public Map<String, Map<String, Object>> observationSpec() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        if (metadata.get("observation") instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) out.put((String) e.getKey(), (Map<String, Object>) e.getValue());
        }
        return out;
    }
}
