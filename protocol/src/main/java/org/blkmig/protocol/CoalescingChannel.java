// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Gathers small writes (record heads, section framing) and sends them ahead of the next large
 * write or at {@link #flush}: a run of zero blocks costs one system call, not one per 15-byte
 * record (65,408 of them on a sparse 64 GiB disk). Large writes and file transfers go straight
 * through, zero copy kept. Not thread-safe, as the writers that use it.
 */
public final class CoalescingChannel implements GatheringByteChannel, ZeroCopyTarget {
    /** Writes up to this size are gathered. */
    static final int SMALL_BYTES = 4096;
    static final int BUFFER_BYTES = 64 * 1024;

    private final WritableByteChannel out;
    private final ByteBuffer pending = ByteBuffer.allocate(BUFFER_BYTES);

    public CoalescingChannel(WritableByteChannel out) {
        this.out = out;
    }

    /** Bytes gathered but not yet sent. */
    public int pendingBytes() {
        return pending.position();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n <= SMALL_BYTES) {
            if (pending.remaining() < n) {
                flush();
            }
            pending.put(src);
            return n;
        }
        flush();
        return out.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += srcs[i].remaining();
        }
        if (total <= SMALL_BYTES) {
            for (int i = offset; i < offset + length; i++) {
                write(srcs[i]);
            }
            return total;
        }
        flush();
        if (out instanceof GatheringByteChannel g) {
            return g.write(srcs, offset, length);
        }
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            while (srcs[i].hasRemaining()) {
                n += out.write(srcs[i]);
            }
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long transferFrom(FileChannel file, long position, long count) throws IOException {
        flush();
        return out instanceof ZeroCopyTarget z ? z.transferFrom(file, position, count) : file.transferTo(position, count, out);
    }

    /** Sends what was gathered. */
    public void flush() throws IOException {
        if (pending.position() == 0) {
            return;
        }
        pending.flip();
        while (pending.hasRemaining()) {
            out.write(pending);
        }
        pending.clear();
    }

    @Override
    public boolean isOpen() {
        return out.isOpen();
    }

    /** Sends what was gathered and closes the channel underneath. */
    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }
}
