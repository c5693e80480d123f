package io.dmpo.cli;

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

    @Test
    void listJson() {
        Run r = run("env", "list", "--json");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"\"name\": \"hopper\", \"obs_dim\": 11, \"act_dim\": 3",
                "\"name\": \"walker2d\", \"obs_dim\": 17, \"act_dim\": 6",
                "\"name\": \"halfcheetah\", \"obs_dim\": 17, \"act_dim\": 6",
                "\"name\": \"ant\", \"obs_dim\": 27, \"act_dim\": 8",
                "\"name\": \"humanoid\", \"obs_dim\": 376, \"act_dim\": 17"}) {
            assertTrue(r.out().contains(s), r.out());
        }
    }

    @Test
    void checkHopperJson() {
        Run r = run("env", "check", "hopper", "--steps", "300", "--envs", "2", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"deterministic\": true"), r.out());
        assertTrue(r.out().contains("\"checksum\": \""), r.out());
        assertTrue(r.out().contains("\"obs_dim\": 11"), r.out());
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
