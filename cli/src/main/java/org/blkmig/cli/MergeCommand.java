// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.blkmig.cli.report.CampaignReport;
import org.blkmig.cli.report.CiReport;
import org.blkmig.cli.report.GateReport;
import org.blkmig.cli.report.Reports;
import org.blkmig.model.campaign.DowntimeHistogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Combines the report directories of campaign --shard I/N runs (and of gates) into one report,",
            "JUnit file and summary: shards of one campaign become that campaign, with each finding counted over all",
            "of them and shrunk from its first scenario. Exit 0 when everything passed, 1 when a check failed or a shard",
            "is missing, 2 on unreadable or mismatched reports."})
final class MergeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Report directories (each with its report.json).")
    List<Path> dirs;

    @Option(names = "--output", paramLabel = "DIR", required = true,
            description = "Where the merged report.json, report.html, junit.xml and summary.md go.")
    Path output;

    @Mixin
    CiReport.Outputs ci;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<CampaignReport> shards = new ArrayList<>();
        List<Path> shardDirs = new ArrayList<>();
        List<CiReport.Case> gateCases = new ArrayList<>();
        List<String> gateNotes = new ArrayList<>();
        for (Path d : dirs) {
            Path json = d.resolve("report.json");
            if (!Files.isRegularFile(json)) {
                throw new UserError(d + " holds no report.json: give the --report directories of campaign or gate");
            }
            JsonNode j;
            try {
                j = new ObjectMapper().readTree(json.toFile());
            } catch (IOException e) {
                throw UserError.cannotRead(json, e);
            }
            String kind = j == null ? "" : j.path("kind").asText();
            if (kind.equals("campaign")) {
                shards.add(CampaignReport.read(json));
                shardDirs.add(d);
            } else if (kind.equals("gate")) {
                gateCases.addAll(CiReport.casesOf(j.path("checks")));
                j.path("notes").forEach(n -> gateNotes.add(d + ": " + n.asText()));
            } else {
                throw new UserError(json + " is neither a campaign's nor a gate's report");
            }
        }
        Files.createDirectories(output);
        CiReport merged = new CiReport(shards.isEmpty() ? "blkmig gate" : gateCases.isEmpty() ? "blkmig campaign" : "blkmig merge");
        merged.addAll(gateCases);
        gateNotes.forEach(merged::note);
        CampaignReport campaign = null;
        if (!shards.isEmpty()) {
            campaign = merge(shards, shardDirs, output);
            merged.addAll(campaign.cases("campaign"));
            List<String> missing = missingShards(campaign.shards());
            if (!missing.isEmpty()) {
                merged.add(CiReport.Case.failed("merge", "every shard present", "shard(s) " + String.join(" ", missing)
                        + " of the campaign are missing", "", 0));
            }
            out.printf("merged %d shard(s) of campaign %s: %d run, %d passed, %d failed, %d finding(s)%s%n", shards.size(),
                    campaign.identity(), campaign.run(), campaign.passed(), campaign.failed(), campaign.findings().size(),
                    missing.isEmpty() ? "" : "; MISSING shards " + String.join(" ", missing));
        }
        if (!gateCases.isEmpty()) {
            out.printf("merged %d gate check(s)%n", gateCases.size());
        }
        if (campaign != null && gateCases.isEmpty()) {
            merged.writeJunit(output.resolve("junit.xml"));
            merged.writeSummary(output.resolve("summary.md"));
        } else {
            if (campaign != null) {
                Reports.writeJson(output.resolve("campaign.json"), campaign.json());
            }
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("kind", "gate");
            j.put("passed", !merged.failed());
            j.put("checks", merged.json());
            j.put("notes", merged.notes());
            Reports.writeJson(output.resolve("report.json"), j);
            GateReport.writeFiles(output, merged, "blkmig merge",
                    List.of("report.json", "junit.xml", "summary.md"));
        }
        merged.write(ci);
        out.println("report: " + output.resolve("report.html"));
        return merged.failed() ? Main.CHECK_FAILED : Main.OK;
    }

    /**
     * Shards of one campaign as the campaign: counts summed, each finding's occurrences summed and
     * its shrunk form taken from the shard that ran its first scenario (the one the whole campaign
     * would have shrunk), findings in the order of their first scenarios.
     */
    static CampaignReport merge(List<CampaignReport> shards, List<Path> dirs, Path output) throws IOException {
        CampaignReport first = shards.get(0);
        TreeSet<String> seen = new TreeSet<>(Comparator.comparingInt((String x) -> Integer.parseInt(x.split("/")[1]))
                .thenComparingInt(x -> Integer.parseInt(x.split("/")[0])));
        for (CampaignReport r : shards) {
            if (!r.sizes().equals(first.sizes())) {
                throw new UserError("shards of different size mixes (--sizes " + first.sizes() + " and --sizes " + r.sizes()
                        + "): merge the shards of one campaign");
            }
            if (!r.identity().equals(first.identity())) {
                throw new UserError("reports of different campaigns: " + first.identity() + " and " + r.identity());
            }
            for (String s : r.shards()) {
                if (!seen.add(s)) {
                    throw new UserError("shard " + s + " is given twice");
                }
            }
        }
        if (seen.stream().map(s -> s.split("/")[1]).distinct().count() > 1) {
            throw new UserError("shards of different splits: " + String.join(" ", seen));
        }
        record Source(CampaignReport.Finding finding, Path dir) {}
        Map<String, Source> firstOf = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            for (CampaignReport.Finding f : shards.get(i).findings()) {
                counts.merge(f.key(), f.scenarios(), Integer::sum);
                Source known = firstOf.get(f.key());
                if (known == null || f.firstIndex() < known.finding().firstIndex()) {
                    firstOf.put(f.key(), new Source(f, dirs.get(i)));
                }
            }
        }
        List<Source> ordered = new ArrayList<>(firstOf.values());
        ordered.sort(Comparator.comparingInt(s -> s.finding().firstIndex()));
        List<CampaignReport.Finding> findings = new ArrayList<>();
        Map<String, String> diagrams = new LinkedHashMap<>();
        int n = 1;
        for (Source s : ordered) {
            CampaignReport.Finding f = s.finding();
            String dir = "finding-" + n++;
            findings.add(new CampaignReport.Finding(f.key(), counts.get(f.key()), f.firstIndex(), f.shrunkScenario(), f.replay(),
                    f.report(), dir));
            Path from = s.dir().resolve(f.dir());
            if (Files.isDirectory(from)) {
                copy(from, output.resolve(dir));
                Path svg = output.resolve(dir).resolve("diagram.svg");
                if (Files.isRegularFile(svg)) {
                    diagrams.put(dir, Files.readString(svg, StandardCharsets.UTF_8));
                }
            }
        }
        CampaignReport m = new CampaignReport(first.seed(), first.scenarios(), List.copyOf(seen), first.profile(),
                first.mutants(), first.sizes(), shards.stream().mapToInt(CampaignReport::run).sum(),
                shards.stream().mapToInt(CampaignReport::passed).sum(), shards.stream().mapToInt(CampaignReport::failed).sum(),
                shards.stream().anyMatch(CampaignReport::timedOut), findings,
                shards.stream().mapToDouble(CampaignReport::elapsedSeconds).sum(),
                shards.stream().map(CampaignReport::downtime).reduce(DowntimeHistogram.empty(), DowntimeHistogram::plus));
        m.writePage(output, diagrams);
        return m;
    }

    /** The shards I/N of the split that none of the reports ran. */
    static List<String> missingShards(List<String> shards) {
        if (shards.isEmpty()) {
            return List.of();
        }
        int count = Integer.parseInt(shards.get(0).split("/")[1]);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!shards.contains(i + "/" + count)) {
                missing.add(i + "/" + count);
            }
        }
        return missing;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
