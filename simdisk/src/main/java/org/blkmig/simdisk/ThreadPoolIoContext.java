// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Reads on a pool of real threads, in real time. Completion callbacks run on pool threads, so
 * their users synchronize; every completion wakes whoever waits in {@link #awaitUntil} or
 * {@link #pause} (the {@code signal} monitor).
 */
public final class ThreadPoolIoContext implements IoContext {
    private final ExecutorService pool;
    private final Object signal = new Object();
    private final List<ReadListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private long completions; // guarded by signal
    // the completions the waiting (migration) thread has already seen; guarded by signal
    private long completionsSeen;
    private final ReadOrder order;

    /** How a reader thread orders its read and its completion: read first (shipped), or a seeded bug. */
    enum ReadOrder {
        READ_THEN_COMPLETE {
            @Override
            void run(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
                done.done(read(device, sector, dst));
            }
        },
        /**
         * {@link ThreadMutant#COMPLETION_BEFORE_DATA}: the read's last sector is copied after the
         * completion, so a waiter that takes the buffer at once sends that sector unread. The window
         * is one sector's copy, which plain runs almost never hit.
         */
        COMPLETE_BEFORE_LAST_SECTOR {
            @Override
            void run(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
                int lastBytes = Math.min(dst.remaining(), Disk.SECTOR_SIZE_BYTES);
                int headBytes = dst.remaining() - lastBytes;
                IOException e = headBytes == 0 ? null : read(device, sector, dst.duplicate().limit(dst.position() + headBytes));
                done.done(e);
                read(device, sector + headBytes / Disk.SECTOR_SIZE_BYTES, dst.duplicate().position(dst.position() + headBytes));
            }
        };

        abstract void run(BlockDevice device, long sector, ByteBuffer dst, ReadDone done);

        static ReadOrder of(java.util.Set<ThreadMutant> mutants) {
            return mutants.contains(ThreadMutant.COMPLETION_BEFORE_DATA) ? COMPLETE_BEFORE_LAST_SECTOR : READ_THEN_COMPLETE;
        }

        static IOException read(BlockDevice device, long sector, ByteBuffer dst) {
            try {
                device.read(sector, dst.duplicate());
                return null;
            } catch (IOException e) {
                return e;
            } catch (RuntimeException e) {
                return new IOException(e);
            }
        }
    }

    public ThreadPoolIoContext(int threads) {
        this(threads, java.util.Set.of());
    }

    /** With seeded bugs switched on (tests only). */
    public ThreadPoolIoContext(int threads, java.util.Set<ThreadMutant> mutants) {
        this.order = ReadOrder.of(mutants);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "blkmig-reader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public long nowNanos() {
        return System.nanoTime();
    }

    public int readsInFlight() {
        return inFlight.get();
    }

    @Override
    public void submitRead(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
        Disk.checkRange(device.disk(), sector, dst.remaining());
        long sectorCount = dst.remaining() / Disk.SECTOR_SIZE_BYTES;
        inFlight.incrementAndGet();
        for (ReadListener l : listeners) {
            l.submitted(device, sector, sectorCount);
        }
        pool.execute(() -> {
            try {
                order.run(device, sector, dst, done);
            } finally {
                inFlight.decrementAndGet();
                synchronized (signal) {
                    completions++;
                    signal.notifyAll();
                }
            }
        });
    }

    @Override
    public void awaitUntil(BooleanSupplier condition) throws IOException {
        while (!condition.getAsBoolean()) {
            waitForSignal(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Override
    public void pause(long deadlineNanos) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            waitForSignal(left);
        }
    }

    /** Returns at once if a read completed since the last return; else waits for one, at most maxNanos. */
    private void waitForSignal(long maxNanos) throws IOException {
        synchronized (signal) {
            long end = System.nanoTime() + maxNanos;
            try {
                while (completions == completionsSeen) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                }
                completionsSeen = completions;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for reads");
            }
        }
    }

    @Override
    public void addReadListener(ReadListener listener) {
        listeners.add(listener);
    }

    /** Stops the pool; waits for reads in flight to end. */
    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
