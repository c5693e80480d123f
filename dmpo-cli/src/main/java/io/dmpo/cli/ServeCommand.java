package io.dmpo.cli;

import io.dmpo.nn.Parallel;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import io.dmpo.serve.PolicyEndpoint;
import io.dmpo.serve.PolicyServer;
import io.dmpo.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Collectors;

/**
 * {@code ./dmpo serve}: a policy file served to a robot stack over openpi's WebSocket protocol (docs/serving.md). The
 * protocol and the threads are {@link PolicyServer}'s; this command loads the file, reads the API key and logs.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a policy over openpi's WebSocket protocol (msgpack observations in, action chunks out; GET /healthz).")
public final class ServeCommand implements Runnable {
    @Parameters(paramLabel = "<policy file | run dir>", description = "a .safetensors policy file or a run directory holding one")
    Path target;

    @Option(names = "--port", description = "TCP port (default ${DEFAULT-VALUE}, openpi's; 0 = any free port)")
    int port = 8000;

    @Option(names = "--host", description = "address to bind (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 = every interface)")
    String host = "127.0.0.1";

    @Option(names = "--api-key-file", description = "a file holding the key clients must send as 'Authorization: Api-Key <key>'")
    Path apiKeyFile;

    @Option(names = "--threads", description = "engine threads per request (default ${DEFAULT-VALUE}; a pixel policy's latency drops with 2)")
    int threads = 1;

    @Option(names = "--workers", description = "requests computed at once, across connections (default: cores = ${DEFAULT-VALUE})")
    int workers = Runtime.getRuntime().availableProcessors();

    @Option(names = "--seed", description = "seed of the connections' noise streams (default ${DEFAULT-VALUE})")
    long seed = 0;

    @Override
    public void run() {
        Check.atLeast("--threads", threads, 1);
        Check.atLeast("--workers", workers, 1);
        if (port < 0 || port > 65535) throw new UserError("--port must be in [0, 65535], got " + port, 2);
        Path file = Files.isDirectory(target) ? target.resolve(Pretrainer.POLICY) : target;
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such policy file", 2);
        FlowPolicy policy;
        try {
            policy = PolicyFile.load(file);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2);
        }
        String apiKey = apiKeyFile == null ? null : readKey(apiKeyFile);
        Parallel.setThreads(threads);
        PolicyEndpoint endpoint;
        try {
            endpoint = new PolicyEndpoint(policy, file.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage(), 2);
        }
        PolicyServer server;
        try {
            server = PolicyServer.start(endpoint, new PolicyServer.Options(host, port, apiKey, workers, seed), ServeCommand::log);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 1);
        }
        FlowPolicy.Spec s = policy.spec();
        String keys = endpoint.observationKeys().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().get("dtype") + " " + e.getValue().get("shape"))
                .collect(Collectors.joining(", "));
        log(String.format("serving %s (%s, K = %d) on ws://%s:%d/ (health: GET /healthz%s): %s -> actions <f4 [%d, %d], first %d executed",
                file, s.algorithm(), s.steps(), host, server.port(), apiKey == null ? "" : "; API key required", keys,
                s.horizon(), s.actDim(), s.actSteps()));
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            server.close();
            log("stopped after " + server.requests() + " requests");
        }));
        try {
            server.awaitClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readKey(Path f) {
        String key;
        try {
            key = Files.readString(f, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UserError(f + ": cannot read the API key file (" + e.getMessage() + ")", 2);
        }
        if (key.isEmpty()) throw new UserError(f + ": the API key file is empty", 2);
        if (key.lines().count() > 1 || key.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new UserError(f + ": an API key is one line of printable ASCII without spaces", 2);
        }
        return key;
    }

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** One log line (stdout), timestamped. */
    static void log(String line) {
        System.out.println(LocalTime.now().format(CLOCK) + " dmpo serve: " + line);
        System.out.flush();
    }
}
