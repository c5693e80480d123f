package io.dmpo.cli;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.PolicyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./dmpo serve}'s bad input: one line and the exit code, before anything listens (the server: dmpo-serve's tests). */
class ServeCommandTest {
    private static Path policy(Path dir) throws Exception {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 0);
        float[] lo = new float[11], hi = new float[11];
        Arrays.fill(lo, -1);
        Arrays.fill(hi, 1);
        FlowPolicy p = new FlowPolicy(new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of()),
                actor, new MinMaxNormalizer(lo, hi), new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
        Path f = dir.resolve("policy.safetensors");
        PolicyFile.save(f, p);
        return f;
    }

    private static void assertOneLine(EnvCommandTest.Run r, int code, String fragment) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(fragment), r.err());
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws Exception {
        assertOneLine(EnvCommandTest.run("serve", dir.resolve("none.safetensors").toString()), 2, "no such policy file");
        Path p = policy(dir);
        Path cut = dir.resolve("cut.safetensors");
        byte[] b = Files.readAllBytes(p);
        Files.write(cut, Arrays.copyOf(b, b.length / 2));
        assertOneLine(EnvCommandTest.run("serve", cut.toString()), 2, "cut.safetensors");
        Path empty = Files.writeString(dir.resolve("key"), "  \n");
        assertOneLine(EnvCommandTest.run("serve", p.toString(), "--api-key-file", empty.toString()), 2, "the API key file is empty");
        assertOneLine(EnvCommandTest.run("serve", p.toString(), "--api-key-file", dir.resolve("nokey").toString()), 2, "cannot read the API key file");
        assertOneLine(EnvCommandTest.run("serve", p.toString(), "--port", "70000"), 2, "--port must be in [0, 65535]");
        assertOneLine(EnvCommandTest.run("serve", p.toString(), "--host", "999.1.1.1", "--port", "0"), 1, "cannot listen on 999.1.1.1:0: not an address");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertOneLine(EnvCommandTest.run("serve", p.toString(), "--port", String.valueOf(taken.getLocalPort())), 1, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }
}
