// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest on real threads: each writer plans writes by the workload and paces itself to its share
 * of the write rate. {@link #stop()} returns once no writer will write again.
 */
public final class ThreadedGuest {
    private final List<BlockDevice> devices;
    private final Workload workload;
    private final long seed;
    private final int threads;
    private final List<Thread> writers = new ArrayList<>();
    private final AtomicLong nextWriteId = new AtomicLong(1);
    private final AtomicLong writesDone = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private volatile boolean running;
    private volatile IOException failure;

    public ThreadedGuest(List<BlockDevice> devices, Workload workload, long seed, int threads) {
        this.devices = devices.stream().filter(d -> !d.readOnly() && d.sizeSectors() > 0).toList();
        this.workload = workload;
        this.seed = seed;
        this.threads = Math.max(1, threads);
    }

    public void start() {
        if (!workload.writes() || devices.isEmpty()) {
            return;
        }
        running = true;
        for (int i = 0; i < threads; i++) {
            SplittableRandom random = new SplittableRandom(seed + i);
            Thread t = new Thread(() -> writeLoop(random), "blkmig-guest-" + i);
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
    }

    private void writeLoop(SplittableRandom random) {
        Workload.Planner planner = workload.new Planner(devices);
        double bytesPerNano = workload.writeRateBytesPerSecond() / 1e9 / threads;
        long start = System.nanoTime();
        long written = 0;
        while (running) {
            Workload.Planned p = planner.next(random);
            long id = nextWriteId.getAndIncrement();
            try {
                devices.get(p.deviceIndex()).guestWrite(p.sector(), WriteContent.make(id, p.sector(), p.sectorCount()), id);
            } catch (IOException e) {
                failure = e;
                return;
            }
            long bytes = p.sectorCount() * Disk.SECTOR_SIZE_BYTES;
            written += bytes;
            writesDone.incrementAndGet();
            bytesWritten.addAndGet(bytes);
            long due = start + (long) (written / bytesPerNano);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    /** Stops the writers and waits for them: after this no guest write lands. */
    public void stop() {
        running = false;
        for (Thread t : writers) {
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public long writesDone() {
        return writesDone.get();
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    /** The first write that failed, or null. */
    public IOException failure() {
        return failure;
    }
}
