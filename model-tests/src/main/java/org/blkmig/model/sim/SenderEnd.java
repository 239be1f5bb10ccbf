// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.simdisk.SimScheduler;

/**
 * The sender's end of the link: a write takes what the window, a short write and the fault plan
 * let it, waiting (the scheduler runs meanwhile) while the window is full, and gives up after the
 * idle timeout as `blkmig send`'s watchdog does.
 */
final class SenderEnd implements GatheringByteChannel {
    private final SimScheduler scheduler;
    private final LinkModel model;
    private final LinkWire wire;
    private final LinkFaults faults;
    private final ReceiverCoroutine receiver;
    private final long windowBytes;
    private boolean closed;

    SenderEnd(SimScheduler scheduler, LinkModel model, LinkWire wire, LinkFaults faults, ReceiverCoroutine receiver) {
        this.scheduler = scheduler;
        this.model = model;
        this.wire = wire;
        this.faults = faults;
        this.receiver = receiver;
        this.windowBytes = model.effectiveWindowBytes();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
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
        awaitWindow();
        long n = offered;
        if (windowBytes > 0) {
            n = Math.min(n, windowBytes - wire.unreadBytes());
        }
        if (model.maxWriteBytes() > 0) {
            n = Math.min(n, 1 + scheduler.random().nextInt(model.maxWriteBytes()));
        }
        n = faults.letThrough(n, wire);
        wire.take(srcs, offset, length, n, offered);
        return n;
    }

    /** Runs the simulation while the window is full, up to the idle timeout. */
    private void awaitWindow() throws IOException {
        long deadline = scheduler.nowNanos() + SimLink.IDLE_TIMEOUT_NANOS;
        while (windowFull()) {
            if (receiver.gaveUp()) {
                // a receiver that gave up closed its end: a sender waiting for the window learns it from
                // the reset (one with room in the window writes on, as into a socket's buffer)
                throw new IOException("broken pipe: the receiver closed the connection");
            }
            if (!scheduler.runNext(deadline)) {
                scheduler.runUntil(deadline);
                if (windowFull() && !receiver.gaveUp()) {
                    throw new IOException("the receiver stopped reading (no progress within the idle timeout)");
                }
            }
            checkOpen();
        }
    }

    private boolean windowFull() {
        return windowBytes > 0 && wire.unreadBytes() >= windowBytes;
    }

    private void checkOpen() throws IOException {
        faults.checkNotCut();
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    boolean closed() {
        return closed;
    }

    @Override
    public boolean isOpen() {
        return !closed && !faults.cut();
    }

    /** The sender is done with the connection: the receiver reads what is on its way, then the end. */
    @Override
    public void close() {
        boolean wasOpen = isOpen();
        closed = true;
        if (wasOpen) {
            wire.endAfterLastByte(false);
        }
    }
}
