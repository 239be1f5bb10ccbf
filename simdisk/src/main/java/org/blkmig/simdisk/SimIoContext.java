// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Reads in virtual time. A read's latency comes from the latency model; its data is sampled at
 * an instant drawn uniformly between submission and completion; completions may come out of
 * submission order. Everything runs on the scheduler's one thread.
 */
public final class SimIoContext implements IoContext {
    private final SimScheduler scheduler;
    private final LatencyModel latency;
    private final Faults faults;
    private final History history;
    private final List<ReadListener> listeners = new ArrayList<>();
    private long nextReadId;
    private int readsInFlight;
    /** QEMU's measured timing, or null: reads complete at their latency, the loop takes no time. */
    private final QemuTiming qemu;
    // QEMU's thread pool (qemu != null): reads waiting for a worker, workers, the completion bottom half
    private final ArrayDeque<Runnable> poolQueue = new ArrayDeque<>();
    private final List<Finished> finished = new ArrayList<>();
    private int workers;
    private int idleWorkers;
    private int workersToStart;
    private boolean spawning;
    private boolean bottomHalfScheduled;

    private record Finished(long readId, IOException error, ReadDone done) {}

    public SimIoContext(SimScheduler scheduler, LatencyModel latency, Faults faults, History history) {
        this(scheduler, latency, faults, history, null);
    }

    public SimIoContext(SimScheduler scheduler, LatencyModel latency, Faults faults, History history, QemuTiming qemu) {
        this.scheduler = scheduler;
        this.latency = latency;
        this.faults = faults;
        this.history = history;
        // one run takes one measured run's timing whole (drawn only with QEMU's timing)
        this.qemu = qemu == null ? null : qemu.forRun(scheduler.random());
    }

    public SimScheduler scheduler() {
        return scheduler;
    }

    public int readsInFlight() {
        return readsInFlight;
    }

    @Override
    public long nowNanos() {
        return scheduler.nowNanos();
    }

    @Override
    public void submitRead(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
        if (qemu != null) {
            submitToPool(device, sector, dst, done);
            return;
        }
        long readId = nextReadId++;
        long sectorCount = dst.remaining() / Disk.SECTOR_SIZE_BYTES;
        Disk.checkRange(device.disk(), sector, dst.remaining());
        long latencyNanos = faults.latency(latency.drawNanos(scheduler.random()), scheduler.random());
        long sampleNanos = latencyNanos == 0 ? 0 : scheduler.random().nextLong(latencyNanos + 1);
        boolean fails = faults.readFails(scheduler.random());
        long now = scheduler.nowNanos();
        history.add(new History.ReadSubmit(now, readId, device.name(), sector, sectorCount));
        readsInFlight++;
        long completeNanos = now + latencyNanos;
        // the completion is scheduled by the sample, so it can never run first
        scheduler.at(now + sampleNanos, () -> {
            IOException result = sample(readId, device, sector, sectorCount, dst, fails, completeNanos);
            scheduler.at(completeNanos, () -> {
                readsInFlight--;
                history.add(new History.ReadComplete(scheduler.nowNanos(), readId, result != null));
                done.done(result);
            });
        });
        for (ReadListener l : listeners) {
            l.submitted(device, sector, sectorCount);
        }
        // submitting a read is not free: the world goes on meanwhile, so reads complete while the
        // sender is still submitting, as on real threads
        scheduler.runUntil(scheduler.nowNanos() + SUBMIT_COST_NANOS);
    }

    /**
     * QEMU's thread pool (util/thread-pool.c): the read waits for a worker; with none idle one more
     * is started, and workers start one after another (each new one starts the next); a worker reads
     * for the latency model's time, data sampled within it; finished reads are handed over by one
     * bottom half of the main loop, newest first.
     */
    private void submitToPool(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
        long readId = nextReadId++;
        long sectorCount = dst.remaining() / Disk.SECTOR_SIZE_BYTES;
        Disk.checkRange(device.disk(), sector, dst.remaining());
        history.add(new History.ReadSubmit(scheduler.nowNanos(), readId, device.name(), sector, sectorCount));
        readsInFlight++;
        poolQueue.add(() -> runOnWorker(readId, device, sector, sectorCount, dst, done));
        if (idleWorkers > 0) {
            idleWorkers--;
            scheduler.at(scheduler.nowNanos(), this::workerTakesNext);
        } else if (workers + workersToStart < qemu.maxWorkers()) {
            workersToStart++;
            if (!spawning) {
                spawning = true; // the first start is the main loop's bottom half
                scheduler.at(scheduler.nowNanos() + qemu.bottomHalfNanos().draw(scheduler.random())
                        + qemu.spawnNanos().drawNanos(scheduler.random()),
                        this::workerStarted);
            }
        }
        for (ReadListener l : listeners) {
            l.submitted(device, sector, sectorCount);
        }
        // the submission's measured time: the migration thread waits for the BQL the main loop holds
        // while it runs completions, so reads complete within a submission loop
        scheduler.runUntil(scheduler.nowNanos() + qemu.submitNanos().draw(scheduler.random()));
    }

    private void workerStarted() {
        workersToStart--;
        workers++;
        if (workersToStart > 0) {
            scheduler.at(scheduler.nowNanos() + qemu.spawnNanos().drawNanos(scheduler.random()), this::workerStarted);
        } else {
            spawning = false;
        }
        workerTakesNext();
    }

    private void workerTakesNext() {
        Runnable next = poolQueue.poll();
        if (next == null) {
            idleWorkers++;
        } else {
            next.run();
        }
    }

    private void runOnWorker(long readId, BlockDevice device, long sector, long sectorCount, ByteBuffer dst, ReadDone done) {
        long readNanos = qemu.readNanos() != null ? qemu.readNanos().draw(scheduler.random()) : latency.drawNanos(scheduler.random());
        long latencyNanos = faults.latency(readNanos, scheduler.random());
        long sampleNanos = latencyNanos == 0 ? 0 : scheduler.random().nextLong(latencyNanos + 1);
        boolean fails = faults.readFails(scheduler.random());
        long endNanos = scheduler.nowNanos() + latencyNanos;
        scheduler.at(scheduler.nowNanos() + sampleNanos, () -> {
            IOException result = sample(readId, device, sector, sectorCount, dst, fails, endNanos);
            scheduler.at(endNanos, () -> {
                finished.add(new Finished(readId, result, done));
                if (!bottomHalfScheduled) {
                    bottomHalfScheduled = true;
                    scheduler.at(scheduler.nowNanos() + qemu.bottomHalfNanos().draw(scheduler.random()), this::completionBottomHalf);
                }
                workerTakesNext();
            });
        });
    }

    /** The instant a read takes its data: recorded, read (or failed), told to the listeners; the read's error or null. */
    private IOException sample(long readId, BlockDevice device, long sector, long sectorCount, ByteBuffer dst, boolean fails,
            long completeNanos) {
        history.add(new History.ReadSample(scheduler.nowNanos(), readId));
        IOException error = null;
        if (fails) {
            error = new IOException("injected read error on " + device.name() + " sector " + sector);
        } else {
            try {
                device.read(sector, dst.duplicate());
            } catch (IOException e) {
                error = e;
            }
        }
        for (ReadListener l : listeners) {
            l.sampled(device, sector, sectorCount, completeNanos - scheduler.nowNanos());
        }
        return error;
    }

    /** thread_pool_completion_bh: every finished read, newest submission first. */
    private void completionBottomHalf() {
        bottomHalfScheduled = false;
        List<Finished> batch = new ArrayList<>(finished);
        finished.clear();
        batch.sort((a, b) -> Long.compare(b.readId(), a.readId()));
        for (Finished f : batch) {
            readsInFlight--;
            history.add(new History.ReadComplete(scheduler.nowNanos(), f.readId(), f.error() != null));
            f.done().done(f.error());
        }
    }

    @Override
    public void loopStep(LoopPhase phase) {
        if (qemu != null) {
            scheduler.runUntil(scheduler.nowNanos() + qemu.nanos(phase));
        }
    }

    @Override
    public boolean pollsWhenIdle() {
        return qemu != null;
    }

    /**
     * The lookup is sampled at once; a lookup that finds the whole range a hole is recorded. Then
     * its time passes, so guest writes can land between the lookup and whatever the sender does
     * next (a dirty bit cleared only after the lookup loses them).
     */
    @Override
    public Disk.Allocation allocation(BlockDevice device, long sector, long maxSectors) {
        Disk.Allocation a = device.disk().allocation(sector, maxSectors);
        if (a.state() == Disk.State.ZERO && a.sectorCount() >= maxSectors) {
            history.add(new History.KnownZero(scheduler.nowNanos(), device.name(), sector, maxSectors));
            for (ReadListener l : listeners) {
                l.sampled(device, sector, maxSectors, LOOKUP_COST_NANOS); // a hammer writes into the hole meanwhile
            }
        }
        scheduler.runUntil(scheduler.nowNanos() + LOOKUP_COST_NANOS);
        return a;
    }

    /** The virtual time an allocation lookup takes (an {@code lseek}: about a microsecond). */
    public static final long LOOKUP_COST_NANOS = Durations.MICRO;

    /**
     * How fast the simulated transport takes the sender's bytes: 1 MiB in 0.65 ms, as QEMU's
     * {@code exec:cat} took a block on this project's machines (FIDELITY.md); with QEMU's measured
     * timing, {@link QemuTiming#sendNanosPerMiB} instead.
     */
    public static final long TRANSPORT_BYTES_PER_SECOND = (long) ((1 << 20) / 0.65e-3);

    @Override
    public void wrote(long bytes) {
        long until = scheduler.nowNanos() + (qemu != null ? bytes * qemu.sendNanosPerMiB() >> 20
                : (long) (bytes * 1e9 / TRANSPORT_BYTES_PER_SECOND));
        scheduler.runUntil(until);
    }

    /** The virtual time one read submission takes (QEMU's thread pool: a few microseconds). */
    public static final long SUBMIT_COST_NANOS = 2 * Durations.MICRO;

    @Override
    public void awaitUntil(BooleanSupplier condition) throws IOException {
        if (!scheduler.runUntil(condition)) {
            throw new IOException("simulation deadlock: nothing left to run and the awaited condition is false");
        }
    }

    @Override
    public void pause(long deadlineNanos) {
        // what the sender waits on happens in the foreground: the link's deliveries do not wake it
        if (!scheduler.runNextForeground(deadlineNanos)) {
            scheduler.runUntil(deadlineNanos);
        }
    }

    /** Memory disks: a direct buffer saves nothing, and thousands of runs would wait on its release. */
    @Override
    public boolean prefersDirectBuffers() {
        return false;
    }

    /** A sink in memory takes bytes at once: the transfer's time is modelled here. */
    @Override
    public void awaitTransfer(long bytes, long bytesPerSecond) {
        long until = scheduler.nowNanos() + (long) (bytes * 1e9 / bytesPerSecond);
        while (scheduler.nowNanos() < until) {
            pause(until);
        }
    }

    @Override
    public void addReadListener(ReadListener listener) {
        listeners.add(listener);
    }
}
