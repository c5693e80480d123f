package io.dmpo.bench;

import io.dmpo.io.Json;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `dmpo bench breakdown` at a tiny batch: every stage of the step is timed once, in the pre-trainer's order. */
class StepBreakdownTest {
    @Test
    @SuppressWarnings("unchecked")
    void everyStageOfTheStepIsTimed() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = BenchMain.commandLine().execute("breakdown", "--batch", "2", "--rounds", "1", "--threads", "1", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        Map<String, Object> out = (Map<String, Object>) Json.parse(buf.toString(StandardCharsets.UTF_8).strip());
        Map<String, Object> stages = (Map<String, Object>) out.get("stages_ms");
        List<String> names = List.copyOf(stages.keySet());
        assertEquals("data: sample windows", names.get(0));
        assertEquals("EMA", names.get(names.size() - 1));
        for (String layer : List.of("conv1 (8x8/4)", "conv2 (3x3/2)", "transformer block", "SpatialEmb")) {
            assertTrue(names.indexOf("encoder fwd: " + layer) >= 0 && names.indexOf("encoder bwd: " + layer) > names.indexOf("head bwd"), layer);
        }
        double sum = 0;
        for (Object v : stages.values()) {
            assertTrue(((Number) v).doubleValue() >= 0);
            sum += ((Number) v).doubleValue();
        }
        assertEquals(sum, ((Number) out.get("stages_sum_ms")).doubleValue(), 1e-9);
        assertTrue(((Number) out.get("whole_step_ms")).doubleValue() > 0);

        StringWriter err = new StringWriter();
        var cl = BenchMain.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("breakdown", "--batch", "1"));
        assertTrue(err.toString().contains("--batch >= 2"), err.toString());
    }
}
