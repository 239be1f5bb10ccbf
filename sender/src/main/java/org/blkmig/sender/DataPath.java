// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.blkmig.protocol.Record;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.IoContext;
import org.blkmig.simdisk.Zeros;

/**
 * How a chunk becomes a block on the wire: known zero if it lies in a hole, else read into a pool
 * buffer (or, zero copy, taken from its file when sent), queued in completion order, sent as a
 * data or a zero block. Migration thread,
 * except the read completions, which go to the read tracker.
 */
final class DataPath {
    private final IoContext io;
    private final SenderOptions options;
    private final SenderPolicies policies;
    private final RecordOutput out;
    private final SenderStats stats;
    private final int chunkSizeBytes;
    private final long sectorsPerChunk;
    final ReadTracker reads;
    private int blocksInSend; // migration thread only
    final BufferPool buffers;
    // what a hole sends without zero blocks: taken once, so sending a hole allocates no shared buffer
    private final ByteBuffer zeroChunk;

    DataPath(IoContext io, SenderOptions options, RecordOutput out, SenderStats stats) {
        this.io = io;
        this.options = options;
        this.policies = options.policies();
        this.out = out;
        this.stats = stats;
        this.chunkSizeBytes = options.chunkSizeBytes();
        this.sectorsPerChunk = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
        this.reads = new ReadTracker(policies.oneReadPerChunk());
        this.buffers = new BufferPool(chunkSizeBytes, options.maxBufferedChunks(), io.prefersDirectBuffers());
        this.zeroChunk = options.zeroBlocks() ? null : Zeros.chunk(chunkSizeBytes);
    }

    /** Whether the submission policy lets an iterate call submit one more read. */
    boolean maySubmit(SliceBudget budget) {
        return reads.maySubmit(policies.submission(), budget, chunkSizeBytes, options, buffers);
    }

    /**
     * Clears the chunk's dirty bit, then looks at it (the order that makes a racing write visible):
     * a chunk in a hole is known zero at once; any other is read.
     */
    Block read(MigratedDevice d, long sector, boolean dirtyPhaseRead) {
        long chunk = sector / sectorsPerChunk;
        int count = (int) Math.min(sectorsPerChunk, d.totalSectors - sector);
        Invariant.check(sector % sectorsPerChunk == 0 && count > 0, () -> "read of " + d.name + " at sector " + sector);
        policies.dirtyClear().beforeRead(d.dirty, chunk);
        if (policies.allocation().holesKnownZero() && inHole(d, sector, count)) {
            return hole(d, sector, chunk, count);
        }
        stats.readsSubmitted++;
        FileChannel file = options.zeroCopy() && !options.zeroBlocks() ? d.device.disk().zeroCopySource(sector, count) : null;
        if (file != null) {
            return zeroCopy(d, sector, chunk, count, file);
        }
        return submit(d, sector, chunk, count, dirtyPhaseRead);
    }

    private boolean inHole(MigratedDevice d, long sector, int count) {
        Disk.Allocation a = io.allocation(d.device, sector, count);
        return a.state() == Disk.State.ZERO && a.sectorCount() >= count;
    }

    /** A chunk in a hole: known zero, queued without a read. */
    private Block hole(MigratedDevice d, long sector, long chunk, int count) {
        // a guest write after the lookup has set the bit again: the chunk is looked at again
        policies.dirtyClear().afterReadDone(d.dirty, chunk);
        stats.holeChunks++;
        Block block = new Block(d, sector, chunk, count, null, null);
        reads.queueUnread(block);
        return block;
    }

    /**
     * Zero copy: the data is taken when the block is written out, after this clear; asked for
     * by the caller, so a disk with a history sees the read begin where the dirty bit clears.
     */
    private Block zeroCopy(MigratedDevice d, long sector, long chunk, int count, FileChannel file) {
        d.dirty.clear(chunk);
        Block block = new Block(d, sector, chunk, count, null, file);
        reads.queueUnread(block);
        return block;
    }

    /** Reads the chunk into a pool buffer; its completion queues the block. */
    private Block submit(MigratedDevice d, long sector, long chunk, int count, boolean dirtyPhaseRead) {
        Block block = new Block(d, sector, chunk, count, buffers.take(), null);
        reads.submitting(block, policies.inFlightMarking().marks(dirtyPhaseRead));
        int inBoundsBytes = count * Disk.SECTOR_SIZE_BYTES;
        ByteBuffer buffer = block.buffer;
        if (inBoundsBytes < chunkSizeBytes) {
            fillTail(buffer, inBoundsBytes);
        }
        SenderPolicies.DirtyClear clear = policies.dirtyClear();
        io.submitRead(d.device, sector, buffer.duplicate().clear().limit(inBoundsBytes), error -> {
            clear.afterReadDone(d.dirty, chunk);
            reads.readDone(block, error);
        });
        return block;
    }

    /** The bytes of a partial last chunk past the device's end: what the profile leaves there. */
    private void fillTail(ByteBuffer buffer, int inBoundsBytes) {
        buffer.clear().position(inBoundsBytes);
        while (buffer.hasRemaining()) {
            buffer.put(options.undefinedTailByte());
        }
    }

    /** Waits for the block's read and sends it at once, ahead of the queue (the final copy). */
    void sendWhenRead(Block b, SliceBudget budget) throws IOException {
        policies.finalCopy().beforeSend(() -> io.awaitUntil(() -> reads.isDone(b)));
        reads.throwReadError();
        reads.take(b);
        send(b, budget);
    }

    /** Sends completed blocks in completion order while the budget allows (always, if null). */
    void flush(SliceBudget budget) throws IOException {
        while (budget == null || !budget.exhausted()) {
            Block b = reads.pollCompleted();
            if (b == null) {
                return;
            }
            send(b, budget);
        }
    }

    /** Blocks taken from the tracker whose records are being written (time passes while the output is slow). */
    int blocksInSend() {
        return blocksInSend;
    }

    private void send(Block b, SliceBudget budget) throws IOException {
        blocksInSend++;
        try {
            sendBlock(b, budget);
        } finally {
            blocksInSend--;
        }
    }

    private void sendBlock(Block b, SliceBudget budget) throws IOException {
        if (b.zeroCopy()) {
            sendFile(b, budget);
            return;
        }
        // one call of sent, and of each record's constructor, for holes and data: the writing is compiled once
        try {
            ByteBuffer data = b.knownZero() ? holeData() : readData(b);
            sent(data == null ? new Record.ZeroBlock(b.sector, b.device.name)
                    : new Record.DeviceBlock(b.sector, b.device.name, data), budget);
        } finally {
            if (b.buffer != null) {
                buffers.release(b.buffer);
            }
        }
    }

    /** A hole's data: none for a zero block, else a chunk of zeros from the shared buffer, never read from disk. */
    private ByteBuffer holeData() {
        return options.zeroBlocks() ? null : zeroChunk.duplicate();
    }

    /** A read chunk's data, or none (a zero block) if zero detection finds it zero. */
    private ByteBuffer readData(Block b) throws IOException {
        if (b.error != null) {
            reads.throwReadError();
        }
        ByteBuffer data = b.buffer.duplicate().clear();
        int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
        boolean zero = options.zeroBlocks()
                && Zeros.isZero(data.slice(0, policies.zeroDetection().probeBytes(inBoundsBytes, chunkSizeBytes)));
        if (zero) {
            io.loopStep(IoContext.LoopPhase.ZERO_CHECK); // a zero chunk is scanned to its end
        }
        return zero ? null : data;
    }

    /** Zero copy: the chunk's in-bounds bytes taken from its file as it is written. */
    private void sendFile(Block b, SliceBudget budget) throws IOException {
        int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
        out.writeFileBlock(b.sector, b.device.name, b.file, b.sector * Disk.SECTOR_SIZE_BYTES, inBoundsBytes, budget);
        stats.dataChunksSent++;
        io.wrote(Record.deviceBlockWireBytes(b.device.name, chunkSizeBytes));
    }

    private void sent(Record r, SliceBudget budget) throws IOException {
        out.write(r, budget);
        if (r instanceof Record.ZeroBlock) {
            stats.zeroChunksSent++;
        } else {
            stats.dataChunksSent++;
        }
        io.wrote(r.wireSizeBytes());
    }

    /** At the end: queued blocks dropped, buffers freed; returns the buffers reads in flight still hold. */
    int end() {
        return reads.end(buffers);
    }
}
