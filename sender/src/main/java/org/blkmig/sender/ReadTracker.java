// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.ThreadMutant;

/**
 * The state that read completions share with the migration thread, behind one lock: reads in
 * flight, the in-flight marks the dirty walk looks at, and the completed blocks waiting to be sent
 * in completion order. Completions run on the simulation thread or on reader threads.
 *
 * <p>Invariants, checked on every change: reads submitted = reads in flight (counted per chunk);
 * a completion belongs to a read in flight; at most one read of a chunk is in flight when the
 * policies promise it; a block is queued once, after its read, and sent once, in completion order;
 * queued zero-copy blocks are among the queued blocks; a block known zero (a hole) is queued
 * without a read.
 */
final class ReadTracker {
    private final Object lock = new Object();
    private final boolean oneReadPerChunk;
    // guarded by lock
    private final ArrayDeque<Block> completed = new ArrayDeque<>();
    private final List<Set<Long>> marked; // by device index: chunks marked in flight
    private final List<Map<Long, Integer>> reading; // by device index: reads in flight per chunk
    private int submitted;
    private int readingTotal;
    private int zeroCopyQueued;
    private long completions;
    private long lastSentCompletion = -1;
    private IOException firstReadError;
    private Invariant.Violation brokenInCompletion;

    private final CompletionCount completionCount;

    /**
     * Where a completion takes its read off the counts in flight: in its one critical section
     * (shipped), or, seeded, from values read in an earlier critical section of its own.
     */
    enum CompletionCount {
        ONE_SECTION {
            @Override
            int[] before(ReadTracker t) {
                return null;
            }

            @Override
            void inSection(ReadTracker t, int[] before) {
                t.submitted--;
                t.readingTotal--;
            }
        },
        /**
         * {@link ThreadMutant#READ_COUNT_TWO_SECTIONS}: a submission or completion between the two
         * sections is forgotten. Between them the counts are consistent (the read is simply still in
         * flight), so only a thread that changes them in that unlock-to-lock window shows the bug.
         */
        TWO_SECTIONS {
            @Override
            int[] before(ReadTracker t) {
                synchronized (t.lock) {
                    return new int[] {t.submitted - 1, t.readingTotal - 1};
                }
            }

            @Override
            void inSection(ReadTracker t, int[] before) {
                t.submitted = before[0];
                t.readingTotal = before[1];
            }
        };

        /** Before the completion's critical section; returns what {@link #inSection} needs. */
        abstract int[] before(ReadTracker t);

        /** Under the lock: the read off the counts. */
        abstract void inSection(ReadTracker t, int[] before);

        static CompletionCount of(Set<ThreadMutant> mutants) {
            return mutants.contains(ThreadMutant.READ_COUNT_TWO_SECTIONS) ? TWO_SECTIONS : ONE_SECTION;
        }
    }

    ReadTracker(boolean oneReadPerChunk) {
        this(oneReadPerChunk, Set.of());
    }

    /** With seeded real-thread bugs switched on (tests only). */
    ReadTracker(boolean oneReadPerChunk, Set<ThreadMutant> mutants) {
        this.completionCount = CompletionCount.of(mutants);
        this.oneReadPerChunk = oneReadPerChunk;
        this.marked = new java.util.ArrayList<>();
        this.reading = new java.util.ArrayList<>();
    }

    /** Makes room for the per-chunk state of device {@code index}. Under lock. */
    private void know(int index) {
        while (marked.size() <= index) {
            marked.add(new HashSet<>());
            reading.add(new HashMap<>());
        }
    }

    /** A read is about to be submitted for the block; {@code mark} sets its chunk's in-flight mark. */
    void submitting(Block b, boolean mark) {
        synchronized (lock) {
            Invariant.check(b.state == null, () -> "block " + b + " submitted twice");
            know(b.device.index);
            int readsOfChunk = reading.get(b.device.index).merge(b.chunk, 1, Integer::sum);
            Invariant.check(!oneReadPerChunk || readsOfChunk == 1, () -> readsOfChunk + " reads of " + b + " in flight");
            if (mark) {
                marked.get(b.device.index).add(b.chunk);
            }
            b.state = Block.State.IN_FLIGHT;
            submitted++;
            readingTotal++;
            checkCounts();
        }
    }

    /** The block's read completed (error null on success): it joins the queue. Any thread. */
    void readDone(Block b, IOException error) {
        int[] counts = completionCount.before(this);
        synchronized (lock) {
            try {
                Invariant.check(b.state == Block.State.IN_FLIGHT, () -> "completion of " + b + " in state " + b.state);
                Map<Long, Integer> perChunk = reading.get(b.device.index);
                Integer n = perChunk.get(b.chunk);
                Invariant.check(n != null && n > 0, () -> "completion of " + b + " with no read of it in flight");
                if (n == 1) {
                    perChunk.remove(b.chunk);
                } else {
                    perChunk.put(b.chunk, n - 1);
                }
                completionCount.inSection(this, counts);
                b.error = error;
                if (error != null && firstReadError == null) {
                    firstReadError = readFailed(b, error);
                }
                marked.get(b.device.index).remove(b.chunk);
                queue(b);
                checkCounts();
            } catch (Invariant.Violation v) {
                // on a reader thread nobody would see it: the migration thread throws it at its next step
                if (brokenInCompletion == null) {
                    brokenInCompletion = v;
                }
                throw v;
            }
        }
    }

    // apart from readDone: read faults are common enough in a campaign that the JIT would compile the message in
    private static IOException readFailed(Block b, IOException error) {
        return new IOException("read of " + b.device.name + " sector " + b.sector + " failed: " + error.getMessage(), error);
    }

    /**
     * A block with nothing to read now: zero copy (its data is taken when it is sent), or known
     * zero (a hole). It joins the queue at once.
     */
    void queueUnread(Block b) {
        synchronized (lock) {
            Invariant.check(b.state == null && b.buffer == null, () -> "unread block " + b + " queued twice or with a buffer");
            if (b.zeroCopy()) {
                zeroCopyQueued++;
            }
            queue(b);
            checkCounts();
        }
    }

    private void queue(Block b) {
        b.state = Block.State.DONE;
        b.completionNumber = completions++;
        completed.add(b);
    }

    /** The oldest completed block, to be sent now, or null. */
    Block pollCompleted() {
        synchronized (lock) {
            Block b = completed.poll();
            if (b != null) {
                sent(b);
                Invariant.check(b.completionNumber > lastSentCompletion,
                        () -> "block " + b + " sent out of completion order");
                lastSentCompletion = b.completionNumber;
            }
            return b;
        }
    }

    /** Takes one completed block out of the queue, to send it now (the final copy's synchronous reads). */
    void take(Block b) {
        synchronized (lock) {
            Invariant.check(b.state == Block.State.DONE && completed.remove(b), () -> "block " + b + " taken but not queued");
            sent(b);
        }
    }

    private void sent(Block b) {
        Invariant.check(b.state == Block.State.DONE, () -> "block " + b + " sent in state " + b.state);
        b.state = Block.State.SENT;
        if (b.zeroCopy()) {
            zeroCopyQueued--;
        }
        checkCounts();
    }

    private void checkCounts() {
        Invariant.check(submitted >= 0 && submitted == readingTotal && zeroCopyQueued >= 0
                && zeroCopyQueued <= completed.size(), () -> "read counts: " + submitted + " submitted, " + readingTotal
                        + " in flight, " + zeroCopyQueued + " zero-copy of " + completed.size() + " queued");
    }

    boolean isDone(Block b) {
        synchronized (lock) {
            return b.state == Block.State.DONE;
        }
    }

    boolean marked(MigratedDevice d, long chunk) {
        synchronized (lock) {
            know(d.index);
            return marked.get(d.index).contains(chunk);
        }
    }

    /** Whether a chunk of d in {@code from..to} is marked in flight. */
    boolean anyMarked(MigratedDevice d, long from, long to) {
        synchronized (lock) {
            know(d.index);
            for (long c : marked.get(d.index)) {
                if (c >= from && c <= to) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Reads of the device in flight. */
    int inFlight(MigratedDevice d) {
        synchronized (lock) {
            know(d.index);
            int n = 0;
            for (int c : reading.get(d.index).values()) {
                n += c;
            }
            return n;
        }
    }

    boolean noneInFlight() {
        synchronized (lock) {
            return submitted == 0;
        }
    }

    int inFlight() {
        synchronized (lock) {
            return submitted;
        }
    }

    /** Chunks in flight or done but unsent: what pending data counts. */
    int bufferedChunks() {
        synchronized (lock) {
            return submitted + completed.size();
        }
    }

    boolean maySubmit(SenderPolicies.Submission rule, SliceBudget budget, int chunkSizeBytes, SenderOptions limits,
            BufferPool buffers) {
        synchronized (lock) {
            SenderPolicies.Submission.Counts c = new SenderPolicies.Submission.Counts(submitted, completed.size(),
                    buffers.inUse() + zeroCopyQueued);
            return rule.maySubmit(c, budget, chunkSizeBytes, limits);
        }
    }

    /** Throws the first failed read's error, or a violation seen in a completion. */
    void throwReadError() throws IOException {
        synchronized (lock) {
            if (brokenInCompletion != null) {
                throw brokenInCompletion;
            }
            if (firstReadError != null) {
                throw firstReadError;
            }
        }
    }

    /**
     * At the end: drops the queued blocks, giving their buffers back, and closes the pool. Returns
     * the buffers still held, which must be those of the reads still in flight.
     */
    int end(BufferPool buffers) {
        synchronized (lock) {
            for (Block b : completed) {
                if (b.buffer != null) {
                    buffers.release(b.buffer);
                }
            }
            completed.clear();
            zeroCopyQueued = 0;
            int held = buffers.close();
            Invariant.check(held == submitted, () -> held + " buffers held at the end, but " + submitted
                    + " reads in flight hold one each");
            return held;
        }
    }
}
