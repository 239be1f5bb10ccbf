// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.SimScheduler;

/**
 * The link's fault plan, at most one fault at a byte of the stream: a cut (the connection drops
 * there: the bytes before it arrive, then a reset), a stall (the byte waits on the wire so long) or
 * a deaf receiver (it stops reading there until the sender's close reaches it). Each marks the
 * history when it fires, and whether it fired inside a block's data.
 */
final class LinkFaults {
    private final SimScheduler scheduler;
    private final LinkModel model;
    private final History history;
    private boolean cut;
    private boolean stallApplied;
    private boolean deafMarked;
    /** A fault fired inside a record of {@link SimLink#BLOCK_WRITE_BYTES} or more: inside a block's data. */
    private boolean firedMidBlock;

    LinkFaults(SimScheduler scheduler, LinkModel model, History history) {
        this.scheduler = scheduler;
        this.model = model;
        this.history = history;
    }

    boolean cut() {
        return cut;
    }

    /** Whether the fault fired inside a block's data. */
    boolean firedMidBlock() {
        return firedMidBlock;
    }

    /** The sender's side of a cut: every write after it fails. */
    void checkNotCut() throws IOException {
        if (cut) {
            throw new IOException("connection reset: the link dropped at byte " + model.faultAtByte());
        }
    }

    /**
     * How many of the {@code n} bytes the sender's next write may take: those before a cut or a
     * stall's byte. The write that reaches the cut fails and the reset follows the last byte; the
     * one that reaches the stall holds the wire for the stall's duration.
     */
    long letThrough(long n, LinkWire wire) throws IOException {
        long at = model.faultAtByte();
        long written = wire.writtenBytes();
        if (model.fault() == LinkModel.Fault.CUT && written + n > at) {
            n = at - written;
            if (n == 0) {
                cut = true;
                firedMidBlock = wire.lastWriteShortInABlock();
                history.add(new History.Marker(scheduler.nowNanos(), History.Kind.LINK_DROP, "at byte " + at));
                wire.endAfterLastByte(true);
                checkNotCut();
            }
        }
        if (model.fault() == LinkModel.Fault.STALL && !stallApplied && written + n > at) {
            if (written < at) {
                n = at - written; // the bytes before the stall leave first
            } else {
                stallApplied = true;
                firedMidBlock = wire.lastWriteShortInABlock();
                history.add(new History.Marker(scheduler.nowNanos(), History.Kind.LINK_STALL, "byte " + at
                        + " stalls for " + Durations.format(model.stallNanos())));
                wire.stall(model.stallNanos());
            }
        }
        return n;
    }

    /** Of the bytes delivered, those a receiver may read: a deaf one stops at its byte until the connection's end. */
    long readableBytes(long deliveredBytes, boolean endArrived) {
        if (model.fault() == LinkModel.Fault.DEAF && !endArrived) {
            return Math.min(deliveredBytes, model.faultAtByte());
        }
        return deliveredBytes;
    }

    /** A deaf receiver that has read up to its byte is marked in the history, once. */
    void noteRead(LinkWire wire) {
        if (model.fault() == LinkModel.Fault.DEAF && !wire.endArrived()) {
            if (wire.consumedBytes() >= model.faultAtByte() && !deafMarked) {
                deafMarked = true;
                firedMidBlock = wire.insideBlockWrite(model.faultAtByte());
                history.add(new History.Marker(scheduler.nowNanos(), History.Kind.RECEIVER_STOPS_READING,
                        "at byte " + model.faultAtByte()));
            }
        }
    }
}
