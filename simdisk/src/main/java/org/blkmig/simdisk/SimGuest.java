// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

/** A guest writing in virtual time, by the workload, until stopped. */
public final class SimGuest {
    private static final long BURST_PERIOD_NANOS = 100 * Durations.MILLI;
    private static final long BURST_ON_NANOS = 20 * Durations.MILLI;

    private final SimScheduler scheduler;
    private final List<BlockDevice> devices;
    private final Workload workload;
    private final Workload.Planner planner;
    private final History history;
    private boolean running;
    private long nextWriteId = 1;
    private long writesDone;
    private long bytesWritten;
    // a strategy's throttle: the gaps between writes stretched by this factor (1: the workload's own)
    private double slowdown = 1;
    // what the throttle cost the guest: writes issued later than the workload wanted, and by how much
    private long delayedWrites;
    private long delaySumNanos;
    private long delayMaxNanos;
    // a write-blocking mirror: a write waits until this says the previous ones were sent (null: writes land at once)
    private java.util.function.BooleanSupplier mirrorReleased;
    /** How often a write held by the mirror looks again: short against a slice (100 ms), long against an event. */
    static final long MIRROR_POLL_NANOS = 100 * Durations.MICRO;

    /**
     * What the guest did and what it cost it: its writes, and the ones a throttle (or a write-blocking
     * mirror) held back, with the sum and the largest of those delays: the writes' added latency.
     */
    public record Figures(long writes, long bytesWritten, long delayedWrites, long delaySumNanos, long delayMaxNanos) {}

    public SimGuest(SimScheduler scheduler, SimIoContext io, List<BlockDevice> devices, Workload workload, History history) {
        this.scheduler = scheduler;
        this.devices = devices.stream().filter(d -> !d.readOnly() && d.sizeSectors() > 0).toList();
        this.workload = workload;
        this.planner = workload.new Planner(this.devices);
        this.history = history;
        if (workload.kind() == Workload.Kind.HAMMER) {
            io.addReadListener(new IoContext.ReadListener() {
                @Override
                public void sampled(BlockDevice device, long sector, long sectorCount, long nanosUntilCompletion) {
                    hammer(device, sector, sectorCount, nanosUntilCompletion);
                }
            });
        }
    }

    public void start() {
        running = true;
        history.add(new History.Marker(scheduler.nowNanos(), History.Kind.GUEST_RUNNING, ""));
        if (workload.writes() && planner.canWrite()) {
            scheduleNext();
        }
    }

    /** The guest stops: no write lands after this. */
    public void stop() {
        if (running) {
            running = false;
            history.add(new History.Marker(scheduler.nowNanos(), History.Kind.GUEST_STOPPED, ""));
        }
    }

    /** A strategy slows the guest's writes: from the next gap on, gaps are {@code slowdown} (>= 1) times as long. */
    public void throttle(double slowdown) {
        Invariant.check(slowdown >= 1 && !Double.isNaN(slowdown), () -> "a slowdown of " + slowdown);
        if (slowdown != this.slowdown) {
            this.slowdown = slowdown;
            history.add(new History.Marker(scheduler.nowNanos(), History.Kind.GUEST_THROTTLED, Double.toString(slowdown)));
        }
    }

    /**
     * A strategy mirrors the guest's writes (write-blocking): from now on a write waits until {@code
     * released} is true (the writes before it are on their way to the target); null ends it.
     */
    public void mirror(java.util.function.BooleanSupplier released) {
        if ((released != null) != (mirrorReleased != null)) {
            history.add(new History.Marker(scheduler.nowNanos(), History.Kind.GUEST_MIRRORED, released != null ? "on" : "off"));
        }
        mirrorReleased = released;
    }

    public boolean running() {
        return running;
    }

    public long writesDone() {
        return writesDone;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public Figures figures() {
        return new Figures(writesDone, bytesWritten, delayedWrites, delaySumNanos, delayMaxNanos);
    }

    /** A write was held back this long (a throttle's longer gap, a mirror's wait) beyond the workload's instant. */
    private void delayed(long nanos) {
        if (nanos > 0) {
            delayedWrites++;
            delaySumNanos += nanos;
            delayMaxNanos = Math.max(delayMaxNanos, nanos);
        }
    }

    private void scheduleNext() {
        SplittableRandom r = scheduler.random();
        // times 1.0 leaves every draw and instant as it was: an unthrottled world is the same world
        double meanGapNanos = workload.meanWriteBytes() * 1e9 / workload.writeRateBytesPerSecond() * slowdown;
        long at = scheduler.nowNanos();
        if (workload.kind() == Workload.Kind.BURST) {
            meanGapNanos = meanGapNanos * BURST_ON_NANOS / BURST_PERIOD_NANOS;
        }
        // exponential gaps: a Poisson stream of writes at the mean rate
        double exponential = -Math.log(1 - r.nextDouble());
        long gap = (long) (exponential * meanGapNanos);
        long throttledNanos = slowdown == 1 ? 0 : gap - (long) (exponential * (meanGapNanos / slowdown));
        at += Math.max(1, gap);
        if (workload.kind() == Workload.Kind.BURST && at % BURST_PERIOD_NANOS >= BURST_ON_NANOS) {
            at = (at / BURST_PERIOD_NANOS + 1) * BURST_PERIOD_NANOS + at % BURST_ON_NANOS;
        }
        scheduler.at(at, () -> {
            if (running) {
                Workload.Planned p = planner.next(scheduler.random());
                issue(devices.get(p.deviceIndex()), p.sector(), p.sectorCount(), scheduler.nowNanos(), throttledNanos,
                        this::scheduleNext);
            }
        });
    }

    /** Half the reads get a write into their range after they sampled and before they complete. */
    private void hammer(BlockDevice device, long sector, long sectorCount, long nanosUntilCompletion) {
        if (!running || device.readOnly() || !scheduler.random().nextBoolean()) {
            return;
        }
        SplittableRandom r = scheduler.random();
        long count = Math.min(sectorCount, 1 + r.nextInt(8));
        long at = sector + r.nextLong(sectorCount - count + 1);
        scheduler.after(nanosUntilCompletion <= 0 ? 0 : r.nextLong(nanosUntilCompletion), () -> {
            if (running) {
                issue(device, at, count, scheduler.nowNanos(), 0, null);
            }
        });
    }

    /**
     * The write the workload wants at {@code dueNanos}: now, or once a mirror released it; then {@code
     * next} (the guest's next write is planned after this one lands: one write outstanding).
     */
    private void issue(BlockDevice device, long sector, long sectorCount, long dueNanos, long throttledNanos, Runnable next) {
        if (!running) {
            return;
        }
        if (mirrorReleased != null && !mirrorReleased.getAsBoolean()) {
            scheduler.after(MIRROR_POLL_NANOS, () -> issue(device, sector, sectorCount, dueNanos, throttledNanos, next));
            return;
        }
        delayed(throttledNanos + scheduler.nowNanos() - dueNanos);
        write(device, sector, sectorCount);
        if (next != null) {
            next.run();
        }
    }

    private void write(BlockDevice device, long sector, long sectorCount) {
        long id = nextWriteId++;
        ByteBuffer data = WriteContent.make(id, sector, sectorCount);
        try {
            device.guestWrite(sector, data, id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writesDone++;
        bytesWritten += sectorCount * Disk.SECTOR_SIZE_BYTES;
        history.add(new History.GuestWrite(scheduler.nowNanos(), device.name(), sector, sectorCount, id));
    }
}
