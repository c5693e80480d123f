package io.dmpo.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The round statistics of `bench nn`: a figure's level and when it has settled. */
class TimingTest {
    @Test
    void levelIsTheThirdLowestRoundAndIgnoresOrder() {
        assertEquals(10.4, Timing.level(List.of(16.0, 10.0, 10.4, 17.0, 10.2)));
        assertEquals(3.0, Timing.level(List.of(5.0, 3.0)), "fewer than three rounds: the lowest");
        assertEquals(7.0, Timing.level(List.of(7.0)));
        assertThrows(IllegalStateException.class, () -> Timing.level(List.of()));
    }

    @Test
    void settledNeedsThreeRoundsWithinFivePercentOfTheQuietest() {
        assertTrue(Timing.settled(List.of(16.0, 10.0, 10.4, 17.0, 10.5)));
        assertFalse(Timing.settled(List.of(16.0, 10.0, 10.4, 17.0, 10.6)), "third round 6 % above the quietest");
        assertFalse(Timing.settled(List.of(10.0, 10.0)), "two rounds are not enough");
        assertFalse(Timing.settled(List.of(10.0, 16.0, 16.0, 16.0)), "one lucky round is not a level");
    }

    /**
     * A two-level machine (the quiet level, or 1.6× slower for stretches): once settled, the level is within 5 % of
     * the quiet level whatever the order of the rounds — the property that makes five runs agree.
     */
    @Test
    void settledLevelOfABimodalMachineIsItsQuietLevel() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            List<Double> rounds = new ArrayList<>();
            int quiet = 3 + rng.nextInt(5);
            for (int i = 0; i < quiet; i++) rounds.add(100.0 * (1 + 0.04 * rng.nextDouble()));
            for (int i = 0; i < 10; i++) rounds.add(160.0 * (1 + 0.1 * rng.nextDouble()));
            Collections.shuffle(rounds, new java.util.Random(rng.nextLong()));
            assertTrue(Timing.settled(rounds), rounds.toString());
            assertTrue(Timing.level(rounds) <= 105.0, rounds.toString());
        }
    }
}
