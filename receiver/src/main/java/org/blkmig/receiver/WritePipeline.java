// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.blkmig.protocol.Wire;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.ThreadMutant;

/**
 * Writes blocks on a thread of its own, in the order given, while the receiver reads the next:
 * a fixed pool of chunk buffers bounds the memory. The first write error stops it; the receiver
 * sees it at its next call, with the offset of the block that failed.
 *
 * <p>Every {@link #WRITEBACK_EVERY_BYTES} written, a second thread forces the targets written to
 * (data or zeros) since the last writeback, so the data goes to the device during the transfer
 * rather than all in the final flush.
 */
final class WritePipeline implements Pipeline {
    /** On a 1 GiB receive the final flush fell from ~0.3 s to ~0.02 s (see BENCHMARKS.md). */
    static final long WRITEBACK_EVERY_BYTES = 64L << 20;

    record Job(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes) {
        /**
         * Writes the job (no data: zeros, as {@code zeroWrite} applies them); returns the failure, if
         * it failed. The one write of every pipeline.
         */
        Failure write(ReceiverPolicies.ZeroWrite zeroWrite) {
            try {
                if (data == null) {
                    zeroWrite.apply(target, sector, sectorCount);
                } else {
                    Destination.Blkmig.writeData(target, sector, sectorCount, data);
                }
                return null;
            } catch (IOException | RuntimeException e) {
                return new Failure(offsetBytes, "write to '" + target.name() + "' at sector " + sector + " failed: "
                        + e.getMessage());
            }
        }
    }

    private static final Job STOP = new Job(null, 0, 0, null, 0);

    private final int buffers;
    private final BlockingQueue<ByteBuffer> free;
    private final BlockingQueue<Job> jobs;
    private final Thread writer;
    private final long writebackEveryBytes;
    private final ReceiverPolicies.ZeroWrite zeroWrite;
    private final ReceiverPolicies.Writeback writeback;
    private final Thread flusher;
    private final Semaphore writebackRequested = new Semaphore(0);
    private final Set<Disk> writtenSinceWriteback = new LinkedHashSet<>(); // writer thread only
    private final Set<Disk> toForce = ConcurrentHashMap.newKeySet(); // handed to the writeback thread
    private long bytesSinceWriteback; // writer thread only
    private volatile long lastOffsetBytes; // of the last block handed to the writer, for a flush error
    private volatile boolean stopping;
    private volatile Failure failure;
    private int queued; // receiver thread only: jobs handed over
    private volatile int done;

    private final DoneCount doneCount;

    record Failure(long offsetBytes, String message) {}

    /**
     * How the writer ends a job, which is what {@link #drain} waits for: a failure published before
     * the job counts done (shipped), or a seeded bug.
     */
    enum DoneCount {
        FAILURE_THEN_COUNT {
            @Override
            void end(Runnable publishFailure, Runnable countDone) {
                publishFailure.run();
                countDone.run();
            }
        },
        /**
         * {@link ThreadMutant#COUNTED_BEFORE_FAILURE}: a drain that looks between the two stores
         * returns without the failure. The window is two adjacent stores wide, so only a scheduler
         * that stops the writer there finds it.
         */
        COUNT_THEN_FAILURE {
            @Override
            void end(Runnable publishFailure, Runnable countDone) {
                countDone.run();
                publishFailure.run();
            }
        };

        /** {@code countDone} frees the job's buffer and counts it done, its last store the count. */
        abstract void end(Runnable publishFailure, Runnable countDone);

        static DoneCount of(Set<ThreadMutant> mutants) {
            return mutants.contains(ThreadMutant.COUNTED_BEFORE_FAILURE) ? COUNT_THEN_FAILURE : FAILURE_THEN_COUNT;
        }
    }

    WritePipeline(int buffers, int chunkSizeBytes) {
        this(buffers, chunkSizeBytes, WRITEBACK_EVERY_BYTES);
    }

    WritePipeline(int buffers, int chunkSizeBytes, long writebackEveryBytes) {
        this(buffers, chunkSizeBytes, writebackEveryBytes, ReceiverPolicies.BLKMIG);
    }

    WritePipeline(int buffers, int chunkSizeBytes, long writebackEveryBytes, ReceiverPolicies policies) {
        this(buffers, chunkSizeBytes, writebackEveryBytes, policies, Set.of());
    }

    /** With seeded real-thread bugs switched on (tests only). */
    WritePipeline(int buffers, int chunkSizeBytes, long writebackEveryBytes, ReceiverPolicies policies,
            Set<ThreadMutant> mutants) {
        this.doneCount = DoneCount.of(mutants);
        this.writebackEveryBytes = writebackEveryBytes;
        this.zeroWrite = policies.zeroWrite();
        this.writeback = policies.writeback();
        this.buffers = buffers;
        free = new ArrayBlockingQueue<>(buffers);
        jobs = new ArrayBlockingQueue<>(buffers + 1);
        for (int i = 0; i < buffers; i++) {
            free.add(ByteBuffer.allocateDirect(chunkSizeBytes));
        }
        writer = new Thread(this::writeLoop, "blkmig-target-writer");
        writer.setDaemon(true);
        writer.start();
        flusher = new Thread(this::writebackLoop, "blkmig-target-writeback");
        flusher.setDaemon(true);
        flusher.start();
    }

    private void writebackLoop() {
        try {
            while (true) {
                writebackRequested.acquire();
                if (stopping) {
                    return;
                }
                for (Disk d : toForce) {
                    toForce.remove(d);
                    try {
                        d.force();
                    } catch (IOException | RuntimeException e) {
                        if (failure == null) {
                            failure = new Failure(lastOffsetBytes, "flushing '" + d.name() + "' failed: " + e.getMessage());
                        }
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After a write ({@code bytes} 0 for zeros, which never end an interval): once enough bytes are
     * written, hands the targets written since the last writeback to the writeback thread (requests
     * coalesce), so every write before the request is durable once it has forced them.
     */
    private void countWritten(Disk target, long bytes) {
        writtenSinceWriteback.add(target);
        bytesSinceWriteback += bytes;
        if (bytesSinceWriteback >= writebackEveryBytes) {
            bytesSinceWriteback = 0;
            toForce.addAll(writeback.toForce(writtenSinceWriteback, target));
            writtenSinceWriteback.clear();
            if (writebackRequested.availablePermits() == 0) {
                writebackRequested.release();
            }
        }
    }

    private void writeLoop() {
        try {
            while (true) {
                Job j = jobs.take();
                if (j == STOP) {
                    return;
                }
                Failure f = null;
                try {
                    if (failure == null) {
                        f = j.write(zeroWrite);
                        if (f == null) {
                            countWritten(j.target(), j.data() == null ? 0 : j.sectorCount() * Wire.SECTOR_SIZE_BYTES);
                        }
                    }
                } finally {
                    Failure failed = f;
                    // the failure before the buffer: a receiver that takes the buffer must see it
                    doneCount.end(() -> {
                        if (failed != null) {
                            failure = failed;
                        }
                    }, () -> {
                        if (j.data() != null) {
                            free.add(j.data());
                        }
                        done++;
                    });
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A free buffer to read the next block into; waits for one. */
    @Override
    public ByteBuffer takeFree() throws IOException {
        checkFailure();
        try {
            ByteBuffer b = free.take();
            checkFailure();
            Invariant.check(free.size() < buffers, () -> free.size() + " free buffers after taking one of " + buffers);
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for a write buffer");
        }
    }

    /** Hands a block over; {@code data} null writes zeros. The buffer returns to the pool once written. */
    @Override
    public void submit(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes) throws IOException {
        checkFailure();
        lastOffsetBytes = offsetBytes;
        put(new Job(target, sector, sectorCount, data, offsetBytes));
        queued++;
    }

    /** Waits until every block handed over is written. */
    @Override
    public void drain() throws IOException {
        while (done < queued && failure == null) {
            Thread.onSpinWait();
            if (!writer.isAlive()) {
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
        checkFailure();
        // postcondition: drained means every block handed over was written, none twice
        Invariant.check(done == queued || !writer.isAlive(), () -> "drained with " + done + " of " + queued + " written");
    }

    private void put(Job j) throws IOException {
        try {
            jobs.put(j);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted handing a block to the writer");
        }
    }

    private void checkFailure() throws IOException {
        Failure f = failure;
        if (f != null) {
            throw new WriteFailed(f.offsetBytes(), f.message());
        }
    }

    /** A write that failed on the writer thread. */
    static final class WriteFailed extends IOException {
        final long offsetBytes;

        WriteFailed(long offsetBytes, String message) {
            super(message);
            this.offsetBytes = offsetBytes;
        }
    }

    /** Stops the writer thread (after the blocks already handed over) and the writeback thread. */
    @Override
    public void close() {
        try {
            jobs.put(STOP);
            writer.join(30_000);
            stopping = true;
            writebackRequested.release();
            flusher.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
