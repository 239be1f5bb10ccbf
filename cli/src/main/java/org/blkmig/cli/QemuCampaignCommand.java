// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CiReport;
import org.blkmig.cli.report.Reports;
import org.blkmig.model.judge.Verdict;
import org.blkmig.qemu.QemuCampaign;
import org.blkmig.qemu.QemuProcess;
import org.blkmig.qemu.QemuRun;
import org.blkmig.qemu.QemuScenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "qemu-campaign", mixinStandardHelpOptions = true,
        description = {"Runs random migrations on the real QEMU 7.2 from a seed and judges each (identical, protocol,",
            "progress, chunk-coverage, honest-completion, no-hang). Each distinct way of failing is shrunk on the real",
            "system and its failure rate measured. Exit 0 when all pass, 1 on a finding, 2 without QEMU."})
final class QemuCampaignCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenarios", paramLabel = "N", defaultValue = "1000", description = "Scenarios in the campaign (default ${DEFAULT-VALUE}).")
    int scenarios;

    @Mixin
    SharedOptions.Seed seedOption;

    @Option(names = "--time-limit", paramLabel = "DURATION", converter = Converters.Seconds.class, defaultValue = "10m",
            description = "Stop starting scenarios after this long (default 10m; e.g. 90s; a bare number is seconds);"
                    + " a finding found by then is still shrunk.")
    long timeLimitNanos;

    @Mixin
    SharedOptions.ScenarioLine scenarioLine;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1", description = "With --scenario: run it N times and count its failures.")
    int repeat;

    @Option(names = "--destination", paramLabel = "WHERE", defaultValue = "both",
            description = "Who loads the stream: blkmig (its receiver), qemu (a destination QEMU) or both (default ${DEFAULT-VALUE}).")
    String destination;

    @Option(names = "--shrink-runs", paramLabel = "N", defaultValue = "40", description = "Most runs shrinking one finding takes (default ${DEFAULT-VALUE}).")
    int shrinkRuns;

    @Option(names = "--attempts", paramLabel = "N", defaultValue = "3",
            description = "Runs of a shrinking candidate before it counts as passing (default ${DEFAULT-VALUE}).")
    int attempts;

    @Option(names = "--rate-runs", paramLabel = "N", defaultValue = "5", description = "Runs of a shrunk scenario to measure its failure rate (default ${DEFAULT-VALUE}).")
    int rateRuns;

    @Mixin
    SharedOptions.Report report;

    @Mixin
    CiReport.Outputs ci;

    @Override
    public Integer call() throws Exception {
        QemuRun.Destination dest;
        try {
            dest = QemuRun.Destination.parse(destination);
        } catch (IllegalArgumentException e) {
            throw new UserError("--destination: " + e.getMessage());
        }
        if (scenarios < 0 || repeat < 1 || shrinkRuns < 0 || attempts < 1 || rateRuns < 0) {
            throw new UserError("--scenarios, --shrink-runs and --rate-runs must be >= 0, --repeat and --attempts >= 1");
        }
        QemuScenario replay = null;
        if (scenarioLine.line != null) {
            try {
                replay = QemuScenario.parse(scenarioLine.line);
            } catch (IllegalArgumentException e) {
                throw new UserError("--scenario: " + e.getMessage());
            }
        }
        if (!QemuProcess.available()) {
            throw new UserError("QEMU 7.2 is not installed here (" + QemuProcess.BINARY + " did not run):"
                    + " apt-get install qemu-system-x86 qemu-utils");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path work = Files.createTempDirectory("blkmig-qemu-campaign");
        // Ctrl-C: QEMU's processes die first (QemuProcess's own hook also does), then the images go
        Thread cleanup = new Thread(() -> {
            QemuProcess.shutdown();
            // the main thread may still be writing a file there: try again
            for (int i = 0; i < 20 && Files.exists(work); i++) {
                try {
                    QemuRun.deleteTree(work);
                } catch (java.io.IOException | java.io.UncheckedIOException e) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, "qemu-campaign-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            QemuCampaign.Listener listener = (phase, index, o) -> err.printf("%s #%d: %s in %.1f s (%s; QEMU said %s)%n",
                    phase, index, o.passed() ? "pass" : "FAIL " + o.key(), o.facts().wallMillis() / 1e3,
                    o.scenario(), o.facts().source().word());
            return replay != null ? replay(replay, dest, work, listener, out) : campaign(dest, work, listener, out);
        } finally {
            QemuProcess.killAll();
            QemuRun.deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is ending: the hook runs
            }
        }
    }

    private int replay(QemuScenario sc, QemuRun.Destination dest, Path work, QemuCampaign.Listener listener, PrintWriter out)
            throws Exception {
        List<QemuRun.Outcome> os = QemuCampaign.replay(sc, dest, repeat, work, listener);
        long failed = os.stream().filter(o -> !o.passed()).count();
        out.println("qemu-campaign replay: " + sc);
        for (QemuRun.Outcome o : os) {
            out.println((o.passed() ? "  pass" : "  FAIL " + o.key()) + facts(o));
            for (Verdict v : o.verdicts()) {
                if (!v.passed()) {
                    out.println("    " + v);
                }
            }
        }
        out.println("fails " + failed + " of " + os.size());
        if (report.dir != null) {
            Files.createDirectories(report.dir);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("scenario", sc.toString());
            json.put("destination", dest.cliName());
            json.put("runs", os.stream().map(QemuCampaignCommand::outcomeJson).toList());
            json.put("failed", failed);
            Reports.writeJson(report.dir.resolve("report.json"), json);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"scenario", sc.toString()});
            rows.add(new String[] {"result", "fails " + failed + " of " + os.size()});
            for (QemuRun.Outcome o : os) {
                rows.add(new String[] {"run", (o.passed() ? "pass" : o.report()) + facts(o)});
            }
            Reports.writeHtml(report.dir.resolve("report.html"), "blkmig qemu-campaign replay", failed == 0 ? "PASSED" : "FAILED",
                    rows, null, null, List.of("report.json"));
            out.println("report: " + report.dir.resolve("report.html"));
        }
        new CiReport("blkmig qemu-campaign").add(failed == 0
                ? CiReport.Case.passed("qemu-campaign", "replay " + sc, os.size() + " run(s) passed", 0)
                : CiReport.Case.failed("qemu-campaign", "replay " + sc, "fails " + failed + " of " + os.size(), "", 0)).write(ci);
        return failed == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    private int campaign(QemuRun.Destination dest, Path work, QemuCampaign.Listener listener, PrintWriter out) throws Exception {
        long seed = seedOption.seed;
        QemuCampaign.Summary s = QemuCampaign.run(new QemuCampaign.Settings(seed, scenarios, timeLimitNanos, dest, shrinkRuns,
                attempts, rateRuns, work), listener);
        out.printf("qemu-campaign seed %d, destination %s: %d run, %d passed, %d failed%s in %.1f s, %.1f MiB of disks%n",
                seed, dest.cliName(), s.run(), s.passed(), s.failed(), s.timedOut() ? " (time limit reached)" : "",
                s.elapsedNanos() / 1e9, s.diskBytes() / 1048576.0);
        if (s.failed() > 0) {
            out.println("findings: " + s.findings().size() + " distinct way(s) of failing in " + s.failed() + " failed scenarios");
        }
        int n = 1;
        for (QemuCampaign.Finding f : s.findings()) {
            out.println("FINDING " + n++ + ": " + f.key() + " (" + f.occurrences() + " scenario(s), first #" + f.firstIndex()
                    + "; " + shrunk(f) + ")");
            out.println("  " + f.shrunk().report().replace("\n", "\n  "));
        }
        if (report.dir != null) {
            writeReport(seed, dest, s);
            out.println("report: " + report.dir.resolve("report.html"));
        }
        CiReport junit = new CiReport("blkmig qemu-campaign");
        if (s.findings().isEmpty()) {
            junit.add(CiReport.Case.passed("qemu-campaign", "seed " + seed + ": " + s.run() + " scenarios against QEMU 7.2 ("
                    + dest.cliName() + ")" + (s.timedOut() ? " (time limit reached)" : ""), s.passed() + " passed",
                    s.elapsedNanos() / 1e9));
        }
        for (QemuCampaign.Finding f : s.findings()) {
            junit.add(CiReport.Case.failed("qemu-campaign", f.key().toString(), f.occurrences() + " scenario(s) failed so, first #"
                    + f.firstIndex(), f.shrunk().report(), 0));
        }
        junit.write(ci);
        return s.failed() == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    /** The campaign's report.json (each finding with its key's typed fields) and report.html. */
    private void writeReport(long seed, QemuRun.Destination dest, QemuCampaign.Summary s) throws java.io.IOException {
        Files.createDirectories(report.dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("seed", seed);
        json.put("destination", dest.cliName());
        json.put("run", s.run());
        json.put("passed", s.passed());
        json.put("failed", s.failed());
        json.put("timedOut", s.timedOut());
        json.put("elapsedSeconds", s.elapsedNanos() / 1e9);
        List<Map<String, Object>> findings = new ArrayList<>();
        for (QemuCampaign.Finding f : s.findings()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("finding", f.key().toString());
            row.put("property", f.key().property());
            row.put("cause", f.key().cause().name());
            row.put("subject", f.key().subject());
            row.put("scenarios", f.occurrences());
            row.put("firstIndex", f.firstIndex());
            row.put("originalScenario", f.original().toString());
            row.put("shrunkScenario", f.shrunk().scenario().toString());
            row.put("shrinkRuns", f.shrinkRuns());
            row.put("rateFailures", f.rateFailures());
            row.put("rateRuns", f.rateRuns());
            row.put("failureRate", f.rate());
            row.put("replay", QemuRun.replayCommand(f.shrunk().scenario(), dest) + " --repeat " + Math.max(1, f.rateRuns()));
            row.put("shrunkRun", outcomeJson(f.shrunk()));
            findings.add(row);
        }
        json.put("findings", findings);
        Reports.writeJson(report.dir.resolve("report.json"), json);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"qemu-campaign", "seed " + seed + ", destination " + dest.cliName()});
        rows.add(new String[] {"result", s.run() + " run, " + s.passed() + " passed, " + s.failed() + " failed"
                + (s.timedOut() ? " (time limit reached)" : "")});
        for (QemuCampaign.Finding f : s.findings()) {
            rows.add(new String[] {"finding", f.key() + " (" + f.occurrences() + " scenarios; " + shrunk(f) + ")\n"
                    + f.shrunk().report() + facts(f.shrunk())});
        }
        Reports.writeHtml(report.dir.resolve("report.html"), "blkmig qemu-campaign", s.failed() == 0 ? "PASSED" : "FAILED",
                rows, null, null, List.of("report.json"));
    }

    private static String shrunk(QemuCampaign.Finding f) {
        return (f.shrunk().scenario().equals(f.original()) ? "not shrunk: no simpler scenario failed so in " + f.shrinkRuns()
                + " runs; it " : "shrunk in " + f.shrinkRuns() + " runs; the shrunk scenario ") + f.rate();
    }

    private static String facts(QemuRun.Outcome o) {
        QemuRun.Facts f = o.facts();
        return String.format("%n    QEMU said %s after %d ms; %d guest writes; stream %d bytes carried %d of %d chunks;"
                + " the stream %s its source as QEMU left it; blkmig: %s; destination QEMU: %s", f.source().word(),
                f.migrationMillis(), f.writesIssued(), f.streamBytes(), f.chunksSent(), f.chunksNeeded(),
                f.faithfulStream() ? "carries" : "does NOT carry", f.blkmigVerdict(), f.qemuVerdict());
    }

    /** A verdict as report.json has it, with its typed cause and subject. */
    private static Map<String, Object> verdictJson(Verdict v) {
        Map<String, Object> x = Reports.verdictJson(v.property().id(), v.passed(), v.evidence(), v.property().promise());
        x.put("status", v.status().name());
        x.put("cause", v.cause().name());
        x.put("subject", v.subject());
        return x;
    }

    private static Map<String, Object> outcomeJson(QemuRun.Outcome o) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("scenario", o.scenario().toString());
        x.put("passed", o.passed());
        x.put("key", o.passed() ? null : o.key().toString());
        x.put("verdicts", o.verdicts().stream().map(QemuCampaignCommand::verdictJson).toList());
        x.put("facts", o.facts());
        return x;
    }
}
