// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Reads big-endian fields from a stream through one fixed buffer, counting the offset. The end
 * of input inside a field is a truncation; nothing is allocated from a length read off the input.
 */
final class ByteCursor {
    static final int BUFFER_BYTES = 64 * 1024;

    private final InputStream in;
    private final InPlaceSource inPlace; // null: the input copies out
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private ByteBuffer[] lent = new ByteBuffer[8];
    private int position; // next unread byte in buffer
    private int limit; // end of the valid bytes in buffer
    private long offsetBytes; // stream offset of buffer[position]
    private boolean eof;

    ByteCursor(InputStream in) {
        this.in = in;
        this.inPlace = in instanceof InPlaceSource p ? p : null;
    }

    /** Whether {@link #lend} can read a field in place. */
    boolean lends() {
        return inPlace != null;
    }

    /**
     * Reads exactly {@code lengthBytes} as read-only views valid until the next read: what the buffer
     * holds, then the input's own bytes. Returns how many views {@link #lent(int)} gives.
     */
    int lend(int lengthBytes, String what) throws IOException, Rejected {
        long startOffset = offsetBytes;
        int parts = 0;
        int done = Math.min(limit - position, lengthBytes);
        if (done > 0) {
            lent[parts++] = ByteBuffer.wrap(buffer, position, done).asReadOnlyBuffer();
            position += done;
            offsetBytes += done;
        }
        while (done < lengthBytes) {
            ByteBuffer b = eof ? null : inPlace.lend(lengthBytes - done);
            if (b == null) {
                eof = true;
                throw Rejected.truncated(startOffset, "input ends inside " + what + " (" + done + " of " + lengthBytes
                        + " bytes)");
            }
            if (parts == lent.length) {
                lent = java.util.Arrays.copyOf(lent, parts * 2);
            }
            lent[parts++] = b;
            done += b.remaining();
            offsetBytes += b.remaining();
        }
        return parts;
    }

    /** The i-th view of the last {@link #lend}. */
    ByteBuffer lent(int i) {
        return lent[i];
    }

    long offset() {
        return offsetBytes;
    }

    /** Buffers up to {@code wantBytes} (at most the buffer's size); returns how many are buffered. */
    private int fill(int wantBytes) throws IOException {
        if (limit - position >= wantBytes || eof) {
            return limit - position;
        }
        System.arraycopy(buffer, position, buffer, 0, limit - position);
        limit -= position;
        position = 0;
        while (limit < wantBytes && !eof) {
            int n = in.read(buffer, limit, BUFFER_BYTES - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
            }
        }
        return limit;
    }

    boolean atEnd() throws IOException {
        return fill(1) == 0;
    }

    /** The byte {@code aheadBytes} past the offset, not consumed; -1 past the end of input. */
    int peek(int aheadBytes) throws IOException {
        if (aheadBytes >= BUFFER_BYTES) {
            throw new IllegalArgumentException("peek beyond the buffer: " + aheadBytes);
        }
        return fill(aheadBytes + 1) > aheadBytes ? buffer[position + aheadBytes] & 0xff : -1;
    }

    private void need(int bytes, String what) throws IOException, Rejected {
        int present = fill(bytes);
        if (present < bytes) {
            throw Rejected.truncated(offsetBytes, "input ends inside " + what + " (" + present + " of " + bytes + " bytes)");
        }
    }

    private long take(int bytes, String what) throws IOException, Rejected {
        need(bytes, what);
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v = (v << 8) | (buffer[position + i] & 0xff);
        }
        position += bytes;
        offsetBytes += bytes;
        return v;
    }

    int u8(String what) throws IOException, Rejected {
        return (int) take(1, what);
    }

    int be16(String what) throws IOException, Rejected {
        return (int) take(2, what);
    }

    /** An unsigned 32-bit field, as a long so that no length turns negative. */
    long be32(String what) throws IOException, Rejected {
        return take(4, what);
    }

    long be64(String what) throws IOException, Rejected {
        return take(8, what);
    }

    /** Reads exactly {@code lengthBytes} into dst; the caller bounded the length. */
    void read(byte[] dst, int lengthBytes, String what) throws IOException, Rejected {
        long startOffset = offsetBytes;
        int done = 0;
        while (done < lengthBytes) {
            if (limit == position && lengthBytes - done >= BUFFER_BYTES && !eof) {
                // nothing buffered and a large read: straight into dst, not through the buffer
                int n = in.read(dst, done, lengthBytes - done);
                if (n < 0) {
                    eof = true;
                } else {
                    offsetBytes += n;
                    done += n;
                }
                continue;
            }
            int present = fill(1);
            if (present == 0) {
                throw Rejected.truncated(startOffset, "input ends inside " + what + " (" + done + " of "
                        + lengthBytes + " bytes)");
            }
            int n = Math.min(present, lengthBytes - done);
            System.arraycopy(buffer, position, dst, done, n);
            position += n;
            offsetBytes += n;
            done += n;
        }
    }

    void skip(long lengthBytes, String what) throws IOException, Rejected {
        long startOffset = offsetBytes;
        long left = lengthBytes;
        while (left > 0) {
            int present = fill(1);
            if (present == 0) {
                throw Rejected.truncated(startOffset, "input ends inside " + what + " (" + (lengthBytes - left)
                        + " of " + lengthBytes + " bytes)");
            }
            int n = (int) Math.min(present, left);
            position += n;
            offsetBytes += n;
            left -= n;
        }
    }
}
