// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.protocol.Record;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;

/**
 * The pipelined receiver (1..8 write buffers) applies random record streams (data and zero
 * blocks, partial last chunks, several devices) to targets that held other data before, and
 * declares completion only when every block has landed. The evidence is taken by the targets,
 * not by the receiver: each write is counted when it lands, and the receiver thread's final
 * flush records how many had landed at the moment it declares completion.
 *
 * <p>No timing luck: the writer is held at chosen writes until the receiver thread is seen
 * waiting inside the pipeline (for a buffer, for room in the queue, or in its drain) or has
 * flushed. Holding the first write fills the buffers; holding the last one means a receiver that
 * flushes without draining always flushes before that write has landed.
 */
class PipelineProperties {
    static final int CHUNK_BYTES = 4096;
    static final int SECTORS_PER_CHUNK = CHUNK_BYTES / Disk.SECTOR_SIZE_BYTES;
    /** Only a broken receiver keeps a held write waiting this long; the verdict then says so. */
    static final long HOLD_LIMIT_NANOS = 20_000_000_000L;

    /** A target device: its size and the seed of the bytes it held before the receive. */
    record Device(String name, long sizeSectors, long oldContentSeed) {
        long chunks() {
            return (sizeSectors + SECTORS_PER_CHUNK - 1) / SECTORS_PER_CHUNK;
        }

        boolean hasPartialLastChunk() {
            return sizeSectors % SECTORS_PER_CHUNK != 0;
        }
    }

    /** A block record: a ZERO_BLOCK, or a DEVICE_BLOCK whose whole chunk of data comes from fillSeed. */
    record Block(int device, long chunk, boolean zero, long fillSeed) {}

    /** Payloads after START: PARTs, the last one END; the receiver writes through writeBuffers buffers. */
    record Scenario(List<Device> devices, List<List<Block>> payloads, int writeBuffers, boolean holdFirstWrite) {
        List<Block> blocks() {
            return payloads.stream().flatMap(List::stream).toList();
        }
    }

    // ---- generators ----

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Device> device = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, SECTORS_PER_CHUNK - 1), Arbitraries.longs())
                .as((chunks, tailSectors, seed) -> new Device("", Math.max(1, chunks * SECTORS_PER_CHUNK + tailSectors), seed));
        Arbitrary<List<Device>> devices = device.list().ofMinSize(1).ofMaxSize(3).map(ds -> {
            List<Device> named = new ArrayList<>();
            for (int i = 0; i < ds.size(); i++) {
                named.add(new Device("drive" + i, ds.get(i).sizeSectors(), ds.get(i).oldContentSeed()));
            }
            return named;
        });
        return devices.flatMap(ds -> {
            Arbitrary<Block> block = Arbitraries.integers().between(0, ds.size() - 1).flatMap(d -> Combinators.combine(
                    Arbitraries.longs().between(0, ds.get(d).chunks() - 1), Arbitraries.integers().between(0, 99),
                    Arbitraries.longs()).as((chunk, pct, seed) -> new Block(d, chunk, pct < 40, seed)));
            Arbitrary<List<List<Block>>> payloads = block.list().ofMaxSize(16).list().ofMinSize(1).ofMaxSize(4);
            return Combinators.combine(payloads, Arbitraries.integers().between(1, 8),
                    Arbitraries.of(true, true, false))
                    .as((ps, buffers, hold) -> new Scenario(ds, ps, buffers, hold));
        });
    }

    // ---- the property ----

    @Property(tries = 200)
    void thePipelinedReceiverLandsEveryBlockBeforeItDeclaresCompletion(@ForAll("scenarios") Scenario s) {
        Run run = receive(s, Set.of());
        assertNull(run.violation, run.violation);

        List<Block> blocks = s.blocks();
        Statistics.label("zero blocks in the pipeline").collect(blocks.stream().anyMatch(Block::zero));
        Statistics.label("partial last chunk written").collect(blocks.stream().anyMatch(b -> isPartial(s, b)));
        Statistics.label("several devices written").collect(blocks.stream().map(Block::device).distinct().count() > 1);
        Statistics.label("more than one buffer busy").collect(run.peakBuffersBusy > 1);
        Statistics.label("last write held until").collect(run.lastHoldReleasedBy);
        Statistics.label("first write held until").collect(run.firstHoldReleasedBy);

        Statistics.label("zero blocks in the pipeline").coverage(c -> c.check(true).percentage(p -> p >= 30));
        Statistics.label("partial last chunk written").coverage(c -> c.check(true).percentage(p -> p >= 20));
        Statistics.label("several devices written").coverage(c -> c.check(true).percentage(p -> p >= 10));
        // edge cases (empty payloads, one block) are mixed in: expect some, not most
        Statistics.label("more than one buffer busy").coverage(c -> c.check(true).percentage(p -> p >= 5));
        // the last write must sometimes be held until the receiver drains: the case a flush-before-drain bug loses
        Statistics.label("last write held until").coverage(c -> c.check("drain").percentage(p -> p >= 20));
    }

    /** The same property, run on a fixed seed, fails for each pipeline mutant. */
    @Example
    void eachPipelineMutantFailsTheProperty() {
        RandomGenerator<Scenario> generator = scenarios().generator(100);
        for (ReceiverMutant m : EnumSet.of(ReceiverMutant.PIPELINE_DROPS_ZERO_WRITES, ReceiverMutant.COMPLETE_BEFORE_DRAIN)) {
            Random random = new Random(42);
            String found = null;
            for (int i = 0; i < 200 && found == null; i++) {
                Scenario s = generator.next(random).value();
                found = receive(s, Set.of(m)).violation;
            }
            assertNotNull(found, m + " passed 200 scenarios");
            System.out.println(m + " fails: " + found);
        }
    }

    /** The smallest readable cases: one data block, then one zero block over old data, two buffers. */
    @Example
    void theMutantsFailOnTheSmallestStream() {
        Device d = new Device("drive0", 2 * SECTORS_PER_CHUNK - 3, 7);
        Scenario s = new Scenario(List.of(d), List.of(List.of(new Block(0, 0, false, 1), new Block(0, 1, true, 0))), 2, false);
        assertNull(receive(s, Set.of()).violation);
        String dropped = receive(s, Set.of(ReceiverMutant.PIPELINE_DROPS_ZERO_WRITES)).violation;
        assertNotNull(dropped);
        assertTrue(dropped.contains("completion declared when 1 of 2 writes had landed"), dropped);
        String early = receive(s, Set.of(ReceiverMutant.COMPLETE_BEFORE_DRAIN)).violation;
        assertNotNull(early);
        // the last write is held until the flush: how many landed before it depends on the writer's pace
        assertTrue(early.matches("completion declared when [01] of 2 writes had landed.*"), early);
    }

    static boolean isPartial(Scenario s, Block b) {
        Device d = s.devices().get(b.device());
        return d.hasPartialLastChunk() && b.chunk() == d.chunks() - 1;
    }

    // ---- running a scenario, and the independent expectation ----

    /** What one receive showed: null violation when every check held. */
    record Run(String violation, int peakBuffersBusy, String lastHoldReleasedBy, String firstHoldReleasedBy) {}

    static Run receive(Scenario s, Set<ReceiverMutant> mutants) {
        List<Block> blocks = s.blocks();
        List<Boolean> writes = writesOf(blocks);
        Evidence ev = new Evidence(Thread.currentThread(), writes, s.holdFirstWrite(), s.writeBuffers());
        Map<String, Disk> targets = new HashMap<>();
        Map<String, byte[]> expected = new HashMap<>();
        for (Device d : s.devices()) {
            byte[] old = bytes(d.sizeSectors() * Disk.SECTOR_SIZE_BYTES, d.oldContentSeed());
            SparseMemoryDisk disk = new SparseMemoryDisk(d.name(), old.length);
            disk.write(0, ByteBuffer.wrap(old));
            targets.put(d.name(), new LandingDisk(disk, ev));
            expected.put(d.name(), old.clone());
        }
        List<List<Record>> parts = new ArrayList<>();
        int percent = 0;
        for (List<Block> payload : s.payloads()) {
            List<Record> records = new ArrayList<>();
            for (Block b : payload) {
                Device d = s.devices().get(b.device());
                long sector = b.chunk() * SECTORS_PER_CHUNK;
                byte[] image = expected.get(d.name());
                int from = (int) (sector * Disk.SECTOR_SIZE_BYTES);
                int inBoundsBytes = Math.min(CHUNK_BYTES, image.length - from);
                if (b.zero()) {
                    records.add(new Record.ZeroBlock(sector, d.name()));
                    Arrays.fill(image, from, from + inBoundsBytes, (byte) 0);
                } else {
                    // the whole chunk travels, also past the device's end; only the in-bounds part lands
                    byte[] data = bytes(CHUNK_BYTES, b.fillSeed());
                    records.add(new Record.DeviceBlock(sector, d.name(), ByteBuffer.wrap(data)));
                    System.arraycopy(data, 0, image, from, inBoundsBytes);
                }
            }
            percent = Math.min(100, percent + 25);
            records.add(new Record.Progress(percent));
            records.add(Record.EndOfSection.INSTANCE);
            parts.add(records);
        }
        byte[] stream = ReceiverTest.stream(CHUNK_BYTES, parts);

        ReceiveResult r = new BlockReceiver(targets, CHUNK_BYTES, mutants, p -> {}, s.writeBuffers())
                .receive(new ByteArrayInputStream(stream));
        String violation = ev.violation(r, writes.size());
        long zeros = blocks.stream().filter(Block::zero).count();
        if (violation == null && (r.dataBlocks() != blocks.size() - zeros || r.zeroBlocks() != zeros)) {
            violation = "counted " + r.dataBlocks() + " data and " + r.zeroBlocks() + " zero blocks of " + (blocks.size() - zeros)
                    + " and " + zeros;
        }
        if (violation == null) {
            for (Device d : s.devices()) {
                ByteBuffer got = ByteBuffer.allocate(expected.get(d.name()).length);
                try {
                    targets.get(d.name()).read(0, got);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                int at = Arrays.mismatch(expected.get(d.name()), got.array());
                if (at >= 0) {
                    violation = d.name() + " differs from the stream's image at byte " + at;
                    break;
                }
            }
        }
        return new Run(violation == null ? null : violation + " in " + s, ev.peakBuffersBusy, ev.lastHoldReleasedBy,
                ev.firstHoldReleasedBy);
    }

    /**
     * The writes the pipeline makes, in order (true: a data write): one per block, but a zero block
     * that follows a zero block of the chunk before on the same device joins its write.
     */
    static List<Boolean> writesOf(List<Block> blocks) {
        List<Boolean> writes = new ArrayList<>();
        Block previous = null;
        for (Block b : blocks) {
            boolean joins = b.zero() && previous != null && previous.zero() && previous.device() == b.device()
                    && previous.chunk() + 1 == b.chunk();
            if (!joins) {
                writes.add(!b.zero());
            }
            previous = b;
        }
        return writes;
    }

    static byte[] bytes(long length, long seed) {
        byte[] b = new byte[(int) length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Shared by the targets of one receive: counts landed writes and holds the writer where asked. */
    static final class Evidence {
        final Thread receiver;
        final int totalWrites;
        final boolean holdFirst;
        final int writeBuffers;
        final List<Boolean> isData; // per write, in order
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger landed = new AtomicInteger();
        volatile boolean receiverFlushed;
        volatile int landedAtCompletion = -1; // at the receiver thread's first flush
        volatile boolean holdTimedOut;
        volatile int peakBuffersBusy;
        volatile String lastHoldReleasedBy = "not held";
        volatile String firstHoldReleasedBy = "not held";

        Evidence(Thread receiver, List<Boolean> isData, boolean holdFirst, int writeBuffers) {
            this.receiver = receiver;
            this.totalWrites = isData.size();
            this.isData = isData;
            this.holdFirst = holdFirst;
            this.writeBuffers = writeBuffers;
        }

        /** Data writes among the first {@code blocks} handed over: each holds a buffer until written. */
        int dataAmongFirst(int blocks) {
            return (int) isData.subList(0, Math.min(blocks, isData.size())).stream().filter(d -> d).count();
        }

        /** Called by the writer thread before each write. */
        void beforeWrite() {
            int n = started.incrementAndGet();
            boolean first = n == 1 && holdFirst;
            boolean last = n == totalWrites;
            if (!first && !last) {
                return;
            }
            String why = holdUntilTheReceiverWaits();
            if (first) {
                firstHoldReleasedBy = why;
                // held at its first write, the writer frees no buffer: every data block handed over is busy
                peakBuffersBusy = switch (why) {
                    case "takeFree" -> writeBuffers; // waits for a buffer: all are busy
                    case "put", "submit" -> dataAmongFirst(writeBuffers + 2); // the held job and a full queue
                    case "drain" -> dataAmongFirst(totalWrites);
                    default -> 0;
                };
            }
            if (last) {
                lastHoldReleasedBy = why;
            }
        }

        /** Returns what released the hold: the pipeline method the receiver waits in, or "flush". */
        private String holdUntilTheReceiverWaits() {
            long deadline = System.nanoTime() + HOLD_LIMIT_NANOS;
            while (true) {
                if (receiverFlushed) {
                    return "flush";
                }
                String in = pipelineMethodTheReceiverWaitsIn();
                if (in != null) {
                    return in;
                }
                if (System.nanoTime() - deadline > 0) {
                    holdTimedOut = true;
                    return "time limit";
                }
                LockSupport.parkNanos(20_000);
            }
        }

        private String pipelineMethodTheReceiverWaitsIn() {
            Thread.State state = receiver.getState();
            if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
                return null;
            }
            for (StackTraceElement e : receiver.getStackTrace()) {
                if (e.getClassName().equals(WritePipeline.class.getName())) {
                    return e.getMethodName();
                }
            }
            return null;
        }

        void landed() {
            landed.incrementAndGet();
        }

        void forced() {
            // the writeback thread forces during the transfer; only the receiver's flush declares completion
            if (Thread.currentThread() == receiver && !receiverFlushed) {
                landedAtCompletion = landed.get();
                receiverFlushed = true;
            }
        }

        String violation(ReceiveResult r, int blocks) {
            if (holdTimedOut) {
                return "a held write waited " + HOLD_LIMIT_NANOS / 1_000_000_000L + " s for the receiver";
            }
            if (!r.complete()) {
                return "incomplete: " + r.reason();
            }
            if (landedAtCompletion != blocks) {
                return "completion declared when " + landedAtCompletion + " of " + blocks + " writes had landed";
            }
            return null;
        }
    }

    /** A memory target that tells the evidence when a write lands and when it is flushed. */
    static final class LandingDisk extends WrappedDisk {
        final Evidence ev;

        LandingDisk(SparseMemoryDisk disk, Evidence ev) {
            super(disk);
            this.ev = ev;
        }

        @Override
        public void write(long sector, ByteBuffer src) {
            ev.beforeWrite();
            disk.write(sector, src);
            ev.landed();
        }

        @Override
        public void writeZeros(long sector, long sectorCount) {
            ev.beforeWrite();
            disk.writeZeros(sector, sectorCount);
            ev.landed();
        }

        @Override
        public void force() {
            ev.forced();
        }
    }

    @Example
    void aHeldLastWriteIsReleasedByTheDrainAndLandsBeforeCompletion() {
        Device d = new Device("drive0", 3, 1);
        Scenario s = new Scenario(List.of(d), List.of(List.of(new Block(0, 0, false, 5)), List.of(new Block(0, 0, true, 0))), 2,
                true);
        Run run = receive(s, Set.of());
        assertNull(run.violation);
        assertEquals("drain", run.lastHoldReleasedBy);
        assertEquals(1, run.peakBuffersBusy);
    }
}
