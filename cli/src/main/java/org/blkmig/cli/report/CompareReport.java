// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.blkmig.model.campaign.Comparison;
import org.blkmig.model.campaign.SizeMix;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/** What {@code blkmig compare} prints and writes: a table, paired differences, CDFs, the scenarios that differ most. */
public final class CompareReport {
    private final long seed;
    private final int scenarios;
    private final SizeMix sizes;
    private final List<String> strategies;
    private final List<Comparison.Row> rows;
    private final int differing;
    private final String replayPrefix;

    public CompareReport(long seed, int scenarios, SizeMix sizes, List<String> strategies, List<Comparison.Row> rows,
            int differing, String replayPrefix) {
        this.seed = seed;
        this.scenarios = scenarios;
        this.sizes = sizes;
        this.strategies = strategies;
        this.rows = rows;
        this.differing = differing;
        this.replayPrefix = replayPrefix;
    }

    public boolean allPassed() {
        return rows.stream().allMatch(r -> r.runs().stream().allMatch(x -> x.verdict().equals("passed")));
    }

    /** One line per strategy: verdicts, convergence, and median / 90th / 99th percentiles of each metric. */
    List<String[]> summary() {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < strategies.size(); i++) {
            final int s = i;
            long passed = rows.stream().filter(r -> r.runs().get(s).verdict().equals("passed")).count();
            List<String> cells = new ArrayList<>(List.of(strategies.get(i), passed + "/" + rows.size(),
                    pct(Comparison.convergenceRate(rows, i))));
            for (Comparison.Metric m : Comparison.METRICS) {
                double[] v = Comparison.sorted(rows, m, i);
                cells.add(num(Comparison.quantile(v, 0.5)) + " / " + num(Comparison.quantile(v, 0.9)) + " / "
                        + num(Comparison.quantile(v, 0.99)));
            }
            out.add(cells.toArray(String[]::new));
        }
        return out;
    }

    List<String> header() {
        List<String> h = new ArrayList<>(List.of("strategy", "passed", "converged"));
        Comparison.METRICS.forEach(m -> h.add(m.id() + " (" + m.unit() + ") p50/p90/p99"));
        return h;
    }

    List<Comparison.Difference> differences() {
        List<Comparison.Difference> out = new ArrayList<>();
        for (int i = 1; i < strategies.size(); i++) {
            for (Comparison.Metric m : Comparison.METRICS) {
                out.add(Comparison.difference(rows, m, i));
            }
        }
        return out;
    }

    /** Why neither completed, by strategy i's outcome: faults and cancels end every strategy alike. */
    String neitherLine(int i) {
        Map<String, List<Comparison.Row>> n = Comparison.neitherCompleted(rows, i);
        StringBuilder b = new StringBuilder("neither " + strategies.get(0) + " nor " + strategies.get(i) + " completed "
                + n.values().stream().mapToInt(List::size).sum() + " scenario(s)");
        n.forEach((outcome, rs) -> b.append(", ").append(rs.size()).append(" ").append(outcome));
        return b.append(" (FAILED: an injected read or link fault; CANCELLED: the scenario cancels)").toString();
    }

    /** Where strategy i did not converge, and what the downtime limit carried there: why it could not. */
    String notConvergedLine(int i) {
        List<Comparison.Run> nc = rows.stream().map(r -> r.runs().get(i)).filter(x -> x.outcome().equals("DID_NOT_CONVERGE"))
                .toList();
        long underOne = nc.stream().filter(x -> x.downtimeBudgetChunks() < 1).count();
        long underFour = nc.stream().filter(x -> x.downtimeBudgetChunks() < 4).count();
        return strategies.get(i) + " did not converge in " + nc.size() + " scenario(s): " + underOne + " with a downtime budget"
                + " under 1 chunk (no final copy of a dirty chunk fits the limit), " + underFour + " under 4 chunks (where the"
                + " judge expects no convergence)";
    }

    String replay(Comparison.Row r, String strategy) {
        return "./blkmig simulate --scenario '" + r.scenario() + "'" + replayPrefix
                + (strategy.equals("blkmig") ? "" : " --profile " + strategy);
    }

    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("compare: seed %d, %d scenarios, %s, in %s's scenario space; the first strategy is the baseline%n",
                seed, scenarios, sizes.describe(), strategies.get(0)));
        List<String> h = header();
        List<String[]> table = new ArrayList<>();
        table.add(h.toArray(String[]::new));
        table.addAll(summary());
        int[] widths = new int[h.size()];
        for (String[] row : table) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : table) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        for (int i = 0; i < strategies.size(); i++) {
            final int s = i;
            Map<String, Long> failures = new LinkedHashMap<>();
            rows.forEach(r -> {
                String f = r.runs().get(s).failedProperty();
                if (!f.isEmpty()) {
                    failures.merge(f, 1L, Long::sum);
                }
            });
            if (!failures.isEmpty()) {
                b.append("FAILED ").append(strategies.get(i)).append(": ").append(failures).append('\n');
            }
        }
        b.append("paired differences, strategy minus ").append(strategies.get(0)).append(" (mean [95% interval], pairs):\n");
        for (Comparison.Difference d : differences()) {
            b.append(String.format("  %-10s %-11s %s [%s, %s] over %d%n", d.strategy(), d.metric(), signed(d.mean()),
                    signed(d.low95()), signed(d.high95()), d.pairs()));
        }
        for (int i = 1; i < strategies.size(); i++) {
            int[] swaps = Comparison.completionSwaps(rows, i);
            b.append(String.format("completion: %s completed %d scenario(s) %s did not; %s completed %d that %s did not%n",
                    strategies.get(i), swaps[0], strategies.get(0), strategies.get(0), swaps[1], strategies.get(i)));
            b.append("  ").append(neitherLine(i)).append('\n');
            b.append("  ").append(notConvergedLine(i)).append('\n');
            final int s = i;
            for (Comparison.Row r : rows.stream().filter(r -> r.runs().get(s).outcome().equals("DID_NOT_CONVERGE"))
                    .limit(differing).toList()) {
                b.append(String.format("    #%d (%s: %s, downtime budget %.2f chunks): %s%n", r.index(), strategies.get(0),
                        r.runs().get(0).outcome(), r.runs().get(s).downtimeBudgetChunks(), replay(r, strategies.get(i))));
            }
        }
        b.append("guest's cost, per strategy: mean write throughput while the migration ran, and mean added write latency\n");
        for (int i = 0; i < strategies.size(); i++) {
            b.append(String.format("  %-10s throughput %s MiB/s, latency %s ms%n", strategies.get(i),
                    num(mean(Comparison.sorted(rows, Comparison.METRICS.get(4), i))),
                    num(mean(Comparison.sorted(rows, Comparison.METRICS.get(5), i)))));
        }
        for (int i = 1; i < strategies.size(); i++) {
            b.append("scenarios where ").append(strategies.get(i)).append(" and ").append(strategies.get(0))
                    .append(" differ most:\n");
            for (Comparison.Row r : Comparison.differingMost(rows, i, differing)) {
                Comparison.Run a = r.runs().get(0);
                Comparison.Run x = r.runs().get(i);
                b.append(String.format("  #%d: %s %s %s, %.0f ms; %s %s %s, %.0f ms%n", r.index(), a.strategy(), a.outcome(),
                        a.verdict(), a.totalMillis(), x.strategy(), x.outcome(), x.verdict(), x.totalMillis()));
                b.append("    replay: ").append(replay(r, x.strategy())).append('\n');
            }
        }
        return b.toString();
    }

    /** report.html (table, differences, CDF plots, differing scenarios), compare.json and compare.csv. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        writeCsv(dir.resolve("compare.csv"));
        Reports.writeJson(dir.resolve("compare.json"), json());
        StringBuilder h = new StringBuilder(Reports.pageStart("blkmig compare: " + String.join(" vs ", strategies),
                allPassed() ? "PASSED" : "FAILED"));
        h.append("<p>").append(Reports.esc(String.format("Seed %d, %d scenarios, %s, drawn in %s's scenario space; each"
                + " scenario runs under every strategy (same guest, link and faults), and every run is judged by every"
                + " property.", seed, scenarios, sizes.describe(), strategies.get(0)))).append("</p>");
        h.append("<h2>Per strategy</h2>").append(table(header(), summary()));
        h.append("<p>The guest's cost: <b>throughput</b> is what the guest wrote while the migration ran (until"
                + " its stop), per second; <b>latency</b> is the time a throttle or a mirror held each write back,"
                + " averaged per run.</p>");
        List<String[]> diffs = new ArrayList<>();
        for (Comparison.Difference d : differences()) {
            diffs.add(new String[] {d.strategy() + " - " + d.baseline(), d.metric(), signed(d.mean()),
                "[" + signed(d.low95()) + ", " + signed(d.high95()) + "]", Integer.toString(d.pairs())});
        }
        h.append("<h2>Paired differences</h2>").append(table(List.of("pair", "metric", "mean", "95% interval", "pairs"), diffs));
        List<String[]> swaps = new ArrayList<>();
        for (int i = 1; i < strategies.size(); i++) {
            int[] s = Comparison.completionSwaps(rows, i);
            swaps.add(new String[] {strategies.get(i), Integer.toString(s[0]), Integer.toString(s[1]),
                neitherLine(i) + "; " + notConvergedLine(i)});
        }
        h.append("<h2>Convergence, paired</h2>").append(table(List.of("strategy", "completed where " + strategies.get(0)
                + " did not", strategies.get(0) + " completed where it did not", "neither"), swaps));
        h.append("<h2>Distributions (CDF)</h2>");
        for (Comparison.Metric m : Comparison.METRICS) {
            h.append("<h3>").append(Reports.esc(m.label())).append("</h3>").append(img(cdf(m)));
            List<String> allZero = new ArrayList<>();
            for (int i = 0; i < strategies.size(); i++) {
                double[] v = Comparison.sorted(rows, m, i);
                if (v.length > 0 && v[v.length - 1] <= 0) {
                    allZero.add(strategies.get(i));
                }
            }
            if (!allZero.isEmpty()) {
                h.append("<p>No curve for ").append(Reports.esc(String.join(", ", allZero))).append(": every run at 0.</p>");
            }
        }
        h.append("<h2>Scenarios that differ most</h2>");
        for (int i = 1; i < strategies.size(); i++) {
            List<String[]> cells = new ArrayList<>();
            for (Comparison.Row r : Comparison.differingMost(rows, i, differing)) {
                Comparison.Run a = r.runs().get(0);
                Comparison.Run x = r.runs().get(i);
                cells.add(new String[] {"#" + r.index(), a.outcome() + " " + a.verdict() + String.format(", %.0f ms", a.totalMillis()),
                    x.outcome() + " " + x.verdict() + String.format(", %.0f ms", x.totalMillis()), replay(r, x.strategy())});
            }
            h.append("<h3>").append(Reports.esc(strategies.get(i) + " vs " + strategies.get(0))).append("</h3>")
                    .append(table(List.of("scenario", strategies.get(0), strategies.get(i), "replay"), cells));
        }
        h.append(Reports.figuresLine(List.of("compare.json", "compare.csv"))).append("</body></html>");
        Files.writeString(dir.resolve("report.html"), h.toString(), StandardCharsets.UTF_8);
    }

    private Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("seed", seed);
        j.put("scenarios", scenarios);
        j.put("sizes", sizes.cliName);
        j.put("strategies", strategies);
        j.put("allPassed", allPassed());
        List<Map<String, Object>> per = new ArrayList<>();
        for (int i = 0; i < strategies.size(); i++) {
            Map<String, Object> s = new LinkedHashMap<>();
            final int k = i;
            s.put("strategy", strategies.get(i));
            s.put("passed", rows.stream().filter(r -> r.runs().get(k).verdict().equals("passed")).count());
            s.put("convergenceRate", Comparison.convergenceRate(rows, i));
            for (Comparison.Metric m : Comparison.METRICS) {
                double[] v = Comparison.sorted(rows, m, i);
                s.put(m.id(), Map.of("unit", m.unit(), "mean", finite(mean(v)), "p50", finite(Comparison.quantile(v, 0.5)),
                        "p90", finite(Comparison.quantile(v, 0.9)), "p99", finite(Comparison.quantile(v, 0.99)), "n", v.length));
            }
            per.add(s);
        }
        j.put("perStrategy", per);
        j.put("differences", differences().stream().map(d -> Map.of("strategy", d.strategy(), "baseline", d.baseline(),
                "metric", d.metric(), "mean", finite(d.mean()), "low95", finite(d.low95()), "high95", finite(d.high95()),
                "pairs", d.pairs())).toList());
        return j;
    }

    private void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder("index,strategy,verdict,failed_property,outcome,completed,total_ms,downtime_ms,"
                + "bytes_sent,dirty_rounds,guest_throughput_mibps,guest_write_latency_mean_ms,guest_write_latency_max_ms,"
                + "guest_writes,downtime_budget_chunks,scenario\n");
        for (Comparison.Row r : rows) {
            for (Comparison.Run x : r.runs()) {
                b.append(String.join(",", Integer.toString(x.index()), x.strategy(), x.verdict(), x.failedProperty(), x.outcome(),
                        Boolean.toString(x.completed()), csv(x.totalMillis()), csv(x.downtimeMillis()), Long.toString(x.bytesSent()),
                        Integer.toString(x.dirtyRounds()), csv(x.guestThroughputMiBps()), csv(x.guestWriteLatencyMeanMillis()),
                        csv(x.guestWriteLatencyMaxMillis()), Long.toString(x.guestWrites()), csv(x.downtimeBudgetChunks()),
                        "\"" + r.scenario() + "\""))
                        .append('\n');
            }
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    private byte[] cdf(Comparison.Metric m) throws IOException {
        // heavy tails (a run that gives up takes seconds, most take a slice or two): a log scale; runs at 0 raise the
        // curve's start, since a log axis cannot show them
        XYChart c = new XYChartBuilder().width(900).height(360).xAxisTitle(m.label() + " (" + m.unit()
                + ", log scale; runs at 0 are where each curve starts)").yAxisTitle("share of scenarios").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        c.getStyler().setMarkerSize(0);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.0);
        c.getStyler().setYAxisDecimalPattern("0.0");
        c.getStyler().setXAxisDecimalPattern("#,##0.#####");
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (int i = 0; i < strategies.size(); i++) {
            double[] v = Comparison.sorted(rows, m, i);
            int atZero = 0;
            while (atZero < v.length && v[atZero] <= 0) {
                atZero++;
            }
            if (atZero == v.length) {
                continue; // nothing above 0: the table says so
            }
            double[] x = java.util.Arrays.copyOfRange(v, atZero, v.length);
            double[] y = new double[x.length];
            for (int k = 0; k < x.length; k++) {
                y[k] = (atZero + k + 1) / (double) v.length;
            }
            c.addSeries(strategies.get(i) + " (" + v.length + (atZero > 0 ? ", " + atZero + " at 0" : "") + ")", x, y);
        }
        if (c.getSeriesMap().isEmpty()) {
            c.getStyler().setXAxisLogarithmic(false);
            c.addSeries("every run at 0", new double[] {0}, new double[] {1});
        }
        return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
    }

    private static String img(byte[] png) {
        return "<img alt='CDF' src='data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "'>";
    }

    private static String table(List<String> header, List<String[]> rows) {
        StringBuilder t = new StringBuilder("<table><tr>");
        header.forEach(x -> t.append("<th>").append(Reports.esc(x)).append("</th>"));
        t.append("</tr>");
        for (String[] r : rows) {
            t.append("<tr>");
            for (String x : r) {
                t.append("<td>").append(x.startsWith("./blkmig") ? "<code>" + Reports.esc(x) + "</code>" : Reports.esc(x))
                        .append("</td>");
            }
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    private static double mean(double[] v) {
        return v.length == 0 ? Double.NaN : java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static Object finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    private static String csv(double x) {
        return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.3f", x);
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "-" : Math.abs(x) >= 100 ? String.format(Locale.ROOT, "%.0f", x)
                : String.format(Locale.ROOT, "%.3g", x);
    }

    private static String signed(double x) {
        return Double.isNaN(x) ? "-" : (x >= 0 ? "+" : "") + num(x);
    }

    private static String pct(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }
}
