package io.dmpo.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * The pixel policy's observation encoder (docs/algorithms.md, "Networks"; the PyTorch spec's {@code VitActor.encode}): input row
 * [image C·H·W floats in [0, 255] (CHW), proprio (prop)], output row concat[SpatialEmb(ViT(image), proprio) (out),
 * proprio (prop)]. Parameters {@code name.vit.*} and {@code name.spatial.*}.
 */
public final class PixelEncoder implements Layer {
    public final VisionTransformer vit;
    public final SpatialEmb spatial;
    public final int prop;

    /** 96×96 RGB with d = 128, 4 heads, spatial out 128, dropout 0.1: {@code new PixelEncoder("cond", 3, 96, 96, 9, seed)}. */
    public PixelEncoder(String name, int channels, int height, int width, int prop, long dropoutSeed) {
        this(name, channels, height, width, prop, 128, 4, 128, 0.1f, dropoutSeed);
    }

    public PixelEncoder(String name, int channels, int height, int width, int prop, int dim, int heads, int out,
                        float dropoutP, long dropoutSeed) {
        this.prop = prop;
        this.vit = new VisionTransformer(name + ".vit", channels, height, width, dim, heads);
        this.spatial = new SpatialEmb(name + ".spatial", vit.tokens, dim, prop, out, dropoutP, dropoutSeed);
    }

    public int inputSize() {
        return vit.inputSize() + prop;
    }

    public int outputSize() {
        return spatial.out + prop;
    }

    /** The SpatialEmb dropout (inference mode by default; switch on for pre-training). */
    public Dropout dropout() {
        return spatial.dropout;
    }

    private static Dual cols(Dual x, int from, int count) {
        if (x.rows() == 1 && !x.hasTangent()) {
            // one row: the columns are contiguous, a view suffices
            Tensor v = x.value();
            return Dual.of(new Tensor(v.data, v.offset + from, 1, count));
        }
        return new Dual(Ops.columns(x.value(), from, count), x.hasTangent() ? Ops.columns(x.tangent(), from, count) : null);
    }

    /** [B·N, d] tokens as [B, N·d] rows (same storage). */
    private static Dual perSample(Dual tokens, int b) {
        int c = tokens.rows() * tokens.cols() / b;
        return new Dual(tokens.value().reshape(b, c), tokens.hasTangent() ? tokens.tangent().reshape(b, c) : null);
    }

    @Override
    public Dual forward(Dual x) {
        Tensor.requireCols(x.value(), inputSize(), "pixel observation");
        int img = vit.inputSize(), b = x.rows();
        Dual p = cols(x, img, prop);
        if (!x.hasTangent()) {
            // value-only: the fused ViT writes its features straight into SpatialEmb's per-channel rows
            Tensor f = vit.forwardByChannel(cols(x, 0, img).value(), prop);
            if (f != null) {
                int d = vit.dim, w = vit.tokens + prop;
                Tensor pv = p.value();
                for (int r = 0; r < b; r++) {
                    for (int c = 0; c < d; c++) {
                        System.arraycopy(pv.data, pv.offset + r * pv.cols, f.data, f.offset + (r * d + c) * w + vit.tokens, prop);
                    }
                }
                return Ops.concatCols(Dual.of(spatial.forwardByChannel(f)), p);
            }
        }
        Dual feat = perSample(vit.forward(cols(x, 0, img)), b);
        Dual s = spatial.forward(Ops.concatCols(feat, p));
        return Ops.concatCols(s, p);
    }

    @Override
    public Trace trace(Dual x) {
        return trace(x, false);
    }

    /** Observations are data: the ViT's first convolution skips its input gradient and backward returns null. */
    @Override
    public Trace traceFromData(Dual x) {
        return trace(x, true);
    }

    private Trace trace(Dual x, boolean fromData) {
        Tensor.requireCols(x.value(), inputSize(), "pixel observation");
        int img = vit.inputSize(), b = x.rows();
        Dual p = cols(x, img, prop);
        Trace tv = fromData ? vit.traceFromData(cols(x, 0, img)) : vit.trace(cols(x, 0, img));
        Dual feat = perSample(tv.output(), b);
        Trace ts = spatial.trace(Ops.concatCols(feat, p));
        Dual y = Ops.concatCols(ts.output(), p);
        int featCols = feat.cols(), out = spatial.out;
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, b, out + prop, "pixel encoder output gradient");
            Tensor gs = ts.backward(Ops.columns(gy, 0, out));
            Tensor gFeat = Ops.columns(gs, 0, featCols).reshape(b * vit.tokens, vit.dim);
            Tensor gImg = tv.backward(gFeat);
            if (fromData) return null;
            Tensor gx = Tensor.zeros(b, img + prop);
            for (int r = 0; r < b; r++) {
                System.arraycopy(gImg.data, gImg.offset + r * img, gx.data, r * (img + prop), img);
                for (int j = 0; j < prop; j++) {
                    gx.data[r * (img + prop) + img + j] = gy.get(r, out + j) + gs.get(r, featCols + j);
                }
            }
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(vit.params());
        ps.addAll(spatial.params());
        return ps;
    }
}
