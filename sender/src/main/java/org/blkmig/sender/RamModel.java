// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import org.blkmig.simdisk.Invariant;

/**
 * Guest RAM as QEMU's RAM section migrates it, reduced to what the completion decision sees: its
 * pending bytes (dirty pages x 4 KiB, as {@code ram_save_pending} reports them) and the bytes its
 * pages take from each slice's budget after the block section had its turn. Every page starts
 * dirty; the first {@code dataPercent}% of them hold data (a page on the wire: 8 + 4096 bytes),
 * the rest are zero (8 + 1 bytes); the guest dirties data pages again at its rate. The pages are
 * accounted, not written: the simulated stream carries the block section only.
 */
public final class RamModel {
    public static final int PAGE_SIZE_BYTES = 4096;
    static final int ZERO_PAGE_WIRE_BYTES = 8 + 1;
    static final int DATA_PAGE_WIRE_BYTES = 8 + PAGE_SIZE_BYTES;

    /** Guest RAM of {@code ramBytes} (0: no RAM model), its share of data pages, its page-dirtying rate. */
    public record Settings(long ramBytes, int dataPercent, long dirtyBytesPerSecond) {
        public static final Settings NONE = new Settings(0, 0, 0);

        public Settings {
            if (ramBytes < 0 || dataPercent < 0 || dataPercent > 100 || dirtyBytesPerSecond < 0) {
                throw new IllegalArgumentException("RAM needs a size >= 0, a data share within 0..100 and a rate >= 0");
            }
        }
    }

    private final Settings settings;
    private final long pages;
    private final long dataPages;
    private long cursorPage; // the first pass: pages before it were sent once
    private long redirtiedPages;
    private double dirtyingCarryPages;
    private long lastNanos;

    public RamModel(Settings settings, long nowNanos) {
        this.settings = settings;
        this.pages = settings.ramBytes() / PAGE_SIZE_BYTES;
        this.dataPages = pages * settings.dataPercent() / 100;
        this.lastNanos = nowNanos;
    }

    /** Pages dirty now: those the first pass has not reached and those the guest dirtied again. */
    private long dirtyPages(long nowNanos) {
        if (pages == 0) {
            return 0;
        }
        dirtyingCarryPages += settings.dirtyBytesPerSecond() * ((nowNanos - lastNanos) / 1e9) / PAGE_SIZE_BYTES;
        lastNanos = nowNanos;
        long whole = (long) dirtyingCarryPages;
        dirtyingCarryPages -= whole;
        // the guest dirties pages already sent; a page dirty twice is dirty once
        redirtiedPages = Math.min(cursorPage, redirtiedPages + whole);
        Invariant.check(redirtiedPages >= 0 && cursorPage <= pages, "RAM page counts out of range");
        return pages - cursorPage + redirtiedPages;
    }

    public long pendingBytes(long nowNanos) {
        return dirtyPages(nowNanos) * PAGE_SIZE_BYTES;
    }

    /** Sends dirty pages while the budget lasts (all of them if null); returns the bytes they took. */
    public long send(SliceBudget budget, long nowNanos) {
        dirtyPages(nowNanos);
        long sent = 0;
        long n = pagesWithin(redirtiedPages, DATA_PAGE_WIRE_BYTES, budget);
        redirtiedPages -= n;
        sent += charge(n, DATA_PAGE_WIRE_BYTES, budget);
        n = pagesWithin(Math.max(0, dataPages - cursorPage), DATA_PAGE_WIRE_BYTES, budget);
        cursorPage += n;
        sent += charge(n, DATA_PAGE_WIRE_BYTES, budget);
        n = pagesWithin(pages - Math.max(cursorPage, dataPages), ZERO_PAGE_WIRE_BYTES, budget);
        cursorPage += n;
        sent += charge(n, ZERO_PAGE_WIRE_BYTES, budget);
        return sent;
    }

    /** How many of {@code available} pages go before the budget is exhausted (the last may pass it, as one page at a time would). */
    private static long pagesWithin(long available, int pageBytes, SliceBudget budget) {
        if (available <= 0 || budget == null) {
            return Math.max(0, available);
        }
        long left = budget.remainingBytes();
        return Math.min(available, (left + pageBytes - 1) / pageBytes);
    }

    private static long charge(long pageCount, int pageBytes, SliceBudget budget) {
        long bytes = pageCount * pageBytes;
        if (budget != null) {
            budget.consume(bytes);
        }
        return bytes;
    }
}
