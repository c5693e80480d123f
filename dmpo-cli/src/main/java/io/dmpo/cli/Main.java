package io.dmpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./dmpo} command line. Each subcommand is one class in this package. */
@Command(name = "dmpo", mixinStandardHelpOptions = true, version = "dmpo 0.1.0",
        description = "Dispersive MeanFlow Policy Optimization on the JVM: one-step generative robot policies.",
        subcommands = {CommandLine.HelpCommand.class, EnvCommand.class, ExportCommand.class,
                ExpertCommand.class, DatasetCommand.class, CollectCommand.class, DemosCommand.class,
                RunCommand.class, PretrainCommand.class, FinetuneCommand.class, EvalCommand.class, ReportCommand.class,
                ControlCommand.class, ServeCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Exit codes, the same for every command (README "Exit codes"): 0 success; 1 a failure while running (training
     * diverged, a write failed, an internal error); 2 bad input or usage (options, files, models, datasets, configs,
     * checkpoints); 3 a missing system dependency (libmujoco). Ctrl-C ends with the JVM's 130.
     */
    public static final int OK = 0, FAILURE = 1, BAD_INPUT = 2, MISSING_DEPENDENCY = 3;

    /** Builds the command tree; subcommands register here. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::oneLineError);
        cl.setParameterExceptionHandler(Main::usageError);
        return cl;
    }

    /** Expected failures (bad input, missing files, native errors) print one line and exit non-zero; no stack trace. */
    static int oneLineError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        int code = exitCode(e);
        String msg = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
        if (code == FAILURE && !expectedFailure(e)) {
            msg = "internal error: " + e.getClass().getSimpleName() + ": " + msg + " (rerun with DMPO_JAVA_OPTS=-Ddmpo.debug=true for the stack trace)";
        }
        cl.getErr().println("dmpo: error: " + firstLine(msg));
        if (Boolean.getBoolean("dmpo.debug")) e.printStackTrace(cl.getErr());
        return code;
    }

    /** Failures of a run that are not bugs: said as they are, without "internal error". */
    private static boolean expectedFailure(Exception e) {
        return e instanceof UserError || e instanceof io.dmpo.rl.TrainingDiverged || e instanceof java.io.IOException
                || e instanceof io.dmpo.train.Collector.Failure || e instanceof io.dmpo.mujoco.EnvProbe.Failure
                || e instanceof io.dmpo.train.MainJob.BudgetTooSmall;
    }

    /**
     * The exit code of an exception that ended a command (see {@link #OK}): the one mapping from the core's
     * exceptions to exit codes. Commands throw {@link UserError} only for what they check themselves (their options).
     */
    static int exitCode(Exception e) {
        if (e instanceof UserError ue) return ue.exitCode();
        if (e instanceof io.dmpo.mujoco.MujocoException.Unavailable) return MISSING_DEPENDENCY;
        if (e instanceof io.dmpo.data.DataException || e instanceof io.dmpo.run.RunException
                || e instanceof io.dmpo.io.SafeTensors.SafeTensorsException || e instanceof io.dmpo.mujoco.MujocoException.LoadError) {
            return BAD_INPUT;
        }
        return FAILURE;
    }

    /** A bad option or argument: one line (not the whole usage text), exit 2. */
    static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        cl.getErr().println("dmpo: error: " + firstLine(e.getMessage()) + " (see '" + cl.getCommandSpec().qualifiedName(" ")
                + " --help')");
        return BAD_INPUT;
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip() + " ...";
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
