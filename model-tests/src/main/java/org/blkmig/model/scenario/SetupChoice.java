// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.ArrayList;
import java.util.List;
import org.blkmig.sender.Profile;
import org.blkmig.simdisk.Durations;

/**
 * The random choices behind a scenario's {@link RunSetup}, as small numbers: 0 is always the
 * shipped value or the ideal link, so shrinking towards 0 (jqwik's raw numbers, the campaign's
 * {@link #simpler}) prefers what ships and the simplest link.
 */
public record SetupChoice(int link, int linkBandwidth, int linkLatency, int linkJitter, int shortWrites, int shortReads,
        int window, int linkFault, int faultAtPermille, int stall, boolean zeroCopy, int limits, int pipeline,
        int writeback, int slice) {

    public static final SetupChoice SHIPPED = new SetupChoice(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0);

    /** Link bandwidth as a multiple of the migration's rate limit; 0: unlimited. */
    static final int[] LINK_BANDWIDTH_TIMES = {0, 4, 2, 1};
    static final long[] LINK_LATENCIES_NANOS = {0, 100 * Durations.MICRO, Durations.MILLI, 10 * Durations.MILLI};
    static final long[] LINK_JITTERS_NANOS = {0, 50 * Durations.MICRO, 2 * Durations.MILLI};
    static final int[] SHORT_WRITES_BYTES = {0, 64 << 10, 16 << 10, 4 << 10};
    static final int[] SHORT_READS_BYTES = {0, 64 << 10, 4 << 10, 512};
    static final long[] WINDOWS_BYTES = {0, 4L << 20, 1L << 20, 256L << 10};
    static final LinkModel.Fault[] FAULTS = {LinkModel.Fault.NONE, LinkModel.Fault.CUT, LinkModel.Fault.STALL,
        LinkModel.Fault.DEAF};
    /** Stalls shorter and longer than the sender's idle timeout. */
    static final long[] STALLS_NANOS = {50 * Durations.MILLI, 500 * Durations.MILLI, 3 * Durations.SECOND};
    /** Reads in flight and buffered chunks: the shipped 16 and 32 first. */
    static final int[][] SENDER_LIMITS = {{16, 32}, {1, 1}, {1, 4}, {4, 8}, {32, 64}};
    static final int[] PIPELINE_BUFFERS = {RunSetup.SHIPPED_PIPELINE_BUFFERS, 1, 2, 8};
    static final long[] WRITEBACK_EVERY_BYTES = {RunSetup.SHIPPED_WRITEBACK_BYTES, 256L << 10, 1L << 20};
    static final long[] SLICES_NANOS = {100 * Durations.MILLI, 50 * Durations.MILLI, 200 * Durations.MILLI};

    /**
     * Every number is drawn, whatever the others, so a list of raw numbers maps to the same fields;
     * a coin first decides whether any of them is used.
     */
    static SetupChoice draw(Draws d) {
        // half the scenarios run what ships as it ships: the seeded bugs of the shipped setup are found as fast as ever
        boolean varied = d.coin();
        int link = d.pick(40, 60);
        int bandwidth = d.pick(40, 20, 20, 20);
        int latency = d.pick(40, 20, 20, 20);
        int jitter = d.pick(50, 25, 25);
        int shortWrites = d.pick(50, 20, 20, 10);
        int shortReads = d.pick(50, 20, 20, 10);
        int window = d.pick(40, 20, 20, 20);
        int fault = d.pick(82, 6, 6, 6);
        int faultAt = d.between(0, 1000);
        int stall = d.pick(40, 30, 30);
        boolean zeroCopy = d.coin();
        int limits = d.pick(60, 10, 10, 10, 10);
        int pipeline = d.pick(50, 15, 20, 15);
        int writeback = d.pick(50, 25, 25);
        int slice = d.pick(70, 15, 15);
        return varied ? new SetupChoice(link, bandwidth, latency, jitter, shortWrites, shortReads, window, fault, faultAt, stall,
                zeroCopy, limits, pipeline, writeback, slice) : SHIPPED;
    }

    /**
     * The setup these numbers stand for, for a migration limited to {@code bandwidthBytesPerSecond}
     * of disks of {@code diskBytes}: a link fault falls anywhere from the stream's first bytes to
     * past its bulk pass. A QEMU 7.2 run keeps QEMU's own sender and destination: only the link varies.
     */
    RunSetup toSetup(Profile profile, long bandwidthBytesPerSecond, long diskBytes) {
        LinkModel.Fault fault = FAULTS[linkFault];
        LinkModel l = LinkModel.IDEAL;
        if (link != 0 || fault != LinkModel.Fault.NONE) {
            boolean shaped = link != 0;
            long faultAt = fault == LinkModel.Fault.NONE ? -1 : 1 + faultAtPermille * (diskBytes + (64L << 10)) / 1000;
            l = new LinkModel(shaped ? LINK_BANDWIDTH_TIMES[linkBandwidth] * bandwidthBytesPerSecond : 0,
                    shaped ? LINK_LATENCIES_NANOS[linkLatency] : 0, shaped ? LINK_JITTERS_NANOS[linkJitter] : 0,
                    shaped ? SHORT_WRITES_BYTES[shortWrites] : 0, shaped ? SHORT_READS_BYTES[shortReads] : 0,
                    shaped ? WINDOWS_BYTES[window] : 0, fault, faultAt, fault == LinkModel.Fault.STALL ? STALLS_NANOS[stall] : 0);
        }
        if (profile == Profile.QEMU_7_2) {
            return RunSetup.SHIPPED.withLink(l);
        }
        return new RunSetup(l, zeroCopy, SENDER_LIMITS[limits][0], SENDER_LIMITS[limits][1], PIPELINE_BUFFERS[pipeline],
                WRITEBACK_EVERY_BYTES[writeback], SLICES_NANOS[slice]);
    }

    /** Simpler setups, simplest first: the shipped one, no link fault, an ideal link, then each knob shipped. */
    List<SetupChoice> simpler() {
        List<SetupChoice> out = new ArrayList<>();
        if (equals(SHIPPED)) {
            return out;
        }
        out.add(SHIPPED);
        if (linkFault != 0) {
            out.add(new SetupChoice(link, linkBandwidth, linkLatency, linkJitter, shortWrites, shortReads, window, 0, 0, 0,
                    zeroCopy, limits, pipeline, writeback, slice));
        }
        if (link != 0) {
            out.add(new SetupChoice(0, 0, 0, 0, 0, 0, 0, linkFault, faultAtPermille, stall, zeroCopy, limits, pipeline,
                    writeback, slice));
        }
        if (faultAtPermille > 0 && linkFault != 0) {
            out.add(new SetupChoice(link, linkBandwidth, linkLatency, linkJitter, shortWrites, shortReads, window, linkFault,
                    faultAtPermille / 2, stall, zeroCopy, limits, pipeline, writeback, slice));
        }
        if (zeroCopy) {
            out.add(new SetupChoice(link, linkBandwidth, linkLatency, linkJitter, shortWrites, shortReads, window, linkFault,
                    faultAtPermille, stall, false, limits, pipeline, writeback, slice));
        }
        if (limits != 0 || pipeline != 0 || writeback != 0 || slice != 0) {
            out.add(new SetupChoice(link, linkBandwidth, linkLatency, linkJitter, shortWrites, shortReads, window, linkFault,
                    faultAtPermille, stall, zeroCopy, 0, 0, 0, 0));
        }
        if (link != 0 && (shortWrites != 0 || shortReads != 0)) {
            out.add(new SetupChoice(link, linkBandwidth, linkLatency, linkJitter, 0, 0, window, linkFault, faultAtPermille,
                    stall, zeroCopy, limits, pipeline, writeback, slice));
        }
        if (link != 0 && (linkBandwidth != 0 || linkLatency != 0 || linkJitter != 0 || window != 0)) {
            out.add(new SetupChoice(link, 0, 0, 0, shortWrites, shortReads, 0, linkFault, faultAtPermille, stall, zeroCopy,
                    limits, pipeline, writeback, slice));
        }
        return out;
    }
}
