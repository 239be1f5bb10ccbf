// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.Reports;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.protocol.Wire;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.Profile;
import org.blkmig.sender.RamModel;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.Sizes;
import org.blkmig.simdisk.Workload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Runs one deterministic simulated migration and verifies it.",
            "Defaults: two devices (one with a partial last chunk) and a uniform workload that converges.",
            "Exit 0 when every property holds, 1 when one fails."})
final class SimulateCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    SharedOptions.ScenarioLine scenarioLine;

    @Option(names = "--disks", paramLabel = "NAME=SIZE[:ro],...", description = "Source devices (default drive0=64M,drive1=3M+1536).")
    List<String> disks;

    @Option(names = "--workload", paramLabel = "KIND", description = "none, uniform, hotspot, sequential, burst or hammer (default uniform).")
    String workload;

    @Option(names = "--write-rate", paramLabel = "RATE", converter = Converters.Rate.class, description = "Guest writes in bytes per second (default 256K).")
    Long writeRate;

    @Option(names = "--bandwidth", paramLabel = "RATE", converter = Converters.Rate.class, description = "Migration bandwidth per second (default 32M).")
    Long bandwidth;

    @Option(names = "--max-downtime", paramLabel = "MS", converter = Converters.Millis.class, description = "Maximum downtime, milliseconds (default 300).")
    Long maxDowntimeNanos;

    @Option(names = "--latency", paramLabel = "MODEL", description = "Read latency: fixed:1ms, uniform:100us-2ms or longtail:500us,5%%,20ms.")
    String latency;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = Converters.Size.class, description = "Chunk size (default 1M, QEMU's).")
    Long chunkSize;

    @Option(names = "--zero-blocks", description = "Send all-zero chunks as ZERO_BLOCK records.")
    Boolean zeroBlocks;

    @Option(names = "--shared-base", description = "Incremental mode: every device is a top layer over a base the target shares.")
    Boolean sharedBase;

    @Option(names = "--ram", paramLabel = "SIZE:DATA%:RATE",
            description = "Guest RAM migrated beside the disks, its share of data pages and its dirtying rate (default none;"
                    + " 32M:2%%:0 with --profile qemu-7.2, as a QEMU with no guest).")
    String ram;

    @Option(names = "--faults", paramLabel = "SPEC", description = "none, or E%%err,S%%slow*F (read errors, slow reads).")
    String faults;

    @Mixin
    SharedOptions.Seed seed;

    @Mixin
    SharedOptions.ProfileOption profile;

    @Mixin
    SharedOptions.Mutants mutants;

    @Mixin
    SharedOptions.Report report;

    @Override
    public Integer call() throws Exception {
        Scenario s = scenario();
        Variant variant = SharedOptions.variant(profile, mutants);
        long t0 = System.nanoTime();
        Judge.Outcome o = Judge.judge(s, variant, true); // one run: always check that it replays
        long wallNanos = System.nanoTime() - t0;
        PrintWriter out = spec.commandLine().getOut();
        printSummary(out, o, wallNanos);
        if (report.dir != null) {
            Reports.writeSimulation(report.dir, o, wallNanos);
            out.println("report:      " + report.dir.resolve("report.html"));
        }
        return o.passed() && o.run().migration().completed() ? Main.OK : Main.CHECK_FAILED;
    }

    private Scenario scenario() {
        boolean seedGiven = spec.commandLine().getParseResult().hasMatchedOption("--seed");
        if (scenarioLine.line != null) {
            if (disks != null || workload != null || writeRate != null || bandwidth != null || maxDowntimeNanos != null
                    || latency != null || chunkSize != null || zeroBlocks != null || sharedBase != null || faults != null
                    || ram != null || seedGiven) {
                throw new UserError("--scenario gives the whole scenario: drop the other scenario options");
            }
            return Scenario.parse(scenarioLine.line);
        }
        Scenario d = Scenario.defaults();
        List<Scenario.Device> devices = d.devices();
        if (disks != null) {
            devices = new ArrayList<>();
            for (Map.Entry<String, String> e : Converters.pairs(disks, "--disks").entrySet()) {
                String v = e.getValue();
                boolean ro = v.endsWith(":ro");
                devices.add(new Scenario.Device(e.getKey(), Sizes.parse(ro ? v.substring(0, v.length() - 3) : v), ro));
            }
        }
        Workload.Kind kind = workload == null ? d.workload().kind() : parseKind(workload);
        long rate = writeRate != null ? writeRate : d.workload().writeRateBytesPerSecond();
        Workload w = kind == Workload.Kind.NONE ? Workload.NONE : Workload.of(kind, rate);
        int chunk = chunkSize == null ? Wire.QEMU_CHUNK_SIZE_BYTES : (int) Math.min(Integer.MAX_VALUE, chunkSize);
        long sd = seedGiven ? seed.seed : d.seed();
        return new Scenario(devices, sd, w, bandwidth == null ? d.bandwidthBytesPerSecond() : bandwidth,
                maxDowntimeNanos == null ? d.maxDowntimeNanos() : maxDowntimeNanos,
                latency == null ? d.latency() : LatencyModel.parse(latency), chunk, zeroBlocks != null && zeroBlocks,
                sharedBase != null && sharedBase, d.allocatedPercent(), faults == null ? Faults.NONE : Faults.parse(faults), sd,
                ram != null ? Scenario.parseRam(ram) : profile.profile() == Profile.QEMU_7_2 ? Scenario.QEMU_GUESTLESS_RAM
                        : RamModel.Settings.NONE);
    }

    static Workload.Kind parseKind(String k) {
        try {
            return Workload.Kind.valueOf(k.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("unknown workload '" + k + "': none, uniform, hotspot, sequential, burst or hammer");
        }
    }

    static void printSummary(PrintWriter out, Judge.Outcome o, long wallNanos) {
        MigrationResult m = o.run().migration();
        Scenario s = o.run().scenario();
        out.println("scenario:    " + s);
        if (!o.run().variant().equals(Variant.BLKMIG)) {
            out.println("variant:     " + o.run().variant());
        }
        out.println("outcome:     " + m.outcome() + (m.completed() ? "" : " (" + m.reason() + ")"));
        out.println("receiver:    " + o.run().receive());
        out.printf("migration:   %s sent (%d data chunks, %d zero chunks), %d slices, %d dirty rounds%n",
                Sizes.format(m.bytesSent()), m.sender().dataChunksSent, m.sender().zeroChunksSent, m.slices().size(),
                m.dirtyRounds());
        out.printf("time:        %.1f ms simulated migration, %.1f ms downtime (limit %s), %d guest writes; %.0f ms wall%n",
                m.migrationNanos() / 1e6, m.downtimeNanos() / 1e6, Durations.format(s.maxDowntimeNanos()),
                o.run().guestWrites(), wallNanos / 1e6);
        out.println("stream:      " + o.run().stream().length() + " bytes, sha256 " + o.run().stream().sha256());
        for (Verdict v : o.verdicts()) {
            out.println("  " + v);
        }
        if (o.passed() && m.completed()) {
            out.println("verdict:     " + o.headline() + ": every target is identical and the stream obeys the protocol");
        } else if (o.passed()) {
            out.println("verdict:     " + o.headline() + ": every property holds, nothing was lost,"
                    + " and the target is reported incomplete");
        } else {
            out.println("verdict:     FAILED");
            out.println(o.report());
        }
    }
}
