// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.IoContext;

/**
 * The block migration sender of docs/PROTOCOL.md as a phase machine: setup, iterate, pending, complete,
 * cancel. Where algorithms differ it asks its {@link SenderPolicies}; its devices and their cursors
 * are a {@link DeviceSet}; reading chunks and sending blocks is the {@link DataPath}'s, whose
 * {@link ReadTracker} holds the state shared with read completions and whose {@link BufferPool}
 * bounds its memory.
 *
 * <p>Threads: every public method runs on the migration thread; read completions run on the
 * simulation thread or on reader threads and touch only the read tracker.
 */
public final class BlockMigrationSender {
    private enum Phase { CREATED, LIVE, ENDED }

    private final List<BlockDevice> candidates;
    private final IoContext io;
    private final SenderOptions options;
    private final SenderPolicies policies;
    private final int chunkSizeBytes;
    private final long sectorsPerChunk;
    private final SenderStats stats = new SenderStats();
    private final RecordOutput out;
    private final DataPath data;
    private final ReadTracker reads;

    // migration thread only
    private DeviceSet devices;
    private Phase phase = Phase.CREATED;
    private boolean bulkCompleted;
    private long previousProgress = -1;
    // blocks sent before the open iterate payload began; -1 while none is open (its blocks reach the wire at its end)
    private long blocksBeforeOpenPayload = -1;

    public BlockMigrationSender(List<BlockDevice> devices, IoContext io, PayloadSink sink, SenderOptions options) {
        this.candidates = List.copyOf(devices);
        this.io = io;
        this.options = options;
        this.policies = options.policies();
        this.chunkSizeBytes = options.chunkSizeBytes();
        this.sectorsPerChunk = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
        this.devices = new DeviceSet(List.of(), chunkSizeBytes);
        RecordOutput o = new RecordOutput.Charged(sink, stats, chunkSizeBytes, policies.budgetCharge());
        RecordOutput.SenderView view = new RecordOutput.SenderView(() -> bulkCompleted, () -> this.devices.blockDevices(),
                chunkSizeBytes);
        for (SenderPolicies.WireFault f : policies.wireFaults()) {
            o = f.wrap(o, view);
        }
        this.out = o;
        this.data = new DataPath(io, options, o, stats);
        this.reads = data.reads;
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
        return devices.all().stream().map(d -> d.name).toList();
    }

    /** Chunk buffers in use now (reads in flight plus blocks waiting to be sent). */
    public int buffersInUse() {
        return data.buffers.inUse();
    }

    public int peakBuffersInUse() {
        return data.buffers.peakInUse();
    }

    public int buffersAllocated() {
        return data.buffers.allocated();
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
        devices = new DeviceSet(policies.deviceScan().select(candidates), chunkSizeBytes);
        stats.devices = devices.all().size();
        stats.totalBytes = devices.totalSectors() * Disk.SECTOR_SIZE_BYTES;
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
        out.chargeSlice(budget);
        out.begin(SectionType.PART);
        blocksBeforeOpenPayload = sentBefore;
        devices.resetDirtyCursors();
        data.flush(budget);
        submitReads(budget);
        io.loopStep(IoContext.LoopPhase.SUBMIT_LOOP); // reads that finish now are the final flush's
        data.flush(budget);
        out.write(Record.EndOfSection.INSTANCE, budget);
        out.end();
        blocksBeforeOpenPayload = -1;
        out.chargeSlice(null);
        stats.iterations++;
        return stats.dataChunksSent + stats.zeroChunksSent > sentBefore || stats.readsSubmitted > readsBefore;
    }

    /** Submits reads, bulk then dirty, while the submission policy allows and there is a chunk to read. */
    private void submitReads(SliceBudget budget) throws IOException {
        while (data.maySubmit(budget)) {
            if (!bulkCompleted) {
                if (!saveBulkedBlock()) {
                    bulkCompleted = true;
                    stats.bulkCompletedAtNanos = io.nowNanos();
                }
            } else if (!saveDirtyBlock(budget, true)) {
                break;
            }
        }
    }

    /** One bulk read; false once every device's bulk pass is done. Emits PROGRESS when the percent changes. */
    private boolean saveBulkedBlock() throws IOException {
        MigratedDevice d = devices.bulkDevice();
        if (d != null) {
            d.bulkCompleted = saveDeviceBulk(d);
        }
        long progress = devices.progressPercent();
        if (progress != previousProgress) {
            previousProgress = progress;
            out.write(new Record.Progress(progress), null);
        }
        return d != null;
    }

    /** Submits the read of the next bulk chunk of d; true when d's bulk pass is done. */
    private boolean saveDeviceBulk(MigratedDevice d) {
        long cur = devices.nextBulkSector(d, options.sharedBase(), policies.allocation());
        if (cur >= d.totalSectors) {
            d.bulkCursorSector = d.completedSectors = d.totalSectors;
            return true;
        }
        d.completedSectors = cur;
        cur -= cur % sectorsPerChunk;
        data.read(d, cur, false);
        d.bulkCursorSector = cur + sectorsPerChunk;
        stats.bulkChunksRead++;
        return d.bulkCursorSector >= d.totalSectors;
    }

    /**
     * Finds the next dirty chunk from the cursors and reads it (async) or reads and sends it
     * (sync); false when no device has one left before its cursor's end.
     */
    private boolean saveDirtyBlock(SliceBudget budget, boolean async) throws IOException {
        // the final copy (sync) walks the devices in the final-copy policy's order: the list's, as QEMU's
        for (MigratedDevice d : async ? devices.all() : policies.finalCopy().walkOrder(devices.all())) {
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
            BooleanSupplier settled = chunk < 0 ? policies.inFlightConflict().settledAtEnd(reads, d, d.dirtyCursorChunk)
                    : policies.inFlightConflict().settled(reads, d, d.dirtyCursorChunk, chunk);
            if (settled != null) {
                io.awaitUntil(settled);
                reads.throwReadError();
            }
            if (chunk < 0) {
                d.dirtyCursorChunk = chunkCount;
                return false;
            }
            d.dirtyCursorChunk = chunk + 1;
            if (!d.dirty.test(chunk)) {
                continue;
            }
            Block b = data.read(d, chunk * sectorsPerChunk, true);
            stats.dirtyChunksRead++;
            if (async) {
                policies.dirtyClear().afterDirtyWalkSubmit(d.dirty, chunk);
            } else {
                data.sendWhenRead(b, budget);
            }
            return true;
        }
        return false;
    }

    // ---- pending ----

    /** Bytes still to send, by the pending policy: dirty chunks, buffered and in-flight reads, maybe the bulk rest. */
    public long pendingBytes(long thresholdBytes) {
        long bufferedBytes = (long) reads.bufferedChunks() * chunkSizeBytes;
        return policies.pending().pendingBytes(bufferedBytes, dirtyBytes(), devices.remainingBulkBytes(), bulkCompleted,
                thresholdBytes, chunkSizeBytes);
    }

    /**
     * Chunks being read, read but unsent, being written, or sent in the payload still open (its end puts
     * them on the wire); an open payload counts one at least, since within it a read may be on its way
     * to being counted (a submission takes time, during which the guest runs).
     */
    public int chunksUnsent() {
        long inOpenPayload = blocksBeforeOpenPayload < 0 ? 0
                : Math.max(1, stats.dataChunksSent + stats.zeroChunksSent - blocksBeforeOpenPayload);
        return reads.bufferedChunks() + data.blocksInSend() + (int) inOpenPayload;
    }

    /** Bytes of dirty chunks, as the bitmaps count them now. */
    public long dirtyBytes() {
        return devices.dirtyBytes();
    }

    // ---- complete ----

    /** With the guest stopped: drain, send every dirty chunk, PROGRESS 100, EOS. Ends dirty tracking. */
    public void complete() throws IOException {
        checkLive();
        reads.throwReadError();
        Invariant.check(bulkCompleted || !policies.pending().guardsBulkPass(),
                "complete before the bulk pass ended, though the pending policy guards it");
        out.begin(SectionType.END);
        data.flush(null);
        policies.drain().beforeFinalCopy(() -> {
            io.awaitUntil(reads::noneInFlight);
            reads.throwReadError();
            data.flush(null);
        });
        devices.resetDirtyCursors();
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
        try {
            io.awaitUntil(reads::noneInFlight);
        } catch (IOException e) {
            // nothing left to run: the reads are gone with the simulation
        }
        stats.cancelled = true;
        end();
    }

    private void end() {
        phase = Phase.ENDED;
        for (MigratedDevice d : devices.all()) {
            policies.tracking().end(d.device, d.dirty);
        }
        stats.buffersHeldAtEnd = data.end();
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
