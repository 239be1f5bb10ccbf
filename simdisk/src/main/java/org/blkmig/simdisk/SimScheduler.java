// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Virtual time and one seeded random source. Events due at the same instant run in an order
 * drawn from that source, so one seed gives one interleaving and another seed another.
 * Single-threaded by design: the simulation never touches it from two threads.
 */
public final class SimScheduler {
    private record Event(long timeNanos, long tieBreak, long sequence, Runnable action, boolean background)
            implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(timeNanos, o.timeNanos);
            if (c != 0) {
                return c;
            }
            c = Long.compare(tieBreak, o.tieBreak);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    /** A bound on the queue: a run that schedules without end is a bug, not a workload. */
    static final int MAX_PENDING_EVENTS = 1_000_000;

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final SplittableRandom random;
    private final long maxEvents;
    private long nowNanos;
    private long sequence;
    private long eventsRun;

    public SimScheduler(long seed, long maxEvents) {
        this.random = new SplittableRandom(seed);
        this.maxEvents = maxEvents;
    }

    public SimScheduler(long seed) {
        this(seed, 50_000_000L);
    }

    public long nowNanos() {
        return nowNanos;
    }

    /** The one random source of the run. */
    public SplittableRandom random() {
        return random;
    }

    public long eventsRun() {
        return eventsRun;
    }

    public int pendingEvents() {
        return queue.size();
    }

    public void at(long timeNanos, Runnable action) {
        Invariant.check(timeNanos >= nowNanos, () -> "event scheduled in the past: " + timeNanos + " < " + nowNanos);
        Invariant.check(queue.size() < MAX_PENDING_EVENTS, () -> "more than " + MAX_PENDING_EVENTS + " events pending");
        queue.add(new Event(timeNanos, random.nextLong(), sequence++, action, false));
    }

    /**
     * An event the migration does not wait on (the link's and the receiver's): it runs in order
     * with the others, but {@link #runNextForeground} does not stop for it.
     */
    public void atInBackground(long timeNanos, Runnable action) {
        Invariant.check(timeNanos >= nowNanos, () -> "event scheduled in the past: " + timeNanos + " < " + nowNanos);
        Invariant.check(queue.size() < MAX_PENDING_EVENTS, () -> "more than " + MAX_PENDING_EVENTS + " events pending");
        queue.add(new Event(timeNanos, random.nextLong(), sequence++, action, true));
    }

    public void afterInBackground(long delayNanos, Runnable action) {
        atInBackground(nowNanos + Math.max(0, delayNanos), action);
    }

    public void after(long delayNanos, Runnable action) {
        at(nowNanos + Math.max(0, delayNanos), action);
    }

    /** Time of the next event, or Long.MAX_VALUE if none. */
    public long nextEventNanos() {
        Event e = queue.peek();
        return e == null ? Long.MAX_VALUE : e.timeNanos;
    }

    /** Runs the next event if it is due at or before the deadline; returns whether one ran. */
    public boolean runNext(long deadlineNanos) {
        Event e = queue.peek();
        if (e == null || e.timeNanos > deadlineNanos) {
            return false;
        }
        queue.poll();
        Invariant.check(e.timeNanos >= nowNanos, "virtual time went backwards");
        if (++eventsRun > maxEvents) {
            throw new IllegalStateException("simulation ran more than " + maxEvents + " events");
        }
        nowNanos = e.timeNanos;
        e.action.run();
        return true;
    }

    /**
     * Runs events due at or before the deadline until one that is not in the background has run;
     * returns whether one did.
     */
    public boolean runNextForeground(long deadlineNanos) {
        while (true) {
            Event e = queue.peek();
            if (e == null || e.timeNanos > deadlineNanos) {
                return false;
            }
            runNext(deadlineNanos);
            if (!e.background) {
                return true;
            }
        }
    }

    /** Runs every event due up to the time, then sets the clock to it. */
    public void runUntil(long timeNanos) {
        while (runNext(timeNanos)) {
            // next
        }
        nowNanos = Math.max(nowNanos, timeNanos);
    }

    /** Runs events until the condition holds; false if no event is left and it still does not. */
    public boolean runUntil(BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            if (!runNext(Long.MAX_VALUE)) {
                return false;
            }
        }
        return true;
    }
}
