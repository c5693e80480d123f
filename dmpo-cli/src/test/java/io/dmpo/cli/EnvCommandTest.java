package io.dmpo.cli;

import io.dmpo.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class EnvCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T json(Run r) {
        return (T) Json.parse(r.out().strip());
    }

    @Test
    void listJson() {
        Run r = run("env", "list", "--json");
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> rows = json(r);
        Map<String, List<Integer>> dims = new LinkedHashMap<>();
        for (Map<String, Object> row : rows) {
            dims.put((String) row.get("name"), List.of(((Number) row.get("obs_dim")).intValue(), ((Number) row.get("act_dim")).intValue()));
            assertTrue(((Number) row.get("frame_skip")).intValue() >= 1, row.toString());
            assertTrue(((Number) row.get("dt")).doubleValue() > 0, row.toString());
        }
        assertEquals(Map.of("hopper", List.of(11, 3), "walker2d", List.of(17, 6), "halfcheetah", List.of(17, 6),
                "ant", List.of(27, 8), "humanoid", List.of(376, 17), "lift", List.of(19, 7), "can", List.of(19, 7),
                "square", List.of(19, 7)), dims);
    }

    @Test
    void checkHopperJson() {
        Run r = run("env", "check", "hopper", "--steps", "300", "--envs", "2", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> m = json(r);
        assertEquals(true, m.get("deterministic"));
        assertTrue(((String) m.get("checksum")).matches("[0-9a-f]{16}"), String.valueOf(m.get("checksum")));
        assertEquals("hopper", m.get("task"));
        assertEquals(11L, m.get("obs_dim"));
        assertEquals(3L, m.get("act_dim"));
        assertEquals(2L, m.get("envs"));
        assertEquals(2L, m.get("threads"));
        assertEquals(300L, m.get("steps_per_env"));
        assertEquals(0L, m.get("instabilities"));
    }

    @Test
    void brokenMjcfExits2WithMujocosMessage(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.xml");
        Files.writeString(bad, "<mujoco><worldbody><geom type=\"sphere\" size=\"-1\"/></worldbody></mujoco>");
        Run r = run("env", "check", "mjcf:" + bad);
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("dmpo: error: "), r.err());
        assertTrue(r.err().contains("size"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = run("env", "check", "mjcf:" + dir.resolve("missing.xml"));
        assertEquals(2, r.code());
        r = run("env", "check", "no-such-task");
        assertEquals(2, r.code());
    }

    @Test
    void helpEverywhere() {
        for (String[] a : new String[][] {{"env", "--help"}, {"env", "list", "--help"}, {"env", "check", "--help"},
                {"env", "bench", "--help"}}) {
            Run r = run(a);
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage:"), r.out());
        }
    }
}
