// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.model.MutantMatrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "mutants", mixinStandardHelpOptions = true,
        description = {"The kill matrix: runs campaigns with each seeded bug switched on.",
            "Exit 0 only if every mutant is caught."})
final class MutantsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenarios", paramLabel = "N", defaultValue = "300", description = "At most this many scenarios per mutant (default ${DEFAULT-VALUE}).")
    int scenarios;

    @Mixin
    SharedOptions.Seed seed;

    @Mixin
    SharedOptions.ProfileOption profile;

    @Option(names = "--verbose", description = "Print each kill's shrunk scenario and replay command.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<MutantMatrix.Row> rows = new java.util.ArrayList<>();
        out.printf("%-32s %-13s %-7s %-26s %s%n", "mutant", "origin", "killed", "by property", "scenarios needed");
        for (org.blkmig.model.Mutant m : org.blkmig.model.Mutant.values()) {
            MutantMatrix.Row r = MutantMatrix.run(profile.profile(), m, seed.seed, scenarios, 60);
            rows.add(r);
            out.printf("%-32s %-13s %-7s %-26s %d%n", m.cliName(), m.origin, r.killed() ? "yes" : "NO",
                    r.killed() ? r.property().id : "-", r.scenariosNeeded());
            if (verbose && r.killed()) {
                out.println("    " + r.shrunk().outcome().report().replace("\n", "\n    "));
            }
        }
        long survivors = rows.stream().filter(r -> !r.killed()).count();
        out.println(survivors == 0 ? "all " + rows.size() + " mutants killed" : survivors + " of " + rows.size() + " mutants survived");
        return survivors == 0 ? Main.OK : Main.CHECK_FAILED;
    }
}
