// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;
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

    public SimIoContext(SimScheduler scheduler, LatencyModel latency, Faults faults, History history) {
        this.scheduler = scheduler;
        this.latency = latency;
        this.faults = faults;
        this.history = history;
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
            IOException result = error;
            for (ReadListener l : listeners) {
                l.sampled(device, sector, sectorCount, completeNanos - scheduler.nowNanos());
            }
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
     * {@code exec:cat} took a block on this project's machines (FIDELITY.md).
     */
    public static final long TRANSPORT_BYTES_PER_SECOND = (long) ((1 << 20) / 0.65e-3);

    @Override
    public void wrote(long bytes) {
        long until = scheduler.nowNanos() + (long) (bytes * 1e9 / TRANSPORT_BYTES_PER_SECOND);
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
