package io.dmpo.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./dmpo bench ...}: benchmarks, kept out of the CLI's runtime classpath with their optional anchors. */
@Command(name = "dmpo bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of the engine (and, optionally, PyTorch / ONNX Runtime on the same networks).",
        subcommands = {NnBench.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("dmpo bench: error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (Boolean.getBoolean("dmpo.debug")) e.printStackTrace(c.getErr());
            return 1;
        });
        System.exit(cl.execute(args));
    }
}
