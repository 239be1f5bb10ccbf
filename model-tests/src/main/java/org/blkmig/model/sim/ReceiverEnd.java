// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blkmig.protocol.FillingChannel;

/**
 * The receiver's end of the link, a blocking channel: a read takes what has arrived (or less, on a
 * link with short reads), and with nothing to read hands over to the simulation until an arrival
 * resumes it; then the end of input, or the reset of a cut. A block's data is read by the
 * simulation's thread at each arrival, as the receiver's repeated reads would take it, and the
 * receiver resumed once the block is in: the same reads in the same order, one hand-over per block.
 */
final class ReceiverEnd implements FillingChannel {
    private final LinkWire wire;
    private final LinkFaults faults;
    private final ReceiverCoroutine coroutine;
    // what a read finds now (set by next()), and a block's data being read by the simulation
    private long readableBytes;
    private ByteBuffer filling;
    private int fillingMinRoomBytes;
    private int filledBytes;

    ReceiverEnd(LinkWire wire, LinkFaults faults, ReceiverCoroutine coroutine) {
        this.wire = wire;
        this.faults = faults;
        this.coroutine = coroutine;
    }

    /** What a read would do now. */
    private enum Next { READ, WAIT, ABORTED, RESET, END }

    /** A read's checks, in their order (a deaf receiver's mark is made once, so repeating them is harmless). */
    private Next next() {
        if (coroutine.aborted()) {
            return Next.ABORTED;
        }
        readableBytes = wire.readableBytes();
        faults.noteRead(wire);
        long consumed = wire.consumedBytes();
        if (consumed < readableBytes) {
            return Next.READ;
        }
        if (consumed >= wire.deliveredBytes() && wire.resetArrived()) {
            return Next.RESET;
        }
        if (consumed >= wire.deliveredBytes() && wire.closeArrived()) {
            return Next.END;
        }
        return Next.WAIT;
    }

    private int readNow(ByteBuffer dst) {
        return wire.read(dst, Math.min(readableBytes - wire.consumedBytes(), dst.remaining()));
    }

    private static int endOrThrow(Next n) throws IOException {
        switch (n) {
            case ABORTED -> throw new IOException("the simulation ended");
            case RESET -> throw new IOException("connection reset by peer");
            default -> {
                return -1;
            }
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (dst.remaining() == 0) {
            return 0;
        }
        while (true) {
            Next n = next();
            if (n == Next.READ) {
                return readNow(dst);
            }
            if (n != Next.WAIT) {
                return endOrThrow(n);
            }
            coroutine.yieldToSimulation();
        }
    }

    @Override
    public int readWhileRoom(ByteBuffer dst, int minRemainingBytes) throws IOException {
        if (dst.remaining() == 0) {
            return 0;
        }
        int total = 0;
        while (true) {
            Next n = next();
            if (n == Next.READ) {
                total += readNow(dst);
                if (dst.remaining() < minRemainingBytes) {
                    return total;
                }
            } else if (n == Next.WAIT) {
                filling = dst;
                fillingMinRoomBytes = minRemainingBytes;
                filledBytes = 0;
                coroutine.yieldFilling(this::fillOnSimulation);
                total += filledBytes;
                filling = null;
                if (dst.remaining() < minRemainingBytes) {
                    return total;
                }
            } else {
                return total > 0 ? total : endOrThrow(n); // the end or error is the next call's
            }
        }
    }

    /**
     * On the simulation's thread, at an arrival: the waiting receiver's reads, while the block has
     * room. Returns whether the receiver waits on (else it is resumed: its block is in, or the reads
     * met something it must answer itself).
     */
    private boolean fillOnSimulation() {
        while (true) {
            Next n = next();
            if (n == Next.READ) {
                filledBytes += readNow(filling);
                if (filling.remaining() < fillingMinRoomBytes) {
                    return false;
                }
            } else {
                return n == Next.WAIT;
            }
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
