package io.dmpo.nn;

import java.util.List;

/**
 * Pre-LayerNorm transformer layer over {@code [B·tokens, dim]} rows: x ← x + proj(attn(ln1 x)); x ← x + fc2(gelu(fc1(ln2
 * x))) with the exact (erf) GELU and LayerNorm eps 1e−5. Parameter names {@code name.ln1, name.qkv, name.proj,
 * name.ln2, name.fc1, name.fc2} (the PyTorch spec's {@code Block}).
 */
public final class TransformerBlock implements Layer {
    public final LayerNorm ln1;
    public final MultiHeadSelfAttention attn;
    public final LayerNorm ln2;
    public final Linear fc1;
    public final Linear fc2;
    private final Sequential body;

    public TransformerBlock(String name, int dim, int heads, int mlpDim, int tokens) {
        this.ln1 = new LayerNorm(name + ".ln1", dim);
        this.attn = new MultiHeadSelfAttention(name + ".qkv", name + ".proj", dim, heads, tokens);
        this.ln2 = new LayerNorm(name + ".ln2", dim);
        this.fc1 = new Linear(name + ".fc1", dim, mlpDim);
        this.fc2 = new Linear(name + ".fc2", mlpDim, dim);
        this.body = new Sequential(new Residual(new Sequential(ln1, attn)),
                new Residual(new Sequential(ln2, fc1, new Activation(Pointwise.GELU), fc2)));
    }

    @Override
    public Dual forward(Dual x) {
        return body.forward(x);
    }

    @Override
    public Trace trace(Dual x) {
        return body.trace(x);
    }

    @Override
    public List<Param> params() {
        return body.params();
    }
}
