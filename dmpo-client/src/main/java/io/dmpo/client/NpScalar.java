package io.dmpo.client;

/**
 * A numpy scalar ({@code np.float32(0.5)}, {@code np.int64(3)}) as the serving protocol carries it: the Python value
 * of {@code .item()} (a msgpack float, integer or boolean) and numpy's dtype string (docs/serving.md, "Wire format").
 */
public record NpScalar(Object value, String dtype) {
    public NpScalar {
        NdArray.itemSize(dtype); // validates
        if (!(value instanceof Number || value instanceof Boolean)) {
            throw new ProtocolException("a numpy scalar holds a number or a boolean, got " + (value == null ? "nil" : value.getClass().getSimpleName()));
        }
    }
}
