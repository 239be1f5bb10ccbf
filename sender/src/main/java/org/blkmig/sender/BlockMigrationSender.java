// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.IoContext;
import org.blkmig.simdisk.Zeros;

/**
 * The block migration sender of PROTOCOL.md as a phase machine: setup, iterate, pending, complete,
 * cancel. Where algorithms differ it asks its {@link SenderPolicies}; the state it shares with
 * read completions is the {@link ReadTracker}'s, its buffers the {@link BufferPool}'s.
 *
 * <p>Threads: every public method runs on the migration thread; read completions run on the
 * simulation thread or on reader threads and touch only the read tracker.
 */
public final class BlockMigrationSender {
    /** The sectors QEMU asks about per allocation query in shared-base mode. */
    private static final long MAX_ALLOCATION_SEARCH_SECTORS = 65_536;
    /** Bytes past a device's end in its last chunk are undefined; this makes them visible. */
    private static final byte UNDEFINED_TAIL_BYTE = (byte) 0xEE;

    private enum Phase { CREATED, LIVE, ENDED }

    private final List<BlockDevice> candidates;
    private final IoContext io;
    private final SenderOptions options;
    private final SenderPolicies policies;
    private final int chunkSizeBytes;
    private final long sectorsPerChunk;
    private final List<MigratedDevice> devices = new ArrayList<>();
    private final BufferPool buffers;
    private final SenderStats stats = new SenderStats();
    private final RecordOutput out;
    private ReadTracker reads;

    // migration thread only
    private Phase phase = Phase.CREATED;
    private boolean bulkCompleted;
    private long totalSectorSum;
    private long previousProgress = -1;

    public BlockMigrationSender(List<BlockDevice> devices, IoContext io, PayloadSink sink, SenderOptions options) {
        this.candidates = List.copyOf(devices);
        this.io = io;
        this.options = options;
        this.policies = options.policies();
        this.chunkSizeBytes = options.chunkSizeBytes();
        this.sectorsPerChunk = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
        this.buffers = new BufferPool(chunkSizeBytes, options.maxBufferedChunks());
        RecordOutput o = new RecordOutput.Charged(sink, stats, chunkSizeBytes);
        RecordOutput.SenderView view = new RecordOutput.SenderView() {
            @Override
            public boolean dirtyPhase() {
                return bulkCompleted;
            }

            @Override
            public List<BlockDevice> devices() {
                return BlockMigrationSender.this.devices.stream().map(d -> d.device).toList();
            }

            @Override
            public int chunkSizeBytes() {
                return chunkSizeBytes;
            }
        };
        for (SenderPolicies.WireFault f : policies.wireFaults()) {
            o = f.wrap(o, view);
        }
        this.out = o;
    }

    public SenderStats stats() {
        return stats;
    }

    /** The last progress percent sent (0 before any). */
    public long progressPercent() {
        return Math.max(0, previousProgress);
    }

    public boolean bulkCompleted() {
        return bulkCompleted;
    }

    /** The names of the devices being migrated, in order. */
    public List<String> migratedDevices() {
        return devices.stream().map(d -> d.name).toList();
    }

    /** Chunk buffers in use now (reads in flight plus blocks waiting to be sent). */
    public int buffersInUse() {
        return buffers.inUse();
    }

    public int peakBuffersInUse() {
        return buffers.peakInUse();
    }

    public int buffersAllocated() {
        return buffers.allocated();
    }

    /** Bytes of buffers the sender holds at most. */
    public long bufferBoundBytes() {
        return (long) options.maxBufferedChunks() * chunkSizeBytes;
    }

    // ---- setup ----

    /** Picks the devices, starts dirty tracking, writes the START payload (just EOS). */
    public void setup() throws IOException {
        if (phase != Phase.CREATED) {
            throw new IllegalStateException("setup twice");
        }
        phase = Phase.LIVE;
        for (BlockDevice d : policies.deviceScan().select(candidates)) {
            MigratedDevice dev = new MigratedDevice(devices.size(), d, d.createDirtyBitmap(chunkSizeBytes));
            devices.add(dev);
            totalSectorSum += dev.totalSectors;
        }
        reads = new ReadTracker(devices.size(), policies.oneReadPerChunk());
        stats.devices = devices.size();
        stats.totalBytes = totalSectorSum * Disk.SECTOR_SIZE_BYTES;
        out.begin(SectionType.START);
        out.write(Record.EndOfSection.INSTANCE, null);
        out.end();
    }

    // ---- iterate ----

    /**
     * One iterate payload: sends completed blocks while the budget allows, submits reads while the
     * submission policy allows, sends again, ends with EOS. Returns whether it sent a block or
     * submitted a read: if not, only waiting can help.
     */
    public boolean iterate(SliceBudget budget) throws IOException {
        long sentBefore = stats.dataChunksSent + stats.zeroChunksSent;
        long readsBefore = stats.readsSubmitted;
        checkLive();
        reads.throwReadError();
        out.begin(SectionType.PART);
        resetDirtyCursors();
        flushBlocks(budget);
        while (reads.maySubmit(policies.submission(), budget.remainingBytes(), chunkSizeBytes, options, buffers)) {
            if (!bulkCompleted) {
                if (!saveBulkedBlock()) {
                    bulkCompleted = true;
                    stats.bulkCompletedAtNanos = io.nowNanos();
                }
            } else if (!saveDirtyBlock(budget, true)) {
                break;
            }
        }
        flushBlocks(budget);
        out.write(Record.EndOfSection.INSTANCE, budget);
        out.end();
        stats.iterations++;
        return stats.dataChunksSent + stats.zeroChunksSent > sentBefore || stats.readsSubmitted > readsBefore;
    }

    /** One bulk read; false once every device's bulk pass is done. Emits PROGRESS when the percent changes. */
    private boolean saveBulkedBlock() throws IOException {
        long completedSum = 0;
        boolean found = false;
        for (MigratedDevice d : devices) {
            if (!d.bulkCompleted) {
                d.bulkCompleted = saveDeviceBulk(d);
                completedSum += d.completedSectors;
                found = true;
                break;
            }
            completedSum += d.completedSectors;
        }
        long progress = totalSectorSum == 0 ? 100 : completedSum * 100 / totalSectorSum;
        Invariant.check(progress >= 0 && progress <= 100, () -> "progress " + progress + "% outside 0..100");
        if (progress != previousProgress) {
            previousProgress = progress;
            out.write(new Record.Progress(progress), null);
        }
        return found;
    }

    /** Submits the read of the next bulk chunk of d; true when d's bulk pass is done. */
    private boolean saveDeviceBulk(MigratedDevice d) {
        long cur = d.bulkCursorSector;
        if (options.sharedBase()) {
            while (cur < d.totalSectors) {
                Disk.Allocation a = d.device.disk().allocation(cur, MAX_ALLOCATION_SEARCH_SECTORS);
                if (policies.allocation().migrates(a.state()) || a.sectorCount() <= 0) {
                    break;
                }
                cur += a.sectorCount();
            }
        }
        if (cur >= d.totalSectors) {
            d.bulkCursorSector = d.completedSectors = d.totalSectors;
            return true;
        }
        d.completedSectors = cur;
        cur -= cur % sectorsPerChunk;
        submitRead(d, cur, false);
        d.bulkCursorSector = cur + sectorsPerChunk;
        stats.bulkChunksRead++;
        return d.bulkCursorSector >= d.totalSectors;
    }

    /** Clears the chunk's dirty bit, then reads it (the order that makes a racing write visible). */
    private Block submitRead(MigratedDevice d, long sector, boolean dirtyPhaseRead) {
        long chunk = sector / sectorsPerChunk;
        int count = (int) Math.min(sectorsPerChunk, d.totalSectors - sector);
        Invariant.check(sector % sectorsPerChunk == 0 && count > 0, () -> "read of " + d.name + " at sector " + sector);
        FileChannel file = options.zeroCopy() && !options.zeroBlocks() ? d.device.disk().zeroCopyChannel() : null;
        if (file != null) {
            // zero copy: the data is taken when the block is written out, after this clear
            d.dirty.clear(chunk);
            Block block = new Block(d, sector, chunk, count, null, file);
            reads.queueZeroCopy(block);
            stats.readsSubmitted++;
            return block;
        }
        Block block = new Block(d, sector, chunk, count, buffers.take(), null);
        reads.submitting(block, policies.inFlightMarking().marks(dirtyPhaseRead));
        int inBoundsBytes = count * Disk.SECTOR_SIZE_BYTES;
        ByteBuffer buffer = block.buffer;
        if (inBoundsBytes < chunkSizeBytes) {
            buffer.clear().position(inBoundsBytes);
            while (buffer.hasRemaining()) {
                buffer.put(UNDEFINED_TAIL_BYTE);
            }
        }
        SenderPolicies.DirtyClear clear = policies.dirtyClear();
        clear.beforeRead(d.dirty, chunk);
        stats.readsSubmitted++;
        io.submitRead(d.device, sector, buffer.duplicate().clear().limit(inBoundsBytes), error -> {
            clear.afterReadDone(d.dirty, chunk);
            reads.readDone(block, error);
        });
        return block;
    }

    private void resetDirtyCursors() {
        for (MigratedDevice d : devices) {
            d.dirtyCursorChunk = 0;
        }
    }

    /**
     * Finds the next dirty chunk from the cursors and reads it (async) or reads and sends it
     * (sync); false when no device has one left before its cursor's end.
     */
    private boolean saveDirtyBlock(SliceBudget budget, boolean async) throws IOException {
        for (MigratedDevice d : devices) {
            if (saveDeviceDirty(d, budget, async)) {
                return true;
            }
        }
        return false;
    }

    private boolean saveDeviceDirty(MigratedDevice d, SliceBudget budget, boolean async) throws IOException {
        long chunkCount = d.dirty.chunkCount();
        while (d.dirtyCursorChunk < chunkCount) {
            long chunk = d.dirty.nextDirty(d.dirtyCursorChunk);
            if (chunk < 0) {
                d.dirtyCursorChunk = chunkCount;
                return false;
            }
            BooleanSupplier settled = policies.inFlightConflict().settled(reads, d, chunk);
            if (settled != null) {
                io.awaitUntil(settled);
                reads.throwReadError();
            }
            d.dirtyCursorChunk = chunk + 1;
            if (!d.dirty.test(chunk)) {
                continue;
            }
            Block b = submitRead(d, chunk * sectorsPerChunk, true);
            if (async) {
                policies.dirtyClear().afterDirtyWalkSubmit(d.dirty, chunk);
            }
            stats.dirtyChunksRead++;
            if (!async) {
                io.awaitUntil(() -> reads.isDone(b));
                reads.throwReadError();
                reads.take(b);
                sendBlock(b, budget);
            }
            return true;
        }
        return false;
    }

    /** Sends completed blocks in completion order while the budget allows (always, if null). */
    private void flushBlocks(SliceBudget budget) throws IOException {
        while (budget == null || !budget.exhausted()) {
            Block b = reads.pollCompleted();
            if (b == null) {
                return;
            }
            sendBlock(b, budget);
        }
    }

    private void sendBlock(Block b, SliceBudget budget) throws IOException {
        int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
        if (b.zeroCopy()) {
            out.writeFileBlock(b.sector, b.device.name, b.file, b.sector * Disk.SECTOR_SIZE_BYTES, inBoundsBytes, budget);
            stats.dataChunksSent++;
            return;
        }
        try {
            if (b.error != null) {
                reads.throwReadError();
            }
            ByteBuffer data = b.buffer.duplicate().clear();
            boolean zero = options.zeroBlocks()
                    && Zeros.isZero(data.slice(0, policies.zeroDetection().probeBytes(inBoundsBytes, chunkSizeBytes)));
            if (zero) {
                out.write(new Record.ZeroBlock(b.sector, b.device.name), budget);
                stats.zeroChunksSent++;
            } else {
                out.write(new Record.DeviceBlock(b.sector, b.device.name, data), budget);
                stats.dataChunksSent++;
            }
        } finally {
            buffers.release(b.buffer);
        }
    }

    // ---- pending ----

    /** Bytes still to send, by the pending policy: dirty chunks, buffered and in-flight reads, maybe the bulk rest. */
    public long pendingBytes(long thresholdBytes) {
        long bufferedBytes = (long) reads.bufferedChunks() * chunkSizeBytes;
        return policies.pending().pendingBytes(bufferedBytes, dirtyBytes(), remainingBulkBytes(), bulkCompleted,
                thresholdBytes, chunkSizeBytes);
    }

    /** Bytes of dirty chunks, as the bitmaps count them now. */
    public long dirtyBytes() {
        long chunks = 0;
        for (MigratedDevice d : devices) {
            chunks += d.dirty.count();
        }
        return chunks * chunkSizeBytes;
    }

    private long remainingBulkBytes() {
        long sectors = 0;
        for (MigratedDevice d : devices) {
            sectors += d.totalSectors - Math.min(d.totalSectors, d.bulkCursorSector);
        }
        return sectors * Disk.SECTOR_SIZE_BYTES;
    }

    // ---- complete ----

    /** With the guest stopped: drain, send every dirty chunk, PROGRESS 100, EOS. Ends dirty tracking. */
    public void complete() throws IOException {
        checkLive();
        reads.throwReadError();
        Invariant.check(bulkCompleted || !policies.pending().guardsBulkPass(),
                "complete before the bulk pass ended, though the pending policy guards it");
        out.begin(SectionType.END);
        flushBlocks(null);
        policies.drain().beforeFinalCopy(() -> {
            io.awaitUntil(reads::noneInFlight);
            reads.throwReadError();
            flushBlocks(null);
        });
        resetDirtyCursors();
        while (saveDirtyBlock(null, false)) {
            // every chunk still dirty, read and sent synchronously
        }
        // the guest is stopped: nothing can dirty a chunk after the final copy's walk
        Invariant.check(dirtyBytes() == 0, () -> dirtyBytes() + " bytes dirty after the final copy");
        out.write(new Record.Progress(100), null);
        out.write(Record.EndOfSection.INSTANCE, null);
        out.end();
        stats.completed = true;
        end();
    }

    // ---- cancel ----

    /** Stops: waits for reads in flight (they cannot be recalled), frees buffers, ends dirty tracking. */
    public void cancel() {
        if (phase == Phase.ENDED) {
            return;
        }
        if (reads != null) {
            try {
                io.awaitUntil(reads::noneInFlight);
            } catch (IOException e) {
                // nothing left to run: the reads are gone with the simulation
            }
        }
        stats.cancelled = true;
        end();
    }

    private void end() {
        phase = Phase.ENDED;
        for (MigratedDevice d : devices) {
            policies.tracking().end(d.device, d.dirty);
        }
        stats.buffersHeldAtEnd = reads == null ? buffers.close() : reads.end(buffers);
    }

    public boolean finished() {
        return phase == Phase.ENDED;
    }

    private void checkLive() {
        if (phase != Phase.LIVE) {
            throw new IllegalStateException(phase == Phase.ENDED ? "the migration has ended" : "setup not done");
        }
    }
}
