package io.dmpo.client;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client against servers that misbehave (the protocol itself: dmpo-serve's PolicyServerTest). */
class PolicyClientTest {
    @Test
    void aSilentServerIsATimeoutNotAHang() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) { // accepts TCP, never answers
            long t0 = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> PolicyClient.connect(URI.create("ws://127.0.0.1:" + silent.getLocalPort()), null, Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "bounded by the timeout");
        }
    }

    @Test
    void nothingListeningIsOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        IOException e = assertThrows(IOException.class,
                () -> PolicyClient.connect(URI.create("ws://127.0.0.1:" + port), null, Duration.ofSeconds(2)));
        assertTrue(e.getMessage().startsWith("cannot connect to ws://127.0.0.1:" + port), e.getMessage());
    }
}
