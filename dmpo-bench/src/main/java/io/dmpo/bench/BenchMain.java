package io.dmpo.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./dmpo bench ...}: benchmarks, kept out of the CLI's runtime classpath with their optional anchors. */
@Command(name = "dmpo bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of the engine (and, optionally, PyTorch / ONNX Runtime on the same networks).",
        subcommands = {NnBench.class, PolicyBench.class, ServeBench.class, StepBreakdown.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree with one-line error handling (exit 2 for bad input, 1 for failures). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchMain());
        // the exit codes of ./dmpo (io.dmpo.cli.Main): 2 bad input or usage, 1 a failure while running
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("dmpo bench: error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (Boolean.getBoolean("dmpo.debug")) e.printStackTrace(c.getErr());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("dmpo bench: error: " + e.getMessage().strip().lines().findFirst().orElse("")
                    + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName(" ") + " --help')");
            return 2;
        });
        return cl;
    }
}
