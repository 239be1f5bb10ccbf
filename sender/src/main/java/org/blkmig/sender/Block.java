// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One chunk on its way out: read into a buffer, (zero copy) sent from its file when written, or
 * known zero without a read (a hole: neither buffer nor file).
 */
final class Block {
    /** A block's life: its read in flight, done and queued, then sent (or dropped by a cancel). */
    enum State { IN_FLIGHT, DONE, SENT }

    final MigratedDevice device;
    final long sector;
    final long chunk;
    final int sectorCount;
    final ByteBuffer buffer; // null for a zero-copy or known-zero block
    final FileChannel file; // the source of a zero-copy block, else null
    // guarded by the read tracker's lock
    State state;
    IOException error;
    long completionNumber;

    Block(MigratedDevice device, long sector, long chunk, int sectorCount, ByteBuffer buffer, FileChannel file) {
        this.device = device;
        this.sector = sector;
        this.chunk = chunk;
        this.sectorCount = sectorCount;
        this.buffer = buffer;
        this.file = file;
    }

    boolean zeroCopy() {
        return file != null;
    }

    boolean knownZero() {
        return buffer == null && file == null;
    }

    @Override
    public String toString() {
        return device.name + " chunk " + chunk;
    }
}
