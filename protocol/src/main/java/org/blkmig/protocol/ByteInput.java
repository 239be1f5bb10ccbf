// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;

/**
 * A buffered, offset-counting reader over a blocking channel. Short reads are retried until the
 * wanted bytes arrive; the end of input in the middle of a field is a {@link ProtocolException}
 * naming the field. Nothing here allocates from a length read off the input.
 */
public final class ByteInput {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final ReadableByteChannel in;
    // direct: a channel read into a heap buffer goes through a hidden temporary copy
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private long offsetBytes;
    private boolean eof;

    public ByteInput(ReadableByteChannel in) {
        this.in = in;
        buffer.flip(); // empty, ready to read from
    }

    public static ByteInput of(InputStream in) {
        return new ByteInput(Channels.newChannel(in));
    }

    public static ByteInput of(byte[] bytes) {
        return new ByteInput(Channels.newChannel(new java.io.ByteArrayInputStream(bytes)));
    }

    /** Offset of the next byte to be consumed. */
    public long offset() {
        return offsetBytes;
    }

    /** Fills the buffer until it holds at least {@code wantBytes} (<= buffer size) or input ends. */
    private boolean fill(int wantBytes) throws IOException {
        while (buffer.remaining() < wantBytes && !eof) {
            buffer.compact();
            int n = in.read(buffer);
            buffer.flip();
            if (n < 0) {
                eof = true;
            }
        }
        return buffer.remaining() >= wantBytes;
    }

    /** True when no byte is left. */
    public boolean atEnd() throws IOException {
        return !fill(1);
    }

    /** The byte {@code aheadBytes} past the current offset without consuming, or -1 at end. */
    public int peek(int aheadBytes) throws IOException {
        if (aheadBytes >= BUFFER_BYTES) {
            throw new IllegalArgumentException("peek too far: " + aheadBytes);
        }
        if (!fill(aheadBytes + 1)) {
            return -1;
        }
        return buffer.get(buffer.position() + aheadBytes) & 0xff;
    }

    private void need(int bytes, String what) throws IOException {
        if (!fill(bytes)) {
            throw truncated(offsetBytes, what, buffer.remaining(), bytes);
        }
    }

    public int readU8(String what) throws IOException {
        need(1, what);
        offsetBytes += 1;
        return buffer.get() & 0xff;
    }

    public int readBE16(String what) throws IOException {
        need(2, what);
        offsetBytes += 2;
        return buffer.getShort() & 0xffff;
    }

    public int readBE32(String what) throws IOException {
        need(4, what);
        offsetBytes += 4;
        return buffer.getInt();
    }

    public long readBE64(String what) throws IOException {
        need(8, what);
        offsetBytes += 8;
        return buffer.getLong();
    }

    /** Reads exactly {@code dst.remaining()} bytes into dst. */
    public void readFully(ByteBuffer dst, String what) throws IOException {
        int wantBytes = dst.remaining();
        long startOffset = offsetBytes;
        if (!transfer(dst)) {
            throw truncated(startOffset, what, wantBytes - dst.remaining(), wantBytes);
        }
    }

    /**
     * Reads a device block's data into dst, as {@link #readFully(ByteBuffer, String)}: the field's
     * name, which names the sector, is made only if the input ends inside it, not for every block.
     */
    void readBlockData(ByteBuffer dst, long sector) throws IOException {
        int wantBytes = dst.remaining();
        long startOffset = offsetBytes;
        if (!transfer(dst)) {
            throw blockDataTruncated(startOffset, sector, wantBytes - dst.remaining(), wantBytes);
        }
    }

    /** Moves bytes into dst until it is full (true) or the input ends (false). */
    private boolean transfer(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (buffer.hasRemaining()) {
                int n = Math.min(buffer.remaining(), dst.remaining());
                ByteBuffer slice = buffer.slice();
                slice.limit(n);
                dst.put(slice);
                buffer.position(buffer.position() + n);
                offsetBytes += n;
            } else if (dst.remaining() >= BUFFER_BYTES && !eof) {
                // large reads bypass the buffer: one copy less
                int n = in instanceof FillingChannel f ? f.readWhileRoom(dst, BUFFER_BYTES) : in.read(dst);
                if (n < 0) {
                    eof = true;
                } else {
                    offsetBytes += n;
                }
            } else if (!fill(1)) {
                return false;
            }
        }
        return true;
    }

    // the messages are made apart from the reads: a stream cut short is common enough in a campaign
    // that the JIT would otherwise compile the string building into every inlined read
    private static ProtocolException truncated(long startOffset, String what, long presentBytes, long wantBytes) {
        return ProtocolException.truncated(startOffset, "input ends inside " + what + " (" + presentBytes + " of " + wantBytes
                + " bytes present)");
    }

    private static ProtocolException blockDataTruncated(long startOffset, long sector, int presentBytes, int wantBytes) {
        return truncated(startOffset, "device block data of sector " + sector, presentBytes, wantBytes);
    }

    public void readFully(byte[] dst, int off, int len, String what) throws IOException {
        readFully(ByteBuffer.wrap(dst, off, len), what);
    }

    /** Skips exactly {@code bytes}; the end of input first is a truncation. */
    public void skip(long bytes, String what) throws IOException {
        long startOffset = offsetBytes;
        long left = bytes;
        while (left > 0) {
            if (!fill(1)) {
                throw truncated(startOffset, what, bytes - left, bytes);
            }
            int n = (int) Math.min(left, buffer.remaining());
            buffer.position(buffer.position() + n);
            offsetBytes += n;
            left -= n;
        }
    }
}
