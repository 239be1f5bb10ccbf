// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.function.Function;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.SimScheduler;

/**
 * A connection in the run's virtual time, between the sender's writes and the receiver's reads,
 * modelled by a {@link LinkModel}: the sender's end ({@link SenderEnd}: the window, short writes,
 * the idle timeout), the bytes on their way ({@link LinkWire}: bandwidth, latency, jitter, segments),
 * the fault plan ({@link LinkFaults}: cut, stall, deaf receiver) and the receiver's end
 * ({@link ReceiverEnd}), read by the shipped {@code BlockReceiver} running as a coroutine
 * ({@link ReceiverCoroutine}) strictly handing over with the simulation's thread, so a run replays
 * byte for byte.
 */
public final class SimLink {
    /** The sender's idle timeout in virtual time: a write that cannot progress this long fails. */
    public static final long IDLE_TIMEOUT_NANOS = 2 * Durations.SECOND;
    /** How long after a byte arrives a waiting receiver runs: the bytes of that moment come in one read. */
    public static final long RECEIVER_WAKE_NANOS = 100 * Durations.MICRO;
    /** A long write on a link with a bandwidth arrives in pieces of at most this (TCP's 64 KiB window unit). */
    public static final int ARRIVAL_SEGMENT_BYTES = 64 * 1024;
    /** Records shorter than this are never blocks' data (a header with the longest name is 264 bytes). */
    static final int BLOCK_WRITE_BYTES = 512;

    private final SimScheduler scheduler;
    private final History history;
    private final ReceiverCoroutine coroutine;
    private final LinkFaults faults;
    private final LinkWire wire;
    private final SenderEnd sender;
    private final ReceiverEnd receiver;

    SimLink(SimScheduler scheduler, LinkModel model, StreamBuffer stream, History history) {
        this.scheduler = scheduler;
        this.history = history;
        this.coroutine = new ReceiverCoroutine();
        this.faults = new LinkFaults(scheduler, model, history);
        this.wire = new LinkWire(scheduler, model, stream, faults, coroutine);
        this.sender = new SenderEnd(scheduler, model, wire, faults, coroutine);
        this.receiver = new ReceiverEnd(wire, faults, coroutine);
    }

    /** Where the sender writes. */
    GatheringByteChannel senderChannel() {
        return sender;
    }

    /** The sender is done with the connection: the receiver reads what is on its way, then the end. */
    void closeSender() {
        sender.close();
    }

    long shortWrites() {
        return wire.shortWrites();
    }

    long shortReads() {
        return wire.shortReads();
    }

    /** Whether the link's fault fired inside a block's data. */
    boolean faultMidBlock() {
        return faults.firedMidBlock();
    }

    /** The stream offsets where the link's writes ended, ascending. */
    long[] writeEnds() {
        return wire.writeEnds();
    }

    /** Arrivals scheduled and not yet run. */
    int arrivalsPending() {
        return wire.arrivalsPending();
    }

    long consumedBytes() {
        return wire.consumedBytes();
    }

    /**
     * Starts the receiver on its channel and runs it until it first waits for bytes. One that ends
     * without a complete target before the sender closed has closed the connection: a history marker.
     */
    void startReceiver(Function<ReadableByteChannel, ReceiveResult> body) {
        coroutine.start(() -> body.apply(receiver), wire::consumedBytes, result -> {
            if (!sender.closed() && (result == null || !result.complete())) {
                history.add(new History.Marker(scheduler.nowNanos(), History.Kind.RECEIVER_CLOSED,
                        result != null ? result.reason() : "it failed"));
            }
        });
    }

    boolean receiverDone() {
        return coroutine.done();
    }

    /**
     * Ends a receiver that still waits (its reads fail: the simulation is over) and its thread.
     * Returns whether it had to: a receiver left waiting did not stop by itself.
     */
    boolean abortReceiver() {
        return coroutine.abort();
    }

    boolean receiverThreadAlive() {
        return coroutine.threadAlive();
    }

    /** The message of the invariant the receiver's side broke, or null. */
    String brokenInvariant() {
        return coroutine.brokenInvariant();
    }

    /** The receiver's result; what it threw, thrown again here. */
    ReceiveResult result() {
        return coroutine.result();
    }
}
