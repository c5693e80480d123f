package io.dmpo.rl;

import io.dmpo.env.VectorEnv;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Bad settings are rejected before a run; a NaN action or loss stops it before it reaches an env or the weights. */
class DivergenceTest {
    private static PpoConfig small() {
        PpoConfig c = new PpoConfig();
        c.rolloutSteps = 16;
        c.minibatchSize = 16;
        c.epochs = 2;
        return c;
    }

    @Test
    void settingsAreValidatedWithTheirNames() {
        assertSame(PpoConfig.class, new PpoConfig().validate().getClass());
        String[][] bad = {{"actorLr", "NaN"}, {"gamma", "2"}, {"gaeLambda", "-0.1"}, {"clip", "0"}, {"criticLr", "Infinity"},
                {"maxGradNorm", "-1"}, {"entropyCoef", "NaN"}};
        for (String[] b : bad) {
            PpoConfig c = new PpoConfig();
            try {
                PpoConfig.class.getField(b[0]).setDouble(c, Double.parseDouble(b[1]));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate, b[0]);
            assertTrue(e.getMessage().startsWith(io.dmpo.io.Json.snakeCase(b[0]) + " must be"), e.getMessage()); // the config key
        }
        PpoConfig c = new PpoConfig();
        c.actorLrSchedule = "cosinus";
        assertThrows(IllegalArgumentException.class, c::validate);
        c = new PpoConfig();
        c.epochs = 0;
        assertThrows(IllegalArgumentException.class, c::validate);
    }

    @Test
    void aNanActionStopsTheRolloutBeforeTheEnvSeesIt() {
        try (VectorEnv venv = VectorEnv.of(2, 1, i -> new LineEnv())) {
            GaussianPolicy pi = new GaussianPolicy(2, 1, new int[] {8}, Pointwise.TANH, new double[] {-1}, new double[] {1}, 0)
                    .initialize(3, 0);
            pi.params().get(0).value[0] = Float.NaN;
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, 2, 8, 1);
            Ppo ppo = new Ppo(small(), pi, critic, venv, 5, 3);
            TrainingDiverged e = assertThrows(TrainingDiverged.class, ppo::iterate);
            assertTrue(e.getMessage().startsWith("iteration 1, rollout step 0, env 0: the policy produced a non-finite action"),
                    e.getMessage());
            assertEquals(0, venv.totalSteps(), "no env was stepped with it");
        }
    }

    @Test
    void aNanLossStopsTheUpdateBeforeTheOptimizerStep() {
        try (VectorEnv venv = VectorEnv.of(2, 1, i -> new LineEnv())) {
            GaussianPolicy pi = new GaussianPolicy(2, 1, new int[] {8}, Pointwise.TANH, new double[] {-1}, new double[] {1}, 0)
                    .initialize(4, 0);
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, 2, 8, 1);
            Ppo ppo = new Ppo(small(), pi, critic, venv, 5, 4);
            ppo.iterate();
            List<float[]> before = new ArrayList<>();
            for (Param p : pi.params()) before.add(p.value.clone());
            ppo.setExtraLoss((obs, rec, it) -> Double.NaN);
            TrainingDiverged e = assertThrows(TrainingDiverged.class, ppo::iterate);
            assertTrue(e.getMessage().startsWith("iteration 2, epoch 0, minibatch 0: non-finite training value"), e.getMessage());
            for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), pi.params().get(i).value, "weights untouched");
        }
    }
}
