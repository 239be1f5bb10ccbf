// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import org.blkmig.model.scenario.LinkModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SimScheduler;

/**
 * A connection in the run's virtual time, between the sender's writes and the receiver's reads,
 * modelled by a {@link LinkModel}. The sender's side takes what the window and a short write let
 * it, waiting (the scheduler runs meanwhile) while the window is full, and gives up after the
 * idle timeout as `blkmig send`'s watchdog does; every byte it takes is appended to the run's
 * {@link StreamBuffer}, so the link keeps only counts. A byte arrives after its turn on the wire
 * (bandwidth), the latency and a jitter, never before an earlier byte.
 *
 * <p>The receiver is the shipped {@code BlockReceiver}, pulling from a blocking channel. It runs as
 * a coroutine on a thread of its own, strictly handing over with the simulation's thread: when it
 * finds no byte to read it yields, and an arrival resumes it. Only one of the two threads runs at a
 * time, so a run replays byte for byte; the receiver's decoder keeps its state across partial
 * input as it does over a socket.
 */
public final class SimLink {
    /** The sender's idle timeout in virtual time: a write that cannot progress this long fails. */
    public static final long IDLE_TIMEOUT_NANOS = 2 * Durations.SECOND;
    /** How long after a byte arrives a waiting receiver runs: the bytes of that moment come in one read. */
    public static final long RECEIVER_WAKE_NANOS = 100 * Durations.MICRO;

    private final SimScheduler scheduler;
    private final LinkModel model;
    private final StreamBuffer stream;
    private final History history;
    private final long windowBytes;
    private final SenderSide sender = new SenderSide();
    private final ReceiverSide receiver = new ReceiverSide();

    // sender side
    private long writtenBytes;
    private long wireFreeNanos;
    private long lastArrivalNanos;
    private boolean cut;
    private boolean stallApplied;
    private boolean senderClosed;
    /** Link writes that carried only part of what the sender offered. */
    private long shortWrites;
    /** The last write: what it was offered, whether it took less. */
    private long lastOffered;
    private boolean lastShort;
    /** A fault fired inside a record of {@link #BLOCK_WRITE_BYTES} or more: inside a block's data. */
    private boolean faultMidBlock;
    /** A long write on a link with a bandwidth arrives in pieces of at most this (TCP's 64 KiB window unit). */
    public static final int ARRIVAL_SEGMENT_BYTES = 64 * 1024;
    /** Records shorter than this are never blocks' data (a header with the longest name is 264 bytes). */
    static final int BLOCK_WRITE_BYTES = 512;
    /** The stream offset at which each write ended, in order. */
    private long[] writeEnds = new long[64];
    private int writes;
    // arrivals
    private long deliveredBytes;
    private boolean closeArrived;
    private boolean wakeScheduled;
    private boolean resetArrived;
    private int arrivalsPending;
    // receiver side
    private long consumedBytes;
    private boolean deafMarked;
    private long shortReads;

    // the coroutine: receiverTurn hands over (a volatile write, then unpark; the other side parks until it sees it)
    private volatile boolean receiverTurn;
    private Thread receiverThread;
    private Thread resumer;
    private boolean receiverWaiting;
    private boolean receiverDone;
    private boolean aborted;
    private ReceiveResult result;
    private RuntimeException receiverThrew;
    private String brokenInvariant;

    SimLink(SimScheduler scheduler, LinkModel model, StreamBuffer stream, History history) {
        this.scheduler = scheduler;
        this.model = model;
        this.stream = stream;
        this.history = history;
        this.windowBytes = model.effectiveWindowBytes();
    }

    /** Where the sender writes. */
    GatheringByteChannel senderChannel() {
        return sender;
    }

    long shortWrites() {
        return shortWrites;
    }

    /** Whether the link's fault fired inside a block's data. */
    boolean faultMidBlock() {
        return faultMidBlock;
    }

    /** Whether the byte lies strictly inside one write of a block's data. */
    private boolean insideBlockWrite(long at) {
        int i = java.util.Arrays.binarySearch(writeEnds, 0, writes, at);
        if (i >= 0) {
            return false; // a write ended there
        }
        int w = -i - 1;
        long start = w == 0 ? 0 : writeEnds[w - 1];
        return w < writes && start < at && writeEnds[w] - start >= BLOCK_WRITE_BYTES;
    }

    /** The stream offsets where the link's writes ended, ascending. */
    long[] writeEnds() {
        return java.util.Arrays.copyOf(writeEnds, writes);
    }

    long shortReads() {
        return shortReads;
    }

    /** Arrivals scheduled and not yet run. */
    int arrivalsPending() {
        return arrivalsPending;
    }

    long consumedBytes() {
        return consumedBytes;
    }

    // ---- the sender's side ----

    private final class SenderSide implements GatheringByteChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long offered = 0;
            for (int i = offset; i < offset + length; i++) {
                offered += srcs[i].remaining();
            }
            checkOpen();
            if (offered == 0) {
                return 0;
            }
            long deadline = scheduler.nowNanos() + IDLE_TIMEOUT_NANOS;
            while (windowBytes > 0 && writtenBytes - consumedBytes >= windowBytes) {
                if (receiverGaveUp()) {
                    // a receiver that gave up closed its end: a sender waiting for the window learns it from
                    // the reset (one with room in the window writes on, as into a socket's buffer)
                    throw new IOException("broken pipe: the receiver closed the connection");
                }
                if (!scheduler.runNext(deadline)) {
                    scheduler.runUntil(deadline);
                    if (writtenBytes - consumedBytes >= windowBytes && !receiverGaveUp()) {
                        throw new IOException("the receiver stopped reading (no progress within the idle timeout)");
                    }
                }
                checkOpen();
            }
            long n = offered;
            if (windowBytes > 0) {
                n = Math.min(n, windowBytes - (writtenBytes - consumedBytes));
            }
            if (model.maxWriteBytes() > 0) {
                n = Math.min(n, 1 + scheduler.random().nextInt(model.maxWriteBytes()));
            }
            long at = model.faultAtByte();
            if (model.fault() == LinkModel.Fault.CUT && writtenBytes + n > at) {
                n = at - writtenBytes;
                if (n == 0) {
                    cut = true;
                    faultMidBlock = lastShort && lastOffered >= BLOCK_WRITE_BYTES;
                    history.add(new History.Marker(scheduler.nowNanos(), History.Kind.LINK_DROP, "at byte " + at));
                    // after the last byte's arrival: events of one instant run in a drawn order
                    long when = Math.max(scheduler.nowNanos(), lastArrivalNanos + 1);
                    arrivalsPending++;
                    scheduler.atInBackground(when, () -> {
                        arrivalsPending--;
                        resetArrived = true;
                        wakeReceiver();
                    });
                    checkOpen();
                }
            }
            if (model.fault() == LinkModel.Fault.STALL && !stallApplied && writtenBytes + n > at) {
                if (writtenBytes < at) {
                    n = at - writtenBytes; // the bytes before the stall leave first
                } else {
                    stallApplied = true;
                    faultMidBlock = lastShort && lastOffered >= BLOCK_WRITE_BYTES;
                    history.add(new History.Marker(scheduler.nowNanos(), History.Kind.LINK_STALL, "byte " + at
                            + " stalls for " + Durations.format(model.stallNanos())));
                    wireFreeNanos = Math.max(wireFreeNanos, scheduler.nowNanos()) + model.stallNanos();
                }
            }
            if (n < offered) {
                shortWrites++;
            }
            lastOffered = offered;
            lastShort = n < offered;
            long left = n;
            for (int i = offset; i < offset + length && left > 0; i++) {
                int take = (int) Math.min(left, srcs[i].remaining());
                stream.write(srcs[i], take);
                left -= take;
            }
            writtenBytes += n;
            if (writes == writeEnds.length) {
                writeEnds = java.util.Arrays.copyOf(writeEnds, writes * 2);
            }
            writeEnds[writes++] = writtenBytes;

            schedule(n);
            return n;
        }

        private void checkOpen() throws IOException {
            if (cut) {
                throw new IOException("connection reset: the link dropped at byte " + model.faultAtByte());
            }
            if (senderClosed) {
                throw new ClosedChannelException();
            }
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return !senderClosed && !cut;
        }

        @Override
        public void close() {
            closeSender();
        }
    }

    /**
     * The bytes just written: their turn on the wire, then the latency and a jitter, in order. On a
     * link with a bandwidth a long write trickles in, a segment at a time, each as its own turn on
     * the wire ends, as a socket's reader sees it: the receiver reads, and the window frees, while
     * the rest is still on its way (arriving whole at the end, a 1 MiB write on a 379 KiB/s link
     * held the window for 2.7 s and the sender gave up at its 2 s idle timeout with nothing wrong).
     */
    private void schedule(long bytes) {
        long now = scheduler.nowNanos();
        long departs = Math.max(now, wireFreeNanos);
        double nanosPerByte = model.bandwidthBytesPerSecond() == 0 ? 0 : 1e9 / model.bandwidthBytesPerSecond();
        wireFreeNanos = departs + (long) (bytes * nanosPerByte);
        // one jitter per write: the segments of a write keep their spacing
        long jitter = model.jitterNanos() == 0 ? 0 : scheduler.random().nextLong(model.jitterNanos() + 1);
        long start = writtenBytes - bytes;
        long done = nanosPerByte == 0 ? bytes : Math.min(bytes, ARRIVAL_SEGMENT_BYTES);
        while (true) {
            long offWire = done == bytes ? wireFreeNanos : departs + (long) (done * nanosPerByte);
            long arrives = Math.max(lastArrivalNanos, offWire + model.latencyNanos() + jitter);
            lastArrivalNanos = arrives;
            arrival(arrives, start + done);
            if (done == bytes) {
                return;
            }
            done = Math.min(bytes, done + ARRIVAL_SEGMENT_BYTES);
        }
    }

    /** The stream's bytes up to {@code end} arrive at {@code arrivesNanos}. */
    private void arrival(long arrivesNanos, long end) {
        arrivalsPending++;
        scheduler.atInBackground(arrivesNanos, () -> {
            arrivalsPending--;
            deliveredBytes = Math.max(deliveredBytes, end);
            if (receiverWaiting && !wakeScheduled && readableBytes() > consumedBytes) {
                // the receiver's thread wakes once for the bytes arriving within a moment, as a
                // socket's reader takes what has arrived by the time it runs
                wakeScheduled = true;
                arrivalsPending++;
                scheduler.afterInBackground(RECEIVER_WAKE_NANOS, () -> {
                    arrivalsPending--;
                    wakeScheduled = false;
                    wakeReceiver();
                });
            }
        });
    }

    /** The sender is done with the connection: the receiver reads what is on its way, then the end. */
    void closeSender() {
        if (senderClosed || cut) {
            senderClosed = true;
            return;
        }
        senderClosed = true;
        arrivalsPending++;
        // after the last byte's arrival: events of one instant run in a drawn order
        scheduler.atInBackground(Math.max(scheduler.nowNanos(), lastArrivalNanos + 1), () -> {
            arrivalsPending--;
            closeArrived = true;
            wakeReceiver();
        });
    }

    // ---- the receiver's side ----

    private final class ReceiverSide implements ReadableByteChannel {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (dst.remaining() == 0) {
                return 0;
            }
            while (true) {
                if (aborted) {
                    throw new IOException("the simulation ended");
                }
                long readable = readableBytes();
                if (model.fault() == LinkModel.Fault.DEAF && !closeArrived && !resetArrived) {
                    if (consumedBytes >= model.faultAtByte() && !deafMarked) {
                        deafMarked = true;
                        faultMidBlock = insideBlockWrite(model.faultAtByte());
                        history.add(new History.Marker(scheduler.nowNanos(), History.Kind.RECEIVER_STOPS_READING,
                                "at byte " + model.faultAtByte()));
                    }
                }
                if (consumedBytes < readable) {
                    long n = Math.min(readable - consumedBytes, dst.remaining());
                    if (model.maxReadBytes() > 0) {
                        long cap = 1 + scheduler.random().nextInt(model.maxReadBytes());
                        if (cap < n) {
                            n = cap;
                            shortReads++;
                        }
                    }
                    stream.read(consumedBytes, dst, (int) n);
                    consumedBytes += n;
                    return (int) n;
                }
                if (consumedBytes >= deliveredBytes && resetArrived) {
                    throw new IOException("connection reset by peer");
                }
                if (consumedBytes >= deliveredBytes && closeArrived) {
                    return -1;
                }
                yieldToSimulation();
            }
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
            // the receiver's end: nothing to release in memory
        }
    }

    /** The bytes the receiver may read now: a deaf one stops at its byte until the sender's close reaches it. */
    private long readableBytes() {
        if (model.fault() == LinkModel.Fault.DEAF && !closeArrived && !resetArrived) {
            return Math.min(deliveredBytes, model.faultAtByte());
        }
        return deliveredBytes;
    }

    // ---- the coroutine ----

    /** Starts the receiver on its channel and runs it until it first waits for bytes. */
    void startReceiver(Function<ReadableByteChannel, ReceiveResult> body) {
        receiverThread = new Thread(() -> {
            awaitTurn();
            try {
                result = body.apply(receiver);
            } catch (Invariant.Violation v) {
                // a bug of blkmig's on the receiver's side (an Error, so not a RuntimeException): the run is
                // judged failed by invariants, the receive incomplete where it stopped reading
                brokenInvariant = v.getMessage();
                result = new ReceiveResult(false, v.getMessage(), consumedBytes, 0, 0, -1, consumedBytes);
            } catch (RuntimeException e) {
                receiverThrew = e;
            } finally {
                if (!senderClosed && (result == null || !result.complete())) {
                    history.add(new History.Marker(scheduler.nowNanos(), History.Kind.RECEIVER_CLOSED,
                            result != null ? result.reason() : "it failed"));
                }
                receiverDone = true;
                receiverWaiting = false;
                receiverTurn = false;
                LockSupport.unpark(resumer);
            }
        }, "blkmig-sim-receiver");
        receiverThread.setDaemon(true);
        receiverThread.start();
        resume();
    }

    private void wakeReceiver() {
        if (receiverWaiting && !receiverDone) {
            resume();
        }
    }

    /** Hands over to the receiver; returns when it waits again or has finished. */
    private void resume() {
        receiverWaiting = false;
        resumer = Thread.currentThread();
        receiverTurn = true;
        LockSupport.unpark(receiverThread);
        while (receiverTurn) {
            LockSupport.park(this);
        }
    }

    private void yieldToSimulation() {
        receiverWaiting = true;
        receiverTurn = false;
        LockSupport.unpark(resumer);
        awaitTurn();
    }

    private void awaitTurn() {
        while (!receiverTurn) {
            LockSupport.park(this);
        }
    }

    boolean receiverDone() {
        return receiverDone;
    }

    /** The receiver returned without a complete target (or threw). */
    private boolean receiverGaveUp() {
        return receiverDone && (result == null || !result.complete());
    }

    /**
     * Ends a receiver that still waits (its reads fail: the simulation is over) and its thread.
     * Returns whether it had to: a receiver left waiting did not stop by itself.
     */
    boolean abortReceiver() {
        boolean waiting = !receiverDone;
        if (waiting) {
            aborted = true;
            resume();
        }
        try {
            receiverThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return waiting;
    }

    boolean receiverThreadAlive() {
        return receiverThread.isAlive();
    }

    /** The message of the invariant the receiver's side broke, or null. */
    String brokenInvariant() {
        return brokenInvariant;
    }

    /** The receiver's result; what it threw, thrown again here. */
    ReceiveResult result() {
        if (receiverThrew != null) {
            throw receiverThrew;
        }
        return result;
    }
}
