// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import org.blkmig.simdisk.Invariant;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code blkmig} command. Exit codes: 0 verified or complete, 1 a check failed or incomplete, 2 usage or input error. */
@Command(name = "blkmig", mixinStandardHelpOptions = true, version = "blkmig 0.1.0",
        description = "A testbed for live block migration (QEMU's block migration protocol).",
        subcommands = {SimulateCommand.class, SweepCommand.class, CampaignCommand.class, QemuCampaignCommand.class, MutantsCommand.class,
            FuzzCommand.class, GateCommand.class, CorpusCommand.class, MergeCommand.class, BenchCommand.class, DecodeCommand.class,
            ReceiveCommand.class, SendCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int CHECK_FAILED = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line in process (the tests use this). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(t -> USAGE);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("blkmig: " + ex.getMessage() + " (see: blkmig "
                    + commandPath(ex.getCommandLine()) + "--help)");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("blkmig: " + UserError.describe(ex));
            return USAGE;
        });
        try {
            return cl.execute(args);
        } catch (Invariant.Violation v) {
            // a bug of blkmig's own, found by its assertions: one line, and the run counts as failed
            err.println("blkmig: " + v.getMessage() + " (a bug of blkmig: please report it with this command line)");
            return CHECK_FAILED;
        }
    }

    private static String commandPath(CommandLine c) {
        StringBuilder b = new StringBuilder();
        for (CommandLine x = c; x.getParent() != null; x = x.getParent()) {
            b.insert(0, x.getCommandName() + " ");
        }
        return b.toString();
    }
}
