// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CiReport;
import org.blkmig.model.campaign.MutantMatrix;
import org.blkmig.model.campaign.SizeMix;
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

    @Mixin
    SharedOptions.SizesOption sizes;

    @Option(names = "--mutant", paramLabel = "NAME",
            description = "Only these mutants (repeatable): of the catalogue, or of the profile's strategy.")
    List<String> only = new java.util.ArrayList<>();

    @Option(names = "--verbose", description = "Print each kill's shrunk scenario and replay command.")
    boolean verbose;

    @Mixin
    CiReport.Outputs ci;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.println("kill matrix: campaign seed " + seed.seed + ", up to " + scenarios + " scenarios per mutant, " + sizes.mix.describe());
        org.blkmig.sender.Profile p = profile.profile();
        java.util.Set<org.blkmig.model.scenario.Mutant> catalogue = org.blkmig.model.scenario.Mutant.simulated();
        List<org.blkmig.sender.strategy.StrategyMutant> own = p.strategyMutants();
        if (!only.isEmpty()) {
            SharedOptions.Mutants named = new SharedOptions.Mutants();
            named.names = only;
            org.blkmig.model.scenario.Variant v = SharedOptions.variant(p, named); // one clear error for an unknown name
            catalogue = v.mutants().isEmpty() ? java.util.Set.of() : java.util.EnumSet.copyOf(v.mutants()); // catalogue order
            own = own.stream().filter(m -> only.contains(m.name())).toList();
        }
        List<CiReport.Case> cases = matrix(out, p, seed.seed, scenarios, verbose, catalogue, sizes.mix);
        cases.addAll(strategyMatrix(out, p, own, seed.seed, scenarios, verbose, sizes.mix));
        out.println(realThreadsNote());
        long survivors = cases.stream().filter(c -> c.status() == CiReport.Status.FAILED).count();
        out.println(survivors == 0 ? "all " + cases.size() + " mutants killed" : survivors + " of " + cases.size() + " mutants survived");
        new CiReport("blkmig mutants").addAll(cases).write(ci);
        return survivors == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    /** Why the real-thread mutants are not in the matrix, and where they are killed. */
    static String realThreadsNote() {
        java.util.Set<org.blkmig.model.scenario.Mutant> rt = org.blkmig.model.scenario.Mutant.of(
                org.blkmig.model.scenario.Mutant.Kind.REAL_THREADS);
        return "skipped " + rt.size() + " real-thread mutants (" + rt.stream().map(org.blkmig.model.scenario.Mutant::cliName)
                .collect(java.util.stream.Collectors.joining(", ")) + "): a simulated run has one thread and cannot see them;"
                + " the controlled-schedule tests (module controlled, Fray) kill them in mvn verify (TESTING.md)";
    }

    /** The rows of the profile's strategy's own seeded bugs, printed as they run (origin: strategy NAME). */
    static List<CiReport.Case> strategyMatrix(PrintWriter out, org.blkmig.sender.Profile profile,
            List<org.blkmig.sender.strategy.StrategyMutant> mutants, long seed, int scenarios, boolean verbose, SizeMix sizes) {
        List<CiReport.Case> cases = new java.util.ArrayList<>();
        for (org.blkmig.sender.strategy.StrategyMutant m : mutants) {
            long t0 = System.nanoTime();
            MutantMatrix.Kill k = MutantMatrix.kill(new org.blkmig.model.scenario.Variant(profile.withStrategyMutant(m.name()),
                    java.util.Set.of()), seed, scenarios, 60, sizes);
            cases.add(row(out, m.name(), "strategy", m.description(), k, seed, sizes, verbose, (System.nanoTime() - t0) / 1e9));
        }
        return cases;
    }

    /** One row of the matrix, printed, and its case. */
    private static CiReport.Case row(PrintWriter out, String name, String origin, String description, MutantMatrix.Kill r,
            long seed, SizeMix sizes, boolean verbose, double seconds) {
        out.printf("%-32s %-13s %-7s %-26s %d%n", name, origin, r.killed() ? "yes" : "NO",
                r.killed() ? r.property().id() : "-", r.scenariosNeeded());
        if (verbose && r.killed()) {
            out.println("    " + r.shrunk().outcome().report().replace("\n", "\n    "));
        }
        return r.killed()
                ? CiReport.Case.passed("mutants", name, "killed by " + r.property().id() + " after " + r.scenariosNeeded()
                        + " scenario(s): " + r.shrunk().outcome().report(), seconds)
                : CiReport.Case.failed("mutants", name, "survived " + r.scenariosNeeded() + " scenarios (seed " + seed
                        + (sizes == SizeMix.DEFAULT ? "" : ", --sizes " + sizes.cliName) + "): " + description, "", seconds);
    }

    /** The kill matrix, printed as it runs: one case per mutant, failed when it survived. */
    static List<CiReport.Case> matrix(PrintWriter out, org.blkmig.sender.Profile profile, long seed, int scenarios, boolean verbose,
            java.util.Set<org.blkmig.model.scenario.Mutant> mutants, SizeMix sizes) {
        List<CiReport.Case> cases = new java.util.ArrayList<>();
        out.printf("%-32s %-13s %-7s %-26s %s%n", "mutant", "origin", "killed", "by property", "scenarios needed");
        for (org.blkmig.model.scenario.Mutant m : mutants) {
            long t0 = System.nanoTime();
            MutantMatrix.Row r = MutantMatrix.run(profile, m, seed, scenarios, 60, sizes);
            cases.add(row(out, m.cliName(), m.origin, m.description(),
                    new MutantMatrix.Kill(r.killed(), r.property(), r.scenariosNeeded(), r.shrunk()), seed, sizes, verbose,
                    (System.nanoTime() - t0) / 1e9));
        }
        return cases;
    }
}
