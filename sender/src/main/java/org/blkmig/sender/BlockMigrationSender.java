// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.IoContext;
import org.blkmig.simdisk.Zeros;

/**
 * The block migration sender of PROTOCOL.md: setup, iterate, pending, complete, cancel.
 *
 * <p>Threads: every public method runs on the migration thread. Read completions run on the
 * simulation thread or on reader threads; they touch only the state marked "guarded by lock",
 * and the migration thread takes {@code lock} to read it.
 */
public final class BlockMigrationSender {
    /** The sectors QEMU asks about per allocation query in shared-base mode. */
    private static final long MAX_ALLOCATION_SEARCH_SECTORS = 65_536;
    /** Bytes past a device's end in its last chunk are undefined; this makes them visible. */
    private static final byte UNDEFINED_TAIL_BYTE = (byte) 0xEE;

    private static final class Device {
        final BlockDevice device;
        final byte[] nameBytes;
        final long totalSectors;
        final DirtyBitmap dirty;
        final BitSet readInFlight = new BitSet(); // by chunk; guarded by lock
        long bulkCursorSector;
        long completedSectors;
        boolean bulkCompleted;
        long dirtyCursorChunk;

        Device(BlockDevice device, DirtyBitmap dirty) {
            this.device = device;
            this.nameBytes = device.name().getBytes(StandardCharsets.UTF_8);
            this.totalSectors = device.sizeSectors();
            this.dirty = dirty;
        }
    }

    private static final class Block {
        final Device device;
        final long sector;
        final long chunk;
        final int sectorCount;
        final ByteBuffer buffer; // null for a zero-copy block
        final java.nio.channels.FileChannel file; // the source of a zero-copy block, else null
        IOException error; // guarded by lock

        Block(Device device, long sector, long chunk, int sectorCount, ByteBuffer buffer, java.nio.channels.FileChannel file) {
            this.device = device;
            this.sector = sector;
            this.chunk = chunk;
            this.sectorCount = sectorCount;
            this.buffer = buffer;
            this.file = file;
        }
    }

    private final List<BlockDevice> candidates;
    private final IoContext io;
    private final PayloadSink sink;
    private final SenderOptions options;
    private final int chunkSizeBytes;
    private final long sectorsPerChunk;
    private final List<Device> devices = new ArrayList<>();
    private final Object lock = new Object();

    // guarded by lock
    private final ArrayDeque<Block> completed = new ArrayDeque<>();
    private int submitted;
    private int readDone;
    private final ArrayDeque<ByteBuffer> freeBuffers = new ArrayDeque<>();
    private int buffersAllocated;
    private int buffersInUse;
    private int peakBuffersInUse;
    private int zeroCopyQueued; // zero-copy blocks waiting to be sent: bounded like buffers
    private IOException firstReadError;

    // migration thread only
    private long totalSectorSum;
    private long previousProgress = -1;
    private boolean bulkCompleted;
    private boolean setupDone;
    private boolean finished;
    private final SenderStats stats = new SenderStats();

    public BlockMigrationSender(List<BlockDevice> devices, IoContext io, PayloadSink sink, SenderOptions options) {
        this.candidates = List.copyOf(devices);
        this.io = io;
        this.sink = sink;
        this.options = options;
        this.chunkSizeBytes = options.chunkSizeBytes();
        this.sectorsPerChunk = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
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
        return devices.stream().map(d -> d.device.name()).toList();
    }

    /** Chunk buffers in use now (reads in flight plus blocks waiting to be sent). */
    public int buffersInUse() {
        synchronized (lock) {
            return buffersInUse;
        }
    }

    public int peakBuffersInUse() {
        synchronized (lock) {
            return peakBuffersInUse;
        }
    }

    public int buffersAllocated() {
        synchronized (lock) {
            return buffersAllocated;
        }
    }

    /** Bytes of buffers the sender holds at most. */
    public long bufferBoundBytes() {
        return (long) options.maxBufferedChunks() * chunkSizeBytes;
    }

    // ---- setup ----

    /** Picks the devices, starts dirty tracking, writes the START payload (just EOS). */
    public void setup() throws IOException {
        if (setupDone) {
            throw new IllegalStateException("setup twice");
        }
        setupDone = true;
        for (BlockDevice d : candidates) {
            if (d.sizeSectors() <= 0) {
                if (options.has(SenderMutant.ZERO_SIZE_ENDS_SCAN)) {
                    break;
                }
                continue; // an empty drive: nothing to migrate, and the scan goes on
            }
            if (d.readOnly()) {
                continue;
            }
            Device dev = new Device(d, d.createDirtyBitmap(chunkSizeBytes));
            devices.add(dev);
            totalSectorSum += dev.totalSectors;
        }
        stats.devices = devices.size();
        stats.totalBytes = totalSectorSum * Disk.SECTOR_SIZE_BYTES;
        sink.beginPayload(SectionType.START);
        writeRecord(Record.EndOfSection.INSTANCE, 8, null);
        sink.endPayload();
    }

    // ---- iterate ----

    /**
     * One iterate payload: sends completed blocks while the budget allows, submits reads while
     * the buffered plus in-flight chunks fit the budget, sends again, ends with EOS. Returns
     * whether it sent a block or submitted a read: if not, only waiting can help.
     */
    public boolean iterate(SliceBudget budget) throws IOException {
        long sentBefore = stats.dataChunksSent + stats.zeroChunksSent;
        long readsBefore = stats.readsSubmitted;
        checkLive();
        throwReadError();
        sink.beginPayload(SectionType.PART);
        resetDirtyCursors();
        flushBlocks(budget);
        while (canSubmit(budget)) {
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
        if (options.has(SenderMutant.PROGRESS_BACKWARDS) && bulkCompleted && previousProgress > 0) {
            writeRecord(new Record.Progress(previousProgress - 1), 8, budget);
        }
        if (!(options.has(SenderMutant.MISSING_EOS) && bulkCompleted)) {
            writeRecord(Record.EndOfSection.INSTANCE, 8, budget);
        }
        sink.endPayload();
        stats.iterations++;
        return stats.dataChunksSent + stats.zeroChunksSent > sentBefore || stats.readsSubmitted > readsBefore;
    }

    private boolean canSubmit(SliceBudget budget) {
        synchronized (lock) {
            long buffered = (long) (submitted + readDone) * chunkSizeBytes;
            return buffered < budget.remainingBytes() && submitted < options.maxReadsInFlight()
                    && buffersInUse + zeroCopyQueued < options.maxBufferedChunks();
        }
    }

    /** One bulk read; false once every device's bulk pass is done. Emits PROGRESS when the percent changes. */
    private boolean saveBulkedBlock() throws IOException {
        long completedSum = 0;
        boolean found = false;
        for (Device d : devices) {
            if (!d.bulkCompleted) {
                if (saveDeviceBulk(d)) {
                    d.bulkCompleted = true;
                }
                completedSum += d.completedSectors;
                found = true;
                break;
            }
            completedSum += d.completedSectors;
        }
        long progress = totalSectorSum == 0 ? 100 : completedSum * 100 / totalSectorSum;
        if (progress != previousProgress) {
            previousProgress = progress;
            writeRecord(new Record.Progress(progress), 8, null);
        }
        return found;
    }

    /** Submits the read of the next bulk chunk of d; true when d's bulk pass is done. */
    private boolean saveDeviceBulk(Device d) throws IOException {
        long cur = d.bulkCursorSector;
        if (options.sharedBase()) {
            while (cur < d.totalSectors) {
                Disk.Allocation a = d.device.disk().allocation(cur, MAX_ALLOCATION_SEARCH_SECTORS);
                boolean allocated = a.state() == Disk.State.DATA
                        || (a.state() == Disk.State.ZERO && !options.has(SenderMutant.ZERO_CLUSTERS_UNALLOCATED));
                if (allocated || a.sectorCount() <= 0) {
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
        submitRead(d, cur);
        d.bulkCursorSector = cur + sectorsPerChunk;
        stats.bulkChunksRead++;
        return d.bulkCursorSector >= d.totalSectors;
    }

    /** Clears the chunk's dirty bit, then reads it (the order that makes a racing write visible). */
    private Block submitRead(Device d, long sector) {
        long chunk = sector / sectorsPerChunk;
        int count = (int) Math.min(sectorsPerChunk, d.totalSectors - sector);
        java.nio.channels.FileChannel file = options.zeroCopy() && !options.zeroBlocks() ? d.device.disk().zeroCopyChannel() : null;
        if (file != null) {
            // zero copy: the data is taken when the block is written out, after the clear
            d.dirty.clear(chunk);
            Block block = new Block(d, sector, chunk, count, null, file);
            synchronized (lock) {
                completed.add(block);
                readDone++;
                zeroCopyQueued++;
            }
            stats.readsSubmitted++;
            return block;
        }
        ByteBuffer buffer;
        synchronized (lock) {
            buffer = takeBuffer();
            submitted++;
            d.readInFlight.set((int) chunk);
        }
        int inBoundsBytes = count * Disk.SECTOR_SIZE_BYTES;
        if (inBoundsBytes < chunkSizeBytes) {
            buffer.clear().position(inBoundsBytes);
            while (buffer.hasRemaining()) {
                buffer.put(UNDEFINED_TAIL_BYTE);
            }
        }
        Block block = new Block(d, sector, chunk, count, buffer, null);
        boolean clearAfter = options.has(SenderMutant.CLEAR_AFTER_READ);
        if (!clearAfter) {
            d.dirty.clear(chunk);
        }
        stats.readsSubmitted++;
        io.submitRead(d.device, sector, buffer.duplicate().clear().limit(inBoundsBytes), error -> {
            if (clearAfter) {
                d.dirty.clear(chunk);
            }
            synchronized (lock) {
                block.error = error;
                if (error != null && firstReadError == null) {
                    firstReadError = new IOException("read of " + d.device.name() + " sector " + sector
                            + " failed: " + error.getMessage(), error);
                }
                d.readInFlight.clear((int) chunk);
                submitted--;
                readDone++;
                completed.add(block);
            }
        });
        return block;
    }

    private ByteBuffer takeBuffer() {
        ByteBuffer b = freeBuffers.poll();
        if (b == null) {
            if (buffersAllocated >= options.maxBufferedChunks()) {
                throw new IllegalStateException("buffer bound exceeded: " + buffersAllocated);
            }
            b = ByteBuffer.allocateDirect(chunkSizeBytes);
            buffersAllocated++;
        }
        buffersInUse++;
        peakBuffersInUse = Math.max(peakBuffersInUse, buffersInUse);
        return b;
    }

    private void releaseBuffer(ByteBuffer b) {
        synchronized (lock) {
            buffersInUse--;
            freeBuffers.push(b);
        }
    }

    private void resetDirtyCursors() {
        for (Device d : devices) {
            d.dirtyCursorChunk = 0;
        }
    }

    /**
     * Finds the next dirty chunk from the cursors and reads it (async) or reads and sends it
     * (sync); false when no device has one left before its cursor's end.
     */
    private boolean saveDirtyBlock(SliceBudget budget, boolean async) throws IOException {
        for (Device d : devices) {
            if (saveDeviceDirty(d, budget, async)) {
                return true;
            }
        }
        return false;
    }

    private boolean saveDeviceDirty(Device d, SliceBudget budget, boolean async) throws IOException {
        long chunkCount = d.dirty.chunkCount();
        while (d.dirtyCursorChunk < chunkCount) {
            long chunk = d.dirty.nextDirty(d.dirtyCursorChunk);
            if (chunk < 0) {
                d.dirtyCursorChunk = chunkCount;
                return false;
            }
            if (!options.has(SenderMutant.TWO_READS_IN_FLIGHT) && inFlight(d, chunk)) {
                // never two reads of one chunk: the older could complete last with stale data
                io.awaitUntil(() -> !inFlight(d, chunk));
                throwReadError();
            }
            d.dirtyCursorChunk = chunk + 1;
            if (!d.dirty.test(chunk)) {
                continue;
            }
            Block b = submitRead(d, chunk * sectorsPerChunk);
            if (async && options.has(SenderMutant.DIRTY_BIT_KEPT)) {
                d.dirty.set(chunk);
            }
            stats.dirtyChunksRead++;
            if (!async) {
                io.awaitUntil(() -> isCompleted(b));
                throwReadError();
                synchronized (lock) {
                    completed.remove(b);
                    readDone--;
                }
                sendBlock(b, budget);
            }
            return true;
        }
        return false;
    }

    private boolean inFlight(Device d, long chunk) {
        synchronized (lock) {
            return d.readInFlight.get((int) chunk);
        }
    }

    private boolean isCompleted(Block b) {
        synchronized (lock) {
            return completed.contains(b);
        }
    }

    /** Sends completed blocks in completion order while the budget allows (always, if null). */
    private void flushBlocks(SliceBudget budget) throws IOException {
        while (budget == null || !budget.exhausted()) {
            Block b;
            synchronized (lock) {
                b = completed.poll();
                if (b == null) {
                    return;
                }
                readDone--;
            }
            sendBlock(b, budget);
        }
    }

    private void sendBlock(Block b, SliceBudget budget) throws IOException {
        if (b.file != null) {
            synchronized (lock) {
                zeroCopyQueued--;
            }
            String name = b.device.device.name();
            int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
            sink.writeFileBlock(b.sector, name, b.file, b.sector * Disk.SECTOR_SIZE_BYTES, inBoundsBytes, chunkSizeBytes);
            long wireBytes = 8 + 1 + b.device.nameBytes.length + chunkSizeBytes;
            stats.bytesSent += wireBytes;
            stats.dataChunksSent++;
            if (budget != null) {
                budget.consume(wireBytes);
            }
            return;
        }
        try {
            if (b.error != null) {
                throwReadError();
            }
            int inBoundsBytes = b.sectorCount * Disk.SECTOR_SIZE_BYTES;
            ByteBuffer data = b.buffer.duplicate().clear();
            boolean zero = false;
            if (options.zeroBlocks()) {
                int probeBytes = options.has(SenderMutant.ZERO_FLAG_ON_DATA) ? Math.min(4096, inBoundsBytes) : inBoundsBytes;
                zero = Zeros.isZero(data.slice(0, probeBytes));
            }
            long sector = b.sector;
            if (options.has(SenderMutant.UNALIGNED_SECTOR) && bulkCompleted) {
                sector += 1;
            }
            String name = b.device.device.name();
            int head = 8 + 1 + b.device.nameBytes.length;
            if (zero) {
                writeRecord(new Record.ZeroBlock(sector, name), head, budget);
                stats.zeroChunksSent++;
            } else {
                writeRecord(new Record.DeviceBlock(sector, name, data), head + chunkSizeBytes, budget);
                stats.dataChunksSent++;
            }
        } finally {
            releaseBuffer(b.buffer);
        }
    }

    private void writeRecord(Record r, long wireBytes, SliceBudget budget) throws IOException {
        sink.write(r);
        stats.bytesSent += wireBytes;
        if (budget != null) {
            budget.consume(wireBytes);
        }
    }

    // ---- pending ----

    /**
     * Bytes still to send: dirty chunks plus buffered and in-flight reads. Until the bulk pass is
     * done it is kept above the threshold, so the controller cannot complete before every chunk
     * was read once.
     */
    public long pendingBytes(long thresholdBytes) {
        long buffered;
        synchronized (lock) {
            buffered = (long) (submitted + readDone) * chunkSizeBytes;
        }
        long pending = buffered + dirtyBytes();
        if (!bulkCompleted) {
            if (options.has(SenderMutant.EARLY_COMPLETION)) {
                if (pending == 0) {
                    pending = chunkSizeBytes;
                }
            } else {
                pending += remainingBulkBytes();
                if (pending <= thresholdBytes) {
                    pending = thresholdBytes + chunkSizeBytes;
                }
            }
        }
        return pending;
    }

    /** Bytes of dirty chunks, as the bitmaps count them now. */
    public long dirtyBytes() {
        long chunks = 0;
        for (Device d : devices) {
            chunks += d.dirty.count();
        }
        return chunks * chunkSizeBytes;
    }

    private long remainingBulkBytes() {
        long sectors = 0;
        for (Device d : devices) {
            sectors += d.totalSectors - Math.min(d.totalSectors, d.bulkCursorSector);
        }
        return sectors * Disk.SECTOR_SIZE_BYTES;
    }

    // ---- complete ----

    /** With the guest stopped: drain, send every dirty chunk, PROGRESS 100, EOS. Ends dirty tracking. */
    public void complete() throws IOException {
        checkLive();
        throwReadError();
        if (!bulkCompleted && !options.has(SenderMutant.EARLY_COMPLETION)) {
            throw new IllegalStateException("complete before the bulk phase ended");
        }
        sink.beginPayload(SectionType.END);
        flushBlocks(null);
        if (!options.has(SenderMutant.COMPLETE_WITHOUT_DRAIN)) {
            io.awaitUntil(() -> {
                synchronized (lock) {
                    return submitted == 0;
                }
            });
            throwReadError();
            flushBlocks(null);
        }
        resetDirtyCursors();
        while (saveDirtyBlock(null, false)) {
            // every chunk still dirty, read and sent synchronously
        }
        writeRecord(new Record.Progress(100), 8, null);
        writeRecord(Record.EndOfSection.INSTANCE, 8, null);
        sink.endPayload();
        if (options.has(SenderMutant.BLOCK_AFTER_END) && !devices.isEmpty()) {
            Device d = devices.get(0);
            sink.beginPayload(SectionType.PART);
            ByteBuffer data = ByteBuffer.allocate(chunkSizeBytes);
            d.device.read(0, data.slice(0, (int) Math.min(sectorsPerChunk, d.totalSectors) * Disk.SECTOR_SIZE_BYTES));
            writeRecord(new Record.DeviceBlock(0, d.device.name(), data), 8 + 1 + d.nameBytes.length + chunkSizeBytes, null);
            writeRecord(Record.EndOfSection.INSTANCE, 8, null);
            sink.endPayload();
        }
        stats.completed = true;
        cleanup();
    }

    // ---- cancel ----

    /** Stops: waits for reads in flight (they cannot be recalled), frees buffers, ends dirty tracking. */
    public void cancel() {
        if (finished) {
            return;
        }
        try {
            io.awaitUntil(() -> {
                synchronized (lock) {
                    return submitted == 0;
                }
            });
        } catch (IOException e) {
            // nothing left to run: the reads are gone with the simulation
        }
        stats.cancelled = true;
        cleanup();
    }

    private void cleanup() {
        finished = true;
        for (Device d : devices) {
            if (!options.has(SenderMutant.TRACKING_LEFT_ON)) {
                d.device.releaseDirtyBitmap(d.dirty);
            }
        }
        synchronized (lock) {
            for (Block b : completed) {
                if (b.buffer != null) {
                    buffersInUse--;
                    freeBuffers.push(b.buffer);
                }
            }
            zeroCopyQueued = 0;
            completed.clear();
            readDone = 0;
            freeBuffers.clear();
            buffersAllocated = 0;
            stats.buffersHeldAtEnd = buffersInUse;
        }
    }

    public boolean finished() {
        return finished;
    }

    private void checkLive() {
        if (!setupDone || finished) {
            throw new IllegalStateException(finished ? "the migration has ended" : "setup not done");
        }
    }

    private void throwReadError() throws IOException {
        synchronized (lock) {
            if (firstReadError != null) {
                throw firstReadError;
            }
        }
    }
}
