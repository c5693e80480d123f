package io.dmpo.rl;

import io.dmpo.io.Json;
import io.dmpo.train.ConfigMap;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One spelling of the PPO settings: config key = snake_case field name, in files, run records and errors. */
class PpoConfigTest {
    @Test
    void everySettingHasOneSnakeCaseKeyThatRoundTrips() {
        PpoConfig c = new PpoConfig();
        c.rolloutSteps = 33;
        c.actorLrSchedule = "cosine";
        c.actorLrMinFraction = 0.25;
        c.rewardScaling = false;
        Map<String, Object> m = c.toMap();
        for (String k : m.keySet()) assertEquals(k.toLowerCase(java.util.Locale.ROOT), k, "snake_case key " + k);
        assertEquals(PpoConfig.class.getFields().length, m.size());
        // what a run's config.json holds reads back to the same settings, through JSON and through a config file
        assertEquals(m, PpoConfig.fromMap(castMap(Json.parse(Json.write(m)))).toMap());
        ConfigMap file = new ConfigMap(castMap(Json.parse(Json.write(m))), "test.yaml");
        assertEquals(m, PpoConfig.read(file, new PpoConfig(), Set.of()).toMap());
        file.requireAllRead();
    }

    @Test
    void readTakesTheTrainersDefaultsAndRefusesItsFixedKeys() {
        PpoConfig defaults = new PpoConfig();
        defaults.epochs = 3;
        defaults.normalizeObs = false;
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("clip", 0.05));
        PpoConfig c = PpoConfig.read(new ConfigMap(yaml, "a.yaml"), defaults, Set.of("normalize_obs"));
        assertEquals(3, c.epochs);
        assertEquals(0.05, c.clip);
        assertEquals(false, c.normalizeObs);
        assertEquals(10, new PpoConfig().epochs, "the defaults object is not changed by reading");
        yaml.put("normalize_obs", true);
        ConfigMap fixed = new ConfigMap(yaml, "a.yaml");
        PpoConfig.read(fixed, defaults, Set.of("normalize_obs"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, fixed::requireAllRead);
        assertTrue(e.getMessage().contains("'normalize_obs'"), e.getMessage());
    }

    @Test
    void runsRecordedWithCamelCaseKeysStillLoad() {
        Map<String, Object> old = new LinkedHashMap<>();
        old.put("rolloutSteps", 128);
        old.put("lrSchedule", "constant");
        old.put("lrMinFraction", 0.5);
        old.put("scaleRewards", false);
        old.put("obsClip", 5.0);
        PpoConfig c = PpoConfig.fromMap(old);
        assertEquals(128, c.rolloutSteps);
        assertEquals("constant", c.actorLrSchedule);
        assertEquals(0.5, c.actorLrMinFraction);
        assertEquals(false, c.rewardScaling);
        assertEquals(5.0, c.obsClip);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PpoConfig.fromMap(Map.of("clipp", 0.1)));
        assertTrue(e.getMessage().contains("'clipp'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PpoConfig.fromMap(Map.of("epochs", 2.5)));
        assertTrue(e.getMessage().contains("'epochs' must be an integer"), e.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
