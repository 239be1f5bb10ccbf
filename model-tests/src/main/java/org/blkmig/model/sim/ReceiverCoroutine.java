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
    private Thread thread;
    private Thread resumer;
    private boolean waiting;
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
        thread = new Thread(() -> {
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
                receiverTurn = false;
                LockSupport.unpark(resumer);
            }
        }, "blkmig-sim-receiver");
        thread.setDaemon(true);
        thread.start();
        resume();
    }

    /** Whether the receiver waits for bytes. */
    boolean waiting() {
        return waiting;
    }

    /** Resumes a receiver that waits for bytes; returns when it waits again or has finished. */
    void wake() {
        if (waiting && !done) {
            resume();
        }
    }

    private void resume() {
        waiting = false;
        resumer = Thread.currentThread();
        receiverTurn = true;
        LockSupport.unpark(thread);
        while (receiverTurn) {
            LockSupport.park(this);
        }
    }

    /** On the receiver's thread: it waits for bytes, the simulation runs until it is resumed. */
    void yieldToSimulation() {
        waiting = true;
        receiverTurn = false;
        LockSupport.unpark(resumer);
        awaitTurn();
    }

    private void awaitTurn() {
        while (!receiverTurn) {
            LockSupport.park(this);
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
            resume();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return stillWaiting;
    }

    boolean threadAlive() {
        return thread.isAlive();
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
