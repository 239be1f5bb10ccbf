// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.blkmig.simdisk.Invariant;

/**
 * The sender's chunk buffers: allocated on demand up to a bound, reused, freed at the end. Taken by
 * the migration thread, given back by it; thread-safe because reports read its figures.
 *
 * <p>Invariants, checked on every change: buffers in use plus free buffers = buffers allocated
 * &lt;= the bound; a buffer is given back once, and only one of this pool's.
 */
final class BufferPool {
    private final int chunkSizeBytes;
    private final int maxBuffers;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int allocated;
    private int inUse;
    private int peakInUse;
    private boolean closed;
    private final boolean direct;

    BufferPool(int chunkSizeBytes, int maxBuffers, boolean direct) {
        this.chunkSizeBytes = chunkSizeBytes;
        this.maxBuffers = maxBuffers;
        this.direct = direct;
    }

    synchronized ByteBuffer take() {
        Invariant.check(!closed, "a buffer taken from a closed pool");
        ByteBuffer b = free.poll();
        if (b == null) {
            Invariant.check(allocated < maxBuffers, () -> "buffer bound exceeded: " + allocated + " of " + maxBuffers);
            b = direct ? ByteBuffer.allocateDirect(chunkSizeBytes) : ByteBuffer.allocate(chunkSizeBytes);
            allocated++;
        }
        inUse++;
        peakInUse = Math.max(peakInUse, inUse);
        checkCounts();
        return b;
    }

    synchronized void release(ByteBuffer b) {
        if (closed) {
            return; // a late read's buffer after the end: it goes with the pool
        }
        Invariant.check(b.capacity() == chunkSizeBytes, "a buffer given back that is not one of the pool's");
        for (ByteBuffer f : free) {
            Invariant.check(f != b, "a buffer given back twice");
        }
        inUse--;
        free.push(b);
        checkCounts();
    }

    private void checkCounts() {
        Invariant.check(inUse >= 0 && inUse + free.size() == allocated && allocated <= maxBuffers,
                () -> "buffer counts: " + inUse + " in use + " + free.size() + " free != " + allocated + " allocated (bound "
                        + maxBuffers + ")");
    }

    /** Frees every buffer; returns how many were still in use (0 unless reads are still in flight). */
    synchronized int close() {
        closed = true;
        free.clear();
        allocated = 0;
        return inUse;
    }

    synchronized int inUse() {
        return inUse;
    }

    synchronized int peakInUse() {
        return peakInUse;
    }

    synchronized int allocated() {
        return allocated;
    }
}
