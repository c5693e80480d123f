package io.dmpo.serve;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A WebSocket client written from RFC 6455 on a plain socket — the test's independent speaker of the protocol, sharing
 * no code with the server or with {@link io.dmpo.client.PolicyClient}: its own handshake (the RFC's sample key, whose
 * accept value the RFC gives), masked client frames, and raw server frames back.
 */
final class RawWebSocket implements AutoCloseable {
    /** RFC 6455 §1.3's sample key and the accept value it must produce. */
    static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==", ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    static final int TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;
    private static final byte[] MASK = {0x37, (byte) 0xfa, 0x21, 0x3d}; // RFC 6455 §5.7's sample mask

    record Frame(int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** A close frame's status code. */
        int closeCode() {
            return payload.length < 2 ? -1 : (payload[0] & 0xff) << 8 | (payload[1] & 0xff);
        }
    }

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    /** The server's handshake response: status line, then headers (names lower-cased). */
    final String status;
    final Map<String, String> headers = new LinkedHashMap<>();

    /** Opens the socket and sends the upgrade request with {@code extraHeaders} (lines without CRLF). */
    RawWebSocket(int port, String path, String... extraHeaders) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n");
        for (String h : extraHeaders) req.append(h).append("\r\n");
        out.write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        status = line();
        for (String l = line(); !l.isEmpty(); l = line()) {
            int c = l.indexOf(':');
            headers.put(l.substring(0, c).strip().toLowerCase(java.util.Locale.ROOT), l.substring(c + 1).strip());
        }
    }

    boolean upgraded() {
        return status.startsWith("HTTP/1.1 101") && ACCEPT.equals(headers.get("sec-websocket-accept"));
    }

    /** The response body after a refused upgrade (content-length bytes). */
    String body() throws IOException {
        byte[] b = new byte[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("connection closed in the handshake");
            if (c != '\r') b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    void sendBinary(byte[] payload) throws IOException {
        send(BINARY, payload, true);
    }

    /** One frame: FIN as given, the opcode, the mask bit and the RFC's 7 / 16 / 64-bit length, the masked payload. */
    void send(int opcode, byte[] payload, boolean fin) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int s = 56; s >= 0; s -= 8) f.write((int) ((long) n >>> s));
        }
        f.write(MASK);
        for (int i = 0; i < n; i++) f.write(payload[i] ^ MASK[i & 3]);
        out.write(f.toByteArray());
        out.flush();
    }

    void sendClose(int code) throws IOException {
        send(CLOSE, new byte[] {(byte) (code >>> 8), (byte) code}, true);
    }

    /** The next server frame (servers do not mask; a server frame with the mask bit is a test failure). */
    Frame read() throws IOException {
        int b0 = in.readUnsignedByte(), b1 = in.readUnsignedByte();
        if ((b1 & 0x80) != 0) throw new IOException("the server masked a frame");
        if ((b0 & 0x70) != 0) throw new IOException("the server set reserved bits (an extension) in " + Integer.toHexString(b0));
        long n = b1 & 0x7f;
        if (n == 126) n = in.readUnsignedShort();
        else if (n == 127) n = in.readLong();
        byte[] p = new byte[Math.toIntExact(n)];
        in.readFully(p);
        if ((b0 & 0x80) == 0) throw new IOException("the server fragmented a message (opcode " + (b0 & 0x0f) + ")");
        return new Frame(b0 & 0x0f, p);
    }

    /** The next data frame, answering pings on the way. */
    Frame readMessage() throws IOException {
        while (true) {
            Frame f = read();
            if (f.opcode() == PING) {
                send(PONG, f.payload(), true);
                continue;
            }
            return f;
        }
    }

    /** True once the server has closed the TCP connection (read returns end of stream). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
