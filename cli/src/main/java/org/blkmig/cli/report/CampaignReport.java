// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.cli.UserError;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.DowntimeHistogram;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;

/**
 * A campaign's result as data: what {@code campaign --report} writes as report.json, what
 * {@code merge} reads back from shards, and what both turn into report.html, JUnit XML and a
 * Markdown summary. Each finding's shrunk run gets its own directory (finding-N/: report.html
 * with its space-time diagram, diagram.svg, report.json, slices.csv, rounds.csv).
 */
public record CampaignReport(long seed, int scenarios, List<String> shards, String profile, List<String> mutants, String sizes,
        int run, int passed, int failed, boolean timedOut, List<Finding> findings, double elapsedSeconds,
        DowntimeHistogram downtime) {

    /** A finding: its key, how many scenarios failed so, the first of them, its shrunk form; {@code dir} holds its report. */
    public record Finding(String key, int scenarios, int firstIndex, String shrunkScenario, String replay, String report, String dir) {}

    public static CampaignReport of(Campaign.Settings settings, Campaign.Summary s) {
        List<Finding> fs = new ArrayList<>();
        int n = 1;
        for (Campaign.Failure f : s.failures()) {
            Judge.Outcome o = f.shrunk().outcome();
            fs.add(new Finding(f.key(), f.occurrences(), f.index(), o.run().scenario().toString(),
                    Judge.replayCommand(o.run().scenario(), settings.variant()), o.report(), "finding-" + n++));
        }
        Variant v = settings.variant();
        return new CampaignReport(settings.seed(), settings.scenarios(),
                List.of(settings.shardIndex() + "/" + settings.shardCount()), v.profile().cliName,
                v.mutants().stream().map(Mutant::cliName).sorted().toList(), settings.sizes().cliName, s.run(), s.passed(),
                s.failed(), s.timedOut(), fs,
                s.elapsedNanos() / 1e9, s.downtime());
    }

    boolean passedAll() {
        return failed == 0;
    }

    /** What identifies the campaign: shards of one campaign agree on it. */
    public String identity() {
        return "seed " + seed + ", " + scenarios + " scenarios, profile " + profile + (mutants.isEmpty() ? "" : ", mutants " + mutants)
                + ", sizes " + sizes;
    }

    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("kind", "campaign");
        j.put("seed", seed);
        j.put("scenarios", scenarios);
        j.put("shards", shards);
        j.put("profile", profile);
        j.put("mutants", mutants);
        j.put("sizes", sizes);
        j.put("run", run);
        j.put("passed", passed);
        j.put("failed", failed);
        j.put("timedOut", timedOut);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Finding f : findings) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("finding", f.key());
            r.put("scenarios", f.scenarios());
            r.put("firstIndex", f.firstIndex());
            r.put("shrunkScenario", f.shrunkScenario());
            r.put("replay", f.replay());
            r.put("report", f.report());
            r.put("dir", f.dir());
            rows.add(r);
        }
        j.put("findings", rows);
        Map<String, Object> dt = new LinkedHashMap<>();
        dt.put("bins", DowntimeHistogram.LABELS);
        dt.put("counts", java.util.Arrays.stream(downtime.counts()).boxed().toList());
        j.put("downtime", dt); // completed runs by stop-to-durable time over the downtime limit
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("elapsedSeconds", elapsedSeconds);
        timing.put("scenariosPerSecond", elapsedSeconds == 0 ? 0 : run / elapsedSeconds);
        j.put("timing", timing); // the only part that differs between equal campaigns
        return j;
    }

    public static CampaignReport read(Path reportJson) throws IOException {
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(reportJson.toFile());
        } catch (IOException e) {
            throw UserError.cannotRead(reportJson, e);
        }
        if (j == null || !"campaign".equals(j.path("kind").asText()) || !j.has("shards") || !j.has("findings")) {
            throw new UserError(reportJson + " is not the report.json of a blkmig campaign");
        }
        List<Finding> fs = new ArrayList<>();
        for (JsonNode f : j.get("findings")) {
            fs.add(new Finding(f.path("finding").asText(), f.path("scenarios").asInt(), f.path("firstIndex").asInt(),
                    f.path("shrunkScenario").asText(), f.path("replay").asText(), f.path("report").asText(), f.path("dir").asText()));
        }
        List<String> shards = new ArrayList<>();
        j.get("shards").forEach(x -> shards.add(x.asText()));
        List<String> ms = new ArrayList<>();
        j.path("mutants").forEach(x -> ms.add(x.asText()));
        long[] dt = new long[DowntimeHistogram.LABELS.size()];
        JsonNode counts = j.path("downtime").path("counts"); // reports from before it have none
        for (int i = 0; i < dt.length && i < counts.size(); i++) {
            dt[i] = counts.get(i).asLong();
        }
        // reports from before --sizes drew small scenarios
        return new CampaignReport(j.path("seed").asLong(), j.path("scenarios").asInt(), shards, j.path("profile").asText(), ms,
                j.path("sizes").asText(SizeMix.SMALL.cliName), j.path("run").asInt(), j.path("passed").asInt(), j.path("failed").asInt(), j.path("timedOut").asBoolean(), fs,
                j.path("timing").path("elapsedSeconds").asDouble(), new DowntimeHistogram(dt));
    }

    /** JUnit cases: one per finding, or one passing case when there is none. */
    public List<CiReport.Case> cases(String suite) {
        List<CiReport.Case> cs = new ArrayList<>();
        String with = mutants.isEmpty() ? "" : " [mutant " + String.join(", ", mutants) + "]";
        String what = "seed " + seed + (sizes.equals(SizeMix.DEFAULT.cliName) ? "" : ", sizes " + sizes) + ": " + run + " of " + scenarios + " scenarios" + (timedOut ? " (time limit reached)" : "");
        if (findings.isEmpty()) {
            cs.add(CiReport.Case.passed(suite, what + with, run + " passed", elapsedSeconds));
        }
        for (Finding f : findings) {
            cs.add(CiReport.Case.failed(suite, f.key() + with, f.scenarios() + " scenario(s) failed so, first #" + f.firstIndex()
                    + "; replay: " + f.replay(), f.report(), 0));
        }
        return cs;
    }

    /** report.json and report.html; each finding's directory is written by {@link #writeFindings}. */
    public void writePage(Path dir, Map<String, String> diagrams) throws IOException {
        Files.createDirectories(dir);
        Reports.writeJson(dir.resolve("report.json"), json());
        StringBuilder h = new StringBuilder(Reports.pageStart("blkmig campaign", passedAll() ? "PASSED" : "FAILED"));
        h.append("<table>");
        row(h, "campaign", identity() + ", shard(s) " + String.join(" ", shards));
        row(h, "result", run + " run, " + passed + " passed, " + failed + " failed" + (timedOut ? " (time limit reached)" : ""));
        row(h, "speed", String.format("%.1f scenarios/s", elapsedSeconds == 0 ? 0 : run / elapsedSeconds));
        h.append("</table>");
        h.append("<h2>Downtime</h2><p>").append(Reports.esc(downtime.lines().get(0))).append("</p>").append(downtime.svg());
        List<String> figures = new ArrayList<>(List.of("report.json"));
        int n = 1;
        for (Finding f : findings) {
            h.append("<h2>Finding ").append(n++).append(": ").append(Reports.esc(f.key())).append("</h2>");
            h.append("<p>").append(f.scenarios()).append(" scenario(s) failed so, the first #").append(f.firstIndex())
                    .append(". Its shrunk run: <a href='").append(Reports.esc(f.dir())).append("/report.html'>")
                    .append(Reports.esc(f.dir())).append("/report.html</a></p>");
            h.append("<pre style='white-space:pre-wrap'>").append(Reports.esc(f.report())).append("</pre>");
            String svg = diagrams.get(f.dir());
            if (svg != null) {
                h.append(svg);
            }
            figures.add(f.dir() + "/");
        }
        h.append(Reports.figuresLine(figures)).append("</body></html>");
        Files.writeString(dir.resolve("report.html"), h.toString(), StandardCharsets.UTF_8);
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><td>").append(Reports.esc(k)).append("</td><td><code>").append(Reports.esc(v)).append("</code></td></tr>");
    }

    /** Each finding's shrunk run as a full simulation report in its directory; returns the diagrams by directory. */
    public static Map<String, String> writeFindings(Path dir, Campaign.Summary s) throws IOException {
        Map<String, String> diagrams = new LinkedHashMap<>();
        int n = 1;
        for (Campaign.Failure f : s.failures()) {
            String name = "finding-" + n;
            Judge.Outcome o = f.shrunk().outcome();
            Reports.writeSimulation(dir.resolve(name), o, 0, "blkmig campaign finding " + n + ": " + f.key());
            diagrams.put(name, Files.readString(dir.resolve(name).resolve("diagram.svg")));
            n++;
        }
        return diagrams;
    }
}
