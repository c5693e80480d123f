package io.dmpo.serve;

import io.dmpo.client.Msgpack;
import io.dmpo.client.ProtocolException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link PolicyEndpoint} served over openpi's WebSocket protocol (docs/serving.md): {@code GET /healthz} answers
 * 200 "OK\n"; a WebSocket connection (any path, no compression, no message size limit below 2 GiB) first receives the
 * metadata frame, then each binary frame {@code msgpack(observation)} is answered by {@code msgpack(action)} with
 * {@code "server_timing": {"infer_ms", "prev_total_ms"}} (the latter from the second request on). A bad request gets
 * a text frame with one line naming the problem, then close code 1011; the server goes on serving everyone else.
 *
 * <p>Threads: one Netty event loop moves bytes for every connection and never runs the policy; inference runs on a
 * fixed pool of workers, at most one request per connection at a time (the connection stops reading until its reply
 * is written, so a client that does not read its replies holds one buffered reply, not an unbounded queue). Each
 * connection has its own controller and noise stream; the k-th connection's stream is the k-th split of the server's
 * seed, so a server restarted with the same seed answers the same first connection with the same actions.
 */
public final class PolicyServer implements AutoCloseable {
    /** Where and how to serve; {@code apiKey} null = no authentication. */
    public record Options(String host, int port, String apiKey, int workers, long seed) {
        public Options {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key is empty");
        }
    }

    private final PolicyEndpoint endpoint;
    private final Options options;
    private final Consumer<String> log;
    private final byte[] metadataFrame;
    private final EventLoopGroup boss, io;
    private final ExecutorService workers;
    private final Channel listener;
    private final SplittableRandom seeds;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();

    private PolicyServer(PolicyEndpoint endpoint, Options options, Consumer<String> log) throws IOException {
        this.endpoint = endpoint;
        this.options = options;
        this.log = log;
        this.metadataFrame = Msgpack.pack(endpoint.metadata());
        this.seeds = new SplittableRandom(options.seed());
        AtomicInteger workerIds = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(options.workers(),
                r -> Thread.ofPlatform().daemon().name("dmpo-serve-worker-" + workerIds.incrementAndGet()).unstarted(r));
        this.boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                                    .websocketPath("/")
                                    .checkStartsWith(true)
                                    .handleCloseFrames(false)
                                    .dropPongFrames(true)
                                    .handshakeTimeoutMillis(10_000)
                                    .decoderConfig(WebSocketDecoderConfig.newBuilder()
                                            .maxFramePayloadLength(Integer.MAX_VALUE)
                                            .allowExtensions(false)
                                            .build())
                                    .build();
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new HttpGate(),
                                    new WebSocketServerProtocolHandler(ws), new WebSocketFrameAggregator(Integer.MAX_VALUE),
                                    new Connection());
                        }
                    });
            this.listener = b.bind(options.host(), options.port()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind's checked exception unchecked
            shutdown();
            String why = e instanceof java.nio.channels.UnresolvedAddressException ? "not an address of this machine or a known host name"
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + why, e);
        }
    }

    /** Binds and starts serving; {@code log} receives one line per connection (when it ends). */
    public static PolicyServer start(PolicyEndpoint endpoint, Options options, Consumer<String> log) throws IOException {
        return new PolicyServer(endpoint, options, log);
    }

    /** The bound port (the chosen one when {@link Options#port} is 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Requests answered so far, all connections. */
    public long requests() {
        return requests.get();
    }

    /** Blocks until the server is closed. */
    public void awaitClose() throws InterruptedException {
        listener.closeFuture().sync();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Plain HTTP before the upgrade: the health check, the API key, and a clear answer to anything else. */
    private final class HttpGate extends SimpleChannelInboundHandler<FullHttpRequest> {
        HttpGate() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path;
            try {
                if (!req.uri().startsWith("/")) throw new IllegalArgumentException("absolute-form target");
                path = new QueryStringDecoder(req.uri()).path();
            } catch (IllegalArgumentException e) { // a malformed escape, or a target the handshake would not answer
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "bad request target (expected a path such as / or /healthz)\n");
                return;
            }
            if (path.equals("/healthz")) {
                respond(ctx, req, HttpResponseStatus.OK, "OK\n");
                return;
            }
            boolean upgrade = req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
            if (!upgrade) {
                respond(ctx, req, HttpResponseStatus.UPGRADE_REQUIRED, "this is a policy server: connect a WebSocket (openpi protocol) or GET /healthz\n");
                return;
            }
            if (options.apiKey() != null && !keyMatches(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                log.accept("refused " + remote(ctx.channel()) + ": missing or wrong API key");
                respond(ctx, req, HttpResponseStatus.UNAUTHORIZED, "missing or wrong API key (send 'Authorization: Api-Key <key>')\n");
                return;
            }
            ctx.fireChannelRead(req); // the WebSocket handshake
        }

        private boolean keyMatches(String header) {
            if (header == null || !header.startsWith("Api-Key ")) return false;
            byte[] got = header.substring("Api-Key ".length()).strip().getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(got, options.apiKey().getBytes(StandardCharsets.UTF_8)); // constant time
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String body) {
            try {
                FullHttpResponse r = new DefaultFullHttpResponse(req.protocolVersion(), status,
                        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                HttpUtil.setContentLength(r, r.content().readableBytes());
                boolean keepAlive = HttpUtil.isKeepAlive(req) && status == HttpResponseStatus.OK;
                HttpUtil.setKeepAlive(r, keepAlive);
                var f = ctx.writeAndFlush(r);
                if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
            } finally {
                req.release();
            }
        }
    }

    /** One WebSocket connection: the metadata frame, then request → worker → reply, in order. */
    private final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int id = connections.incrementAndGet();
        private record Request(byte[] bytes, long receivedNanos) {}
        private final ArrayDeque<Request> pending = new ArrayDeque<>(); // event-loop thread only
        private long[] inferNanos; // a ring of the latest requests' inference times (allocated at the handshake)
        private PolicyEndpoint.Session session; // guarded by this: used by one worker at a time, closed once
        private boolean sessionClosed; // guarded by this
        private SplittableRandom rng;
        private boolean busy, failed;
        private long served, openedAt, prevTotalNanos = -1;
        private String ending;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                openedAt = System.nanoTime();
                inferNanos = new long[1 << 16];
                synchronized (seeds) {
                    rng = seeds.split();
                }
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(metadataFrame)));
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (failed) return;
            switch (frame) {
                case BinaryWebSocketFrame b -> {
                    pending.add(new Request(ByteBufUtil.getBytes(b.content()), System.nanoTime()));
                    next(ctx);
                }
                case CloseWebSocketFrame c -> {
                    ending = "closed by the client (" + c.statusCode() + (c.reasonText().isEmpty() ? "" : ": " + c.reasonText()) + ")";
                    ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)).addListener(ChannelFutureListener.CLOSE);
                }
                case TextWebSocketFrame t -> refuse(ctx, new ProtocolException("expected a binary frame holding msgpack, got a text frame"));
                default -> { } // pings are answered by the protocol handler, pongs dropped
            }
        }

        /** Starts the next queued request unless one is running (event loop). */
        private void next(ChannelHandlerContext ctx) {
            if (busy || failed || pending.isEmpty()) return;
            busy = true;
            ctx.channel().config().setAutoRead(false);
            Request request = pending.poll();
            try {
                workers.execute(() -> answer(ctx, request.bytes(), request.receivedNanos()));
            } catch (RejectedExecutionException e) { // the server is shutting down
                busy = false;
                ctx.close();
            }
        }

        /** On a worker: decode, infer, encode; the reply (or the refusal) goes back through the event loop. */
        private void answer(ChannelHandlerContext ctx, byte[] request, long received) {
            byte[] reply;
            try {
                Map<String, Object> observation = Msgpack.unpack(request);
                Map<String, Object> action;
                long infer;
                synchronized (this) {
                    if (sessionClosed) return; // the connection ended while this request waited for a worker
                    if (session == null) session = endpoint.open(rng);
                    long t0 = System.nanoTime();
                    action = session.infer(observation);
                    infer = System.nanoTime() - t0;
                }
                inferNanos[(int) (served % inferNanos.length)] = infer;
                Map<String, Object> timing = new java.util.LinkedHashMap<>();
                timing.put("infer_ms", infer / 1e6);
                if (prevTotalNanos >= 0) timing.put("prev_total_ms", prevTotalNanos / 1e6);
                action.put("server_timing", timing);
                reply = Msgpack.pack(action);
            } catch (ProtocolException | IllegalArgumentException e) {
                ctx.executor().execute(() -> refuse(ctx, e));
                return;
            } catch (RuntimeException | Error e) {
                ctx.executor().execute(() -> refuse(ctx, new RuntimeException("internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()), e)));
                return;
            }
            ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(reply))).addListener(f -> {
                // on the event loop once the reply is in the socket
                prevTotalNanos = System.nanoTime() - received;
                served++;
                requests.incrementAndGet();
                busy = false;
                if (!f.isSuccess()) return; // the channel is gone; channelInactive logs it
                ctx.channel().config().setAutoRead(true);
                next(ctx);
            });
        }

        /** The protocol's error path: one text frame with the reason, then close code 1011 (event loop). */
        private void refuse(ChannelHandlerContext ctx, Exception e) {
            if (failed) return;
            failed = true;
            busy = false;
            pending.clear();
            String msg = oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            ending = "refused: " + msg;
            ctx.writeAndFlush(new TextWebSocketFrame(msg));
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "request refused, reason in the previous frame"))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (openedAt != 0) log.accept(summary(ctx.channel()));
            // on a worker: a request may still be running there, and the event loop must not wait for it
            try {
                workers.execute(this::closeSession);
            } catch (RejectedExecutionException e) { // shutting down
                closeSession();
            }
            super.channelInactive(ctx);
        }

        private synchronized void closeSession() {
            sessionClosed = true;
            if (session != null) session.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ending == null) ending = "connection error: " + oneLine(String.valueOf(cause.getMessage()));
            ctx.close();
        }

        private String summary(Channel ch) {
            double seconds = (System.nanoTime() - openedAt) / 1e9;
            int n = (int) Math.min(served, inferNanos.length);
            String timing = "";
            if (n > 0) {
                long[] t = Arrays.copyOf(inferNanos, n);
                Arrays.sort(t);
                timing = String.format(", infer p50 %.3f ms, p99 %.3f ms", t[(n - 1) / 2] / 1e6, t[(int) Math.ceil(0.99 * n) - 1] / 1e6);
            }
            return String.format("connection %d from %s: %d requests in %.1f s%s; %s", id, remote(ch), served, seconds, timing,
                    ending == null ? "connection lost" : ending);
        }
    }

    /** An error line for the wire and the log: control characters replaced, at most 1,000 characters. */
    static String oneLine(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 1000));
        for (int i = 0; i < s.length() && b.length() < 1000; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? ' ' : c);
        }
        if (s.length() > 1000) b.append("...");
        return b.toString();
    }

    private static String remote(Channel ch) {
        return ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ch.remoteAddress());
    }
}
