// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.qemu.QemuFormat;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.Pipeline;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.MigrationController;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.SenderOptions;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SimGuest;
import org.blkmig.simdisk.SimIoContext;
import org.blkmig.simdisk.SimScheduler;

/**
 * Runs a scenario end to end in the deterministic simulation: simulated sources and a guest
 * workload, the sender and controller, a QEMU-framed stream in memory, the receiver, simulated
 * targets. The same scenario and mutants give the same run, byte for byte.
 */
public final class ScenarioRunner {
    /** Slices without a new low of pending data before "did not converge" (3 s of virtual time). */
    public static final int STALL_SLICES = 30;
    /** Slices at most (2 min of virtual time). */
    public static final long MAX_SLICES = 1200;
    /** The stream is kept in memory for the receiver and the checks: a bound, not a heap's worth. */
    public static final long MAX_STREAM_BYTES = 768L << 20;

    /** A scenario whose stream would not fit {@link #MAX_STREAM_BYTES}. */
    public static final class TooLarge extends IllegalArgumentException {
        TooLarge(long bytes) {
            super("the scenario's stream passed " + (bytes >> 20) + " MiB, more than a simulation keeps in memory ("
                    + (MAX_STREAM_BYTES >> 20) + " MiB): use smaller disks, or --zero-blocks for mostly empty ones");
        }
    }

    /** Everything a run leaves for the checkers. */
    public record Run(Scenario scenario, Variant variant, MigrationResult migration, ReceiveResult receive,
            StreamBuffer stream, History history, Map<String, GuardedDisk> sources, Map<String, BlockDevice> sourceDevices,
            Map<String, GuardedDisk> targets, Map<String, Disk> bases, long guestWrites, long eventsRun,
            String brokenInvariant, RunFaults faults, StreamClock clock) {
        public Set<Mutant> mutants() {
            return variant.mutants();
        }
    }

    /**
     * Faults outside the sender: a cancel at a virtual instant, the connection dropped after a
     * number of bytes, the target's n-th write failing. Negative: off.
     */
    public record RunFaults(long cancelAtNanos, long dropAfterBytes, long failTargetWrite) {
        public static final RunFaults NONE = new RunFaults(-1, -1, -1);
    }

    /**
     * The source side of a run: what the guest left on the sources and how the migration ended;
     * {@code brokenInvariant} is the message of an invariant the run broke, or null.
     */
    public record Source(MigrationResult migration, History history, Map<String, GuardedDisk> sources,
            Map<String, BlockDevice> devices, Map<String, Disk> bases, long guestWrites, long eventsRun,
            String brokenInvariant, StreamClock clock) {}

    /** Simulates the source and the sender, writing the block section's payloads to the sink. */
    public static Source simulateSource(Scenario s, Variant variant, PayloadSink sink) {
        return simulateSource(s, variant, sink, -1);
    }

    static Source simulateSource(Scenario s, Variant variant, PayloadSink sink, long cancelAtNanos) {
        SimScheduler scheduler = new SimScheduler(s.seed());
        History history = new History();
        Map<String, Disk> bases = World.bases(s);
        Map<String, GuardedDisk> sources = new LinkedHashMap<>();
        Map<String, BlockDevice> devices = new LinkedHashMap<>();
        for (Scenario.Device d : s.devices()) {
            GuardedDisk g = new GuardedDisk(World.source(s, d, bases), d.readOnly());
            sources.put(d.name(), g);
            devices.put(d.name(), new BlockDevice(g));
        }
        List<BlockDevice> deviceList = new ArrayList<>(devices.values());
        SimIoContext io = new SimIoContext(scheduler, s.latency(), s.faults(), history);
        SimGuest guest = new SimGuest(scheduler, io, deviceList, s.workload(), history);
        SenderOptions so = variant.sender(SenderOptions.defaults().withChunkSize(s.chunkSizeBytes())
                .withZeroBlocks(s.zeroBlocks()).withSharedBase(s.sharedBase()), s.seed());
        StreamClock clock = new StreamClock();
        BlockMigrationSender sender = new BlockMigrationSender(deviceList, io, clock.stamp(sink, scheduler::nowNanos), so);
        long maxBytes = dataLimitBytes(s);
        ControllerOptions co = variant.controller(ControllerOptions.defaults().withBandwidth(s.bandwidthBytesPerSecond())
                .withMaxDowntime(s.maxDowntimeNanos()).withLimits(STALL_SLICES, MAX_SLICES).withMaxBytesSent(maxBytes)
                .withRam(s.ram()));
        guest.start();
        MigrationController controller = new MigrationController(co, io);
        controller.onSliceStart(slice -> clock.sliceStarts());
        if (cancelAtNanos >= 0) {
            scheduler.at(cancelAtNanos, controller::cancel);
        }
        MigrationResult result;
        String broken = null;
        try {
            result = controller.run(sender, guest::stop);
        } catch (Invariant.Violation v) {
            // a bug of blkmig: the run ends here and is judged failed, with its scenario
            broken = v.getMessage();
            result = new MigrationResult(MigrationResult.Outcome.FAILED, broken, 0, -1, scheduler.nowNanos(), 0,
                    sender.stats().bytesSent, List.of(), sender.stats());
        }
        return new Source(result, history, sources, devices, bases, guest.writesDone(), scheduler.eventsRun(), broken, clock);
    }

    /** The receiver's write buffers, the shipped 4 drawn most often. */
    static final int[] PIPELINE_BUFFERS = {1, 2, 4, 4, 4, 8};
    /** Targets forced every so many bytes written: small ones happen in a simulated run, the shipped 64 MiB too. */
    static final long[] WRITEBACK_EVERY_BYTES = {256L << 10, 1L << 20, 64L << 20, 64L << 20};
    /** The virtual time one block's write takes in the receiver's pipeline. */
    static final long WRITE_NANOS = 50_000;

    /** A migration that sends 30 times its disks has not converged; and the stream must fit its bound. */
    public static long dataLimitBytes(Scenario s) {
        long total = Math.max(s.totalBytes(), 1L << 20);
        // large disks (a calibration's 256 MiB or 4 GiB) may send twice their size, small ones 30 times
        return Math.min(MAX_STREAM_BYTES / 2, Math.min(30 * total, Math.max(128L << 20, 2 * total)));
    }

    public static Run run(Scenario s, Set<Mutant> mutants) {
        return run(s, Variant.of(mutants), RunFaults.NONE);
    }

    public static Run run(Scenario s, Variant variant, RunFaults faults) {
        if (!s.zeroBlocks()) {
            long bulkBytes = s.devices().stream().filter(Checks::migrated)
                    .mapToLong(d -> (d.sizeBytes() + s.chunkSizeBytes() - 1) / s.chunkSizeBytes() * s.chunkSizeBytes()).sum();
            if (bulkBytes > MAX_STREAM_BYTES) {
                throw new TooLarge(bulkBytes); // the bulk pass alone would pass the bound
            }
        }
        StreamBuffer stream = new StreamBuffer(MAX_STREAM_BYTES);
        WritableByteChannel out = Channels.newChannel(stream);
        QemuStreamWriter framing = new QemuStreamWriter(out, s.chunkSizeBytes(), 0);
        Source src;
        try {
            framing.writeHeader(QemuFormat.DEFAULT_MACHINE_TYPE);
            src = simulateSource(s, variant, framing, faults.cancelAtNanos());
            if (src.migration().completed()) {
                framing.writeEof(); // a migration that did not complete just stops, as a dropped connection does
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a memory stream does not fail
        }
        if (stream.overflowed()) {
            throw new TooLarge(stream.length()); // a bound of the testbed, not a failure of the migration
        }
        // the connection may drop after some bytes: the receiver reads only those
        long delivered = faults.dropAfterBytes() >= 0 ? Math.min(faults.dropAfterBytes(), stream.length()) : stream.length();
        MigrationResult result = src.migration();
        Map<String, Disk> bases = src.bases();

        Map<String, GuardedDisk> targets = new LinkedHashMap<>();
        Map<String, Disk> targetMap = new LinkedHashMap<>();
        for (Scenario.Device d : s.devices()) {
            GuardedDisk t = new GuardedDisk(World.target(s, d, bases), false);
            t.logWrites(); // for the space-time diagram
            if (faults.failTargetWrite() > 0) {
                t.failWrite(faults.failTargetWrite());
            }
            targets.put(d.name(), t);
            targetMap.put(d.name(), t);
        }
        // the shipped write pipeline, in virtual time of its own: buffers and writeback drawn per run
        java.util.SplittableRandom r = new java.util.SplittableRandom(s.seed() ^ 0x51DE5EEDL);
        int writeBuffers = PIPELINE_BUFFERS[r.nextInt(PIPELINE_BUFFERS.length)];
        long writebackBytes = WRITEBACK_EVERY_BYTES[r.nextInt(WRITEBACK_EVERY_BYTES.length)];
        BlockReceiver receiver = new BlockReceiver(targetMap, s.chunkSizeBytes(), variant.receiverMutants(), p -> {},
                writeBuffers, variant.destination(s.seed()),
                Pipeline.Factory.virtual(new SimScheduler(s.seed() ^ 0xBEEFL), WRITE_NANOS, writebackBytes));
        ReceiveResult received;
        String broken = src.brokenInvariant();
        try {
            received = receiver.receive(stream.open(delivered));
        } catch (Invariant.Violation v) {
            received = new ReceiveResult(false, v.getMessage(), 0, 0, 0, -1, 0);
            broken = broken != null ? broken : v.getMessage();
        }
        return new Run(s, variant, result, received, stream, src.history(), src.sources(), src.devices(),
                targets, bases, src.guestWrites(), src.eventsRun(), broken, faults, src.clock());
    }
}
