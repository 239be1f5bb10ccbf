// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.function.ToDoubleFunction;
import org.blkmig.model.judge.Downtime;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.History;

/**
 * The same scenarios (same seed, guest, link) under two or more strategies, paired: each scenario is
 * drawn once (in the first strategy's scenario space) and run, and judged by every property, under
 * each. The figures are those the literature compares migrations by: total migration time, downtime,
 * bytes sent, dirty rounds, whether it converged, and what it cost the guest (its write throughput
 * while the migration ran, and the latency a throttle or a mirror added to its writes).
 */
public final class Comparison {
    private Comparison() {}

    /** One scenario under one strategy. Times in ms; downtime is NaN where the migration did not complete. */
    public record Run(int index, String strategy, String verdict, String failedProperty, String outcome, boolean completed,
            double totalMillis, double downtimeMillis, long bytesSent, int dirtyRounds, double guestThroughputMiBps,
            double guestWriteLatencyMeanMillis, double guestWriteLatencyMaxMillis, long guestWrites, double downtimeBudgetChunks) {}

    /** One scenario: its line and its run under each strategy, in the order given. */
    public record Row(int index, String scenario, List<Run> runs) {}

    /** A figure's name, unit and how to read it from a run (NaN: not defined for that run). */
    public record Metric(String id, String label, String unit, ToDoubleFunction<Run> value) {}

    public static final List<Metric> METRICS = List.of(
            new Metric("total", "total migration time", "ms", Run::totalMillis),
            new Metric("downtime", "downtime (guest stopped, to the last write durable)", "ms", Run::downtimeMillis),
            new Metric("bytes", "bytes sent", "MiB", r -> r.bytesSent() / 1048576.0),
            new Metric("rounds", "dirty rounds (slices after the bulk pass)", "slices", r -> r.dirtyRounds()),
            new Metric("throughput", "guest write throughput while the migration ran", "MiB/s",
                    Run::guestThroughputMiBps),
            new Metric("latency", "guest write latency added (mean per run)", "ms", Run::guestWriteLatencyMeanMillis));

    /** A paired difference of one metric, strategy minus the baseline, over the scenarios where both are defined. */
    public record Difference(String metric, String strategy, String baseline, int pairs, double mean, double low95,
            double high95) {}

    /** Runs scenarios 0..n-1 of the seed under each variant; {@code progress} gets the count of scenarios done. */
    public static List<Row> run(long seed, int scenarios, SizeMix sizes, List<Variant> variants, IntConsumer progress) {
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < scenarios; k++) {
            Scenario s = Campaign.choices(seed, k, sizes).toScenario(variants.get(0).profile());
            List<Run> runs = new ArrayList<>();
            for (Variant v : variants) {
                Judge.Outcome o = Judge.judge(s, v);
                runs.add(figures(k, v, o));
                o.release();
            }
            rows.add(new Row(k, s.toString(), List.copyOf(runs)));
            progress.accept(k + 1);
        }
        return rows;
    }

    static Run figures(int k, Variant v, Judge.Outcome o) {
        MigrationResult m = o.run().migration();
        Downtime.Figures d = Downtime.figures(o.facts());
        long stop = m.completed() && m.guestStoppedNanos() >= 0 ? m.guestStoppedNanos() : m.endNanos();
        long liveNanos = Math.max(1, stop - m.startNanos());
        long bytes = 0;
        for (History.Entry e : o.run().history().entries()) {
            if (e instanceof History.GuestWrite w && w.timeNanos() >= m.startNanos() && w.timeNanos() < stop) {
                bytes += w.sectorCount() * 512;
            }
        }
        // a guest that does not write has no throughput to lose
        double mibps = o.run().scenario().workload().writes() ? bytes * 1e9 / liveNanos / 1048576.0 : Double.NaN;
        int rounds = (int) m.slices().stream().filter(f -> !f.bulkPhase()).count();
        var g = o.run().guest();
        double meanLatency = g.writes() == 0 ? Double.NaN : g.delaySumNanos() / 1e6 / g.writes();
        String failed = o.firstFailure().map(x -> x.property().id()).orElse("");
        return new Run(k, v.profile().cliName, o.passed() ? "passed" : "FAILED", failed, m.outcome().name(), m.completed(),
                (m.endNanos() - m.startNanos()) / 1e6, d == null ? Double.NaN : d.downtimeNanos() / 1e6, m.bytesSent(), rounds,
                mibps, meanLatency, g.delayMaxNanos() / 1e6, g.writes(), budgetChunks(o.run().scenario()));
    }

    /** What the downtime limit carries at the rate limit, in chunks: under 1, no final copy of a dirty chunk fits it. */
    static double budgetChunks(Scenario s) {
        return s.bandwidthBytesPerSecond() * (s.maxDowntimeNanos() / 1e9) / s.chunkSizeBytes();
    }

    /** The paired difference of {@code metric} between strategy {@code i} and the baseline (strategy 0), with a 95% interval. */
    public static Difference difference(List<Row> rows, Metric metric, int i) {
        List<Double> ds = new ArrayList<>();
        for (Row r : rows) {
            double a = metric.value().applyAsDouble(r.runs().get(0));
            double b = metric.value().applyAsDouble(r.runs().get(i));
            if (!Double.isNaN(a) && !Double.isNaN(b)) {
                ds.add(b - a);
            }
        }
        int n = ds.size();
        double mean = ds.stream().mapToDouble(x -> x).average().orElse(Double.NaN);
        double var = n < 2 ? Double.NaN : ds.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / (n - 1);
        double half = n < 2 ? Double.NaN : 1.96 * Math.sqrt(var / n); // normal approximation: n is in the hundreds
        return new Difference(metric.id(), rows.get(0).runs().get(i).strategy(), rows.get(0).runs().get(0).strategy(), n, mean,
                mean - half, mean + half);
    }

    /** The values of a metric for strategy {@code i}, sorted, NaNs left out: the points of its CDF. */
    public static double[] sorted(List<Row> rows, Metric metric, int i) {
        return rows.stream().mapToDouble(r -> metric.value().applyAsDouble(r.runs().get(i))).filter(x -> !Double.isNaN(x))
                .sorted().toArray();
    }

    /** The value at quantile q (0..1) of sorted values, NaN if none. */
    public static double quantile(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    /**
     * The scenarios where strategy {@code i} and the baseline differ most: first those where one
     * completed and the other did not, or one failed a property; then by the largest gap in total time.
     */
    public static List<Row> differingMost(List<Row> rows, int i, int limit) {
        Comparator<Row> byVerdict = Comparator.comparingInt(r -> verdictGap(r, i));
        Comparator<Row> byTime = Comparator.comparingDouble(r -> Math.abs(r.runs().get(i).totalMillis()
                - r.runs().get(0).totalMillis()));
        return rows.stream().sorted(byVerdict.thenComparing(byTime).reversed()).limit(limit).toList();
    }

    private static int verdictGap(Row r, int i) {
        Run a = r.runs().get(0);
        Run b = r.runs().get(i);
        return (a.verdict().equals(b.verdict()) ? 0 : 2) + (a.completed() == b.completed() ? 0 : 1);
    }

    /** The share of scenarios strategy {@code i} completed. */
    public static double convergenceRate(List<Row> rows, int i) {
        return rows.isEmpty() ? Double.NaN : rows.stream().filter(r -> r.runs().get(i).completed()).count() / (double) rows.size();
    }

    /**
     * Where neither the baseline nor strategy {@code i} completed: how strategy {@code i}'s runs ended
     * (an injected fault or a cancel ends any strategy; DID_NOT_CONVERGE is the strategy's own).
     */
    public static Map<String, List<Row>> neitherCompleted(List<Row> rows, int i) {
        Map<String, List<Row>> out = new TreeMap<>();
        for (Row r : rows) {
            if (!r.runs().get(0).completed() && !r.runs().get(i).completed()) {
                out.computeIfAbsent(r.runs().get(i).outcome(), k -> new ArrayList<>()).add(r);
            }
        }
        return out;
    }

    /** Scenarios where the baseline did not complete and strategy {@code i} did, and the other way round. */
    public static int[] completionSwaps(List<Row> rows, int i) {
        int gained = 0;
        int lost = 0;
        for (Row r : rows) {
            boolean a = r.runs().get(0).completed();
            boolean b = r.runs().get(i).completed();
            gained += !a && b ? 1 : 0;
            lost += a && !b ? 1 : 0;
        }
        return new int[] {gained, lost};
    }
}
