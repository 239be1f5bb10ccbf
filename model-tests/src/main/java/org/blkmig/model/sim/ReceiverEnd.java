// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * The receiver's end of the link, a blocking channel: a read takes what has arrived (or less, on a
 * link with short reads), and with nothing to read hands over to the simulation until an arrival
 * resumes it; then the end of input, or the reset of a cut.
 */
final class ReceiverEnd implements ReadableByteChannel {
    private final LinkWire wire;
    private final LinkFaults faults;
    private final ReceiverCoroutine coroutine;

    ReceiverEnd(LinkWire wire, LinkFaults faults, ReceiverCoroutine coroutine) {
        this.wire = wire;
        this.faults = faults;
        this.coroutine = coroutine;
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
                return wire.read(dst, Math.min(readable - consumed, dst.remaining()));
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
