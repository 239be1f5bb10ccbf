// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.blkmig.simdisk.Disk;

/** Instrumentation for the checks: counts writes and records every attempt outside the disk. */
public final class GuardedDisk implements Disk {
    private final Disk delegate;
    private final boolean readOnly;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong outOfBounds = new AtomicLong();
    private volatile String firstOutOfBounds;
    private volatile long failWriteNumber = -1; // the write (counting from 1) that fails; -1: none
    private java.util.List<Applied> applied; // null: not logged
    private java.util.function.LongSupplier clock;

    /**
     * A write that reached the disk, in order, at a virtual instant: data, or zeros (a zero block, a
     * run of zeros in a data block, a hole punched where data was); {@code number} counts every
     * write tried on this disk from 1, as {@link #writes()} does, so {@code number <= writesAtForce()}
     * says a force made it durable. The fact base reads them to tell which blocks the receiver applied.
     */
    public record Applied(long sector, long sectorCount, boolean zero, long timeNanos, long number) {}

    public GuardedDisk(Disk delegate, boolean readOnly) {
        this.delegate = delegate;
        this.readOnly = readOnly;
    }

    /** Keeps a list of the writes that reach the disk, stamped by {@code nowNanos} (a target's: a few per block, cheap). */
    public synchronized void logWrites(java.util.function.LongSupplier nowNanos) {
        applied = new java.util.ArrayList<>();
        clock = nowNanos;
    }

    private volatile TargetLog targetLog; // null: not logged

    /** Logs this disk's writes and forces to {@code log}, which the targets of one run share. */
    public void logTo(TargetLog log) {
        targetLog = log;
    }

    /** The log of the run's targets' writes and forces this disk logs to; null if none. */
    public TargetLog targetLog() {
        return targetLog;
    }

    /** The writes that reached the disk, in order; empty if not logged. */
    public synchronized java.util.List<Applied> applied() {
        return applied == null ? java.util.List.of() : java.util.List.copyOf(applied);
    }

    /** How many writes the last force made durable. */
    public long writesAtForce() {
        return writesAtForce;
    }

    public Disk delegate() {
        return delegate;
    }

    private volatile SampledDiskChannel.Source zeroCopy;

    /** Lets the zero-copy sender take this disk's chunks through {@code source}'s channels, at send time. */
    void serveZeroCopy(SampledDiskChannel.Source source) {
        zeroCopy = source;
    }

    @Override
    public java.nio.channels.FileChannel zeroCopySource(long sector, long sectorCount) {
        SampledDiskChannel.Source source = zeroCopy;
        return source == null ? null : source.forBlock(sector, sectorCount);
    }

    /** Makes the n-th write from now on (1 = the next) fail with an I/O error: a failing target. */
    public void failWrite(long n) {
        failWriteNumber = writes.get() + n;
    }

    public long writes() {
        return writes.get();
    }

    /** Writes made since the last force (all of them if never forced): each one not yet durable. */
    public long writesSinceForce() {
        return writes.get() - writesAtForce;
    }

    public long outOfBoundsAttempts() {
        return outOfBounds.get();
    }

    public String firstOutOfBounds() {
        return firstOutOfBounds;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void guard(long sector, long sectorCount) {
        if (sector < 0 || sector + sectorCount > sizeSectors()) {
            if (outOfBounds.getAndIncrement() == 0) {
                firstOutOfBounds = "sectors " + sector + "+" + sectorCount + " of " + name() + " (" + sizeSectors() + " sectors)";
            }
        }
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        delegate.read(sector, dst);
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        long sectors = src.remaining() / SECTOR_SIZE_BYTES;
        guard(sector, sectors);
        long number = writes.incrementAndGet();
        injectFailure(number);
        delegate.write(sector, src);
        log(sector, sectors, false, number); // after the write: one the disk refused never reached it
    }

    @Override
    public void writeZeros(long sector, long sectorCount) throws IOException {
        guard(sector, sectorCount);
        long number = writes.incrementAndGet();
        injectFailure(number);
        delegate.writeZeros(sector, sectorCount);
        log(sector, sectorCount, true, number);
    }

    private synchronized void log(long sector, long sectorCount, boolean zero, long number) {
        TargetLog shared = targetLog;
        if (shared != null) {
            shared.write(name(), sector, sectorCount, zero);
        }
        if (applied != null) {
            applied.add(new Applied(sector, sectorCount, zero, clock.getAsLong(), number));
        }
    }

    private void injectFailure(long writeNumber) throws IOException {
        if (writeNumber == failWriteNumber) {
            throw new IOException("injected write error on " + name());
        }
    }

    @Override
    public void force() throws IOException {
        TargetLog shared = targetLog;
        int beganAt = shared == null ? 0 : shared.mark();
        delegate.force();
        if (shared != null) {
            shared.forced(name(), beganAt);
        }
        writesAtForce = writes.get();
        forcedAtNanos = clockNanos();
    }

    private volatile long writesAtForce;
    private volatile long forcedAtNanos = -1;

    /** When the last force made the writes durable, on the clock of {@link #logWrites}; -1: never, or not logged. */
    public long forcedAtNanos() {
        return forcedAtNanos;
    }

    private synchronized long clockNanos() {
        return clock == null ? -1 : clock.getAsLong();
    }

    @Override
    public Allocation allocation(long sector, long maxSectors) {
        return delegate.allocation(sector, maxSectors);
    }
}
