// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/** What the sender did, by its own count (for reports; checkers never use it). Migration thread only. */
public final class SenderStats {
    public int devices;
    public long totalBytes;
    public long bytesSent;
    public long dataChunksSent;
    public long zeroChunksSent;
    public long readsSubmitted;
    /** Chunks sent as zeros without a read: the disk reported them wholly a hole. */
    public long holeChunks;
    public long bulkChunksRead;
    public long dirtyChunksRead;
    public long iterations;
    public long bulkCompletedAtNanos = -1;
    public boolean completed;
    public boolean cancelled;
    /** Chunk buffers still held when the migration ended: 0 unless something leaked. */
    public int buffersHeldAtEnd = -1;
}
