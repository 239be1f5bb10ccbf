// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;
import org.blkmig.model.oracle.OracleDecoder;
import org.blkmig.model.oracle.OracleRecords;
import org.blkmig.model.oracle.Rejected;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.WriteContent;

/**
 * The properties a run must have, judged from the run's images, its stream and its history, never
 * from the sender's own bookkeeping. Each has a name that appears in its failure.
 */
public final class Checks {
    private Checks() {}

    public enum Property {
        INVARIANTS("invariants", "the run broke no invariant asserted in blkmig's main code"),
        IDENTICAL("identical", "every target equals its source as the guest left it"),
        PROTOCOL("protocol", "the stream decodes and StreamChecker reports nothing"),
        PROGRESS("progress", "progress within 0..100, never decreasing, END ends with 100 then EOS, one EOS per payload"),
        CHUNK_COVERAGE("chunk-coverage", "every (allocated) chunk is sent at least once"),
        READ_HISTORY("read-history", "every block carries its chunk as some read sampled it (zero blocks: all zero),"
                + " never older than a block of that chunk sent before it"),
        SOURCE_UNTOUCHED("source-untouched", "the migration writes nothing to a source and stops dirty tracking"),
        IN_BOUNDS("in-bounds", "nothing is written outside a target, nor to a device that is not migrated"),
        CONVERGENCE("convergence", "with chunks dirtied at <= 1/4 of the bandwidth, a downtime budget of 4+ chunks and no"
                + " faults (of reads or of the link), the migration completes"),
        HONEST_COMPLETION("honest-completion", "the target is complete exactly when the migration completed, and only"
                + " once every write landed and was flushed"),
        EXPLAINED_FAILURE("explained-failure", "a migration FAILED only on an injected fault the history records, and"
                + " was CANCELLED only when the scenario cancelled it"),
        JUSTIFIED_NON_CONVERGENCE("justified-non-convergence", "a migration gave up only when the guest dirtied chunks"
                + " (as the history measures them) as fast as the bandwidth, its downtime budget held fewer"
                + " than 4 chunks, reads were faulty, the link carried no more than the rate limit, or it had sent"
                + " its data limit"),
        RATE_LIMIT("rate-limit", "in every slice the blocks sent (by the stream's bytes and their virtual times) stay"
                + " within the slice's budget plus one block, and no read is submitted while the chunks read but not yet"
                + " sent fill the slice's budget"),
        CLEAN_STOP("clean-stop", "both ends stop by themselves: the sender holds no chunk buffer, the receiver returns"
                + " (its thread ends), no event stays scheduled; a link fault leaves the target incomplete unless the"
                + " migration completed"),
        DETERMINISM("determinism", "the scenario run again gives the same stream (SHA-256) and the same history");

        public final String id;
        public final String reason;

        Property(String id, String reason) {
            this.id = id;
            this.reason = reason;
        }
    }

    public record Verdict(Property property, boolean passed, String evidence) {
        @Override
        public String toString() {
            return (passed ? "PASS " : "FAIL ") + property.id + (evidence.isEmpty() ? "" : ": " + evidence);
        }
    }

    /** A block as the stream carries it: hash of its in-bounds bytes, or zero; where it starts, how long it is. */
    record SentBlock(SectionType payload, String device, long sector, boolean zero, long hash, long offsetBytes,
            long wireBytes) {}

    record Decoded(List<SentBlock> blocks, String error, List<StreamChecker.Violation> violations) {}

    /** The rules whose violations the {@code progress} property reports (END_PRESENT too, for a completed run). */
    static final Set<StreamChecker.Rule> PROGRESS_RULES = EnumSet.of(StreamChecker.Rule.PROGRESS_RANGE,
            StreamChecker.Rule.PROGRESS_MONOTONIC, StreamChecker.Rule.END_PROGRESS_100, StreamChecker.Rule.PAYLOAD_EOS);

    public static List<Verdict> judge(ScenarioRunner.Run run) {
        Decoded d = decode(run);
        List<Verdict> v = new ArrayList<>();
        v.add(run.brokenInvariant() == null ? pass(Property.INVARIANTS) : fail(Property.INVARIANTS, run.brokenInvariant()));
        boolean completed = run.migration().outcome() == MigrationResult.Outcome.COMPLETED;
        v.add(identical(run, completed));
        v.add(protocol(d, completed));
        v.add(progress(d, completed));
        v.add(coverage(run, d, completed));
        v.add(readHistory(run, d));
        v.add(sourceUntouched(run));
        v.add(inBounds(run));
        v.add(convergence(run));
        v.add(honest(run, completed));
        v.add(explainedFailure(run));
        v.add(justifiedNonConvergence(run));
        v.add(rateLimit(run, d));
        v.add(cleanStop(run, completed));
        return v;
    }

    /** A block's header and name on the wire (docs/PROTOCOL.md: be64 header, u8 length, the name). */
    static long headBytes(String device) {
        return 8 + 1 + device.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    public static boolean allPassed(List<Verdict> vs) {
        return vs.stream().allMatch(Verdict::passed);
    }

    private static Verdict pass(Property p) {
        return new Verdict(p, true, "");
    }

    private static Verdict fail(Property p, String evidence) {
        return new Verdict(p, false, evidence);
    }

    /** Devices the migration must carry: writable with a size. */
    static boolean migrated(Scenario.Device d) {
        return !d.readOnly() && d.sizeBytes() > 0;
    }

    static long hash(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return c.getValue() ^ ((long) b.remaining() << 32);
    }

    // ---- stream decoding: the oracle's own decoder; the rules are StreamChecker's ----

    static Decoded decode(ScenarioRunner.Run run) {
        Scenario s = run.scenario();
        Map<String, Long> sizes = new LinkedHashMap<>();
        s.devices().forEach(d -> sizes.put(d.name(), d.sizeBytes()));
        return decode(run.stream()::open, sizes, s.chunkSizeBytes(),
                run.migration().outcome() == MigrationResult.Outcome.COMPLETED);
    }

    /** Opens a stream to decode. */
    interface StreamSource {
        InputStream open() throws IOException;
    }

    /** Decodes a QEMU stream with the oracle's decoder and judges it with StreamChecker; {@code completed}: its source said so. */
    static Decoded decode(StreamSource stream, Map<String, Long> sizes, int chunkSizeBytes, boolean completed) {
        StreamChecker checker = new StreamChecker(sizes, chunkSizeBytes);
        List<SentBlock> blocks = new ArrayList<>();
        String error = null;
        boolean judgeToEnd = true;
        long endOffsetBytes = 0;
        OracleDecoder.Listener listener = new OracleDecoder.Listener() {
            private SectionType type;

            @Override
            public void payloadBegin(OracleDecoder.SectionKind kind, long offsetBytes) {
                type = OracleRecords.sectionType(kind);
                checker.beginPayload(type, offsetBytes);
            }

            @Override
            public void record(OracleDecoder.Rec r) {
                checker.record(OracleRecords.toRecord(r), r.offsetBytes());
                if (r.kind() == OracleDecoder.Kind.DATA) {
                    long sizeBytes = sizes.getOrDefault(r.device(), 0L);
                    // a sector far past the end is out of bounds, not an overflow
                    long inBounds = r.value() >= sizeBytes / Disk.SECTOR_SIZE_BYTES + 1 ? 0
                            : Math.max(0, Math.min(chunkSizeBytes, sizeBytes - r.value() * Disk.SECTOR_SIZE_BYTES));
                    blocks.add(new SentBlock(type, r.device(), r.value(), false, hash(r.data().duplicate().limit((int) inBounds)),
                            r.offsetBytes(), headBytes(r.device()) + chunkSizeBytes));
                } else if (r.kind() == OracleDecoder.Kind.ZERO) {
                    blocks.add(new SentBlock(type, r.device(), r.value(), true, 0, r.offsetBytes(), headBytes(r.device())));
                }
            }

            @Override
            public void payloadEnd(OracleDecoder.SectionKind kind, long offsetBytes) {
                checker.endPayload(offsetBytes);
            }
        };
        try (InputStream in = stream.open()) {
            endOffsetBytes = new OracleDecoder(chunkSizeBytes).decodeQemu(in, listener).lengthBytes();
        } catch (Rejected r) {
            // a migration that failed or did not converge stops mid-stream: only its truncation is expected
            if (completed || !r.truncated()) {
                error = r.getMessage();
            }
            judgeToEnd = false; // the payload the decoder stopped in is not judged, nor a missing END
        } catch (IOException ioe) {
            error = "reading the stream failed: " + ioe.getMessage();
            judgeToEnd = false;
        }
        return new Decoded(blocks, error, judgeToEnd ? checker.finish(endOffsetBytes) : checker.finishTruncated());
    }

    // ---- the properties ----

    static Verdict identical(ScenarioRunner.Run run, boolean completed) {
        if (!completed) {
            return new Verdict(Property.IDENTICAL, true, "n/a: the migration did not complete");
        }
        Scenario s = run.scenario();
        int compareBytes = 1 << 20;
        for (Scenario.Device d : s.devices()) {
            if (!migrated(d)) {
                continue;
            }
            Disk src = run.sources().get(d.name());
            Disk dst = run.targets().get(d.name());
            long sectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
            for (long sec = 0; sec < sectors; sec += compareBytes / Disk.SECTOR_SIZE_BYTES) {
                long n = Math.min(compareBytes / Disk.SECTOR_SIZE_BYTES, sectors - sec);
                ByteBuffer a = World.read(src, sec, n);
                ByteBuffer b = World.read(dst, sec, n);
                int at = a.mismatch(b);
                if (at >= 0) {
                    long sector = sec + at / Disk.SECTOR_SIZE_BYTES;
                    int sectorStart = (at / Disk.SECTOR_SIZE_BYTES) * Disk.SECTOR_SIZE_BYTES;
                    long srcId = WriteContent.writeIdOf(a.duplicate().position(sectorStart), sector);
                    long dstId = WriteContent.writeIdOf(b.duplicate().position(sectorStart), sector);
                    return fail(Property.IDENTICAL, d.name() + " differs first at byte " + (sec * Disk.SECTOR_SIZE_BYTES + at)
                            + " (sector " + sector + ", chunk " + sector * Disk.SECTOR_SIZE_BYTES / s.chunkSizeBytes()
                            + "): source has " + describeWrite(srcId) + ", target has " + describeWrite(dstId));
                }
            }
        }
        return pass(Property.IDENTICAL);
    }

    private static String describeWrite(long id) {
        if (id == -1) {
            return "no write (zeros or initial data)";
        }
        return id == 0 ? "initial data" : id == World.TOP_INITIAL_WRITE_ID ? "initial top data" : "guest write #" + id;
    }

    static Verdict protocol(Decoded d, boolean completed) {
        if (d.error() != null) {
            return fail(Property.PROTOCOL, d.error());
        }
        List<StreamChecker.Violation> vs = d.violations().stream()
                .filter(x -> completed || x.rule() != StreamChecker.Rule.END_PRESENT).toList();
        if (!vs.isEmpty()) {
            return fail(Property.PROTOCOL, vs.get(0) + (vs.size() > 1 ? " (+" + (vs.size() - 1) + " more)" : ""));
        }
        return pass(Property.PROTOCOL);
    }

    /** StreamChecker's violations of the progress rules; a completed run must also have its END payload. */
    static Verdict progress(Decoded d, boolean completed) {
        List<StreamChecker.Violation> vs = d.violations().stream().filter(x -> PROGRESS_RULES.contains(x.rule())
                || completed && d.error() == null && x.rule() == StreamChecker.Rule.END_PRESENT).toList();
        if (!vs.isEmpty()) {
            return fail(Property.PROGRESS, vs.get(0) + (vs.size() > 1 ? " (+" + (vs.size() - 1) + " more)" : ""));
        }
        return pass(Property.PROGRESS);
    }

    static Verdict coverage(ScenarioRunner.Run run, Decoded d, boolean completed) {
        if (!completed) {
            return new Verdict(Property.CHUNK_COVERAGE, true, "n/a: the migration did not complete");
        }
        Scenario s = run.scenario();
        long spc = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Set<String> sent = new HashSet<>();
        d.blocks().forEach(b -> sent.add(b.device() + "@" + b.sector()));
        for (Scenario.Device dev : s.devices()) {
            if (!migrated(dev)) {
                continue;
            }
            Disk src = run.sources().get(dev.name()).delegate();
            long sectors = dev.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
            for (long sec = 0; sec < sectors; sec += spc) {
                boolean needed = true;
                if (s.sharedBase()) {
                    Disk.Allocation a = src.allocation(sec, spc);
                    needed = a.state() != Disk.State.UNALLOCATED || a.sectorCount() < Math.min(spc, sectors - sec);
                }
                if (needed && !sent.contains(dev.name() + "@" + sec)) {
                    return fail(Property.CHUNK_COVERAGE, "chunk at sector " + sec + " of " + dev.name() + " was never sent");
                }
            }
        }
        return pass(Property.CHUNK_COVERAGE);
    }

    /**
     * Replays the history on shadow copies of the initial disks: at each read's sampling instant
     * (and each lookup that found a hole), the hash of what it could read. Every block sent must match one read of its chunk.
     */
    static Verdict readHistory(ScenarioRunner.Run run, Decoded d) {
        Scenario s = run.scenario();
        Map<String, Disk> bases = World.bases(s);
        Map<String, Disk> shadow = new HashMap<>();
        for (Scenario.Device dev : s.devices()) {
            shadow.put(dev.name(), World.source(s, dev, bases));
        }
        Map<Long, History.ReadSubmit> submits = new HashMap<>();
        // per chunk: hash -> the sampling instants (as sample numbers) that saw it
        Map<String, Map<Long, List<Integer>>> sampled = new HashMap<>();
        int sampleNumber = 0;
        try {
            for (History.Entry e : run.history().entries()) {
                if (e instanceof History.GuestWrite w) {
                    shadow.get(w.device()).write(w.sector(), WriteContent.make(w.writeId(), w.sector(), w.sectorCount()));
                } else if (e instanceof History.ReadSubmit rs) {
                    submits.put(rs.readId(), rs);
                } else if (e instanceof History.ReadSample || e instanceof History.KnownZero) {
                    // a lookup that found a hole samples the chunk too: what did the disk hold then?
                    History.ReadSubmit rs = e instanceof History.ReadSample sample ? submits.get(sample.readId())
                            : asRead((History.KnownZero) e);
                    ByteBuffer data = World.read(shadow.get(rs.device()), rs.sector(), rs.sectorCount());
                    Map<Long, List<Integer>> byHash = sampled.computeIfAbsent(rs.device() + "@" + rs.sector(), k -> new HashMap<>());
                    int n = sampleNumber++;
                    byHash.computeIfAbsent(hash(data), k -> new ArrayList<>()).add(n);
                    if (org.blkmig.simdisk.Zeros.isZero(data)) {
                        byHash.computeIfAbsent(0L, k -> new ArrayList<>()).add(n);
                    }
                }
            }
        } catch (IOException ex) {
            return fail(Property.READ_HISTORY, "replay failed: " + ex.getMessage());
        }
        // the sample each chunk's last block could have come from, taking the earliest that keeps order
        Map<String, Integer> lastSample = new HashMap<>();
        for (SentBlock b : d.blocks()) {
            String key = b.device() + "@" + b.sector();
            Map<Long, List<Integer>> byHash = sampled.get(key);
            if (byHash == null) {
                return fail(Property.READ_HISTORY, (b.zero() ? "zero block" : "block") + " for " + b.device() + " sector "
                        + b.sector() + " that no read produced");
            }
            List<Integer> matches = byHash.get(b.zero() ? 0L : b.hash());
            if (matches == null) {
                return fail(Property.READ_HISTORY, (b.zero() ? "zero block for a chunk no read found all zero"
                        : "block whose data no read of its chunk saw") + ": " + b.device() + " sector " + b.sector()
                        + " in a " + b.payload() + " payload");
            }
            int previous = lastSample.getOrDefault(key, -1);
            int pick = matches.stream().filter(x -> x >= previous).findFirst().orElse(-1);
            if (pick < 0) {
                return fail(Property.READ_HISTORY, "stale block: " + b.device() + " sector " + b.sector() + " in a "
                        + b.payload() + " payload carries data older than a block of that chunk sent before it");
            }
            lastSample.put(key, pick);
        }
        return pass(Property.READ_HISTORY);
    }

    /** A lookup that found a hole, as the read it stands for (no id: it completes at once). */
    static History.ReadSubmit asRead(History.KnownZero k) {
        return new History.ReadSubmit(k.timeNanos(), -1, k.device(), k.sector(), k.sectorCount());
    }

    static Verdict sourceUntouched(ScenarioRunner.Run run) {
        long guestWrites = run.history().entries().stream().filter(e -> e instanceof History.GuestWrite).count();
        long sourceWrites = run.sources().values().stream().mapToLong(GuardedDisk::writes).sum();
        if (sourceWrites != guestWrites) {
            return fail(Property.SOURCE_UNTOUCHED, sourceWrites + " writes reached the sources but the guest made " + guestWrites);
        }
        for (BlockDevice dev : run.sourceDevices().values()) {
            if (dev.dirtyBitmapCount() != 0) {
                return fail(Property.SOURCE_UNTOUCHED, "dirty tracking still on for " + dev.name() + " after the migration ended");
            }
        }
        return pass(Property.SOURCE_UNTOUCHED);
    }

    static Verdict inBounds(ScenarioRunner.Run run) {
        for (Scenario.Device d : run.scenario().devices()) {
            GuardedDisk t = run.targets().get(d.name());
            if (t.outOfBoundsAttempts() > 0) {
                return fail(Property.IN_BOUNDS, "write outside the target: " + t.firstOutOfBounds());
            }
            if (!migrated(d) && t.writes() > 0) {
                return fail(Property.IN_BOUNDS, t.writes() + " writes to " + d.name() + ", which is "
                        + (d.readOnly() ? "read-only" : "empty") + " and not migrated");
            }
        }
        return pass(Property.IN_BOUNDS);
    }

    /** Whether the history records a fault of the link (the link's own marker). */
    static boolean linkFaultFired(ScenarioRunner.Run run) {
        return run.history().entries().stream()
                .anyMatch(e -> e instanceof History.Marker mk && mk.what().startsWith(SimLink.FAULT_MARKER));
    }

    static Verdict convergence(ScenarioRunner.Run run) {
        Scenario s = run.scenario();
        double dirtyRate = s.workload().dirtyRateBytesPerSecond(s.chunkSizeBytes());
        // what the migration can carry: the rate limit, or the link where it is slower
        double carriedBytesPerSecond = Math.min(s.bandwidthBytesPerSecond(), linkBytesPerSecond(s.setup().link()));
        // below a few chunks of downtime budget, completing needs an instant with nothing dirty at all
        double downtimeBudgetBytes = carriedBytesPerSecond * (s.maxDowntimeNanos() / 1e9);
        boolean light = dirtyRate * 4 <= carriedBytesPerSecond && downtimeBudgetBytes >= 4.0 * s.chunkSizeBytes();
        boolean faults = s.faults().readErrorPercent() > 0 || linkFaultFired(run);
        if (light && !faults && run.migration().outcome() != MigrationResult.Outcome.COMPLETED) {
            return fail(Property.CONVERGENCE, String.format("chunks dirtied at %.0f B/s against %.0f B/s carried ended %s: %s",
                    dirtyRate, carriedBytesPerSecond, run.migration().outcome(), run.migration().reason()));
        }
        return pass(Property.CONVERGENCE);
    }

    static Verdict honest(ScenarioRunner.Run run, boolean completed) {
        if (run.receive().complete() != completed) {
            return fail(Property.HONEST_COMPLETION, "the migration ended " + run.migration().outcome() + " ("
                    + run.migration().reason() + ") but the receiver says " + run.receive());
        }
        if (run.receive().complete()) {
            // complete means written and flushed: a write after the final flush landed after the claim
            for (Map.Entry<String, GuardedDisk> t : run.targets().entrySet()) {
                if (t.getValue().writesSinceForce() > 0) {
                    return fail(Property.HONEST_COMPLETION, t.getValue().writesSinceForce() + " write(s) to " + t.getKey()
                            + " landed after the receiver declared the target complete and flushed it");
                }
            }
        }
        return pass(Property.HONEST_COMPLETION);
    }

    static Verdict explainedFailure(ScenarioRunner.Run run) {
        MigrationResult m = run.migration();
        if (m.outcome() == MigrationResult.Outcome.FAILED && run.brokenInvariant() == null) {
            // a receiver that gave up first (its target failed, or a seeded bug) closed the connection: judged by
            // honest-completion, which needs it incomplete
            boolean injected = linkFaultFired(run) || !run.receive().complete() && run.history().entries().stream()
                    .anyMatch(e -> e instanceof History.Marker mk && mk.what().startsWith(SimLink.RECEIVER_CLOSED_MARKER))
                    || run.history().entries().stream().anyMatch(e -> e instanceof History.ReadComplete rc && rc.failed());
            if (!injected) {
                return fail(Property.EXPLAINED_FAILURE, "the migration FAILED with no injected fault in the history: "
                        + m.reason());
            }
        }
        if (m.outcome() == MigrationResult.Outcome.CANCELLED && run.faults().cancelAtNanos() < 0) {
            return fail(Property.EXPLAINED_FAILURE, "the migration was CANCELLED though the scenario never cancels it");
        }
        return pass(Property.EXPLAINED_FAILURE);
    }

    /** Over this much of the migration's end the guest's dirtying rate is measured. */
    static final long RATE_WINDOW_NANOS = 3_000_000_000L;

    /**
     * A non-converging migration must have a reason the sender cannot make up: measured from the
     * history, the rate at which the guest dirtied chunks that had been read (each such chunk must
     * be sent again) over the last seconds; or the scenario's structure.
     */
    static Verdict justifiedNonConvergence(ScenarioRunner.Run run) {
        MigrationResult m = run.migration();
        if (m.outcome() != MigrationResult.Outcome.DID_NOT_CONVERGE) {
            return pass(Property.JUSTIFIED_NON_CONVERGENCE);
        }
        Scenario s = run.scenario();
        if (run.stream().length() >= ScenarioRunner.dataLimitBytes(s)) {
            return new Verdict(Property.JUSTIFIED_NON_CONVERGENCE, true, "the data limit was reached");
        }
        double downtimeBudgetBytes = s.bandwidthBytesPerSecond() * (s.maxDowntimeNanos() / 1e9);
        boolean faultyReads = s.faults().readErrorPercent() > 0 || s.faults().slowReadPercent() > 0;
        long end = m.endNanos();
        long from = Math.max(m.startNanos(), end - RATE_WINDOW_NANOS);
        double rate = redirtiedBytes(run, from, end) / Math.max(1e-9, (end - from) / 1e9)
                + s.ram().dirtyBytesPerSecond();
        if (rate >= s.bandwidthBytesPerSecond() || downtimeBudgetBytes < 4.0 * s.chunkSizeBytes() || faultyReads) {
            return pass(Property.JUSTIFIED_NON_CONVERGENCE);
        }
        double shortfall = readShortfall(s);
        if (rate >= s.bandwidthBytesPerSecond() * (1 - shortfall)) {
            return new Verdict(Property.JUSTIFIED_NON_CONVERGENCE, true, String.format("%d read(s) in flight at a time lose"
                    + " an expected %.1f%% of the rate limit to the disk's latency", s.setup().readsInFlight(), 100 * shortfall));
        }
        if (linkBytesPerSecond(s.setup().link()) <= s.bandwidthBytesPerSecond()) {
            // the link carries no more than the rate limit (its framing and waits take the margin): the
            // migration's real bandwidth is below the one the rate compares to
            return new Verdict(Property.JUSTIFIED_NON_CONVERGENCE, true, "the link is no faster than the rate limit");
        }
        return fail(Property.JUSTIFIED_NON_CONVERGENCE, String.format("%s, though over its last %.1f s the guest dirtied"
                + " read chunks at %.0f B/s against %d B/s of bandwidth, with a downtime budget of %.0f chunks",
                m.reason(), (end - from) / 1e9, rate, s.bandwidthBytesPerSecond(), downtimeBudgetBytes / s.chunkSizeBytes()));
    }

    /**
     * The expected share of the rate limit the sender's reads cannot fill, from the scenario alone:
     * a slice's budget is {@code n} chunks, read at best {@code R} at a time, so they take
     * {@code T ~ sum of n latencies / R} (mean and spread from the latency model, T taken as
     * normal); a slice whose reads overrun it sends {@code slice / T} of its budget, and a slice's
     * unused budget is not carried over. Returns {@code E[(T - slice)+] / (slice + E[(T - slice)+])}:
     * 0 when reads keep up, {@code (T - slice) / T} for a fixed T. With the shipped 16 reads in
     * flight it is nil unless the limit nears what 16 reads at a time can read; with one read in
     * flight and a long tail, a few percent.
     */
    static double readShortfall(Scenario s) {
        double sliceNanos = s.setup().sliceNanos();
        double chunks = s.bandwidthBytesPerSecond() * sliceNanos / 1e9 / s.chunkSizeBytes();
        int r = s.setup().readsInFlight();
        double meanNanos = chunks * s.latency().meanNanos() / r;
        double sdNanos = Math.sqrt(chunks * s.latency().varianceNanos2()) / r;
        double overrunNanos;
        if (sdNanos < 1) {
            overrunNanos = Math.max(0, meanNanos - sliceNanos);
        } else {
            double z = (sliceNanos - meanNanos) / sdNanos;
            overrunNanos = Math.max(0, sdNanos * normalDensity(z) - (sliceNanos - meanNanos) * (1 - normalCdf(z)));
        }
        return overrunNanos / (sliceNanos + overrunNanos);
    }

    static double normalDensity(double z) {
        return Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    }

    /** Abramowitz and Stegun 26.2.17 (absolute error under 7.5e-8). */
    static double normalCdf(double z) {
        double t = 1 / (1 + 0.2316419 * Math.abs(z));
        double poly = t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
        double upper = normalDensity(z) * poly;
        return z >= 0 ? 1 - upper : upper;
    }

    /**
     * What the link can carry per second at most: its bandwidth, and a window's worth per time a
     * byte stays in the window (unbounded for an ideal link). A byte stays from its write until the
     * receiver reads it: its segment's turn on the wire, the latency, a jitter (arrivals keep their
     * order, so the largest counts) and the receiver's wake. It errs towards the smaller figure,
     * excusing a little more than the link's exact capacity.
     */
    static long linkBytesPerSecond(LinkModel l) {
        double bytesPerSecond = l.bandwidthBytesPerSecond() > 0 ? l.bandwidthBytesPerSecond() : Double.MAX_VALUE;
        if (l.windowBytes() > 0) {
            double segmentNanos = l.bandwidthBytesPerSecond() == 0 ? 0
                    : Math.min(l.windowBytes(), SimLink.ARRIVAL_SEGMENT_BYTES) * 1e9 / l.bandwidthBytesPerSecond();
            double residenceNanos = segmentNanos + l.latencyNanos() + l.jitterNanos() + SimLink.RECEIVER_WAKE_NANOS;
            bytesPerSecond = Math.min(bytesPerSecond, l.windowBytes() * 1e9 / residenceNanos);
        }
        return (long) Math.min(bytesPerSecond, Long.MAX_VALUE);
    }

    /**
     * Bytes of chunks that guest writes in [from, to) dirtied while the target held them up to date:
     * after a read of them had been submitted, or, migrating incrementally, before any write if the
     * top layer left them to the base the target shares (the bulk pass skips them; a write makes
     * each one more chunk to send).
     */
    static long redirtiedBytes(ScenarioRunner.Run run, long from, long to) {
        Scenario s = run.scenario();
        long spc = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Set<String> readSinceDirty = new HashSet<>();
        if (s.sharedBase()) {
            Map<String, Disk> bases = World.bases(s);
            for (Scenario.Device dev : s.devices()) {
                if (!migrated(dev)) {
                    continue;
                }
                Disk initial = World.source(s, dev, bases); // as the guest left it before the migration
                long sectors = dev.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
                for (long sec = 0; sec < sectors; sec += spc) {
                    long n = Math.min(spc, sectors - sec);
                    Disk.Allocation a = initial.allocation(sec, n);
                    if (a.state() == Disk.State.UNALLOCATED && a.sectorCount() >= n) {
                        readSinceDirty.add(dev.name() + "@" + sec / spc);
                    }
                }
            }
        }
        long chunks = 0;
        for (History.Entry e : run.history().entries()) {
            History.ReadSubmit rs = e instanceof History.KnownZero k ? asRead(k) : e instanceof History.ReadSubmit r ? r : null;
            if (rs != null) {
                readSinceDirty.add(rs.device() + "@" + rs.sector() / spc);
            } else if (e instanceof History.GuestWrite w) {
                for (long c = w.sector() / spc; c <= (w.sector() + w.sectorCount() - 1) / spc; c++) {
                    if (readSinceDirty.remove(w.device() + "@" + c) && e.timeNanos() >= from && e.timeNanos() < to) {
                        chunks++;
                    }
                }
            }
        }
        return chunks * run.scenario().chunkSizeBytes();
    }

    /**
     * Per slice of the controller, the block bytes of iterate payloads the stream carries between
     * the offsets where that slice and the next began (marked as the controller began each), against
     * the slice's budget plus one block.
     */
    static Verdict rateLimit(ScenarioRunner.Run run, Decoded d) {
        Scenario s = run.scenario();
        long budgetBytes = Math.max(1, (long) (s.bandwidthBytesPerSecond() * (s.setup().sliceNanos() / 1e9)));
        long oneBlock = d.blocks().stream().mapToLong(SentBlock::wireBytes).max().orElse(0);
        List<Long> starts = run.clock().sliceStartOffsets();
        long[] bytes = new long[starts.size()];
        int slice = 0;
        for (SentBlock b : d.blocks()) {
            while (slice + 1 < starts.size() && b.offsetBytes() >= starts.get(slice + 1)) {
                slice++;
            }
            if (b.payload() == SectionType.PART && !starts.isEmpty() && b.offsetBytes() >= starts.get(0)) {
                bytes[slice] += b.wireBytes(); // the final copy (END) runs with the guest stopped, on no budget
            }
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] > budgetBytes + oneBlock) {
                return fail(Property.RATE_LIMIT, String.format("%d bytes of blocks in slice %d (stream bytes %d to %s), over"
                        + " its budget of %d bytes plus one block of %d", bytes[i], i, starts.get(i),
                        i + 1 < starts.size() ? String.valueOf(starts.get(i + 1)) : "its end", budgetBytes, oneBlock));
            }
        }
        return readAhead(run, d, budgetBytes);
    }

    /**
     * Reads ahead of the wire: at each read submitted while the guest runs, the chunks read (the
     * history's submissions) but not yet sent (the stream's blocks written by then) may not pass
     * what the slice's budget holds, rounded up to a whole chunk.
     */
    static Verdict readAhead(ScenarioRunner.Run run, Decoded d, long budgetBytes) {
        int chunk = run.scenario().chunkSizeBytes();
        long bound = Math.max(1, (budgetBytes + chunk - 1) / chunk);
        long stopped = guestStoppedNanos(run);
        stopped = stopped >= 0 ? stopped : Long.MAX_VALUE;
        long[] sentAt = d.blocks().stream().mapToLong(b -> run.clock().timeOf(b.offsetBytes())).toArray();
        int sent = 0;
        long submitted = 0;
        for (History.Entry e : run.history().entries()) {
            // a hole found by a lookup is a chunk read at once, unsent until its zero block goes
            History.ReadSubmit rs = e instanceof History.KnownZero k ? asRead(k) : e instanceof History.ReadSubmit r ? r : null;
            if (rs == null || rs.timeNanos() >= stopped) {
                continue;
            }
            submitted++;
            while (sent < sentAt.length && sentAt[sent] >= 0 && sentAt[sent] <= rs.timeNanos()) {
                sent++;
            }
            if (submitted - sent > bound) {
                return fail(Property.RATE_LIMIT, String.format("at %.3f ms a read of %s sector %d made %d chunks read but"
                        + " unsent, more than the %d a slice's budget of %d bytes holds", rs.timeNanos() / 1e6, rs.device(),
                        rs.sector(), submitted - sent, bound, budgetBytes));
            }
        }
        return pass(Property.RATE_LIMIT);
    }

    /**
     * When the simulated guest stopped, by its own marker in the history; -1 if it never did. The
     * sender's result gives no stop for a migration that failed in its final copy (a link that
     * dropped or a receiver that stopped reading while the guest was stopped), though it happened.
     */
    static long guestStoppedNanos(ScenarioRunner.Run run) {
        for (History.Entry e : run.history().entries()) {
            if (e instanceof History.Marker m && m.what().equals(org.blkmig.simdisk.SimGuest.STOPPED_MARKER)) {
                return m.timeNanos();
            }
        }
        return -1;
    }

    /**
     * The ends stopped cleanly: nothing the sender held, nothing the scheduler still runs, a receiver
     * that returned by itself; and after a link fault that fired, an incomplete target unless the
     * sender completed (a fault after the END payload's last byte costs only the EOF marker).
     */
    static Verdict cleanStop(ScenarioRunner.Run run, boolean completed) {
        ScenarioRunner.Ends e = run.ends();
        if (e.senderBuffersHeld() != 0) {
            return fail(Property.CLEAN_STOP, "the sender still holds " + e.senderBuffersHeld() + " chunk buffer(s) after it ended");
        }
        if (!e.receiverReturned()) {
            return fail(Property.CLEAN_STOP, "the receiver was still waiting for bytes after the sender ended: " + run.receive());
        }
        if (e.receiverThreadAlive()) {
            return fail(Property.CLEAN_STOP, "the receiver's thread did not end");
        }
        if (e.eventsLeft() != 0) {
            return fail(Property.CLEAN_STOP, e.eventsLeft() + " events still scheduled after both ends stopped and "
                    + ScenarioRunner.MAX_EVENTS_AFTER_END + " more ran");
        }
        boolean linkFault = run.history().entries().stream()
                .anyMatch(x -> x instanceof History.Marker mk && mk.what().startsWith(SimLink.FAULT_MARKER + "the connection"));
        if (linkFault && !completed && run.receive().complete()) {
            return fail(Property.CLEAN_STOP, "the link dropped but the receiver reports the target complete: " + run.receive());
        }
        return pass(Property.CLEAN_STOP);
    }
}
