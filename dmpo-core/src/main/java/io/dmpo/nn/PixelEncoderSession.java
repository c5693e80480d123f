package io.dmpo.nn;

/**
 * The {@link PixelEncoder} for ONE observation with every buffer allocated up front, for a robot's control loop: the
 * fused ViT session (on the caller's {@link Team}), then SpatialEmb per channel — fc with its weight transposed once, bias,
 * LayerNorm, ReLU, the channel-weighted sum — and the proprioception appended. The same kernels as the layer path's
 * value-only forward over the same rows, so the output equals {@link PixelEncoder#forward} bit for bit. Holds a copy
 * of SpatialEmb's fc weight (transposed) taken at construction; the ViT weights are read live. Not thread-safe; the
 * {@link Team} (its threads) belongs to the caller.
 */
public final class PixelEncoderSession {
    private final PixelEncoder encoder;
    private final VitInference.Session vit;
    private final int img, prop, dim, tokens, width, out;
    private final float[] fcT, fcOut, cond;

    /** The ViT's work is shared by {@code team}'s members (the caller and its helpers). */
    public PixelEncoderSession(PixelEncoder encoder, Team team) {
        this.encoder = encoder;
        this.vit = encoder.vit.session(encoder.prop, team);
        if (vit == null) throw new IllegalStateException("the fused ViT path is unavailable (scalar kernels?)");
        this.img = encoder.vit.inputSize();
        this.prop = encoder.prop;
        this.dim = encoder.vit.dim;
        this.tokens = encoder.vit.tokens;
        this.width = tokens + prop;
        SpatialEmb s = encoder.spatial;
        this.out = s.out;
        this.fcT = Kernels.buffer(width * out);
        Kernels.transpose(out, width, s.fc.weight.value, 0, width, fcT, 0);
        this.fcOut = Kernels.buffer(dim * out);
        this.cond = Kernels.buffer(out + prop);
    }

    public int inputSize() {
        return img + prop;
    }

    public int outputSize() {
        return out + prop;
    }

    /**
     * The encoder's output [spatial (out), proprio (prop)] for {@code obs} ([image in 0..255, proprio]) in the first
     * {@link #outputSize} floats of the returned buffer (the session's own, with slack after them); allocates nothing.
     */
    public float[] run(float[] obs) {
        vit.image(obs, 0);
        float[] f = vit.out;
        for (int c = 0; c < dim; c++) System.arraycopy(obs, img, f, c * width + tokens, prop);
        SpatialEmb s = encoder.spatial;
        Kernels.gemmNNSerial(dim, out, width, f, 0, width, fcT, 0, out, fcOut, 0, out, false);
        Kernels.addRowVector(fcOut, 0, dim, out, s.fc.bias.value, 0);
        if (Kernels.VECTOR) {
            VectorKernels.layerNormRows(0, dim, out, s.ln.eps, fcOut, 0, s.ln.weight.value, s.ln.bias.value, fcOut, 0, null, null);
        } else {
            ScalarKernels.layerNormRows(0, dim, out, s.ln.eps, fcOut, 0, s.ln.weight.value, s.ln.bias.value, fcOut, 0, null, null);
        }
        Kernels.pointwise(Pointwise.RELU, fcOut, 0, fcOut, 0, null, 0, dim * out);
        for (int c = 0; c < dim; c++) Kernels.multiply(fcOut, c * out, s.weight.value, c * out, cond, 0, out, c > 0);
        System.arraycopy(obs, img, cond, out, prop);
        return cond;
    }
}
