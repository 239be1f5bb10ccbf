// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sender stepped by hand ({@link StepIo}): where a read error surfaces, what a payload holds
 * in which order, what a slice is charged, what the counters say. A whole migration makes up for
 * an error seen one step late or a block sent one call late; these steps do not.
 */
class SenderStepTest {
    static final int CHUNK = 64 * 1024;
    static final long SPC = CHUNK / 512;

    final StepIo io = new StepIo();
    final Events sink = new Events();
    final List<BlockDevice> devices = new ArrayList<>();

    /** Every call the sender makes on its sink, in order. */
    static final class Events implements PayloadSink {
        final List<Object> events = new ArrayList<>();

        @Override
        public void beginPayload(SectionType t) {
            events.add(t);
        }

        @Override
        public void write(Record r) {
            events.add(r instanceof Record.DeviceBlock b ? b.copy() : r);
        }

        @Override
        public void endPayload() {
            events.add("end");
        }

        long count(Object o) {
            return events.stream().filter(o::equals).count();
        }

        /** The records of the last payload of that type. */
        List<Record> lastPayload(SectionType t) {
            int at = events.lastIndexOf(t);
            List<Record> out = new ArrayList<>();
            for (Object e : events.subList(at + 1, events.size())) {
                if (e.equals("end")) {
                    break;
                }
                out.add((Record) e);
            }
            return out;
        }

        /** The records of every payload of that type, in order. */
        List<List<Record>> payloads(SectionType t) {
            List<List<Record>> out = new ArrayList<>();
            List<Record> current = null;
            for (Object e : events) {
                if (e == t) {
                    current = new ArrayList<>();
                } else if (e.equals("end") || e instanceof SectionType) {
                    if (current != null) {
                        out.add(current);
                    }
                    current = null;
                } else if (current != null) {
                    current.add((Record) e);
                }
            }
            return out;
        }
    }

    /** A device of {@code chunks} chunks, every one holding data (no holes). */
    BlockDevice device(String name, int chunks) throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk(name, (long) chunks * CHUNK);
        d.write(0, WriteContent.make(0, 0, chunks * SPC));
        BlockDevice b = new BlockDevice(d);
        devices.add(b);
        return b;
    }

    BlockMigrationSender sender(SenderOptions o, PayloadSink s) {
        return new BlockMigrationSender(devices, io, s, o);
    }

    BlockMigrationSender sender() {
        return sender(SenderTest.opts(), sink);
    }

    static SenderOptions with(Enum<?> policy) {
        return SenderTest.opts().withPolicies(SenderPolicies.BLKMIG.with(policy));
    }

    /** A sender set up on one device of {@code chunks} chunks, with its first bulk reads in flight. */
    BlockMigrationSender readsInFlight(int chunks) throws IOException {
        device("drive0", chunks);
        BlockMigrationSender s = sender();
        s.setup();
        s.iterate(new SliceBudget(2L * CHUNK + 100)); // two chunks and a bit: at least two reads
        assertTrue(io.inFlight() >= 2, io.inFlight() + " reads in flight");
        return s;
    }

    /** The sender set up, its bulk pass submitted in one iterate and every read completed. */
    BlockMigrationSender bulkPassRead(BlockMigrationSender s) throws IOException {
        s.setup();
        s.iterate(SliceBudget.unlimited());
        assertTrue(s.bulkCompleted());
        io.completeAll();
        return s;
    }

    static void write(BlockDevice d, long chunk, long writeId) throws IOException {
        d.guestWrite(chunk * SPC, WriteContent.make(writeId, chunk * SPC, 1), writeId);
    }

    @Test
    void aReadErrorFailsTheNextIterateBeforeItBeginsAPayload() throws IOException {
        io.failing.add(0L);
        BlockMigrationSender s = readsInFlight(4);
        io.completeAll();
        long parts = sink.count(SectionType.PART);
        IOException e = assertThrows(IOException.class, () -> s.iterate(SliceBudget.unlimited()));
        assertTrue(e.getMessage().contains("read of drive0 sector 0 failed"), e.getMessage());
        assertEquals(parts, sink.count(SectionType.PART), "no payload begun after the error");
    }

    @Test
    void aReadErrorFailsCompleteBeforeItBeginsTheEndPayload() throws IOException {
        device("drive0", 2);
        io.failing.add(SPC);
        BlockMigrationSender s = bulkPassRead(sender());
        IOException e = assertThrows(IOException.class, s::complete);
        assertTrue(e.getMessage().contains("sector " + SPC), e.getMessage());
        assertEquals(0, sink.count(SectionType.END), "no END payload begun");
    }

    @Test
    void aReadErrorInTheDrainFailsCompleteBeforeItSendsAnyBlock() throws IOException {
        device("drive0", 2);
        BlockMigrationSender s = sender();
        s.setup();
        io.failing.add(SPC);
        s.iterate(SliceBudget.unlimited()); // both reads in flight: the drain waits for them
        assertThrows(IOException.class, s::complete);
        assertEquals(List.of(), sink.lastPayload(SectionType.END), "the good block of the drain is not sent after the error");
    }

    @Test
    void aReadErrorSeenWaitingForAChunkInFlightFailsAtOnceWithoutReadingItAgain() throws IOException {
        BlockDevice d = device("drive0", 2);
        BlockMigrationSender s = sender();
        s.setup();
        s.iterate(SliceBudget.unlimited());
        assertTrue(s.bulkCompleted());
        assertEquals(2, io.submitted);
        write(d, 0, 5); // dirty while its bulk read is in flight: the dirty walk waits for that read
        io.failing.add(0L);
        assertThrows(IOException.class, () -> s.iterate(SliceBudget.unlimited()));
        assertEquals(2, io.submitted, "chunk 0 not read again after its read failed");
    }

    @Test
    void aReadErrorWhileTheFinalCopyWaitsForItsReadFailsCompleteEvenWithoutADrain() throws IOException {
        BlockDevice d = device("drive0", 3);
        // no drain (a seeded bug): bulk reads can still be in flight during the final copy
        BlockMigrationSender s = sender(with(SenderPolicies.Drain.NONE), sink);
        s.setup();
        s.iterate(SliceBudget.unlimited());
        assertTrue(s.bulkCompleted());
        io.failing.add(0L);
        io.complete(2 * SPC); // chunk 2's bulk read done; 0 and 1 still in flight
        write(d, 2, 9);
        // the final copy reads chunk 2 again and waits for it, behind the failing read of chunk 0
        IOException e = assertThrows(IOException.class, s::complete);
        assertTrue(e.getMessage().contains("sector 0"), e.getMessage());
        assertFalse(sink.lastPayload(SectionType.END).stream().anyMatch(r -> r instanceof Record.DeviceBlock b && b.sector() == 2 * SPC
                && WriteContent.writeIdOf(b.data().duplicate(), 2 * SPC) == 9), "the final copy's block is not sent");
    }

    @Test
    void blocksReadBeforeCompleteGoOutBeforeItWaitsForTheRest() throws IOException {
        device("drive0", 3);
        BlockMigrationSender s = sender();
        s.setup();
        s.iterate(SliceBudget.unlimited());
        io.complete(0);
        List<Integer> sentWhenTheDrainWaited = new ArrayList<>();
        io.onComplete = () -> sentWhenTheDrainWaited.add(sink.lastPayload(SectionType.END).size());
        s.complete();
        assertEquals(List.of(1, 1), sentWhenTheDrainWaited, "chunk 0's block was sent before the drain waited for chunks 1 and 2");
    }

    @Test
    void blocksReadBeforeAnIterateOpenItsPayload() throws IOException {
        BlockMigrationSender s = readsInFlight(8);
        int read = io.submitted;
        io.completeAll();
        s.iterate(SliceBudget.unlimited());
        List<Record> second = sink.payloads(SectionType.PART).get(1);
        for (int i = 0; i < read; i++) {
            assertInstanceOf(Record.DeviceBlock.class, second.get(i), "the completed blocks go out first: " + second);
        }
        assertTrue(second.stream().anyMatch(r -> r instanceof Record.Progress), "then the new reads' progress");
    }

    @Test
    void anIterateChargesItsSliceOnlyAndCountsItself() throws IOException {
        device("drive0", 2);
        BlockMigrationSender s = bulkPassRead(sender(with(SenderPolicies.BudgetCharge.EVERY_BYTE), sink));
        SliceBudget second = SliceBudget.unlimited();
        s.iterate(second);
        assertEquals(2, s.stats().iterations);
        long used = second.usedBytes();
        assertTrue(used > 2L * CHUNK, "the blocks were charged: " + used);
        s.complete();
        assertEquals(used, second.usedBytes(), "the final copy is not charged to the last slice");
    }

    @Test
    void everyByteOfAnIterateIsChargedToItsSliceThroughAWireFault() throws IOException {
        device("drive0", 4);
        QemuStreamWriter counting = new QemuStreamWriter(Channels.newChannel(new ByteArrayOutputStream()), CHUNK, 3);
        SenderOptions o = SenderTest.opts().withPolicies(SenderPolicies.BLKMIG.with(SenderPolicies.BudgetCharge.EVERY_BYTE)
                .with(SenderPolicies.WireFault.PROGRESS_BACKWARDS));
        BlockMigrationSender s = sender(o, counting);
        s.setup();
        for (int i = 0; i < 3; i++) {
            long before = counting.bytesWritten();
            SliceBudget slice = SliceBudget.unlimited();
            s.iterate(slice);
            io.completeAll();
            assertEquals(counting.bytesWritten() - before, slice.usedBytes(), "iterate " + i);
        }
    }

    @Test
    void theMissingEosFaultDropsOnlyTheDirtyPhasesEos() throws IOException {
        BlockDevice d = device("drive0", 4);
        BlockMigrationSender s = sender(with(SenderPolicies.WireFault.MISSING_EOS), sink);
        s.setup();
        s.iterate(new SliceBudget(CHUNK));
        io.completeAll();
        assertFalse(s.bulkCompleted());
        assertEquals(List.of(Record.EndOfSection.INSTANCE), sink.lastPayload(SectionType.START));
        List<Record> bulk = sink.lastPayload(SectionType.PART);
        assertEquals(Record.EndOfSection.INSTANCE, bulk.get(bulk.size() - 1), "a bulk-phase payload keeps its EOS");
        while (!s.bulkCompleted()) {
            s.iterate(SliceBudget.unlimited());
            io.completeAll();
        }
        write(d, 1, 3);
        s.iterate(SliceBudget.unlimited());
        List<Record> dirty = sink.lastPayload(SectionType.PART);
        assertFalse(dirty.contains(Record.EndOfSection.INSTANCE), "the fault: " + dirty);
    }

    @Test
    void aWalkThatDrainsOneDevicesEndGoesOnToTheNextDeviceInTheSameIterate() throws IOException {
        // QEMU 7.2's walk: a device whose walk ends without a dirty chunk lets the next device's walk
        // run in the same call (mig_save_device_dirty returns 1), even if the drain made blocks wait
        BlockDevice d0 = device("drive0", 1);
        BlockDevice d1 = device("drive1", 1);
        BlockMigrationSender s = bulkPassRead(sender(SenderTest.opts().withPolicies(SenderPolicies.QEMU_7_2), sink));
        write(d0, 0, 1);
        s.iterate(SliceBudget.unlimited()); // drive0's dirty read in flight, marked
        assertEquals(3, io.submitted);
        write(d1, 0, 2);
        // the walk drains drive0 at its end: one block done then fills this slice's budget of one chunk
        s.iterate(new SliceBudget(CHUNK));
        assertEquals(4, io.submitted, "drive1's dirty chunk is read in the same iterate");
    }

    @Test
    void completeRefusesASenderThatIsNotLive() throws IOException {
        device("drive0", 2);
        BlockMigrationSender s = sender();
        assertEquals("setup not done", assertThrows(IllegalStateException.class, s::complete).getMessage());
        bulkPassRead(s).complete();
        assertEquals("the migration has ended", assertThrows(IllegalStateException.class, s::complete).getMessage());
        assertEquals(1, sink.count(SectionType.END));
    }

    @Test
    void aChunkDirtiedDuringTheFinalCopyBehindItsWalkBreaksTheInvariantWithTheBytes() throws IOException {
        BlockDevice d = device("drive0", 4);
        BlockMigrationSender s = bulkPassRead(sender());
        write(d, 3, 1);
        // a guest that was not stopped writes chunk 0 while the walk reads chunk 3
        io.onComplete = () -> {
            try {
                write(d, 0, 2);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        Invariant.Violation v = assertThrows(Invariant.Violation.class, s::complete);
        assertTrue(v.getMessage().contains(CHUNK + " bytes dirty after the final copy"), v.getMessage());
    }

    @Test
    void aChunkThatBecameAHoleIsSentAsZerosByTheFinalCopy() throws IOException {
        BlockDevice d = device("drive0", 2);
        BlockMigrationSender s = bulkPassRead(sender());
        s.iterate(SliceBudget.unlimited());
        d.guestWriteZeros(SPC, SPC, 4); // discarded: a hole now
        s.complete();
        List<Record> end = sink.lastPayload(SectionType.END);
        Record.DeviceBlock b = (Record.DeviceBlock) end.get(0);
        assertEquals(SPC, b.sector());
        assertTrue(org.blkmig.simdisk.Zeros.isZero(b.data()));
        assertEquals(1, s.stats().holeChunks);
    }

    @Test
    void aChunkDiscardedInTheDirtyPhaseIsCleanOnceSentEvenWhenBitsClearAfterTheRead() throws IOException {
        // the seeded bug's clear after the read: a hole has no read, so its lookup is the read that clears
        BlockDevice d = device("drive0", 2);
        BlockMigrationSender s = bulkPassRead(sender(with(SenderPolicies.DirtyClear.AFTER_READ), sink));
        d.guestWriteZeros(0, SPC, 6);
        assertEquals(CHUNK, s.dirtyBytes());
        s.iterate(SliceBudget.unlimited());
        assertEquals(0, s.dirtyBytes(), "the hole was sent, its bit cleared");
        assertEquals(1, s.stats().holeChunks);
    }

    @Test
    void aZeroCopyChunkIsCleanWhenQueuedWhateverThePolicy(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("a.img");
        Files.write(p, new byte[2 * CHUNK]);
        try (FileDisk disk = FileDisk.open("drive0", p, true)) {
            BlockDevice d = new BlockDevice(disk);
            devices.add(d);
            BlockMigrationSender s = sender(with(SenderPolicies.DirtyClear.AFTER_READ).withZeroCopy(true), sink);
            s.setup();
            s.iterate(SliceBudget.unlimited());
            write(d, 1, 7);
            assertEquals(CHUNK, s.dirtyBytes());
            s.iterate(SliceBudget.unlimited());
            // zero copy takes the data when the block is written, after this clear: nothing to wait for
            assertEquals(0, s.dirtyBytes());
        }
    }

    @Test
    void theCountsOfDataAndZeroBlocksAreExact() throws IOException {
        SparseMemoryDisk disk = new SparseMemoryDisk("drive0", 3L * CHUNK);
        disk.write(0, WriteContent.make(0, 0, 2 * SPC)); // chunks 0 and 1 data, chunk 2 a hole
        devices.add(new BlockDevice(disk));
        BlockMigrationSender s = bulkPassRead(sender(SenderTest.opts().withZeroBlocks(true), sink));
        s.complete();
        assertEquals(2, s.stats().dataChunksSent);
        assertEquals(1, s.stats().zeroChunksSent);
        long wire = sink.events.stream().filter(e -> e instanceof Record.DeviceBlock || e instanceof Record.ZeroBlock)
                .mapToLong(e -> ((Record) e).wireSizeBytes()).sum();
        assertEquals(wire, io.wroteBytes, "the I/O context is told every block's bytes");
    }

    @Test
    void zeroCopyBlocksAreCountedAndTheirBytesReported(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("a.img");
        byte[] data = new byte[3 * CHUNK];
        new java.util.Random(3).nextBytes(data);
        Files.write(p, data);
        try (FileDisk disk = FileDisk.open("drive0", p, true)) {
            devices.add(new BlockDevice(disk));
            BlockMigrationSender s = sender(SenderTest.opts().withZeroCopy(true), sink);
            s.setup();
            s.iterate(SliceBudget.unlimited());
            s.iterate(SliceBudget.unlimited());
            s.complete();
            assertEquals(0, io.submitted, "taken from the file when written");
            assertEquals(3, s.stats().dataChunksSent);
            assertEquals(3 * Record.deviceBlockWireBytes("drive0", CHUNK), io.wroteBytes);
        }
    }

    @Test
    void buffersOfReadsStillInFlightAtACancelAreCounted() throws IOException {
        BlockMigrationSender s = readsInFlight(4);
        int inFlight = io.inFlight();
        io.stuck = true; // they never complete: the cancel cannot wait for them
        s.cancel();
        assertEquals(inFlight, s.stats().buffersHeldAtEnd);
    }

    @Test
    void aReadAtTheDevicesEndIsRefused() {
        SparseMemoryDisk disk = new SparseMemoryDisk("drive0", 2L * CHUNK);
        MigratedDevice d = new MigratedDevice(0, new BlockDevice(disk), new DirtyBitmap(disk.sizeBytes(), CHUNK));
        SenderStats stats = new SenderStats();
        DataPath path = new DataPath(io, SenderTest.opts(), new RecordOutput.Charged(sink, stats, CHUNK,
                SenderPolicies.BudgetCharge.BLOCKS_AND_EOS), stats);
        assertThrows(Invariant.Violation.class, () -> path.read(d, 2 * SPC, false));
        assertThrows(Invariant.Violation.class, () -> path.read(d, 1, false));
        assertEquals(0, io.submitted);
    }
}
