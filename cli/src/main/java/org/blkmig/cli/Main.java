// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.Invariant;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code blkmig} command. Exit codes: 0 verified or complete, 1 a check failed or incomplete, 2 usage or input error. */
@Command(name = "blkmig", mixinStandardHelpOptions = true, version = "blkmig 0.1.0",
        description = "A testbed for live block migration (QEMU's block migration protocol).")
public final class Main implements Runnable {
    /**
     * The subcommands, in the order help lists them. Only the one named on the command line is
     * built: picocli's model of all of them took ~0.2 CPU-s of every start, which a migration waits for.
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("simulate", SimulateCommand::new);
        SUBCOMMANDS.put("sweep", SweepCommand::new);
        SUBCOMMANDS.put("campaign", CampaignCommand::new);
        SUBCOMMANDS.put("qemu-campaign", QemuCampaignCommand::new);
        SUBCOMMANDS.put("mutants", MutantsCommand::new);
        SUBCOMMANDS.put("compare", CompareCommand::new);
        SUBCOMMANDS.put("fuzz", FuzzCommand::new);
        SUBCOMMANDS.put("gate", GateCommand::new);
        SUBCOMMANDS.put("corpus", CorpusCommand::new);
        SUBCOMMANDS.put("merge", MergeCommand::new);
        SUBCOMMANDS.put("bench", BenchCommand::new);
        SUBCOMMANDS.put("properties", PropertiesCommand::new);
        SUBCOMMANDS.put("decode", DecodeCommand::new);
        SUBCOMMANDS.put("receive", ReceiveCommand::new);
        SUBCOMMANDS.put("send", SendCommand::new);
        SUBCOMMANDS.put("certs", CertsCommand::new);
        SUBCOMMANDS.put("help", CommandLine.HelpCommand::new);
    }

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
        if (args.length > 0 && (args[0].equals("send") || args[0].equals("receive"))) {
            // the file disks' native calls load on the other core while picocli builds its model
            Thread warmUp = new Thread(FileDisk::prepareSparseCalls, "blkmig-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
        Supplier<Object> named = args.length > 0 && !args[0].equals("help") ? SUBCOMMANDS.get(args[0]) : null;
        CommandLine cl;
        if (named != null) {
            cl = new CommandLine(new Main());
            cl.addSubcommand(args[0], named.get());
        } else {
            cl = withEverySubcommand();
        }
        CommandLine simulate = cl.getSubcommands().get("simulate");
        if (simulate != null) {
            simulate.getCommandSpec().usageMessage().footer(PropertiesCommand.footer().toArray(String[]::new));
        }
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

    /** The command with every subcommand built: for help, and for tests that parse any command line. */
    static CommandLine withEverySubcommand() {
        CommandLine cl = new CommandLine(new Main());
        SUBCOMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        return cl;
    }

    private static String commandPath(CommandLine c) {
        StringBuilder b = new StringBuilder();
        for (CommandLine x = c; x.getParent() != null; x = x.getParent()) {
            b.insert(0, x.getCommandName() + " ");
        }
        return b.toString();
    }
}
