package io.dmpo.client;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The serving protocol's message encoding (docs/serving.md, "Wire format"): msgpack with openpi's numpy convention
 * (its {@code msgpack_numpy}). An array travels as the map {@code {b"__ndarray__": True, b"data": <raw bytes>,
 * b"dtype": "<f4", b"shape": [...]}} and a numpy scalar as {@code {b"__npgeneric__": True, b"data": <value>,
 * b"dtype": ...}}, where the four keys are msgpack <em>bin</em> (Python {@code bytes}), not str: the reference
 * decoder looks them up as bytes, so str keys would reach a Python client as a plain dict. {@link #pack} writes
 * exactly what that encoder writes for the same values (Python {@code float} is a float64, integers take msgpack's
 * shortest form); {@link #unpack} accepts those keys as bin or str.
 *
 * <p>Values: {@code null}, {@link Boolean}, integers ({@link Long} when read), {@link Double} ({@link Float} packs as
 * float32), {@link String}, {@code byte[]} (bin), {@link List}, {@link Map} with string keys, {@link NdArray},
 * {@link NpScalar}. Anything malformed — truncated input, trailing bytes, an extension type, a non-string key,
 * a bad array — is a {@link ProtocolException} with one line saying what; nothing is allocated from an unchecked length.
 */
public final class Msgpack {
    private Msgpack() {}

    static final String NDARRAY = "__ndarray__", NPGENERIC = "__npgeneric__";
    /** Deeper nesting than this is refused (a message of nested one-element arrays would otherwise overflow the stack). */
    static final int MAX_DEPTH = 64;

    /** The msgpack bytes of a message (a map at the top, as every protocol message is). */
    public static byte[] pack(Map<String, ?> message) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            packValue(p, message, 0);
            return p.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // an in-memory buffer does not fail
        }
    }

    private static void packValue(MessageBufferPacker p, Object v, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new ProtocolException("message nested deeper than " + MAX_DEPTH);
        switch (v) {
            case null -> p.packNil();
            case Boolean b -> p.packBoolean(b);
            case Byte b -> p.packLong(b);
            case Short s -> p.packLong(s);
            case Integer i -> p.packLong(i);
            case Long l -> p.packLong(l);
            case Float f -> p.packFloat(f);
            case Double d -> p.packDouble(d);
            case java.math.BigInteger b -> p.packBigInteger(b);
            case Number n -> p.packDouble(n.doubleValue()); // BigDecimal and the like (parsed JSON provenance)
            case String s -> p.packString(s);
            case byte[] b -> binary(p, b);
            case NdArray a -> {
                p.packMapHeader(4);
                binary(p, NDARRAY);
                p.packBoolean(true);
                binary(p, "data");
                binary(p, a.data());
                binary(p, "dtype");
                p.packString(a.dtype());
                binary(p, "shape");
                p.packArrayHeader(a.shape().length);
                for (int d : a.shape()) p.packLong(d);
            }
            case NpScalar s -> {
                p.packMapHeader(3);
                binary(p, NPGENERIC);
                p.packBoolean(true);
                binary(p, "data");
                packValue(p, s.value(), depth + 1);
                binary(p, "dtype");
                p.packString(s.dtype());
            }
            case Map<?, ?> m -> {
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k)) throw new ProtocolException("message keys must be strings, got " + e.getKey());
                    p.packString(k);
                    packValue(p, e.getValue(), depth + 1);
                }
            }
            case List<?> l -> {
                p.packArrayHeader(l.size());
                for (Object o : l) packValue(p, o, depth + 1);
            }
            default -> throw new ProtocolException("cannot encode a " + v.getClass().getName() + " in a message");
        }
    }

    private static void binary(MessageBufferPacker p, String ascii) throws IOException {
        binary(p, ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static void binary(MessageBufferPacker p, byte[] b) throws IOException {
        p.packBinaryHeader(b.length);
        p.writePayload(b);
    }

    /** The message in {@code bytes}: one msgpack map, nothing after it. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> unpack(byte[] bytes) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            if (!u.hasNext()) throw new ProtocolException("empty message (expected a msgpack map)");
            if (u.getNextFormat().getValueType() != org.msgpack.value.ValueType.MAP) {
                throw new ProtocolException("a message must be a msgpack map, got " + describe(u.getNextFormat()));
            }
            Object v = readValue(u, bytes.length, 0);
            if (u.hasNext()) throw new ProtocolException("trailing bytes after the message (" + (bytes.length - u.getTotalReadBytes()) + ")");
            if (!(v instanceof Map)) throw new ProtocolException("a message must be a map, got " + kindOf(v));
            return (Map<String, Object>) v;
        } catch (org.msgpack.core.MessageSizeException e) { // a 32-bit length or count above 2^31
            throw new ProtocolException("malformed msgpack: a length of " + e.getSize() + " runs past the message's end", e);
        } catch (MessagePackException e) {
            throw new ProtocolException("malformed msgpack: " + oneLine(e), e);
        } catch (IOException e) {
            throw new ProtocolException("malformed msgpack: " + oneLine(e), e);
        }
    }

    private static Object readValue(MessageUnpacker u, long total, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new ProtocolException("message nested deeper than " + MAX_DEPTH);
        if (!u.hasNext()) throw new ProtocolException("malformed msgpack: truncated message");
        MessageFormat f = u.getNextFormat();
        switch (f.getValueType()) {
            case NIL -> {
                u.unpackNil();
                return null;
            }
            case BOOLEAN -> {
                return u.unpackBoolean();
            }
            case INTEGER -> {
                if (f == MessageFormat.UINT64) {
                    java.math.BigInteger b = u.unpackBigInteger();
                    if (b.bitLength() > 63) throw new ProtocolException("integer " + b + " does not fit 64 bits");
                    return b.longValue();
                }
                return u.unpackLong();
            }
            case FLOAT -> {
                return u.unpackDouble();
            }
            case STRING -> {
                int n = u.unpackRawStringHeader();
                return new String(payload(u, n, total), StandardCharsets.UTF_8);
            }
            case BINARY -> {
                int n = u.unpackBinaryHeader();
                return payload(u, n, total);
            }
            case ARRAY -> {
                int n = u.unpackArrayHeader();
                checkCount(u, n, total);
                List<Object> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) out.add(readValue(u, total, depth + 1));
                return out;
            }
            case MAP -> {
                int n = u.unpackMapHeader();
                checkCount(u, 2L * n, total);
                Map<String, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Object key = readValue(u, total, depth + 1);
                    String k = switch (key) {
                        case String s -> s;
                        case byte[] b -> new String(b, StandardCharsets.UTF_8);
                        case null, default -> throw new ProtocolException("map keys must be strings, got " + kindOf(key));
                    };
                    out.put(k, readValue(u, total, depth + 1));
                }
                if (Boolean.TRUE.equals(out.get(NDARRAY))) return ndarray(out);
                if (Boolean.TRUE.equals(out.get(NPGENERIC))) return npScalar(out);
                return out;
            }
            case EXTENSION -> throw new ProtocolException("msgpack extension types are not part of the protocol");
            default -> throw new ProtocolException("unknown msgpack format " + f);
        }
    }

    /** Reads {@code n} payload bytes after checking that the message holds them. */
    private static byte[] payload(MessageUnpacker u, int n, long total) throws IOException {
        if (n < 0 || n > total - u.getTotalReadBytes()) throw new ProtocolException("malformed msgpack: a length of " + Integer.toUnsignedString(n) + " runs past the message's end");
        return u.readPayload(n);
    }

    /** Each element takes at least one byte: a count beyond the bytes left is malformed, whatever it claims. */
    private static void checkCount(MessageUnpacker u, long n, long total) {
        if (n < 0 || n > total - u.getTotalReadBytes()) throw new ProtocolException("malformed msgpack: a count of " + n + " runs past the message's end");
    }

    private static NdArray ndarray(Map<String, Object> m) {
        if (!(m.get("data") instanceof byte[] data)) throw new ProtocolException("an __ndarray__ needs bytes 'data', got " + kindOf(m.get("data")));
        if (!(m.get("dtype") instanceof String dtype)) throw new ProtocolException("an __ndarray__ needs a string 'dtype', got " + kindOf(m.get("dtype")));
        if (!(m.get("shape") instanceof List<?> dims)) throw new ProtocolException("an __ndarray__ needs a 'shape' array, got " + kindOf(m.get("shape")));
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new ProtocolException("an __ndarray__ shape holds non-negative integers, got " + kindOf(dims.get(i))
                        + (dims.get(i) instanceof Long l ? " " + l : "") + " at index " + i);
            }
            shape[i] = (int) (long) d;
        }
        return new NdArray(dtype, shape, data);
    }

    private static NpScalar npScalar(Map<String, Object> m) {
        if (!(m.get("dtype") instanceof String dtype)) throw new ProtocolException("an __npgeneric__ needs a string 'dtype', got " + kindOf(m.get("dtype")));
        return new NpScalar(m.get("data"), dtype);
    }

    /** A value's kind in protocol words (for error lines). */
    public static String kindOf(Object v) {
        return switch (v) {
            case null -> "nil";
            case Boolean b -> "a boolean";
            case Long l -> "an integer";
            case Double d -> "a float";
            case String s -> "a string";
            case byte[] b -> "bytes";
            case List<?> l -> "an array";
            case Map<?, ?> m -> "a map";
            case NdArray a -> "an " + a;
            case NpScalar s -> "a numpy scalar (dtype " + s.dtype() + ")";
            default -> v.getClass().getSimpleName();
        };
    }

    private static String describe(MessageFormat f) {
        return f.getValueType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.strip().lines().findFirst().orElse(m);
    }
}
