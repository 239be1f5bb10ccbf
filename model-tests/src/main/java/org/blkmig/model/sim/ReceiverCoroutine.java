// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Invariant;

/**
 * The receiver as a coroutine: it runs on a thread of its own, strictly handing over with the
 * simulation's thread. When it finds no byte to read it yields, and an arrival resumes it. Only one
 * of the two threads runs at a time, so a run replays byte for byte; the receiver's decoder keeps
 * its state across partial input as it does over a socket.
 */
final class ReceiverCoroutine {
    // turn hands over (a volatile write, then unpark; the other side parks until it sees it)
    private volatile boolean receiverTurn;
    /**
     * Yields before parking while the other side has the turn: a turn is often back within
     * microseconds, and a futex wake and sleep cost more (3,000 scenarios: 3% less time on one core
     * and on two shards side by side, the system time a third less).
     */
    private static final int SPINS = 100;
    private Thread thread;
    private Thread resumer;
    private boolean waiting;
    private java.util.function.BooleanSupplier filler; // reads for a waiting receiver at a wake; null: none
    private boolean done;
    private boolean aborted;
    private ReceiveResult result;
    private RuntimeException threw;
    private String brokenInvariant;

    /**
     * Starts the receiver's {@code body} and runs it until it first waits for bytes; once it has
     * returned (or thrown), {@code onReturn} sees its result (null if it threw) on its thread. A
     * receiver that broke an invariant ends incomplete at {@code bytesRead}.
     */
    void start(Supplier<ReceiveResult> body, LongSupplier bytesRead, Consumer<ReceiveResult> onReturn) {
        resumer = Thread.currentThread();
        Carrier carrier = Carrier.take();
        thread = carrier.thread;
        carrier.run(() -> {
            awaitTurn();
            try {
                result = body.get();
            } catch (Invariant.Violation v) {
                // a bug of blkmig's on the receiver's side (an Error, so not a RuntimeException): the run is
                // judged failed by invariants, the receive incomplete where it stopped reading
                brokenInvariant = v.getMessage();
                result = new ReceiveResult(false, v.getMessage(), bytesRead.getAsLong(), 0, 0, -1, bytesRead.getAsLong());
            } catch (RuntimeException e) {
                threw = e;
            } finally {
                onReturn.accept(result);
                done = true;
                waiting = false;
                carrier.idle = true; // before the hand-back: the next run may take it at once
                receiverTurn = false;
                LockSupport.unpark(resumer);
            }
        });
        resume();
    }

    /**
     * The receivers' thread, kept for the next run once a receiver returned: a new platform thread
     * per run cost more than many runs' decoding. Each simulating thread keeps its last carrier; a
     * receiver left waiting keeps its own, and the next run gets a new one.
     */
    private static final class Carrier {
        private static final ThreadLocal<Carrier> LAST = new ThreadLocal<>();
        final Thread thread;
        volatile boolean idle;
        private volatile Runnable task;

        private Carrier() {
            thread = new Thread(this::loop, "blkmig-sim-receiver");
            thread.setDaemon(true);
            thread.start();
        }

        /** The calling thread's idle carrier, or a new one. */
        static Carrier take() {
            Carrier c = LAST.get();
            if (c == null || !c.idle || !c.thread.isAlive()) {
                c = new Carrier();
                LAST.set(c);
            }
            c.idle = false;
            return c;
        }

        void run(Runnable body) {
            Invariant.check(task == null, "a receiver's carrier given a second body");
            task = body;
            LockSupport.unpark(thread);
        }

        private void loop() {
            while (true) {
                Runnable t = task;
                if (t == null) {
                    LockSupport.park(this);
                    continue;
                }
                task = null;
                try {
                    t.run();
                } catch (Throwable e) { // the body handed the turn back in its finally: report, and serve on
                    try {
                        thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
                    } catch (Throwable reporting) {
                        idle = false; // out of memory even to report it: never given another body
                        throw reporting;
                    }
                }
            }
        }
    }

    /** Whether the receiver waits for bytes. */
    boolean waiting() {
        return waiting;
    }

    /** Resumes a receiver that waits for bytes; returns when it waits again or has finished. */
    void wake() {
        if (waiting && !done && (filler == null || !filler.getAsBoolean())) {
            resume();
        }
    }

    private void resume() {
        filler = null;
        waiting = false;
        resumer = Thread.currentThread();
        receiverTurn = true;
        LockSupport.unpark(thread);
        for (int i = 0; receiverTurn; i++) {
            if (i < SPINS) {
                Thread.yield();
            } else {
                LockSupport.park(this);
            }
        }
    }

    /**
     * On the receiver's thread: as {@link #yieldToSimulation()}, but each wake first runs {@code filler}
     * on the simulation's thread, which reads for the receiver and says whether it waits on.
     */
    void yieldFilling(java.util.function.BooleanSupplier filler) {
        this.filler = filler;
        yieldToSimulation();
    }

    /** On the receiver's thread: it waits for bytes, the simulation runs until it is resumed. */
    void yieldToSimulation() {
        waiting = true;
        receiverTurn = false;
        LockSupport.unpark(resumer);
        awaitTurn();
    }

    private void awaitTurn() {
        for (int i = 0; !receiverTurn; i++) {
            if (i < SPINS) {
                Thread.yield();
            } else {
                LockSupport.park(this);
            }
        }
    }

    boolean done() {
        return done;
    }

    /** Whether the simulation ended it: its reads fail. */
    boolean aborted() {
        return aborted;
    }

    /** The receiver returned without a complete target (or threw). */
    boolean gaveUp() {
        return done && (result == null || !result.complete());
    }

    /**
     * Ends a receiver that still waits (its reads fail: the simulation is over) and its thread.
     * Returns whether it had to: a receiver left waiting did not stop by itself.
     */
    boolean abort() {
        boolean stillWaiting = !done;
        if (stillWaiting) {
            aborted = true;
            resume(); // returns once the receiver returned, or waits again (then it never will)
        }
        return stillWaiting;
    }

    /** Whether the receiver's body has not returned: its carrier stays with it. */
    boolean threadAlive() {
        return !done;
    }

    /** The message of the invariant the receiver's side broke, or null. */
    String brokenInvariant() {
        return brokenInvariant;
    }

    /** The receiver's result; what it threw, thrown again here. */
    ReceiveResult result() {
        if (threw != null) {
            throw threw;
        }
        return result;
    }
}
