// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Promise;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.MigrationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One scenario over many seeds, in one JVM: how often each outcome and each failed property
 * occur. The seed draws everything a scenario leaves to chance (read latencies, completion order,
 * the undefined tail, the destination's cluster size), so the counts are the model's rate of each
 * failure for that scenario, to set beside a real QEMU's (bench/calibrate.sh).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Runs one scenario with seeds S, S+1, ... and counts each outcome and each failed property.",
            "The scenario line may leave out 'seed=' (it is replaced by each seed in turn).",
            "Exit 0 when every seed passes, 1 when one fails."})
final class SweepCommand implements Callable<Integer> {
    /** Failing seeds listed with their replay command at most. */
    static final int LISTED_FAILURES = 3;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenario", paramLabel = "LINE", required = true,
            description = "The scenario, as simulate prints it; its seed= part may be left out.")
    String line;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "200", description = "How many seeds (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "The first seed (default ${DEFAULT-VALUE}).")
    long firstSeed;

    @Mixin
    SharedOptions.ProfileOption profile;

    @Mixin
    SharedOptions.Mutants mutants;

    /** What a sweep counted. */
    record Counts(long firstSeed, int runs, Map<MigrationResult.Outcome, Integer> outcomes, Map<Promise, Integer> failedProperties,
            int failedSeeds, List<Long> firstFailingSeeds, long[] migrationNanos, long[] bytesSent) {}

    @Override
    public Integer call() {
        if (seeds < 1) {
            throw new UserError("--seeds must be >= 1");
        }
        Scenario base = parse(line);
        Variant variant = SharedOptions.variant(profile, mutants);
        PrintWriter out = spec.commandLine().getOut();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "sweep", seeds);
        long t0 = System.nanoTime();
        Counts c = sweep(base, variant, firstSeed, seeds, bar::update);
        bar.done();
        double wallSeconds = (System.nanoTime() - t0) / 1e9;
        print(out, base, variant, c, wallSeconds);
        return c.failedSeeds() == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    /** The scenario of a line, its seed optional (0 when absent: every seed is replaced). */
    static Scenario parse(String line) {
        String l = line.strip();
        boolean hasSeed = Arrays.stream(l.split(";")).anyMatch(p -> p.strip().startsWith("seed="));
        return Scenario.parse(hasSeed ? l : l + (l.endsWith(";") ? "" : ";") + "seed=0");
    }

    static Counts sweep(Scenario base, Variant variant, long firstSeed, int seeds, java.util.function.LongConsumer progress) {
        Map<MigrationResult.Outcome, Integer> outcomes = new EnumMap<>(MigrationResult.Outcome.class);
        Map<Promise, Integer> failed = new java.util.LinkedHashMap<>();
        List<Long> firstFailing = new ArrayList<>();
        long[] nanos = new long[seeds];
        long[] bytes = new long[seeds];
        int failedSeeds = 0;
        for (int i = 0; i < seeds; i++) {
            long seed = firstSeed + i;
            Judge.Outcome o = Judge.judge(base.withSeed(seed), variant);
            MigrationResult m = o.run().migration();
            outcomes.merge(m.outcome(), 1, Integer::sum);
            nanos[i] = m.migrationNanos();
            bytes[i] = m.bytesSent();
            boolean any = false;
            for (Verdict v : o.verdicts()) {
                if (!v.passed()) {
                    failed.merge(v.property(), 1, Integer::sum);
                    any = true;
                }
            }
            if (any) {
                failedSeeds++;
                if (firstFailing.size() < LISTED_FAILURES) {
                    firstFailing.add(seed);
                }
            }
            progress.accept(i + 1);
        }
        return new Counts(firstSeed, seeds, outcomes, failed, failedSeeds, firstFailing, nanos, bytes);
    }

    static void print(PrintWriter out, Scenario base, Variant variant, Counts c, double wallSeconds) {
        out.println("scenario:    " + withoutSeed(base));
        out.println("variant:     " + variant);
        out.printf("seeds:       %d (%d..%d), %.1f s wall%n", c.runs(), c.firstSeed(), c.firstSeed() + c.runs() - 1, wallSeconds);
        for (Map.Entry<MigrationResult.Outcome, Integer> e : c.outcomes().entrySet()) {
            out.printf("outcome %-17s %d of %d seeds%n", e.getKey(), e.getValue(), c.runs());
        }
        for (Promise p : Properties.ALL) {
            int n = c.failedProperties().getOrDefault(p, 0);
            if (n > 0) {
                out.printf("failed %-18s %d of %d seeds%n", p.id(), n, c.runs());
            }
        }
        out.printf("failed any                %d of %d seeds%n", c.failedSeeds(), c.runs());
        out.printf("simulated migration ms    min %.1f, median %.1f, max %.1f%n", percentile(c.migrationNanos(), 0) / 1e6,
                percentile(c.migrationNanos(), 50) / 1e6, percentile(c.migrationNanos(), 100) / 1e6);
        out.printf("stream bytes sent MiB     min %.1f, median %.1f, max %.1f%n", percentile(c.bytesSent(), 0) / 1048576.0,
                percentile(c.bytesSent(), 50) / 1048576.0, percentile(c.bytesSent(), 100) / 1048576.0);
        for (long s : c.firstFailingSeeds()) {
            out.println("failing seed " + s + ": " + Judge.replayCommand(base.withSeed(s), variant));
        }
    }

    /** The scenario line without its seed part: the sweep replaces it. */
    static String withoutSeed(Scenario s) {
        return String.join(";", Arrays.stream(s.toString().split(";")).filter(p -> !p.startsWith("seed=")).toList());
    }

    /** The value at a percentile of the figures, by rank (50: the lower median). */
    static long percentile(long[] values, int percent) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[(int) ((long) (v.length - 1) * percent / 100)];
    }
}
