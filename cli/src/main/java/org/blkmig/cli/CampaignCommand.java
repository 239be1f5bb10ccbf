// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.blkmig.model.Campaign;
import org.blkmig.model.Mutant;
import org.blkmig.model.Variant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "campaign", mixinStandardHelpOptions = true,
        description = {"Runs random simulated migrations from a seed and verifies each.",
            "Lists each distinct way of failing (a finding: property and cause) with how many scenarios failed so,",
            "shrunk, with the command that replays it. Exit 0 when all pass, 1 on a failure."})
final class CampaignCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenarios", paramLabel = "N", defaultValue = "1000", description = "Scenarios in the whole campaign (default ${DEFAULT-VALUE}).")
    int scenarios;

    @Mixin
    SharedOptions.Seed seedOption;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run shard I of N (0-based): disjoint shards that together are the campaign.")
    String shard;

    @Mixin
    SharedOptions.ProfileOption profile;

    @Mixin
    SharedOptions.Mutants mutants;

    @Option(names = "--time-limit", paramLabel = "DURATION", converter = Converters.Seconds.class,
            description = "Stop starting scenarios after this long (e.g. 90s, 10m; a bare number is seconds).")
    long timeLimitNanos;

    @Mixin
    SharedOptions.Report report;

    @Override
    public Integer call() throws Exception {
        int index = 0;
        int count = 1;
        if (shard != null) {
            String[] p = shard.split("/");
            try {
                index = Integer.parseInt(p[0]);
                count = Integer.parseInt(p[1]);
            } catch (RuntimeException e) {
                throw new UserError("--shard '" + shard + "': expected I/N, such as 0/4");
            }
            if (p.length != 2 || count < 1 || index < 0 || index >= count) {
                throw new UserError("--shard '" + shard + "': need 0 <= I < N");
            }
        }
        if (scenarios < 0) {
            throw new UserError("--scenarios must be >= 0");
        }
        long seed = seedOption.seed;
        Path reportDir = report.dir;
        Variant variant = SharedOptions.variant(profile, mutants);
        Set<Mutant> ms = variant.mutants();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int shardSize = (scenarios - index + count - 1) / count;
        ProgressBar bar = new ProgressBar(err, "campaign", shardSize);
        long cpu0 = BenchCommand.Memory.processCpuNanos();
        Campaign.Summary s = Campaign.run(new Campaign.Settings(seed, scenarios, index, count, variant, timeLimitNanos, 200, true),
                bar::update);
        bar.done();
        double cpuSeconds = (BenchCommand.Memory.processCpuNanos() - cpu0) / 1e9;
        out.printf("campaign seed %d, shard %d/%d%s: %d run, %d passed, %d failed%s; %.1f scenarios/s, %.1f MiB simulated%n",
                seed, index, count, variant.equals(Variant.BLKMIG) ? "" : ", " + variant,
                s.run(), s.passed(), s.failed(), s.timedOut() ? " (time limit reached)" : "", s.scenariosPerSecond(),
                s.simulatedBytes() / 1048576.0);
        out.printf("campaign cost: %.1f CPU-s, %.1f MiB migrated per CPU-second%n", cpuSeconds,
                s.migratedBytes() / 1048576.0 / Math.max(cpuSeconds, 1e-9));
        if (s.failed() > 0) {
            out.println("findings: " + s.failures().size() + " distinct way(s) of failing in " + s.failed() + " failed scenarios");
        }
        int n = 1;
        for (Campaign.Failure f : s.failures()) {
            out.println("FINDING " + n++ + ": " + f.key() + " (" + f.occurrences() + " scenario(s), first #" + f.index()
                    + "; shrunk in " + f.shrunk().runs() + " runs)");
            out.println("  " + f.shrunk().outcome().report().replace("\n", "\n  "));
        }
        if (reportDir != null) {
            java.nio.file.Files.createDirectories(reportDir);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("seed", seed);
            json.put("shard", index + "/" + count);
            json.put("profile", variant.profile().cliName);
            json.put("mutants", ms.stream().map(Mutant::cliName).sorted().toList());
            json.put("run", s.run());
            json.put("passed", s.passed());
            json.put("failed", s.failed());
            json.put("scenariosPerSecond", s.scenariosPerSecond());
            List<String> failures = new ArrayList<>();
            List<Map<String, Object>> findings = new ArrayList<>();
            for (Campaign.Failure f : s.failures()) {
                failures.add(f.shrunk().outcome().report());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("finding", f.key());
                row.put("scenarios", f.occurrences());
                row.put("firstIndex", f.index());
                row.put("shrunkScenario", f.shrunk().outcome().run().scenario().toString());
                row.put("replay", org.blkmig.model.Judge.replayCommand(f.shrunk().outcome().run().scenario(), variant));
                findings.add(row);
            }
            json.put("failures", failures);
            json.put("findings", findings);
            Reports.writeJson(reportDir.resolve("report.json"), json);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"campaign", "seed " + seed + ", shard " + index + "/" + count});
            rows.add(new String[] {"result", s.run() + " run, " + s.passed() + " passed, " + s.failed() + " failed"});
            rows.add(new String[] {"speed", String.format("%.1f scenarios/s", s.scenariosPerSecond())});
            for (Campaign.Failure f : s.failures()) {
                rows.add(new String[] {"finding", f.key() + " (" + f.occurrences() + " scenarios)\n"
                        + f.shrunk().outcome().report()});
            }
            Reports.writeHtml(reportDir.resolve("report.html"), "blkmig campaign", s.failed() == 0 ? "PASSED" : "FAILED",
                    rows, s.failures().isEmpty() ? null : s.failures().get(0).shrunk().outcome().run().migration());
            out.println("report: " + reportDir.resolve("report.html"));
        }
        return s.failed() == 0 ? Main.OK : Main.CHECK_FAILED;
    }
}
