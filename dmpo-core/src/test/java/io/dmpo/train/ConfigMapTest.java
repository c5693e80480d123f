package io.dmpo.train;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed, strict reads of config values: lists from YAML and from --set, defaults, and one-line errors. */
class ConfigMapTest {
    @Test
    void stringListsFromYamlAndFromSet() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("obs_keys", List.of("agentview_image", "robot0_eef_pos"));
        raw.put("from_set", "[a, b ,c]");
        raw.put("plain", "x");
        ConfigMap c = new ConfigMap(raw, "cfg.yaml");
        assertEquals(List.of("agentview_image", "robot0_eef_pos"), c.strings("obs_keys", null));
        assertEquals(List.of("a", "b", "c"), c.strings("from_set", null));
        assertEquals(List.of("x"), c.strings("plain", null));
        assertEquals(List.of(), c.strings("absent", null));
        assertEquals(List.of("d"), c.strings("absent2", List.of("d")));
        assertEquals(List.of("agentview_image", "robot0_eef_pos"), c.resolved().get("obs_keys"));
        c.requireAllRead();
    }

    @Test
    void badListsAreOneLineErrorsNamingTheKey() {
        ConfigMap c = new ConfigMap(new LinkedHashMap<>(Map.of("obs_keys", List.of("a", 3), "n", 5)), "cfg.yaml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.strings("obs_keys", null));
        assertTrue(e.getMessage().contains("obs_keys") && e.getMessage().contains("cfg.yaml"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.strings("n", null));
        assertArrayEquals(new int[] {5}, c.integers("n", new int[0]));
    }
}
