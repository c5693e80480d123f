package io.dmpo.client;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Set;

/**
 * A numpy array as the serving protocol carries it (docs/serving.md, "Wire format"): numpy's dtype string
 * ({@code "<f4"}, {@code "|u1"}, ...), the shape, and the raw bytes in C order. Only fixed-size numeric and boolean
 * dtypes exist on the wire; numpy's object, void and complex kinds are refused, as the reference implementation
 * refuses them.
 */
public record NdArray(String dtype, int[] shape, byte[] data) {
    /** numpy dtype strings this library reads and writes: byte order + kind + item size. */
    private static final Set<Character> KINDS = Set.of('f', 'i', 'u', 'b');

    public NdArray {
        itemSize(dtype); // validates
        shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ProtocolException("array shape " + Arrays.toString(shape) + " has a negative dimension");
            n *= d;
            if (n > Integer.MAX_VALUE) throw new ProtocolException("array shape " + Arrays.toString(shape) + " is too large");
        }
        if ((long) data.length != n * itemSize(dtype)) {
            throw new ProtocolException("array of dtype " + dtype + " and shape " + Arrays.toString(shape) + " needs "
                    + n * itemSize(dtype) + " bytes, got " + data.length);
        }
    }

    /** A float32 array ({@code "<f4"}) of the given values and shape. */
    public static NdArray float32(float[] values, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new NdArray("<f4", shape, b.array());
    }

    /** A uint8 array ({@code "|u1"}, e.g. an H×W×3 image) of the given bytes and shape. */
    public static NdArray uint8(byte[] values, int... shape) {
        return new NdArray("|u1", shape, values.clone());
    }

    /** Elements in the array. */
    public int size() {
        return data.length / itemSize(dtype);
    }

    /** The values of a {@code "<f4"} array, in C order. */
    public float[] floats() {
        if (!dtype.equals("<f4")) throw new ProtocolException("expected a float32 array (dtype <f4), got dtype " + dtype);
        float[] out = new float[size()];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The shape as numpy would print it, e.g. {@code (4, 3)}. */
    public String shapeString() {
        return shapeString(shape);
    }

    /** A shape as numpy prints it: {@code (11,)}, {@code (4, 3)}. */
    public static String shapeString(int[] shape) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(i == 0 ? "" : ", ").append(shape[i]);
        return s.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /**
     * Bytes per element of a numpy dtype string: a byte-order character ({@code <}, {@code >}, {@code |} or {@code =}),
     * a kind among f (float), i, u (integers), b (bool), and the size. Anything else is a {@link ProtocolException}.
     */
    public static int itemSize(String dtype) {
        if (dtype == null || dtype.length() < 3) throw new ProtocolException("unsupported numpy dtype " + ProtocolException.quote(dtype));
        char order = dtype.charAt(0), kind = dtype.charAt(1);
        int size;
        try {
            size = Integer.parseInt(dtype.substring(2));
        } catch (NumberFormatException e) {
            throw new ProtocolException("unsupported numpy dtype " + ProtocolException.quote(dtype));
        }
        boolean okOrder = order == '<' || order == '>' || order == '|' || order == '=';
        boolean okSize = switch (kind) {
            case 'f' -> size == 2 || size == 4 || size == 8;
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'b' -> size == 1;
            default -> false;
        };
        if (!okOrder || !KINDS.contains(kind) || !okSize) throw new ProtocolException("unsupported numpy dtype " + ProtocolException.quote(dtype));
        return size;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && a.dtype.equals(dtype) && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "ndarray(dtype " + dtype + ", shape " + shapeString() + ")";
    }
}
