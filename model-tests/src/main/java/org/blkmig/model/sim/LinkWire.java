// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.simdisk.SimScheduler;

/**
 * The bytes on their way between the link's two ends, in virtual time: how many the sender wrote
 * and the receiver consumed (the window is their difference), each write's turn on the wire
 * (bandwidth), its latency and jitter, the segments a long write arrives in, and the connection's
 * end arriving after its last byte. Every byte taken is appended to the run's {@link StreamBuffer};
 * the wire keeps counts, and the offsets where writes ended. A byte never arrives before an earlier one.
 */
final class LinkWire {
    private final SimScheduler scheduler;
    private final LinkModel model;
    private final StreamBuffer stream;
    private final LinkFaults faults;
    private final ReceiverCoroutine receiver;

    private long writtenBytes;
    private long consumedBytes;
    private long deliveredBytes;
    private long wireFreeNanos;
    private long lastArrivalNanos;
    private int arrivalsPending;
    private boolean wakeScheduled;
    private boolean closeArrived;
    private boolean resetArrived;
    /** Link writes that carried only part of what the sender offered; reads that took less than had arrived. */
    private long shortWrites;
    private long shortReads;
    /** The last write: what it was offered, whether it took less. */
    private long lastOfferedBytes;
    private boolean lastShort;
    /** The stream offset at which each write ended, in order. */
    private long[] writeEnds = new long[64];
    private int writes;

    LinkWire(SimScheduler scheduler, LinkModel model, StreamBuffer stream, LinkFaults faults, ReceiverCoroutine receiver) {
        this.scheduler = scheduler;
        this.model = model;
        this.stream = stream;
        this.faults = faults;
        this.receiver = receiver;
    }

    long writtenBytes() {
        return writtenBytes;
    }

    long consumedBytes() {
        return consumedBytes;
    }

    long deliveredBytes() {
        return deliveredBytes;
    }

    /** Bytes written and not yet read: what the window holds. */
    long unreadBytes() {
        return writtenBytes - consumedBytes;
    }

    boolean closeArrived() {
        return closeArrived;
    }

    boolean resetArrived() {
        return resetArrived;
    }

    /** Whether the connection's end (the sender's close or a reset) has reached the receiver. */
    boolean endArrived() {
        return closeArrived || resetArrived;
    }

    long shortWrites() {
        return shortWrites;
    }

    long shortReads() {
        return shortReads;
    }

    /** Arrivals scheduled and not yet run. */
    int arrivalsPending() {
        return arrivalsPending;
    }

    /** Whether the last write took less than it was offered, of a record as long as a block's data. */
    boolean lastWriteShortInABlock() {
        return lastShort && lastOfferedBytes >= SimLink.BLOCK_WRITE_BYTES;
    }

    /** The stream offsets where the link's writes ended, ascending. */
    long[] writeEnds() {
        return Arrays.copyOf(writeEnds, writes);
    }

    /** Whether the byte lies strictly inside one write of a block's data. */
    boolean insideBlockWrite(long at) {
        int i = Arrays.binarySearch(writeEnds, 0, writes, at);
        if (i >= 0) {
            return false; // a write ended there
        }
        int w = -i - 1;
        long start = w == 0 ? 0 : writeEnds[w - 1];
        return w < writes && start < at && writeEnds[w] - start >= SimLink.BLOCK_WRITE_BYTES;
    }

    /** The sender's write takes {@code n} of the {@code offeredBytes} in {@code srcs}: into the stream, onto the wire. */
    void take(ByteBuffer[] srcs, int offset, int length, long n, long offeredBytes) {
        if (n < offeredBytes) {
            shortWrites++;
        }
        lastOfferedBytes = offeredBytes;
        lastShort = n < offeredBytes;
        long left = n;
        for (int i = offset; i < offset + length && left > 0; i++) {
            int take = (int) Math.min(left, srcs[i].remaining());
            stream.write(srcs[i], take);
            left -= take;
        }
        writtenBytes += n;
        if (writes == writeEnds.length) {
            writeEnds = Arrays.copyOf(writeEnds, writes * 2);
        }
        writeEnds[writes++] = writtenBytes;
        schedule(n);
    }

    /** Nothing leaves the wire for {@code nanos} from now (or from when it frees). */
    void stall(long nanos) {
        wireFreeNanos = Math.max(wireFreeNanos, scheduler.nowNanos()) + nanos;
    }

    /** The connection's end, a reset or the sender's close, reaches the receiver after the last byte. */
    void endAfterLastByte(boolean reset) {
        // after the last byte's arrival: events of one instant run in a drawn order
        long when = Math.max(scheduler.nowNanos(), lastArrivalNanos + 1);
        arrivalsPending++;
        scheduler.atInBackground(when, () -> {
            arrivalsPending--;
            if (reset) {
                resetArrived = true;
            } else {
                closeArrived = true;
            }
            receiver.wake();
        });
    }

    /** The bytes the receiver may read now: a deaf one stops at its byte until the sender's close reaches it. */
    long readableBytes() {
        return faults.readableBytes(deliveredBytes, endArrived());
    }

    /** The receiver reads the next {@code n} bytes into {@code dst}, or fewer on a link with short reads; returns how many. */
    int read(ByteBuffer dst, long n) {
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
        long done = nanosPerByte == 0 ? bytes : Math.min(bytes, SimLink.ARRIVAL_SEGMENT_BYTES);
        while (true) {
            long offWire = done == bytes ? wireFreeNanos : departs + (long) (done * nanosPerByte);
            long arrives = Math.max(lastArrivalNanos, offWire + model.latencyNanos() + jitter);
            lastArrivalNanos = arrives;
            arrival(arrives, start + done);
            if (done == bytes) {
                return;
            }
            done = Math.min(bytes, done + SimLink.ARRIVAL_SEGMENT_BYTES);
        }
    }

    /** The stream's bytes up to {@code end} arrive at {@code arrivesNanos}. */
    private void arrival(long arrivesNanos, long end) {
        arrivalsPending++;
        scheduler.atInBackground(arrivesNanos, () -> {
            arrivalsPending--;
            deliveredBytes = Math.max(deliveredBytes, end);
            if (receiver.waiting() && !wakeScheduled && readableBytes() > consumedBytes) {
                // the receiver's thread wakes once for the bytes arriving within a moment, as a
                // socket's reader takes what has arrived by the time it runs
                wakeScheduled = true;
                arrivalsPending++;
                scheduler.afterInBackground(SimLink.RECEIVER_WAKE_NANOS, () -> {
                    arrivalsPending--;
                    wakeScheduled = false;
                    receiver.wake();
                });
            }
        });
    }
}
