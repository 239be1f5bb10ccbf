// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CampaignReport;
import org.blkmig.cli.report.CiReport;
import org.blkmig.cli.report.GateReport;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
import org.blkmig.qemu.QemuConformance;
import org.blkmig.qemu.QemuProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "gate", mixinStandardHelpOptions = true,
        description = {"One CI step for a change to the protocol or the algorithm, within a time budget: the golden corpus,",
            "the mutant kill matrix, the fuzzers, the QEMU 7.2 conformance cases (when QEMU is installed) and a campaign",
            "with the time left. Exit 0 when every check passes, 1 when one fails, 2 on a usage error."})
final class GateCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--budget", paramLabel = "DURATION", converter = Converters.Seconds.class, defaultValue = "10m",
            description = "The whole gate's time (e.g. 5m, 90s; default ${DEFAULT-VALUE}); the campaign takes what the others leave.")
    long budgetNanos;

    @Mixin
    SharedOptions.Seed seed;

    @Mixin
    SharedOptions.ProfileOption profile;

    @Mixin
    SharedOptions.Mutants mutants;

    @Mixin
    SharedOptions.SizesOption sizes;

    @Option(names = "--scenarios", paramLabel = "N", defaultValue = "5000",
            description = {"Campaign scenarios (default ${DEFAULT-VALUE}): a fixed number, so a gate judges the same scenarios"
                    + " on any machine; the budget cuts it short only on a slow one, and says so."})
    int scenarios;

    @Option(names = "--mutant-scenarios", paramLabel = "N", defaultValue = "300",
            description = "At most this many scenarios per mutant in the kill matrix (default ${DEFAULT-VALUE}).")
    int mutantScenarios;

    @Option(names = "--corpus", paramLabel = "DIR", description = "The golden corpus (default: ./corpus, or the one beside blkmig's jar).")
    Path corpusDir;

    @Mixin
    SharedOptions.Report report;

    @Mixin
    CiReport.Outputs ci;

    /** The fuzzers' share of the budget. */
    static final double FUZZ_SHARE = 0.10;
    /** Fuzz inputs per batch: the fuzzers run batches until their share is spent. */
    static final int FUZZ_BATCH = 1000;
    /** Kept back from the campaign for shrinking its findings and writing the reports. */
    static final double RESERVE_SHARE = 0.15;

    @Override
    public Integer call() throws Exception {
        if (budgetNanos <= 0) {
            throw new UserError("--budget must be more than 0");
        }
        if (scenarios < 0 || mutantScenarios < 1) {
            throw new UserError("--scenarios must be >= 0 and --mutant-scenarios >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        long deadline = start + budgetNanos;
        Variant variant = SharedOptions.variant(profile, mutants);
        org.blkmig.model.campaign.Corpus corpus = CorpusCommand.load(corpusDir);
        CiReport gate = new CiReport("blkmig gate");
        out.println("gate: budget " + budgetNanos / 1_000_000_000 + " s, " + variant
                + (variant.mutants().isEmpty() ? "" : " (mutants switched on: the gate must fail)"));

        out.println("== corpus (" + corpus.dir() + ")");
        gate.addAll(CorpusCommand.check(out, corpus, variant));

        out.println("== mutants: the kill matrix");
        gate.addAll(MutantsCommand.matrix(out, variant.profile(), seed.seed, mutantScenarios, false, Mutant.simulated(),
                sizes.mix));
        gate.addAll(MutantsCommand.strategyMatrix(out, variant.profile().withoutStrategyMutant(),
                variant.profile().strategyMutants(), seed.seed, mutantScenarios, false, sizes.mix));
        out.println(MutantsCommand.realThreadsNote());

        out.println("== fuzz");
        long fuzzUntil = System.nanoTime() + (long) (budgetNanos * FUZZ_SHARE);
        long inputs = 0;
        List<CiReport.Case> fuzzFailures = new ArrayList<>();
        long fuzz0 = System.nanoTime();
        int batch = 0;
        PrintWriter quiet = new PrintWriter(java.io.Writer.nullWriter());
        do {
            for (CiReport.Case c : FuzzCommand.fuzz(quiet, seed.seed + batch++, FUZZ_BATCH)) {
                if (c.status() == CiReport.Status.FAILED) {
                    fuzzFailures.add(c);
                    out.println("fuzz FINDING: " + c.name() + ": " + c.message());
                }
            }
            inputs += FUZZ_BATCH;
        } while (System.nanoTime() < fuzzUntil && fuzzFailures.isEmpty());
        double fuzzSeconds = (System.nanoTime() - fuzz0) / 1e9;
        out.printf("fuzz: %d inputs from seeds %d..%d in %.1f s: %s%n", inputs, seed.seed, seed.seed + batch - 1, fuzzSeconds,
                fuzzFailures.isEmpty() ? "no findings" : fuzzFailures.size() + " failed case(s)");
        if (fuzzFailures.isEmpty()) {
            gate.add(CiReport.Case.passed("fuzz", inputs + " inputs from seeds " + seed.seed + ".." + (seed.seed + batch - 1),
                    "every input ended in a protocol error or an honest result", fuzzSeconds));
        } else {
            gate.addAll(fuzzFailures);
        }

        qemu(out, gate);

        long left = deadline - System.nanoTime();
        long campaignNanos = Math.max(5_000_000_000L, left - (long) (budgetNanos * RESERVE_SHARE));
        out.printf("== campaign: seed %d, %s, up to %d scenarios or %.0f s%n", seed.seed, sizes.mix.describe(), scenarios,
                campaignNanos / 1e9);
        Campaign.Settings settings = new Campaign.Settings(seed.seed, scenarios, 0, 1, variant, campaignNanos, 200, true,
                sizes.mix);
        Campaign.Summary s = Campaign.run(settings, k -> {});
        CampaignReport campaign = CampaignReport.of(settings, s);
        out.printf("campaign: %d run, %d passed, %d failed%s%n", s.run(), s.passed(), s.failed(),
                s.timedOut() ? " (the budget ended it)" : "");
        for (CampaignReport.Finding f : campaign.findings()) {
            out.println("FINDING: " + f.key() + " (" + f.scenarios() + " scenario(s))\n  " + f.report().replace("\n", "\n  "));
            s.failures().stream().filter(x -> x.key().equals(f.key())).findFirst().ifPresent(x -> out.println(
                    "  first:    " + CampaignCommand.rerunCommand(seed.seed, x.index(), sizes.mix, variant)));
        }
        gate.addAll(campaign.cases("campaign"));
        if (s.timedOut()) {
            gate.note("campaign: the budget ended it after " + s.run() + " of " + scenarios + " scenarios");
        }

        double seconds = (System.nanoTime() - start) / 1e9;
        gate.note(String.format("gate: %.0f s of a %d s budget; %s", seconds, budgetNanos / 1_000_000_000, variant));
        if (report.dir != null) {
            GateReport.write(report.dir, gate, campaign, s, variant, seconds);
            out.println("report: " + report.dir.resolve("report.html"));
        }
        gate.write(ci);
        long failed = gate.cases().stream().filter(c -> c.status() == CiReport.Status.FAILED).count();
        out.printf("gate: %s in %.0f s: %d checks, %d failed, %d skipped%n", failed == 0 ? "PASSED" : "FAILED", seconds,
                gate.cases().size(), failed, gate.cases().stream().filter(c -> c.status() == CiReport.Status.SKIPPED).count());
        return failed == 0 ? Main.OK : Main.CHECK_FAILED;
    }

    /** The QEMU 7.2 conformance cases, each failure named by its verdict's typed fields; skipped without QEMU. */
    private static void qemu(PrintWriter out, CiReport gate) {
        out.println("== qemu: conformance against a real QEMU 7.2");
        if (QemuProcess.available()) {
            for (QemuConformance.Case c : QemuConformance.cases()) {
                QemuConformance.Result r = QemuConformance.run(c);
                out.println("qemu " + c.name() + ": " + (r.passed() ? "identical" : "FAILED: " + r.key() + ": " + r.problem()));
                gate.add(r.passed() ? CiReport.Case.passed("qemu", c.name(), "identical disks", r.seconds())
                        : CiReport.Case.failed("qemu", c.name(), r.key().toString(), r.problem(), r.seconds()));
            }
        } else {
            String why = "QEMU 7.2 is not installed here (" + QemuProcess.BINARY + " not found; apt-get install qemu-system-x86"
                    + " qemu-utils): the conformance cases did not run";
            out.println("qemu: SKIPPED: " + why);
            for (QemuConformance.Case c : QemuConformance.cases()) {
                gate.add(CiReport.Case.skipped("qemu", c.name(), why));
            }
            gate.note("qemu: skipped, QEMU 7.2 is not installed");
        }
    }
}
