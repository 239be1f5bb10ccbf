// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/** The transfer budget of one time slice, in bytes. Used by the migration thread only. */
public final class SliceBudget {
    private long limitBytes;
    private long usedBytes;

    public SliceBudget(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    public static SliceBudget unlimited() {
        return new SliceBudget(Long.MAX_VALUE);
    }

    public void reset(long newLimitBytes) {
        limitBytes = newLimitBytes;
        usedBytes = 0;
    }

    public void consume(long bytes) {
        usedBytes += bytes;
    }

    /** The whole slice's budget. */
    public long limitBytes() {
        return limitBytes;
    }

    public long usedBytes() {
        return usedBytes;
    }

    public long remainingBytes() {
        return Math.max(0, limitBytes - usedBytes);
    }

    public boolean exhausted() {
        return usedBytes >= limitBytes;
    }
}
