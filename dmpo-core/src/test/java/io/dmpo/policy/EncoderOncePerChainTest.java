package io.dmpo.policy;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stage-2 groundwork: the encoder traced once for a K-step chain gives the same parameter gradients as re-tracing
 * it per step, and a pass's backward returns dL/dz (checked against finite differences).
 */
class EncoderOncePerChainTest {
    private static Tensor random(SplittableRandom rng, int r, int c) {
        Tensor t = Tensor.zeros(r, c);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) Init.gaussian(rng);
        return t;
    }

    private static List<float[]> grads(List<Param> ps) {
        List<float[]> g = new ArrayList<>();
        for (Param p : ps) g.add(p.grad.clone());
        return g;
    }

    @Test
    void oneEncoderTraceEqualsOnePerStep() {
        MeanFlowActor actor = MeanFlowActor.state(5, 6, 16, 8, 8, 32, 1);
        Init.apply(actor.params(), 3);
        SplittableRandom rng = new SplittableRandom(7);
        Tensor obs = random(rng, 4, 5);
        int k = 3;
        Tensor[] z = new Tensor[k], g = new Tensor[k];
        for (int i = 0; i < k; i++) {
            z[i] = random(rng, 4, 6);
            g[i] = random(rng, 4, 6);
        }
        List<Param> ps = actor.params();
        Schedules.zeroGrad(ps);
        for (int i = 0; i < k; i++) {
            float t = 1f - (float) i / k, r = 1f - (float) (i + 1) / k;
            actor.trace(obs, Dual.of(z[i]), Dual.of(Ops.full(4, 1, r)), Dual.of(Ops.full(4, 1, t))).backward(g[i], null);
        }
        List<float[]> perStep = grads(ps);
        Schedules.zeroGrad(ps);
        MeanFlowActor.EncoderPass e = actor.traceEncoder(obs);
        for (int i = 0; i < k; i++) {
            float t = 1f - (float) i / k, r = 1f - (float) (i + 1) / k;
            actor.traceHead(e, Dual.of(z[i]), Dual.of(Ops.full(4, 1, r)), Dual.of(Ops.full(4, 1, t))).backward(g[i], null);
        }
        e.backward();
        List<float[]> once = grads(ps);
        boolean encoderMoved = false;
        for (int p = 0; p < ps.size(); p++) {
            for (int j = 0; j < once.get(p).length; j++) {
                float a = perStep.get(p)[j], b = once.get(p)[j];
                assertEquals(a, b, 1e-5f * Math.max(1f, Math.abs(a)), ps.get(p).name + "[" + j + "]");
                if (ps.get(p).name.startsWith("cond.") && b != 0) encoderMoved = true;
            }
        }
        assertTrue(encoderMoved, "the encoder received its gradient");
    }

    @Test
    void backwardReturnsTheGradientWithRespectToZ() {
        MeanFlowActor actor = MeanFlowActor.state(5, 6, 16, 8, 8, 32, 1);
        Init.apply(actor.params(), 4);
        SplittableRandom rng = new SplittableRandom(8);
        Tensor obs = random(rng, 3, 5), z = random(rng, 3, 6), w = random(rng, 3, 6), dir = random(rng, 3, 6);
        Dual r = Dual.of(Ops.full(3, 1, 0.2f)), t = Dual.of(Ops.full(3, 1, 0.9f));
        Tensor gz = actor.trace(obs, Dual.of(z), r, t).backward(w, null);
        double analytic = 0;
        for (int i = 0; i < gz.size(); i++) analytic += (double) gz.data[gz.offset + i] * dir.data[i];
        double h = 1e-2;
        java.util.function.DoubleUnaryOperator f = eps -> {
            Tensor zz = z.copy();
            for (int i = 0; i < zz.size(); i++) zz.data[i] += (float) (eps * dir.data[i]);
            Tensor u = actor.velocity(Dual.of(zz), r, t, actor.encode(obs)).value();
            double s = 0;
            for (int i = 0; i < u.size(); i++) s += (double) u.data[u.offset + i] * w.data[i];
            return s;
        };
        double d1 = (f.applyAsDouble(h) - f.applyAsDouble(-h)) / (2 * h), d2 = (f.applyAsDouble(h / 2) - f.applyAsDouble(-h / 2)) / h;
        double numeric = (4 * d2 - d1) / 3;
        assertEquals(numeric, analytic, 2e-3 * Math.max(1, Math.abs(numeric)));
    }
}
