package io.dmpo.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds an ONNX graph (opset 17, IR version 8) node by node and serializes it. Field numbers follow onnx.proto:
 * ModelProto{ir_version 1, producer_name 2, graph 7, opset_import 8}, GraphProto{node 1, name 2, initializer 5,
 * input 11, output 12}, NodeProto{input 1, output 2, name 3, op_type 4, attribute 5}, AttributeProto{name 1, f 2, i 3,
 * ints 8, type 20}, TensorProto{dims 1, data_type 2, name 8, raw_data 9}, ValueInfoProto{name 1, type 2}.
 */
public final class OnnxGraph {
    public static final int OPSET = 17;
    private static final int FLOAT = 1, INT64 = 7;
    private static final int ATTR_FLOAT = 1, ATTR_INT = 2;

    private final List<Proto> nodes = new ArrayList<>();
    private final List<Proto> initializers = new ArrayList<>();
    private final List<Proto> inputs = new ArrayList<>();
    private final List<Proto> outputs = new ArrayList<>();
    private int counter;

    /** A fresh intermediate value name. */
    public String fresh(String hint) {
        return hint + "_" + (counter++);
    }

    public String constant(String name, float[] values, long... dims) {
        Proto t = new Proto();
        for (long d : dims) t.int64(1, d);
        t.int64(2, FLOAT).string(8, name).bytes(9, Proto.littleEndian(values));
        initializers.add(t);
        return name;
    }

    public String constantInt64(String name, long[] values, long... dims) {
        Proto t = new Proto();
        for (long d : dims) t.int64(1, d);
        t.int64(2, INT64).string(8, name).bytes(9, Proto.littleEndian(values));
        initializers.add(t);
        return name;
    }

    /** A float input or output [batch (symbolic), width]. */
    private static Proto valueInfo(String name, String batchSymbol, long width) {
        Proto dimBatch = new Proto().string(2, batchSymbol);
        Proto dimWidth = new Proto().int64(1, width);
        Proto shape = new Proto().message(1, dimBatch).message(1, dimWidth);
        Proto tensorType = new Proto().int64(1, FLOAT).message(2, shape);
        Proto type = new Proto().message(1, tensorType);
        return new Proto().string(1, name).message(2, type);
    }

    public void input(String name, long width) {
        inputs.add(valueInfo(name, "batch", width));
    }

    public void output(String name, long width) {
        outputs.add(valueInfo(name, "batch", width));
    }

    /** Adds a node; attributes are (name, value) pairs with Integer/Long → INT and Float/Double → FLOAT. */
    public String node(String op, String[] in, String out, Object... attributes) {
        Proto n = new Proto();
        for (String i : in) n.string(1, i);
        n.string(2, out).string(3, out + "_node").string(4, op);
        for (int a = 0; a < attributes.length; a += 2) {
            Proto attr = new Proto().string(1, (String) attributes[a]);
            Object v = attributes[a + 1];
            if (v instanceof Float || v instanceof Double) {
                attr.float32(2, ((Number) v).floatValue()).int64(20, ATTR_FLOAT);
            } else {
                attr.int64(3, ((Number) v).longValue()).int64(20, ATTR_INT);
            }
            n.message(5, attr);
        }
        nodes.add(n);
        return out;
    }

    public byte[] serialize(String graphName, String producer) {
        return serialize(graphName, producer, java.util.Map.of());
    }

    /** With {@code metadata} as the model's metadata_props (ModelProto field 14: key/value string pairs). */
    public byte[] serialize(String graphName, String producer, java.util.Map<String, String> metadata) {
        Proto g = new Proto();
        for (Proto n : nodes) g.message(1, n);
        g.string(2, graphName);
        for (Proto t : initializers) g.message(5, t);
        for (Proto i : inputs) g.message(11, i);
        for (Proto o : outputs) g.message(12, o);
        Proto opset = new Proto().string(1, "").int64(2, OPSET);
        Proto model = new Proto().int64(1, 8).string(2, producer).message(7, g).message(8, opset);
        for (var e : new java.util.TreeMap<>(metadata).entrySet()) model.message(14, new Proto().string(1, e.getKey()).string(2, e.getValue()));
        return model.bytes();
    }
}
