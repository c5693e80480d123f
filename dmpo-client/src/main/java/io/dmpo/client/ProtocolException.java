package io.dmpo.client;

/** A message that breaks the serving protocol (docs/serving.md): malformed msgpack, a bad array, a missing key. */
public class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A string from a message, quoted for an error line: control characters escaped (a key holding a newline must not
     * split the line), at most 80 characters.
     */
    public static String quote(String s) {
        if (s == null) return "nil";
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == 0x2028 || c == 0x2029 || c == 0x85) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > 80) b.append("...");
        return b.append("'").toString();
    }
}
