// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CompareReport;
import org.blkmig.model.campaign.Comparison;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Runs the same scenarios (same seed, guest, link) under two or more strategies, paired.",
            "Per strategy: the verdicts and the distributions of total migration time, downtime, bytes sent, dirty rounds,",
            "convergence and the guest's cost; paired differences with 95% intervals; the scenarios where they differ most.",
            "Exit 0 when every run of every strategy held every property, 1 otherwise."})
final class CompareCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--profile", paramLabel = "NAME", required = true,
            description = "A strategy to compare (repeat: two or more); the first is the baseline and picks the scenario space.")
    List<String> profiles = new ArrayList<>();

    @Mixin
    SharedOptions.StrategyJars jars;

    @Option(names = "--scenarios", paramLabel = "N", defaultValue = "1000", description = "Scenarios (default ${DEFAULT-VALUE}).")
    int scenarios;

    @Mixin
    SharedOptions.Seed seed;

    @Mixin
    SharedOptions.SizesOption sizes;

    @Option(names = "--differing", paramLabel = "N", defaultValue = "5",
            description = "Scenarios that differ most to list per strategy (default ${DEFAULT-VALUE}).")
    int differing;

    @Mixin
    SharedOptions.Report report;

    @Override
    public Integer call() throws java.io.IOException {
        jars.load();
        Set<String> names = new LinkedHashSet<>(profiles);
        if (names.size() < 2) {
            throw new UserError("compare needs two or more distinct --profile");
        }
        if (scenarios < 1) {
            throw new UserError("--scenarios must be >= 1");
        }
        List<Variant> variants = names.stream().map(n -> new Variant(Profile.parse(n), Set.of())).toList();
        PrintWriter out = spec.commandLine().getOut();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "compare", scenarios);
        long t0 = System.nanoTime();
        List<Comparison.Row> rows = Comparison.run(seed.seed, scenarios, sizes.mix, variants, bar::update);
        bar.done();
        double seconds = (System.nanoTime() - t0) / 1e9;
        String replayPrefix = jars.jars.stream().map(j -> " --strategy-jar " + j).reduce("", String::concat);
        CompareReport r = new CompareReport(seed.seed, scenarios, sizes.mix, List.copyOf(names), rows, differing, replayPrefix);
        r.text().lines().forEach(out::println);
        out.printf("compare cost: %.1f s for %d runs%n", seconds, scenarios * names.size());
        if (report.dir != null) {
            r.write(report.dir);
            out.println("report: " + report.dir.resolve("report.html"));
        }
        return r.allPassed() ? Main.OK : Main.CHECK_FAILED;
    }
}
