// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.report.SpaceTime;
import org.blkmig.model.report.Ticks;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.SenderStats;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** report.json, CSV figures and a self-contained report.html with charts. */
public final class Reports {
    private Reports() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private static final double MIB = 1024.0 * 1024.0;

    public static void writeSimulation(Path dir, Judge.Outcome o, long wallNanos) throws IOException {
        writeSimulation(dir, o, wallNanos, "blkmig simulate");
    }

    /** One judged run's report: report.json, slices.csv, rounds.csv and report.html with its space-time diagram. */
    static void writeSimulation(Path dir, Judge.Outcome o, long wallNanos, String title) throws IOException {
        Files.createDirectories(dir);
        MigrationResult m = o.run().migration();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scenario", o.run().scenario().toString());
        json.put("mutants", o.run().mutants().stream().map(Mutant::cliName).sorted().toList());
        json.put("replay", Judge.replayCommand(o.run().scenario(), o.run().variant()));
        json.put("verified", o.passed());
        json.put("verdict", o.headline());
        json.put("verdicts", o.verdicts().stream().map(Reports::verdictJson).toList());
        json.put("migration", migrationJson(m, o.run().guestWrites()));
        Map<String, Object> rx = new LinkedHashMap<>();
        rx.put("complete", o.run().receive().complete());
        rx.put("reason", o.run().receive().reason());
        rx.put("dataBlocks", o.run().receive().dataBlocks());
        rx.put("zeroBlocks", o.run().receive().zeroBlocks());
        rx.put("streamBytes", o.run().stream().length());
        json.put("receiver", rx);
        json.put("wallMillis", wallNanos / 1e6);
        json.put("slices", slicesJson(m));
        writeJson(dir.resolve("report.json"), json);
        writeSlicesCsv(dir.resolve("slices.csv"), m);
        writeRoundsCsv(dir.resolve("rounds.csv"), m);
        String svg = SpaceTime.svg(o);
        Files.writeString(dir.resolve("diagram.svg"), svg, StandardCharsets.UTF_8);
        writeHtml(dir.resolve("report.html"), title, o.headline(), summaryRows(o), m, svg,
                List.of("report.json", "slices.csv", "rounds.csv", "diagram.svg"));
    }

    /** A real migration's report (send): its figures, per-slice CSV and charts. */
    public static void writeSend(Path dir, MigrationResult m, long guestWrites, Map<String, String> sources, Map<String, String> sha256)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("sources", sources);
        json.put("sha256", sha256);
        json.put("migration", migrationJson(m, guestWrites));
        json.put("slices", slicesJson(m));
        writeJson(dir.resolve("report.json"), json);
        writeSlicesCsv(dir.resolve("slices.csv"), m);
        writeRoundsCsv(dir.resolve("rounds.csv"), m);
        List<String[]> rows = new ArrayList<>();
        sources.forEach((n, p) -> rows.add(new String[] {"source " + n, p + (sha256.containsKey(n) ? "  sha256 " + sha256.get(n) : "")}));
        migrationRows(rows, m, "");
        rows.add(new String[] {"guest writes", Long.toString(guestWrites)});
        writeHtml(dir.resolve("report.html"), "blkmig send", m.completed() ? "COMPLETED" : m.outcome().name(), rows, m, null,
                List.of("report.json", "slices.csv", "rounds.csv"));
    }

    /**
     * One verdict in a report.json, as data: the property, its status and cause, the chunks and
     * virtual instants it concerns, what broke ({@code subject}), the sentence and what it promises.
     */
    public static Map<String, Object> verdictJson(Verdict v) {
        Map<String, Object> x = verdictJson(v.property().id(), v.passed(), v.evidence(), v.property().promise());
        x.put("status", v.status().name());
        x.put("cause", v.cause().name());
        x.put("causeText", v.cause().text);
        x.put("subject", v.subject());
        x.put("chunks", v.chunks().stream().map(c -> Map.of("device", c.device(), "chunk", c.chunk())).toList());
        x.put("instantsNanos", v.instantsNanos());
        return x;
    }

    /** One property's verdict in a report.json: the simulation's and the real QEMU runs' alike. */
    public static Map<String, Object> verdictJson(String property, boolean passed, String evidence, String means) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("property", property);
        x.put("passed", passed);
        x.put("evidence", evidence);
        x.put("means", means);
        return x;
    }

    /** PASS, FAIL, N/A (with why) or INCONCLUSIVE, as a person reads a verdict's status. */
    static String statusWord(Verdict v) {
        return switch (v.status()) {
            case PASS -> "PASS";
            case FAIL -> "FAIL";
            case NOT_APPLICABLE -> "N/A (" + v.cause().text.replaceFirst("^n/a: ", "") + ")";
            case INCONCLUSIVE -> "INCONCLUSIVE";
        };
    }

    static Map<String, Object> migrationJson(MigrationResult m, long guestWrites) {
        SenderStats st = m.sender();
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("outcome", m.outcome().name());
        x.put("reason", m.reason());
        x.put("bytesSent", m.bytesSent());
        x.put("dataChunksSent", st.dataChunksSent);
        x.put("zeroChunksSent", st.zeroChunksSent);
        x.put("bulkChunksRead", st.bulkChunksRead);
        x.put("dirtyChunksRead", st.dirtyChunksRead);
        x.put("slices", m.slices().size());
        x.put("dirtyRounds", m.dirtyRounds());
        x.put("migrationMillis", m.migrationNanos() / 1e6);
        x.put("downtimeMillis", m.downtimeNanos() / 1e6);
        x.put("bulkMillis", st.bulkCompletedAtNanos < 0 ? null : (st.bulkCompletedAtNanos - m.startNanos()) / 1e6);
        x.put("dirtyPhaseMillis", st.bulkCompletedAtNanos < 0 || m.guestStoppedNanos() < 0 ? null
                : (m.guestStoppedNanos() - st.bulkCompletedAtNanos) / 1e6);
        x.put("converged", m.completed());
        x.put("guestWrites", guestWrites);
        return x;
    }

    static List<Map<String, Object>> slicesJson(MigrationResult m) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MigrationResult.SliceFigures f : m.slices()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("index", f.index());
            x.put("startMillis", (f.startNanos() - m.startNanos()) / 1e6);
            x.put("endMillis", (f.endNanos() - m.startNanos()) / 1e6);
            x.put("bytesSent", f.bytesSent());
            x.put("pendingBytes", f.pendingBytes());
            x.put("dirtyBytes", f.dirtyBytes());
            x.put("thresholdBytes", f.thresholdBytes());
            x.put("bulkPhase", f.bulkPhase());
            x.put("dirtyChunksRead", f.dirtyChunksRead());
            x.put("progressPercent", f.progressPercent());
            out.add(x);
        }
        return out;
    }

    public static void writeJson(Path file, Object json) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }

    static void writeSlicesCsv(Path file, MigrationResult m) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            w.println("slice,start_ms,end_ms,bytes_sent,pending_bytes,dirty_bytes,threshold_bytes,bulk_phase,dirty_chunks_read,progress_percent");
            for (MigrationResult.SliceFigures f : m.slices()) {
                w.printf("%d,%.3f,%.3f,%d,%d,%d,%d,%b,%d,%d%n", f.index(), (f.startNanos() - m.startNanos()) / 1e6,
                        (f.endNanos() - m.startNanos()) / 1e6, f.bytesSent(),
                        f.pendingBytes(), f.dirtyBytes(), f.thresholdBytes(), f.bulkPhase(), f.dirtyChunksRead(),
                        f.progressPercent());
            }
        }
    }

    /** A round is one slice of the dirty phase: what was dirty at its end and what it resent. */
    static void writeRoundsCsv(Path file, MigrationResult m) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            w.println("round,start_ms,dirty_bytes_remaining,chunks_resent,bytes_sent");
            int round = 0;
            for (MigrationResult.SliceFigures f : m.slices()) {
                if (!f.bulkPhase()) {
                    w.printf("%d,%.3f,%d,%d,%d%n", ++round, (f.startNanos() - m.startNanos()) / 1e6, f.dirtyBytes(),
                            f.dirtyChunksRead(), f.bytesSent());
                }
            }
        }
    }

    /** The figures every report's summary shows: outcome, bytes, time, downtime. */
    private static void migrationRows(List<String[]> rows, MigrationResult m, String timeNote) {
        rows.add(new String[] {"outcome", m.outcome() + " — " + m.reason()});
        rows.add(new String[] {"bytes sent", String.format("%.2f MiB", m.bytesSent() / MIB)});
        rows.add(new String[] {"migration time", String.format("%.1f ms%s", m.migrationNanos() / 1e6, timeNote)});
        rows.add(new String[] {"downtime", String.format("%.1f ms", m.downtimeNanos() / 1e6)});
    }

    static List<String[]> summaryRows(Judge.Outcome o) {
        MigrationResult m = o.run().migration();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", o.run().scenario().toString()});
        rows.add(new String[] {"replay", Judge.replayCommand(o.run().scenario(), o.run().variant())});
        rows.add(new String[] {"receiver", o.run().receive().toString()});
        migrationRows(rows, m, " (simulated)");
        for (Verdict v : o.verdicts()) {
            rows.add(new String[] {"property " + v.property().id(), statusWord(v)
                    + (v.evidence().isEmpty() || v.status() == Verdict.Status.NOT_APPLICABLE ? "" : " — " + v.evidence())});
        }
        return rows;
    }

    /**
     * A self-contained page: the summary table, a space-time diagram if given, the charts of a
     * migration that has them, and the names of the files written beside it ({@code figures}).
     */
    public static void writeHtml(Path file, String title, String verdict, List<String[]> rows, MigrationResult m, String diagramSvg,
            List<String> figures) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append(pageStart(title, verdict));
        h.append("<table>");
        for (String[] r : rows) {
            h.append("<tr><td>").append(esc(r[0])).append("</td><td><code>").append(esc(r[1])).append("</code></td></tr>");
        }
        h.append("</table>");
        if (diagramSvg != null) {
            h.append("<h2>Space-time diagram</h2>").append(diagramSvg);
        }
        if (m != null) {
            h.append(charts(m));
        }
        h.append(figuresLine(figures)).append("</body></html>");
        Files.writeString(file, h.toString(), StandardCharsets.UTF_8);
    }

    static String pageStart(String title, String verdict) {
        return "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + esc(title) + "</title>"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}"
                + "td:first-child{font-weight:bold;white-space:nowrap}.ok{color:#070}.bad{color:#b00}.incomplete{color:#a60}"
                + "code{word-break:break-all;white-space:pre-wrap}svg{max-width:100%;height:auto;border:1px solid #ddd}</style>"
                + "</head><body><h1>" + esc(title) + ": <span class='"
                + verdictClass(verdict) + "'>"
                + esc(verdict) + "</span></h1>";
    }

    /** Green for a success, amber for a run that held every property but did not complete, red otherwise. */
    static String verdictClass(String verdict) {
        if (verdict.equals("VERIFIED") || verdict.equals("PASSED") || verdict.equals("COMPLETED")) {
            return "ok";
        }
        return verdict.startsWith("NOT COMPLETED") ? "incomplete" : "bad";
    }

    static String figuresLine(List<String> figures) {
        return figures.isEmpty() ? "" : "<p>Figures beside this page: " + esc(String.join(", ", figures)) + ".</p>";
    }

    /** The charts of a migration: curves over its slices; one slice is a table, not a chart of one point. */
    static String charts(MigrationResult m) throws IOException {
        StringBuilder h = new StringBuilder();
        if (m.slices().size() >= 2) {
            h.append("<h2>Dirty data remaining</h2>").append(img(dirtyChart(m)));
            h.append("<h2>Progress and bytes sent over time</h2>").append(img(progressChart(m)));
        } else if (m.slices().size() == 1) {
            MigrationResult.SliceFigures f = m.slices().get(0);
            h.append("<h2>The one slice</h2><p>The migration took one slice: its figures, no curve to draw.</p><table>");
            String[][] cells = {{"ends at", String.format("%.3f ms", (f.endNanos() - m.startNanos()) / 1e6)},
                {"bytes sent", String.format("%.3f MiB", f.bytesSent() / MIB)},
                {"dirty data at its end", String.format("%.3f MiB", f.dirtyBytes() / MIB)},
                {"pending (dirty + reads buffered)", String.format("%.3f MiB", f.pendingBytes() / MIB)},
                {"completion threshold", String.format("%.3f MiB", f.thresholdBytes() / MIB)},
                {"progress", f.progressPercent() + " %"}};
            for (String[] c : cells) {
                h.append("<tr><td>").append(esc(c[0])).append("</td><td>").append(esc(c[1])).append("</td></tr>");
            }
            h.append("</table>");
        }
        if (!m.slices().isEmpty()) {
            h.append("<h2>Downtime</h2>").append(img(downtimeChart(m)));
        }
        return h.toString();
    }

    private static String img(byte[] png) {
        return "<img alt='chart' src='data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "'>";
    }

    private static double[] times(MigrationResult m) {
        // figures are measured when a slice ends
        return m.slices().stream().mapToDouble(f -> (f.endNanos() - m.startNanos()) / 1e6).toArray();
    }

    /** Tick labels with the digits their spacing needs, never a raw double such as ".0625448226928 71". */
    private static void plainAxes(XYChart c, MigrationResult m) {
        double[] t = times(m);
        int decimals = Ticks.decimals(Ticks.nice(t[0], t[t.length - 1], 8));
        c.getStyler().setXAxisDecimalPattern(decimals == 0 ? "#,##0" : "#,##0." + "0".repeat(decimals));
        c.getStyler().setYAxisDecimalPattern("#,##0.###");
    }

    static byte[] dirtyChart(MigrationResult m) throws IOException {
        XYChart c = new XYChartBuilder().width(900).height(380).xAxisTitle("time (ms)").yAxisTitle("MiB").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE).setMarkerSize(4);
        plainAxes(c, m);
        double[] t = times(m);
        c.addSeries("dirty data at slice end", t, m.slices().stream().mapToDouble(f -> f.dirtyBytes() / MIB).toArray());
        c.addSeries("pending (dirty + reads buffered)", t, m.slices().stream().mapToDouble(f -> f.pendingBytes() / MIB).toArray());
        c.addSeries("completion threshold", t, m.slices().stream().mapToDouble(f -> f.thresholdBytes() / MIB).toArray());
        return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
    }

    static byte[] progressChart(MigrationResult m) throws IOException {
        XYChart c = new XYChartBuilder().width(900).height(380).xAxisTitle("time (ms)").yAxisTitle("MiB sent / percent").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(4);
        plainAxes(c, m);
        double[] t = times(m);
        double[] cumulative = new double[t.length];
        double sum = 0;
        for (int i = 0; i < t.length; i++) {
            sum += m.slices().get(i).bytesSent() / MIB;
            cumulative[i] = sum;
        }
        c.addSeries("MiB sent (cumulative)", t, cumulative);
        c.addSeries("progress %", t, m.slices().stream().mapToDouble(MigrationResult.SliceFigures::progressPercent).toArray());
        return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
    }

    static byte[] downtimeChart(MigrationResult m) throws IOException {
        CategoryChart c = new CategoryChartBuilder().width(600).height(300).yAxisTitle("ms").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setYAxisDecimalPattern("#,##0.###");
        c.addSeries("ms", List.of("migration (guest running)", "downtime (guest stopped)"),
                List.of(Math.max(0, (m.completed() ? m.guestStoppedNanos() : m.endNanos()) - m.startNanos()) / 1e6,
                        m.downtimeNanos() / 1e6));
        return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
