// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.RunSetup;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.qemu.QemuFormat;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.Pipeline;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.GuestControl;
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
 * workload, the sender and controller, a QEMU-framed stream over a simulated link, the receiver
 * and its write pipeline consuming it as it arrives, simulated targets; all in one virtual time.
 * The stream is also kept in memory for the checks. The same scenario and mutants give the same
 * run, byte for byte.
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
            String brokenInvariant, RunFaults faults, StreamClock clock, Ends ends, SimGuest.Figures guest) {
        public Set<Mutant> mutants() {
            return variant.mutants();
        }
    }

    /**
     * How the two ends stopped and what the run exercised: the sender's chunk buffers still held,
     * whether the receiver returned by itself, the events still scheduled once both ended (and the
     * scheduler was left to run out), whether the receiver's thread lives on; the link's short
     * writes and reads and the stream offsets where its writes ended; the receiver's pipeline's
     * peak of busy buffers (-1: none); the blocks sent zero copy; whether a link fault fired inside a
     * block's data.
     */
    public record Ends(int senderBuffersHeld, boolean receiverReturned, int eventsLeft, boolean receiverThreadAlive,
            long shortWrites, long shortReads, long[] linkWriteEnds, int pipelinePeakBusy, long zeroCopySamples,
            boolean linkFaultMidBlock) {

        /** Whether a link write ended strictly inside the bytes [from, to). */
        public boolean writeEndsInside(long from, long to) {
            int i = java.util.Arrays.binarySearch(linkWriteEnds, from + 1);
            int at = i >= 0 ? i : -i - 1;
            return at < linkWriteEnds.length && linkWriteEnds[at] < to;
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
            String brokenInvariant, StreamClock clock, int senderBuffersHeld, long zeroCopySamples, SimGuest.Figures guest) {}

    /** Simulates the source and the sender, writing the block section's payloads to the sink. */
    public static Source simulateSource(Scenario s, Variant variant, PayloadSink sink) {
        return simulateSource(new SimScheduler(s.seed()), new History(), s, variant, sink, -1);
    }

    static Source simulateSource(SimScheduler scheduler, History history, Scenario s, Variant variant, PayloadSink sink,
            long cancelAtNanos) {
        RunSetup setup = s.setup();
        Map<String, Disk> bases = World.bases(s);
        Map<String, GuardedDisk> sources = new LinkedHashMap<>();
        Map<String, BlockDevice> devices = new LinkedHashMap<>();
        long[] zeroCopyIds = {0};
        for (Scenario.Device d : s.devices()) {
            GuardedDisk g = new GuardedDisk(World.source(s, d, bases), d.readOnly());
            if (setup.zeroCopy()) {
                // negative ids: the sampled transfers stand beside the reads' own
                g.serveZeroCopy(new SampledDiskChannel.Source(g, d.name(), history, scheduler::nowNanos, () -> -++zeroCopyIds[0]));
            }
            sources.put(d.name(), g);
            devices.put(d.name(), new BlockDevice(g));
        }
        List<BlockDevice> deviceList = new ArrayList<>(devices.values());
        SimIoContext io = new SimIoContext(scheduler, s.latency(), s.faults(), history, s.qemuTiming());
        SimGuest guest = new SimGuest(scheduler, io, deviceList, s.workload(), history);
        SenderOptions so = variant.sender(SenderOptions.defaults().withChunkSize(s.chunkSizeBytes())
                .withZeroBlocks(s.zeroBlocks()).withSharedBase(s.sharedBase()).withZeroCopy(setup.zeroCopy()), s.seed());
        if (setup.readsInFlight() != RunSetup.SHIPPED.readsInFlight() || setup.bufferedChunks() != RunSetup.SHIPPED.bufferedChunks()) {
            so = so.withBuffers(setup.readsInFlight(), setup.bufferedChunks()); // the profile's limits unless the scenario sets its own
        }
        StreamClock clock = new StreamClock();
        BlockMigrationSender sender = new BlockMigrationSender(deviceList, io, clock.stamp(sink, scheduler::nowNanos), so);
        long maxBytes = dataLimitBytes(s);
        // the stall and slice limits are times: so many slices of the scenario's length
        int stallSlices = (int) Math.max(1, STALL_NANOS / setup.sliceNanos());
        long maxSlices = maxSlices(setup.sliceNanos());
        ControllerOptions co = variant.controller(new ControllerOptions(s.bandwidthBytesPerSecond(), s.maxDowntimeNanos(),
                setup.sliceNanos(), stallSlices, maxSlices, maxBytes, Set.of(), s.ram()));
        guest.start();
        MigrationController controller = new MigrationController(co, io);
        controller.onSliceStart(slice -> clock.sliceStarts());
        if (cancelAtNanos >= 0) {
            scheduler.at(cancelAtNanos, controller::cancel);
        }
        MigrationResult result;
        String broken = null;
        try {
            result = controller.run(sender, new GuestControl() {
                @Override
                public void stop() {
                    guest.stop();
                }

                @Override
                public void throttle(double slowdown) {
                    guest.throttle(slowdown);
                }

                @Override
                public void mirror(java.util.function.BooleanSupplier released) {
                    guest.mirror(released);
                }
            });
        } catch (Invariant.Violation v) {
            // a bug of blkmig: the run ends here and is judged failed, with its scenario
            broken = v.getMessage();
            result = new MigrationResult(MigrationResult.Outcome.FAILED, broken, 0, -1, scheduler.nowNanos(), 0,
                    sender.stats().bytesSent, List.of(), sender.stats());
        }
        guest.stop(); // the simulation ends with the migration: a guest left running would keep it going
        return new Source(result, history, sources, devices, bases, guest.writesDone(), scheduler.eventsRun(), broken, clock,
                sender.buffersInUse(), zeroCopyIds[0], guest.figures());
    }

    /** "Did not converge" after this long without a new low of pending data (30 slices of 100 ms). */
    static final long STALL_NANOS = STALL_SLICES * ControllerOptions.DEFAULT_SLICE_NANOS;
    /** A migration's longest run in virtual time (1200 slices of 100 ms). */
    static final long MAX_NANOS = MAX_SLICES * ControllerOptions.DEFAULT_SLICE_NANOS;

    /** The harness's slice limit for slices of {@code sliceNanos}: {@link #MAX_NANOS} of them, at least one. */
    public static long maxSlices(long sliceNanos) {
        return Math.max(1, MAX_NANOS / sliceNanos);
    }
    /** Once the sender has ended, how long the receiver may take to read what is on its way. */
    static final long RECEIVER_DRAIN_NANOS = 60 * org.blkmig.simdisk.Durations.SECOND;
    /** Events the scheduler may still run once both ends stopped: more means something keeps scheduling. */
    public static final int MAX_EVENTS_AFTER_END = 100_000;

    /** The virtual time one block's write takes in the receiver's pipeline. */
    public static final long WRITE_NANOS = 50_000;

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
        return run(s, variant, faults, UnaryOperator.identity());
    }

    /** As {@link #run(Scenario, Variant, RunFaults)}, the receiver's pipelines made by {@code pipelineFactory} (tests' seam). */
    static Run run(Scenario s, Variant variant, RunFaults faults, UnaryOperator<Pipeline.Factory> pipelineFactory) {
        checkBulkFits(s);
        // one scheduler: sender, link, receiver and its pipeline live in the same virtual time
        SimScheduler scheduler = new SimScheduler(s.seed());
        History history = new History();
        Map<String, Disk> bases = World.bases(s);
        Map<String, GuardedDisk> targets = targets(s, bases, scheduler, faults);
        StreamBuffer stream = new StreamBuffer(MAX_STREAM_BYTES);
        SimLink link = new SimLink(scheduler, linkModel(s.setup().link(), faults), stream, history);
        List<Pipeline> pipelines = new ArrayList<>();
        Pipeline.Factory virtual = pipelineFactory.apply(
                Pipeline.Factory.virtual(scheduler, WRITE_NANOS, s.setup().writebackEveryBytes()));
        link.startReceiver(receiver(s, variant, targets, virtual, pipelines)::receive);
        Sent sent = sendAndDrain(s, variant, faults, scheduler, history, link, stream);
        Source src = sent.source();
        ReceiveResult received = link.result(); // what the receiver threw, thrown again
        if (!sent.receiverReturned()) {
            received = new ReceiveResult(false, "the receiver did not return after the sender ended", 0, 0, 0, -1, 0);
        }
        String broken = firstNonNull(sent.brokenInvariant(), link.brokenInvariant());
        // both ends stopped: what is still scheduled must run out, within MAX_EVENTS_AFTER_END events
        int[] eventsTried = {0};
        String runOutBroke = runWhile(() -> eventsTried[0]++ < MAX_EVENTS_AFTER_END && scheduler.runNext(Long.MAX_VALUE));
        broken = firstNonNull(broken, runOutBroke);
        int peakBusy = pipelines.stream().mapToInt(Pipeline::peakBusyBuffers).max().orElse(-1);
        Ends ends = new Ends(src.senderBuffersHeld(), sent.receiverReturned(), scheduler.pendingEvents(),
                link.receiverThreadAlive(), link.shortWrites(), link.shortReads(), link.writeEnds(), peakBusy,
                src.zeroCopySamples(), link.faultMidBlock());
        return new Run(s, variant, src.migration(), received, stream, history, src.sources(), src.devices(),
                targets, bases, src.guestWrites(), scheduler.eventsRun(), broken, faults, src.clock(), ends, src.guest());
    }

    /** A scenario whose bulk pass alone would pass the stream's bound is refused before it runs. */
    private static void checkBulkFits(Scenario s) {
        if (!s.zeroBlocks()) {
            long bulkBytes = s.devices().stream().filter(Scenario.Device::migrated)
                    .mapToLong(d -> (d.sizeBytes() + s.chunkSizeBytes() - 1) / s.chunkSizeBytes() * s.chunkSizeBytes()).sum();
            if (bulkBytes > MAX_STREAM_BYTES) {
                throw new TooLarge(bulkBytes);
            }
        }
    }

    /**
     * Empty targets, their writes logged for the space-time diagram and, with their forces, in one
     * log for durability; the n-th write failing if the run's faults say so.
     */
    private static Map<String, GuardedDisk> targets(Scenario s, Map<String, Disk> bases, SimScheduler scheduler,
            RunFaults faults) {
        Map<String, GuardedDisk> targets = new LinkedHashMap<>();
        TargetLog log = new TargetLog(scheduler::nowNanos); // one order across the targets, for durability
        for (Scenario.Device d : s.devices()) {
            GuardedDisk t = new GuardedDisk(World.target(s, d, bases), false);
            t.logWrites(scheduler::nowNanos);
            t.logTo(log);
            if (faults.failTargetWrite() > 0) {
                t.failWrite(faults.failTargetWrite());
            }
            targets.put(d.name(), t);
        }
        return targets;
    }

    /** The scenario's link, or one that drops after the run's number of bytes. */
    private static LinkModel linkModel(LinkModel link, RunFaults faults) {
        if (faults.dropAfterBytes() < 0) {
            return link;
        }
        return new LinkModel(link.bandwidthBytesPerSecond(), link.latencyNanos(), link.jitterNanos(), link.maxWriteBytes(),
                link.maxReadBytes(), link.windowBytes(), LinkModel.Fault.CUT, faults.dropAfterBytes(), 0);
    }

    /** The shipped receiver on the targets; each pipeline it makes is kept in {@code pipelines} for its peak. */
    private static BlockReceiver receiver(Scenario s, Variant variant, Map<String, GuardedDisk> targets,
            Pipeline.Factory factory, List<Pipeline> pipelines) {
        return new BlockReceiver(new LinkedHashMap<>(targets), s.chunkSizeBytes(), variant.receiverMutants(), p -> {},
                s.setup().pipelineBuffers(), variant.destination(s.seed()), (buffers, chunk, mutants) -> {
                    Pipeline p = factory.create(buffers, chunk, mutants);
                    pipelines.add(p);
                    return p;
                });
    }

    /** The sending side of a run and how the receiver's drain ended: the first invariant broken so far, or null. */
    private record Sent(Source source, String brokenInvariant, boolean receiverReturned) {}

    /**
     * The header, the migration, the EOF marker if it completed; then the sender closes and the
     * receiver reads what is on its way, for {@link #RECEIVER_DRAIN_NANOS} at most. A receiver
     * still waiting then is ended.
     */
    private static Sent sendAndDrain(Scenario s, Variant variant, RunFaults faults, SimScheduler scheduler, History history,
            SimLink link, StreamBuffer stream) {
        QemuStreamWriter framing = new QemuStreamWriter(link.senderChannel(), s.chunkSizeBytes(), 0);
        try {
            try {
                framing.writeHeader(QemuFormat.DEFAULT_MACHINE_TYPE);
            } catch (IOException e) {
                // a link cut inside the header: the sender's first write fails the migration
            }
            Source src = simulateSource(scheduler, history, s, variant, framing, faults.cancelAtNanos());
            if (stream.overflowed()) {
                throw new TooLarge(stream.length()); // a bound of the testbed, not a failure of the migration
            }
            if (src.migration().completed()) {
                try {
                    framing.writeEof();
                } catch (IOException e) {
                    // the block section is complete: a link lost after it loses only the EOF marker
                }
            }
            // a migration that did not complete just stops, as a dropped connection does
            link.closeSender();
            long deadline = scheduler.nowNanos() + RECEIVER_DRAIN_NANOS;
            // the receiver's writes are events too: one that breaks an invariant ends the drain
            String drainBroke = runWhile(() -> !link.receiverDone() && scheduler.runNext(deadline));
            return new Sent(src, firstNonNull(src.brokenInvariant(), drainBroke), link.receiverDone());
        } finally {
            link.abortReceiver();
        }
    }

    /** Runs {@code step} while it returns true; returns the message of the invariant it broke, or null. */
    private static String runWhile(BooleanSupplier step) {
        try {
            while (step.getAsBoolean()) {
                // the next event
            }
            return null;
        } catch (Invariant.Violation v) {
            return v.getMessage();
        }
    }

    private static String firstNonNull(String first, String second) {
        return first != null ? first : second;
    }
}
