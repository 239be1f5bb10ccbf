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
    final BufferPool buffers;

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
        SenderPolicies.DirtyClear clear = policies.dirtyClear();
        clear.beforeRead(d.dirty, chunk);
        if (policies.allocation().holesKnownZero()) {
            Disk.Allocation a = io.allocation(d.device, sector, count);
            if (a.state() == Disk.State.ZERO && a.sectorCount() >= count) {
                // a guest write after the lookup has set the bit again: the chunk is looked at again
                clear.afterReadDone(d.dirty, chunk);
                stats.holeChunks++;
                Block block = new Block(d, sector, chunk, count, null, null);
                reads.queueUnread(block);
                return block;
            }
        }
        stats.readsSubmitted++;
        FileChannel file = options.zeroCopy() && !options.zeroBlocks() ? d.device.disk().zeroCopySource(sector, count) : null;
        if (file != null) {
            // zero copy: the data is taken when the block is written out, after this clear; asked
            // for here, so a disk with a history sees the read begin where the dirty bit clears
            d.dirty.clear(chunk);
            Block block = new Block(d, sector, chunk, count, null, file);
            reads.queueUnread(block);
            return block;
        }
        Block block = new Block(d, sector, chunk, count, buffers.take(), null);
        reads.submitting(block, policies.inFlightMarking().marks(dirtyPhaseRead));
        int inBoundsBytes = count * Disk.SECTOR_SIZE_BYTES;
        ByteBuffer buffer = block.buffer;
        if (inBoundsBytes < chunkSizeBytes) {
            buffer.clear().position(inBoundsBytes);
            while (buffer.hasRemaining()) {
                buffer.put(options.undefinedTailByte());
            }
        }
        io.submitRead(d.device, sector, buffer.duplicate().clear().limit(inBoundsBytes), error -> {
            clear.afterReadDone(d.dirty, chunk);
            reads.readDone(block, error);
        });
        return block;
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

    private void send(Block b, SliceBudget budget) throws IOException {
        int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
        if (b.knownZero()) {
            // a hole: a zero block, or a chunk of zeros from the shared buffer, never read from disk
            Record r = options.zeroBlocks() ? new Record.ZeroBlock(b.sector, b.device.name)
                    : new Record.DeviceBlock(b.sector, b.device.name, Zeros.chunk(chunkSizeBytes));
            sent(r, budget);
            return;
        }
        if (b.zeroCopy()) {
            out.writeFileBlock(b.sector, b.device.name, b.file, b.sector * Disk.SECTOR_SIZE_BYTES, inBoundsBytes, budget);
            stats.dataChunksSent++;
            io.wrote(Record.deviceBlockWireBytes(b.device.name, chunkSizeBytes));
            return;
        }
        try {
            if (b.error != null) {
                reads.throwReadError();
            }
            ByteBuffer data = b.buffer.duplicate().clear();
            boolean zero = options.zeroBlocks()
                    && Zeros.isZero(data.slice(0, policies.zeroDetection().probeBytes(inBoundsBytes, chunkSizeBytes)));
            sent(zero ? new Record.ZeroBlock(b.sector, b.device.name) : new Record.DeviceBlock(b.sector, b.device.name, data),
                    budget);
        } finally {
            buffers.release(b.buffer);
        }
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
