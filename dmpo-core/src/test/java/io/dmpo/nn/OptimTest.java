package io.dmpo.nn;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AdamW, EMA, the cosine schedule and gradient clipping against values worked by hand. */
class OptimTest {
    @Test
    void adamWTwoStepsByHand() {
        Param p = new Param("p", 2);
        p.value[0] = 1.0f;
        p.value[1] = -2.0f;
        AdamW opt = new AdamW(List.of(p), 0.9, 0.999, 1e-8, 0.1);
        double lr = 0.01;
        // step 1, g = (0.5, -1): m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², update = lr·sign(g) (ε negligible)
        p.grad[0] = 0.5f;
        p.grad[1] = -1f;
        opt.step(lr);
        double p0 = 1.0 * (1 - lr * 0.1) - lr * 0.5 / (0.5 + 1e-8);
        double p1 = -2.0 * (1 - lr * 0.1) - lr * -1 / (1 + 1e-8);
        assertEquals(p0, p.value[0], 1e-6);
        assertEquals(p1, p.value[1], 1e-6);
        // step 2, g = (0.25, 0): m = 0.9·0.05 + 0.1·0.25 = 0.07, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
        p.grad[0] = 0.25f;
        p.grad[1] = 0f;
        opt.step(lr);
        double m = 0.07, v = 0.00031225, bc1 = 1 - 0.81, bc2 = 1 - 0.998001;
        double expected0 = p0 * (1 - lr * 0.1) - lr / bc1 * m / (Math.sqrt(v) / Math.sqrt(bc2) + 1e-8);
        assertEquals(expected0, p.value[0], 1e-6);
        double m1 = 0.9 * -0.1, v1 = 0.999 * 0.001;
        double expected1 = p1 * (1 - lr * 0.1) - lr / bc1 * m1 / (Math.sqrt(v1) / Math.sqrt(bc2) + 1e-8);
        assertEquals(expected1, p.value[1], 1e-6);
    }

    @Test
    void emaByHand() {
        Param p = new Param("p", 1);
        p.value[0] = 1f;
        Ema ema = new Ema(List.of(p), 0.9);
        p.value[0] = 2f;
        ema.update(); // 0.9·1 + 0.1·2 = 1.1
        p.value[0] = 0f;
        ema.update(); // 0.9·1.1 = 0.99
        Param target = new Param("p", 1);
        ema.copyTo(List.of(target));
        assertEquals(0.99f, target.value[0], 1e-6);
    }

    @Test
    void cosineScheduleByHand() {
        assertEquals(1e-4, Schedules.cosineWithWarmup(0, 10, 110, 1e-3, 1e-4), 1e-12);
        assertEquals(1e-4 + 0.5 * 9e-4, Schedules.cosineWithWarmup(5, 10, 110, 1e-3, 1e-4), 1e-12);
        assertEquals(1e-3, Schedules.cosineWithWarmup(10, 10, 110, 1e-3, 1e-4), 1e-12);
        assertEquals(1e-4 + 9e-4 * 0.5, Schedules.cosineWithWarmup(60, 10, 110, 1e-3, 1e-4), 1e-12); // half way: cos(π/2) = 0
        assertEquals(1e-4 + 9e-4 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), Schedules.cosineWithWarmup(35, 10, 110, 1e-3, 1e-4), 1e-12);
        assertEquals(1e-4, Schedules.cosineWithWarmup(500, 10, 110, 1e-3, 1e-4), 1e-12);
    }

    @Test
    void gradClipByHand() {
        Param a = new Param("a", 2), b = new Param("b", 1);
        a.grad[0] = 3f;
        a.grad[1] = 0f;
        b.grad[0] = 4f; // norm 5
        assertEquals(5.0, Schedules.clipGradNorm(List.of(a, b), 10), 1e-9);
        assertEquals(3f, a.grad[0]);
        assertEquals(5.0, Schedules.clipGradNorm(List.of(a, b), 1), 1e-9);
        assertEquals(3 / (5 + 1e-6), a.grad[0], 1e-6);
        assertEquals(4 / (5 + 1e-6), b.grad[0], 1e-6);
    }

    @Test
    void initIsSeededAndPyTorchBounded() {
        Linear l1 = new Linear("l", 64, 10), l2 = new Linear("l", 64, 10);
        Init.apply(l1.params(), 5);
        Init.apply(l2.params(), 5);
        for (int i = 0; i < l1.weight.size(); i++) {
            assertEquals(l1.weight.value[i], l2.weight.value[i]);
            assertEquals(0, Math.max(0, Math.abs(l1.weight.value[i]) - 1 / 8.0), 1e-7, "|w| <= 1/sqrt(64)");
        }
        for (float v : l1.bias.value) assertEquals(0, Math.max(0, Math.abs(v) - 1 / 8.0), 1e-7, "|b| <= 1/sqrt(fan_in)");
    }
}
