package io.dmpo.bench;

import io.dmpo.nn.Conv2d;
import io.dmpo.nn.Param;
import io.dmpo.nn.PixelEncoder;
import io.dmpo.policy.MeanFlowActor;

/**
 * Work of one batch-1 action: multiply-adds (the compute floor's numerator) and weight bytes (the memory floor's),
 * counted from the actor's layer shapes. The encoder runs once per action, the time embeddings and the head once per
 * sampling step; a pixel encoder's convolutions run at every output position, its transformer's products at every
 * token (plus the two t×t×dim attention products) and SpatialEmb's projection once per channel.
 */
final class ActorCost {
    private ActorCost() {}

    static long multiplyAdds(MeanFlowActor actor, int steps) {
        long encoder = 0, perStep = 0;
        PixelEncoder pixel = actor.encoder instanceof PixelEncoder p ? p : null;
        for (Param p : actor.params()) {
            if (!p.name.endsWith(".weight") || p.shape.length < 2) continue; // biases, LayerNorm scales, embeddings
            long macs = p.size();
            if (p.name.startsWith("cond.")) {
                if (pixel != null) macs *= pixelRows(pixel, p.name);
                encoder += macs;
            } else {
                perStep += macs;
            }
        }
        if (pixel != null) encoder += 2L * pixel.vit.tokens * pixel.vit.tokens * pixel.vit.dim; // QKᵀ and PV
        return encoder + steps * perStep;
    }

    /** How many times a pixel encoder's weight is applied per image. */
    private static long pixelRows(PixelEncoder pixel, String name) {
        Conv2d c1 = pixel.vit.conv1, c2 = pixel.vit.conv2;
        if (name.equals(c1.weight.name)) return (long) c1.outH * c1.outW;
        if (name.equals(c2.weight.name)) return (long) c2.outH * c2.outW;
        if (name.startsWith("cond.vit.")) return pixel.vit.tokens;
        if (name.equals("cond.spatial.weight")) return 1; // [1, dim, out] weighted sum over channels, once
        if (name.startsWith("cond.spatial.")) return pixel.vit.dim;
        throw new IllegalStateException("unknown pixel-encoder weight " + name);
    }

    /** fp32 bytes of every parameter the action reads. */
    static long weightBytes(MeanFlowActor actor) {
        return 4L * actor.paramCount();
    }
}
