// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.SimLink;
import org.blkmig.model.sim.World;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.RamModel;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;

/**
 * The one model of liveness that {@code convergence}, {@code justified-non-convergence} and
 * {@code promptness} share, so their verdicts on a run cannot contradict each other: what the
 * migration can carry (the rate limit, or the link where slower, less what the reads in flight
 * cannot fill), how fast the guest measurably re-dirtied chunks the target held up to date (from
 * the history, over the migration's last seconds, plus RAM's dirtying), and the scenario's faults.
 * A migration is expected to converge when the guest dirties at most {@code 1/}{@value #MARGIN} of
 * what is carried and the downtime budget holds at least {@value #MARGIN} chunks; giving up is
 * excused when the guest dirties as fast as what is carried, the budget is smaller, a fault struck,
 * or the link is the bottleneck and convergence was not expected. A run the harness's own data
 * limit stopped decides neither. Completing fits the downtime limit when what was still to send
 * (by the history and the stream, plus guest RAM's bound) fits half of what one downtime limit
 * carries ({@link #completionFits}).
 */
public final class Liveness {
    /** The margin of "light": a guest dirtying at most 1/4 of what is carried, a budget of at least 4 chunks. */
    public static final int MARGIN = 4;
    /** Completing fits when what remains is at most 1/2 of what one downtime limit carries. */
    public static final int FIT_SHARE = 2;
    /** Over this much of the migration's end the guest's dirtying rate is measured. */
    public static final long RATE_WINDOW_NANOS = 3_000_000_000L;
    /**
     * Giving up is excused by the reads when the guest re-dirtied as fast as they fill the rate
     * window at this many standard deviations below their mean: over a window the sender carries
     * what its reads happened to fill, and progress that does not stand out of that spread is no
     * progress the stall limit can see (were the spread normal, one window in 44 would fall that low).
     */
    public static final int SPREAD_SDS = 2;

    private final double carriedBytesPerSecond;
    private final ReadShortfall shortfall;
    private final double dirtyBytesPerSecond;
    private final double windowSeconds;
    private final double downtimeBudgetBytes;
    private final int chunkSizeBytes;
    private final boolean faults;
    private final boolean linkIsBottleneck;
    private final boolean dataLimitReached;
    /** The run lasted the harness's longest migration (its slice cap), and how long that is. */
    private final boolean timeLimitReached;
    private final long timeLimitNanos;
    private final long dataLimitBytes;
    private final long totalBytes;
    private final double downtimeSeconds;
    private final long sliceNanos;
    private final long ramBoundBytes;
    private final Facts facts;
    private Backlog backlog;

    private Liveness(Facts f) {
        Scenario s = f.scenario();
        ScenarioRunner.Run run = f.run();
        MigrationResult m = run.migration();
        chunkSizeBytes = s.chunkSizeBytes();
        long link = linkBytesPerSecond(s.setup().link());
        linkIsBottleneck = link <= s.bandwidthBytesPerSecond();
        carriedBytesPerSecond = Math.min(s.bandwidthBytesPerSecond(), link);
        // below a few chunks of downtime budget, completing needs an instant with nothing dirty at all
        downtimeBudgetBytes = carriedBytesPerSecond * (s.maxDowntimeNanos() / 1e9);
        long end = m.endNanos();
        long from = Math.max(m.startNanos(), end - RATE_WINDOW_NANOS);
        windowSeconds = Math.max(1e-9, (end - from) / 1e9);
        shortfall = ReadShortfall.of(s, (int) Math.max(1, Math.round(windowSeconds * 1e9 / s.setup().sliceNanos())));
        dirtyBytesPerSecond = redirtiedBytes(run, from, end) / windowSeconds + s.ram().dirtyBytesPerSecond();
        // a receiver that closed the connection (its target failed) ends any migration: not a liveness matter
        faults = s.faults().readErrorPercent() > 0 || s.faults().slowReadPercent() > 0 || f.history().linkFaultFired()
                || f.history().has(History.Kind.RECEIVER_CLOSED);
        dataLimitBytes = ScenarioRunner.dataLimitBytes(s);
        dataLimitReached = run.stream().length() >= dataLimitBytes;
        // the harness's limit is a time: fewer slices when they are longer
        timeLimitNanos = ScenarioRunner.maxSlices(s.setup().sliceNanos()) * s.setup().sliceNanos();
        timeLimitReached = end - m.startNanos() >= timeLimitNanos - s.setup().sliceNanos();
        totalBytes = s.totalBytes();
        downtimeSeconds = s.maxDowntimeNanos() / 1e9;
        sliceNanos = s.setup().sliceNanos();
        ramBoundBytes = ramBoundBytes(s.ram(), sliceNanos);
        facts = f;
    }

    static Liveness of(Facts f) {
        return new Liveness(f);
    }

    /** What the reads can fill of what the link and the rate limit carry. */
    public double effectiveBytesPerSecond() {
        return carriedBytesPerSecond * (1 - shortfall.share());
    }

    /** What the reads fill over the rate window at {@value #SPREAD_SDS} standard deviations below their mean. */
    public double leastEffectiveBytesPerSecond() {
        return carriedBytesPerSecond * Math.max(0, 1 - shortfall.share() - SPREAD_SDS * shortfall.windowSpread());
    }

    public double dirtyBytesPerSecond() {
        return dirtyBytesPerSecond;
    }

    public double carriedBytesPerSecond() {
        return carriedBytesPerSecond;
    }

    public double downtimeBudgetChunks() {
        return downtimeBudgetBytes / chunkSizeBytes;
    }

    public boolean faults() {
        return faults;
    }

    /**
     * What converging takes by the model: each round resends what the guest dirtied during the one
     * before, so a guest at a share {@code r} of what is carried makes {@code disks / (1 - r)} bytes
     * in all (unbounded from {@code r >= 1}).
     */
    public double convergingBytes() {
        double r = dirtyBytesPerSecond / Math.max(1e-9, effectiveBytesPerSecond());
        return r >= 1 ? Double.POSITIVE_INFINITY : totalBytes / (1 - r);
    }

    /**
     * The harness's data limit or its longest migration (the slice cap) stopped a run that could
     * still have been converging (converging takes at least half the limit, in bytes or in time at
     * the rate carried): it decides no liveness property. A run that reached the limit
     * though converging takes far less is judged as any other.
     */
    public boolean inconclusive() {
        return dataLimitReached && convergingBytes() * 2 >= dataLimitBytes
                || timeLimitReached && convergingBytes() / effectiveBytesPerSecond() * 2e9 >= timeLimitNanos;
    }

    /** No fault, a budget of {@value #MARGIN}+ chunks and a guest at most 1/{@value #MARGIN} as fast as what is carried. */
    public boolean expectedToConverge() {
        return !faults && !inconclusive() && downtimeBudgetChunks() >= MARGIN
                && dirtyBytesPerSecond * MARGIN <= effectiveBytesPerSecond();
    }

    /**
     * Why giving up was justified, or {@link Cause#NONE}: never when convergence was expected.
     * {@link Cause#EXCUSED_READ_SHORTFALL} and {@link Cause#EXCUSED_SLOW_LINK} carry figures worth a note.
     */
    public Cause excuse() {
        if (dirtyBytesPerSecond >= carriedBytesPerSecond || downtimeBudgetChunks() < MARGIN || faults) {
            return Cause.NOT_COMPLETED; // plainly justified: a pass with no note
        }
        if (dirtyBytesPerSecond >= leastEffectiveBytesPerSecond() && !expectedToConverge()) {
            return Cause.EXCUSED_READ_SHORTFALL;
        }
        if (linkIsBottleneck && !expectedToConverge()) {
            // the link carries no more than the rate limit (its framing and waits take the margin)
            return Cause.EXCUSED_SLOW_LINK;
        }
        return Cause.NONE;
    }

    /** What the migration carries in one downtime limit, after the reads' expected shortfall. */
    public double downtimeCarriedBytes() {
        return effectiveBytesPerSecond() * downtimeSeconds;
    }

    /** What the migration carries in one slice, after the reads' expected shortfall. */
    public double sliceCarriedBytes() {
        return effectiveBytesPerSecond() * sliceNanos / 1e9;
    }

    /**
     * What the migration still had to send at a point of the run, on the wire: its chunks (by the
     * history and the stream, {@link Backlog}), of which {@code neverSentBytes} no block had carried
     * yet, and guest RAM's bound ({@link #ramBoundBytes()}).
     */
    public record Remaining(long chunkBytes, long neverSentBytes, long ramBytes) {
        public long bytes() {
            return chunkBytes + ramBytes;
        }
    }

    /** What was still to send when the stream held {@code offsetBytes} bytes, at {@code nanos}. */
    public Remaining remaining(long offsetBytes, long nanos) {
        if (backlog == null) {
            backlog = Backlog.of(facts);
        }
        Backlog.Bytes b = backlog.at(offsetBytes, nanos);
        return new Remaining(b.bytes(), b.neverSentBytes(), ramBoundBytes);
    }

    /**
     * Whether stopping the guest with {@code r} still to send fitted the downtime limit with room to
     * spare: a budget of {@value #MARGIN}+ chunks (below it, fitting is an instant with nothing
     * dirty, which a controller may miss), what remained within 1/{@value #FIT_SHARE} of what one
     * downtime limit carries (so a controller that measured half the model's rate completes too),
     * and chunks never sent only under a light guest (a sender that finishes its bulk pass first,
     * as blkmig's does, then has at most that half to send, while a heavier guest can outgrow it).
     */
    public boolean completionFits(Remaining r) {
        return downtimeCarriedBytes() >= (double) MARGIN * chunkSizeBytes
                && r.bytes() * (double) FIT_SHARE <= downtimeCarriedBytes()
                && (r.neverSentBytes() == 0 || dirtyBytesPerSecond * MARGIN <= effectiveBytesPerSecond());
    }

    /**
     * The most guest RAM can still add to the migration on the wire: every page of its first pass
     * (the stream carries no RAM, so the judge cannot see how far it got) and a slice of its
     * dirtying; 0 without a RAM model.
     */
    public long ramBoundBytes() {
        return ramBoundBytes;
    }

    /** A page on the wire as RamModel counts it: an 8-byte header, then 4 KiB of data or one byte for a zero page. */
    static long ramBoundBytes(RamModel.Settings ram, long sliceNanos) {
        long pages = ram.ramBytes() / RamModel.PAGE_SIZE_BYTES;
        long dataPages = pages * ram.dataPercent() / 100;
        long firstPass = dataPages * (8 + RamModel.PAGE_SIZE_BYTES) + (pages - dataPages) * (8 + 1);
        long dirtiedPages = (long) Math.ceil(ram.dirtyBytesPerSecond() * (sliceNanos / 1e9) / RamModel.PAGE_SIZE_BYTES);
        return firstPass + dirtiedPages * (8 + RamModel.PAGE_SIZE_BYTES);
    }

    /** The figures, for evidence. */
    public String figures() {
        return String.format("over its last %.1f s the guest dirtied read chunks at %.0f B/s against %.0f B/s carried"
                + " (%.0f B/s after the reads' expected shortfall of %.1f%%%s), with a downtime budget of %.0f chunks",
                windowSeconds, dirtyBytesPerSecond, carriedBytesPerSecond, effectiveBytesPerSecond(), 100 * shortfall.share(),
                shortfall.windowSpread() == 0 ? "" : String.format(", %.0f B/s at %d standard deviations of its %.1f-point"
                        + " spread over the window", leastEffectiveBytesPerSecond(), SPREAD_SDS, 100 * shortfall.windowSpread()),
                downtimeBudgetChunks()) + (dataLimitReached ? String.format("; it sent the data limit of %d bytes, where"
                + " converging takes about %.0f", dataLimitBytes, convergingBytes()) : "")
                + (timeLimitReached ? String.format("; it ran the harness's longest migration (%.0f s), where converging"
                + " takes about %.0f s", timeLimitNanos / 1e9, convergingBytes() / effectiveBytesPerSecond()) : "");
    }

    /**
     * What the link can carry per second at most: its bandwidth, and a window's worth per time a
     * byte stays in the window (unbounded for an ideal link). It errs towards the smaller figure.
     */
    public static long linkBytesPerSecond(LinkModel l) {
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
     * top layer left them to the base the target shares.
     */
    public static long redirtiedBytes(ScenarioRunner.Run run, long from, long to) {
        Scenario s = run.scenario();
        long spc = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Set<String> readSinceDirty = new HashSet<>();
        for (Scenario.Device dev : s.devices()) {
            if (!Facts.migrated(dev)) {
                continue;
            }
            boolean[] shared = World.leftToBase(s, dev, spc); // as the guest left it before the migration
            for (int c = 0; c < shared.length; c++) {
                if (shared[c]) {
                    readSinceDirty.add(dev.name() + "@" + c);
                }
            }
        }
        long chunks = 0;
        for (History.Entry e : run.history().entries()) {
            History.ReadSubmit rs = HistoryIndex.submission(e);
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
        return chunks * s.chunkSizeBytes();
    }
}
