// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated run's stream, kept in memory in 256 KiB pieces: no large array to grow, copy or
 * fragment the heap with, and a bound past which it refuses to grow.
 */
public final class StreamBuffer extends OutputStream {
    /**
     * Under half of G1's smallest region (1 MiB), so no piece is humongous: a humongous 1 MiB piece
     * took a whole 2 MiB region at -Xmx4g, and a realistic run's stream twice its length.
     */
    private static final int PIECE_BYTES = 256 << 10;

    /** Pieces of released streams, for the next run on this thread: a fresh piece is zeroed first. */
    private static final ThreadLocal<java.util.ArrayDeque<byte[]>> SPARE = ThreadLocal.withInitial(java.util.ArrayDeque::new);
    private static final int MAX_SPARE_PIECES = 64; // 16 MiB

    private final List<byte[]> pieces = new ArrayList<>();
    private final long maxBytes;
    private long length;
    private boolean overflowed;
    private boolean released;

    public StreamBuffer(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public long length() {
        return length;
    }

    /** True once a write was refused for passing the bound. */
    public boolean overflowed() {
        return overflowed;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        write(java.nio.ByteBuffer.wrap(b, off, len), len);
    }

    /** Appends {@code n} bytes of {@code src} (advancing it): what a link took of a write. */
    public void write(java.nio.ByteBuffer src, int n) {
        checkHeld();
        if (length + n > maxBytes) {
            overflowed = true;
            throw new ScenarioRunner.TooLarge(length + n);
        }
        while (n > 0) {
            int inPiece = (int) (length % PIECE_BYTES);
            if (inPiece == 0) {
                byte[] spare = SPARE.get().poll(); // its old bytes lie past the length: never read
                pieces.add(spare != null ? spare : new byte[PIECE_BYTES]);
            }
            int k = Math.min(n, PIECE_BYTES - inPiece);
            src.get(pieces.get(pieces.size() - 1), inPiece, k);
            n -= k;
            length += k;
        }
    }

    /** Copies {@code n} bytes from {@code position} into dst: what a receiver reads off a link. */
    public void read(long position, java.nio.ByteBuffer dst, int n) {
        checkHeld();
        if (position + n > length) {
            throw new IndexOutOfBoundsException("bytes " + position + "+" + n + " past the stream's " + length);
        }
        while (n > 0) {
            int inPiece = (int) (position % PIECE_BYTES);
            int k = Math.min(n, PIECE_BYTES - inPiece);
            dst.put(pieces.get((int) (position / PIECE_BYTES)), inPiece, k);
            position += k;
            n -= k;
        }
    }

    /** Whether {@code other} holds the same bytes: cheaper than two digests where they are equal. */
    public boolean sameBytes(StreamBuffer other) {
        checkHeld();
        other.checkHeld();
        if (length != other.length) {
            return false;
        }
        for (int i = 0; i < pieces.size(); i++) {
            int n = (int) Math.min(PIECE_BYTES, length - (long) i * PIECE_BYTES);
            if (java.util.Arrays.mismatch(pieces.get(i), 0, n, other.pieces.get(i), 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** The SHA-256 of the stream, in hex: two runs of one scenario must give the same. */
    public String sha256() {
        checkHeld();
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < pieces.size(); i++) {
                long pieceStart = (long) i * PIECE_BYTES;
                md.update(pieces.get(i), 0, (int) Math.min(PIECE_BYTES, length - pieceStart));
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Gives the pieces to the next run on the calling thread: once a run is judged and passed,
     * nobody reads its stream again (any later use fails).
     */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        java.util.ArrayDeque<byte[]> spare = SPARE.get();
        for (byte[] p : pieces) {
            if (spare.size() < MAX_SPARE_PIECES) {
                spare.push(p);
            }
        }
        pieces.clear();
    }

    private void checkHeld() {
        if (released) {
            throw new IllegalStateException("the stream was released");
        }
    }

    /** Reads the stream from its start. */
    public InputStream open() {
        return open(length);
    }

    /** Reads the first {@code limit} bytes: a connection that dropped there. */
    public InputStream open(long limit) {
        long end = Math.min(limit, length);
        return new Reading(end);
    }

    /** A reading of the stream's first bytes, which also lends them where they lie (the oracle names blocks so). */
    private final class Reading extends InputStream implements org.blkmig.model.judge.oracle.InPlaceSource {
        private final long end;
        private long position;

        Reading(long end) {
            this.end = end;
        }

        @Override
        public java.nio.ByteBuffer lend(int maxBytes) {
            checkHeld();
            if (position >= end) {
                return null;
            }
            int inPiece = (int) (position % PIECE_BYTES);
            int n = (int) Math.min(Math.min(maxBytes, PIECE_BYTES - inPiece), end - position);
            java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(pieces.get((int) (position / PIECE_BYTES)), inPiece, n)
                    .asReadOnlyBuffer();
            position += n;
            return view;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= end) {
                return -1;
            }
            int n = (int) Math.min(len, end - position);
            StreamBuffer.this.read(position, java.nio.ByteBuffer.wrap(b, off, n), n);
            position += n;
            return n;
        }
    }
}
