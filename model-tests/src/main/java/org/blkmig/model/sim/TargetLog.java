// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.blkmig.simdisk.Invariant;

/**
 * The writes and forces of a run's targets, in one order across all of them, each at an instant of
 * a clock (virtual time, or a test's own): what a power loss could take is read from it, never from
 * the receiver's bookkeeping. A force is logged when it returns, with the place in the log where it
 * began: the writes of its target logged before that place are durable after it. Shared by the
 * targets' {@link GuardedDisk}s; thread-safe, for the threaded pipeline's writer and writeback threads.
 */
public final class TargetLog {
    /** An entry: a write that reached its target, or a force of it. */
    public sealed interface Event permits Write, Force {
        String target();

        long timeNanos();
    }

    /** A write of {@code sectorCount} sectors (zeros if {@code zero}) that reached {@code target}. */
    public record Write(String target, long sector, long sectorCount, boolean zero, long timeNanos) implements Event {}

    /** A force of {@code target} that returned at {@code timeNanos}: its writes logged before {@code beganAt} are durable. */
    public record Force(String target, long timeNanos, int beganAt) implements Event {}

    private final LongSupplier clockNanos;
    private final List<Event> events = new ArrayList<>();

    public TargetLog(LongSupplier clockNanos) {
        this.clockNanos = clockNanos;
    }

    synchronized void write(String target, long sector, long sectorCount, boolean zero) {
        events.add(new Write(target, sector, sectorCount, zero, clockNanos.getAsLong()));
    }

    /** Where a force begins: the writes logged so far are those it covers. */
    synchronized int mark() {
        return events.size();
    }

    synchronized void forced(String target, int beganAt) {
        Invariant.check(beganAt <= events.size(), () -> "a force began at " + beganAt + " of " + events.size());
        events.add(new Force(target, clockNanos.getAsLong(), beganAt));
    }

    /** Every write and force so far, in order. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }
}
