// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.simdisk.SimScheduler;

/**
 * The receiver's end of the link, a blocking channel: a read takes what has arrived (or less, on a
 * link with short reads), and with nothing to read hands over to the simulation until an arrival
 * resumes it; then the end of input, or the reset of a cut.
 */
final class ReceiverEnd implements ReadableByteChannel {
    private final SimScheduler scheduler;
    private final LinkModel model;
    private final LinkWire wire;
    private final LinkFaults faults;
    private final ReceiverCoroutine coroutine;
    private long shortReads;

    ReceiverEnd(SimScheduler scheduler, LinkModel model, LinkWire wire, LinkFaults faults, ReceiverCoroutine coroutine) {
        this.scheduler = scheduler;
        this.model = model;
        this.wire = wire;
        this.faults = faults;
        this.coroutine = coroutine;
    }

    long shortReads() {
        return shortReads;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (dst.remaining() == 0) {
            return 0;
        }
        while (true) {
            if (coroutine.aborted()) {
                throw new IOException("the simulation ended");
            }
            long readable = wire.readableBytes();
            faults.noteRead(wire);
            long consumed = wire.consumedBytes();
            if (consumed < readable) {
                long n = Math.min(readable - consumed, dst.remaining());
                if (model.maxReadBytes() > 0) {
                    long cap = 1 + scheduler.random().nextInt(model.maxReadBytes());
                    if (cap < n) {
                        n = cap;
                        shortReads++;
                    }
                }
                wire.consume(dst, (int) n);
                return (int) n;
            }
            if (consumed >= wire.deliveredBytes() && wire.resetArrived()) {
                throw new IOException("connection reset by peer");
            }
            if (consumed >= wire.deliveredBytes() && wire.closeArrived()) {
                return -1;
            }
            coroutine.yieldToSimulation();
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
