// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CampaignReport;
import org.blkmig.cli.report.CiReport;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.model.scenario.Variant;
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

    @Mixin
    SharedOptions.SizesOption sizes;

    @Option(names = "--time-limit", paramLabel = "DURATION", converter = Converters.Seconds.class,
            description = "Stop starting scenarios after this long (e.g. 90s, 10m; a bare number is seconds).")
    long timeLimitNanos;

    @Mixin
    SharedOptions.Report report;

    @Mixin
    CiReport.Outputs ci;

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
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int shardSize = (scenarios - index + count - 1) / count;
        ProgressBar bar = new ProgressBar(err, "campaign", shardSize);
        long cpu0 = BenchCommand.Memory.processCpuNanos();
        Campaign.Settings settings = new Campaign.Settings(seed, scenarios, index, count, variant, timeLimitNanos, 200, true,
                sizes.mix);
        Campaign.Summary s = Campaign.run(settings, bar::update);
        bar.done();
        double cpuSeconds = (BenchCommand.Memory.processCpuNanos() - cpu0) / 1e9;
        out.printf("campaign seed %d, shard %d/%d, %s%s: %d run, %d passed, %d failed%s; %.1f scenarios/s, %.1f MiB simulated%n",
                seed, index, count, sizes.mix.describe(), variant.equals(Variant.BLKMIG) ? "" : ", " + variant,
                s.run(), s.passed(), s.failed(), s.timedOut() ? " (time limit reached)" : "", s.scenariosPerSecond(),
                s.simulatedBytes() / 1048576.0);
        out.printf("campaign cost: %.1f CPU-s, %.1f MiB migrated per CPU-second%n", cpuSeconds,
                s.migratedBytes() / 1048576.0 / Math.max(cpuSeconds, 1e-9));
        s.downtime().lines().forEach(out::println);
        out.printf("writebacks: %d of %d runs forced two targets or more at one writeback before the end (durability)%n",
                s.multiTargetWritebackRuns(), s.run());
        if (s.failed() > 0) {
            out.println("findings: " + s.failures().size() + " distinct way(s) of failing in " + s.failed() + " failed scenarios");
        }
        int n = 1;
        for (Campaign.Failure f : s.failures()) {
            out.println("FINDING " + n++ + ": " + f.key() + " (" + f.occurrences() + " scenario(s), first #" + f.index()
                    + "; shrunk in " + f.shrunk().runs() + " runs)");
            out.println("  " + f.shrunk().outcome().report().replace("\n", "\n  "));
            out.println("  first:    " + rerunCommand(seed, f.index(), sizes.mix, variant));
        }
        CampaignReport r = CampaignReport.of(settings, s);
        if (reportDir != null) {
            r.writePage(reportDir, CampaignReport.writeFindings(reportDir, s));
            out.println("report: " + reportDir.resolve("report.html"));
        }
        new CiReport("blkmig campaign").addAll(r.cases("campaign")).write(ci);
        return s.failed() == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    /** The command that runs scenario k of the campaign alone (a shard of one), unshrunk, and shrinks it again. */
    static String rerunCommand(long seed, int k, SizeMix sizes, Variant variant) {
        return "./blkmig campaign --seed " + seed + " --scenarios " + (k + 1) + " --shard " + k + "/" + (k + 1)
                + (sizes == SizeMix.DEFAULT ? "" : " --sizes " + sizes.cliName) + variant.cliOptions();
    }
}
