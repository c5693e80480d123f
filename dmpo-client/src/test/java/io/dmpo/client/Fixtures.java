package io.dmpo.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** The openpi-encoded fixture messages under test resources {@code openpi-frames/} (see the README there). */
public final class Fixtures {
    private Fixtures() {}

    public static byte[] frame(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/openpi-frames/" + name + ".hex")) {
            if (in == null) throw new IllegalStateException("no fixture " + name);
            String hex = new String(in.readAllBytes(), StandardCharsets.US_ASCII).replaceAll("\\s", "");
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
