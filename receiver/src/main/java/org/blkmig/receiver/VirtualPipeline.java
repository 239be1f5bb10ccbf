// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blkmig.protocol.Wire;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SimScheduler;

/**
 * The write pipeline in virtual time: the same buffers, order, writeback and failures as the
 * threaded one, its writes events of the simulation's scheduler; waiting for a buffer or a drain
 * runs the scheduler. One thread, so a run replays.
 *
 * <p>Invariants, checked on every change: buffers free + buffers lent or queued = buffers; blocks
 * written &lt;= blocks handed over, in the order handed over.
 */
final class VirtualPipeline implements Pipeline {
    private final SimScheduler scheduler;
    private final long writeNanos;
    private final int buffers;
    private final long writebackEveryBytes;
    private final ReceiverPolicies.ZeroWrite zeroWrite;
    private final ReceiverPolicies.Writeback writeback;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final int chunkSizeBytes;
    private int unallocated;
    private final ArrayDeque<WritePipeline.Job> jobs = new ArrayDeque<>();
    private final Set<Disk> writtenSinceWriteback = new LinkedHashSet<>();
    private long bytesSinceWriteback;
    private boolean writing;
    private int lent;
    private long queued;
    private long done;
    private WritePipeline.Failure failure;
    private int peakBusy;

    VirtualPipeline(SimScheduler scheduler, long writeNanos, int buffers, int chunkSizeBytes, long writebackEveryBytes,
            ReceiverPolicies policies) {
        this.scheduler = scheduler;
        this.writeNanos = writeNanos;
        this.buffers = buffers;
        this.writebackEveryBytes = writebackEveryBytes;
        this.zeroWrite = policies.zeroWrite();
        this.writeback = policies.writeback();
        this.chunkSizeBytes = chunkSizeBytes;
        this.unallocated = buffers; // allocated when first taken: a small run uses few of them
    }

    /** Buffers free to take: returned ones and those not yet allocated. */
    private int freeCount() {
        return free.size() + unallocated;
    }

    @Override
    public ByteBuffer takeFree() throws IOException {
        checkFailure();
        runUntil(() -> freeCount() > 0, "a free write buffer");
        checkFailure();
        lent++;
        ByteBuffer b;
        if (unallocated > 0) { // the buffers never used come first, as when all were made at the start
            unallocated--;
            b = ByteBuffer.allocate(chunkSizeBytes);
        } else {
            b = free.poll();
        }
        checkCounts(); // after the poll: the buffer lent counts in the peak
        return b;
    }

    @Override
    public void submit(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes) throws IOException {
        checkFailure();
        if (data != null) {
            lent--;
        }
        jobs.add(new WritePipeline.Job(target, sector, sectorCount, data, offsetBytes));
        queued++;
        checkCounts();
        if (!writing) {
            writeNext();
        }
    }

    /** The writer: one job at a time, each taking its virtual time. */
    private void writeNext() {
        WritePipeline.Job j = jobs.poll();
        writing = j != null;
        if (j == null) {
            return;
        }
        scheduler.afterInBackground(writeNanos, () -> {
            if (failure == null) {
                failure = j.write(zeroWrite);
                if (failure == null) {
                    countWritten(j.target(), j.data() == null ? 0 : j.sectorCount() * Wire.SECTOR_SIZE_BYTES);
                }
            }
            if (j.data() != null) {
                free.add(j.data());
            }
            done++;
            checkCounts();
            writeNext();
        });
    }

    /**
     * Every so many bytes written ({@code bytes} 0 for zeros, which never end an interval), the
     * targets written to (data or zeros) are forced, in an event of their own at the same instant.
     */
    private void countWritten(Disk target, long bytes) {
        writtenSinceWriteback.add(target);
        bytesSinceWriteback += bytes;
        if (bytesSinceWriteback >= writebackEveryBytes) {
            bytesSinceWriteback = 0;
            List<Disk> toForce = List.copyOf(writeback.toForce(writtenSinceWriteback, target));
            writtenSinceWriteback.clear();
            scheduler.afterInBackground(0, () -> {
                for (Disk d : toForce) {
                    try {
                        d.force();
                    } catch (IOException | RuntimeException e) {
                        if (failure == null) {
                            failure = new WritePipeline.Failure(-1, "flushing '" + d.name() + "' failed: " + e.getMessage());
                        }
                    }
                }
            });
        }
    }

    @Override
    public int peakBusyBuffers() {
        return peakBusy;
    }

    private void checkCounts() {
        peakBusy = Math.max(peakBusy, buffers - freeCount());
        Invariant.check(free.size() + lent + jobs.size() + (writing ? 1 : 0) >= 0 && freeCount() <= buffers
                && done <= queued && lent >= 0 && lent <= buffers, () -> "write pipeline counts: " + freeCount() + " free, "
                        + lent + " lent, " + jobs.size() + " queued, " + done + " of " + queued + " written, " + buffers
                        + " buffers");
    }

    @Override
    public void drain() throws IOException {
        runUntil(() -> done == queued || failure != null, "the pipeline to drain");
        checkFailure();
    }

    private void runUntil(java.util.function.BooleanSupplier condition, String what) throws IOException {
        if (!scheduler.runUntil(condition)) {
            throw new IOException("simulation deadlock waiting for " + what);
        }
    }

    private void checkFailure() throws IOException {
        WritePipeline.Failure f = failure;
        if (f != null) {
            throw new WritePipeline.WriteFailed(f.offsetBytes(), f.message());
        }
    }

    /** As the threaded pipeline: the blocks already handed over are written before it stops. */
    @Override
    public void close() {
        scheduler.runUntil(() -> done == queued);
    }
}
