package io.dmpo.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad benchmark options are one line and exit 2 before anything is measured (not "Index -1 out of bounds"). */
class BenchOptionsTest {
    @Test
    void badOptionsAreOneLineAndExit2() {
        String[][] cases = {{"--samples", "0", "--samples must be >= 1"}, {"--repeats", "-1", "--repeats must be >= 1"},
                {"--threads", "0", "--threads must be >= 1"},
                {"--rounds", "0", "--rounds must be >= 1"}, {"--max-rounds", "5", "--max-rounds must be >= --rounds (10)"}, {"--warmup", "NaN", "--warmup must be"},
                {"--networks", "resnet", "unknown network 'resnet'"}, {"--vs", "tensorflow", "unknown anchor"},
                {"--bogus", "1", "Unknown option"}};
        for (String[] c : cases) {
            CommandLine cl = BenchMain.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute("nn", c[0], c[1]);
            assertEquals(2, code, err.toString());
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
            assertTrue(err.toString().contains(c[2]), err.toString());
        }
    }
}
