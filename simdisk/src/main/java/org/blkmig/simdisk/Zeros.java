// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.nio.ByteBuffer;

/** Zero detection at memory speed: vectorised {@code mismatch} against a shared zero buffer. */
public final class Zeros {
    private Zeros() {}

    private static final int ZERO_BYTES = 64 * 1024;
    private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(ZERO_BYTES).asReadOnlyBuffer();
    private static final byte[] ZERO_ARRAY = new byte[ZERO_BYTES];

    /** True if every remaining byte of b is zero; b's position is unchanged. */
    public static boolean isZero(ByteBuffer b) {
        int pos = b.position();
        int end = b.limit();
        while (pos < end) {
            int n = Math.min(ZERO_BYTES, end - pos);
            ByteBuffer slice = b.slice(pos, n);
            if (slice.mismatch(ZERO.slice(0, n)) != -1) {
                return false;
            }
            pos += n;
        }
        return true;
    }

    public static boolean isZero(byte[] a, int from, int to) {
        return firstNonZero(a, from, to) < 0;
    }

    /** The index of the first non-zero byte of a[from, to), or -1. */
    public static int firstNonZero(byte[] a, int from, int to) {
        for (int pos = from; pos < to; pos += ZERO_BYTES) {
            int n = Math.min(ZERO_BYTES, to - pos);
            int at = java.util.Arrays.mismatch(a, pos, pos + n, ZERO_ARRAY, 0, n);
            if (at >= 0) {
                return pos + at;
            }
        }
        return -1;
    }

    /** Fills the remaining bytes of b with zeros, advancing its position to its limit. */
    public static void fill(ByteBuffer b) {
        while (b.hasRemaining()) {
            int n = Math.min(ZERO_BYTES, b.remaining());
            b.put(ZERO.slice(0, n));
        }
    }

    private static volatile ByteBuffer zeroChunk = ZERO;

    /**
     * A read-only buffer of {@code bytes} zeros of any size, shared by every caller: what a chunk
     * known to be a hole sends. Allocated once at the largest size asked.
     */
    public static ByteBuffer chunk(int bytes) {
        ByteBuffer z = zeroChunk;
        if (z.capacity() < bytes) {
            synchronized (Zeros.class) {
                z = zeroChunk;
                if (z.capacity() < bytes) {
                    z = ByteBuffer.allocateDirect(bytes).asReadOnlyBuffer();
                    zeroChunk = z;
                }
            }
        }
        return z.slice(0, bytes);
    }

    /** A read-only buffer of zeros of the given length (at most 64 KiB). */
    public static ByteBuffer buffer(int bytes) {
        return ZERO.slice(0, bytes);
    }
}
