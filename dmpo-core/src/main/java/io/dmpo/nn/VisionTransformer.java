package io.dmpo.nn;

import java.util.List;

/**
 * The light ViT encoder of docs/algorithms.md, "Networks" (the PyTorch spec's {@code ViT}): x/255 − 0.5 → Conv(C→d, 8×8, stride 4) → ReLU
 * → Conv(d→d, 3×3, stride 2) → tokens (channels-last, {@code flatten(2).transpose(1, 2)}) → + learned position
 * embedding → one pre-LN transformer block (4 heads, MLP 4d, GELU) → LayerNorm.
 *
 * <p>Input: one image per row, C·H·W floats in [0, 255] (CHW). Output: {@code [B·tokens, d]} token rows (121 tokens
 * for 96×96). Parameters {@code name.conv1, name.conv2, name.pos, name.block.*, name.ln}.
 */
public final class VisionTransformer implements Layer {
    public final int channels, height, width, dim, tokens;
    public final Conv2d conv1;
    public final Conv2d conv2;
    public final PositionEmbedding pos;
    public final TransformerBlock block;
    public final LayerNorm ln;
    private final Sequential body;
    private final VitInference fused; // value-only inference path (null: layer by layer)

    public VisionTransformer(String name, int channels, int height, int width, int dim, int heads) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.dim = dim;
        // x/255 − 0.5 is fused into conv1's patch gather
        this.conv1 = new Conv2d(name + ".conv1", channels, dim, 8, 4, height, width, false, 1f / 255f, -0.5f);
        this.conv2 = new Conv2d(name + ".conv2", dim, dim, 3, 2, conv1.outH, conv1.outW, true);
        this.tokens = conv2.positions();
        this.pos = new PositionEmbedding(name + ".pos", tokens, dim);
        this.block = new TransformerBlock(name + ".block", dim, heads, 4 * dim, tokens);
        this.ln = new LayerNorm(name + ".ln", dim);
        this.body = new Sequential(conv1, new Activation(Pointwise.RELU), conv2,
                new Reshape(dim), pos, block, ln);
        this.fused = VitInference.of(this);
    }

    /**
     * Value-only features per channel, [B·dim, tokens + extra] (see {@link VitInference#forwardByChannel}); null when
     * the fused inference path is not available.
     */
    Tensor forwardByChannel(Tensor x, int extra) {
        if (fused == null) return null;
        Tensor.requireCols(x, inputSize(), "image");
        return fused.forwardByChannel(x, extra);
    }

    /** An allocation-free batch-1 session of the fused path (see {@link VitInference.Session}); null when unavailable. */
    VitInference.Session session(int extra, Team team) {
        return fused == null ? null : fused.new Session(extra, team);
    }

    public int inputSize() {
        return channels * height * width;
    }

    @Override
    public Dual forward(Dual x) {
        Tensor.requireCols(x.value(), inputSize(), "image");
        if (fused != null && !x.hasTangent()) return Dual.of(fused.forward(x.value()));
        return body.forward(x);
    }

    @Override
    public Trace trace(Dual x) {
        Tensor.requireCols(x.value(), inputSize(), "image");
        return body.trace(x);
    }

    /** The image is data: conv1's input gradient is never computed and backward returns null. */
    @Override
    public Trace traceFromData(Dual x) {
        Tensor.requireCols(x.value(), inputSize(), "image");
        return body.traceFromData(x);
    }

    @Override
    public List<Param> params() {
        return body.params();
    }
}
