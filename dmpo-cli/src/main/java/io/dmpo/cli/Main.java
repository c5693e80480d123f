package io.dmpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./dmpo} command line. Each subcommand is one class in this package. */
@Command(name = "dmpo", mixinStandardHelpOptions = true, version = "dmpo 0.1.0",
        description = "Dispersive MeanFlow Policy Optimization on the JVM: one-step generative robot policies.",
        subcommands = {CommandLine.HelpCommand.class, EnvCommand.class, ExportCommand.class,
                ExpertCommand.class, DatasetCommand.class, CollectCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command tree; subcommands register here. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::oneLineError);
        return cl;
    }

    /** Expected failures (bad input, missing files, native errors) print one line and exit non-zero; no stack trace. */
    static int oneLineError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        cl.getErr().println("dmpo: error: " + msg);
        if (Boolean.getBoolean("dmpo.debug")) e.printStackTrace(cl.getErr());
        return e instanceof UserError ue ? ue.exitCode() : 1;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
