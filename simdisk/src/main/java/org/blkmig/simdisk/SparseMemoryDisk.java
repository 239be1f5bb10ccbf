// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * An in-memory disk that stores only the 64 KiB pages that were written with non-zero data, so
 * a 64 GiB disk costs little. Every method is synchronized: one request at a time is atomic.
 */
public final class SparseMemoryDisk extends BaseDisk {
    public static final int PAGE_BYTES = 64 * 1024;
    private static final int PAGE_SECTORS = PAGE_BYTES / SECTOR_SIZE_BYTES;

    private final Map<Long, byte[]> pages = new HashMap<>();
    private boolean released;

    /**
     * Pages of released disks, for the next disks: a campaign makes millions of pages, and pages
     * living through a scenario were copied by the collector from generation to generation.
     */
    private static final java.util.ArrayDeque<byte[]> SPARE = new java.util.ArrayDeque<>();
    private static final int MAX_SPARE_PAGES = 1024; // 64 MiB: held for good, so small beside a realistic run's heap

    public SparseMemoryDisk(String name, long sizeBytes, boolean readOnly) {
        super(name, sizeBytes, readOnly);
    }

    public SparseMemoryDisk(String name, long sizeBytes) {
        this(name, sizeBytes, false);
    }

    /** Pages that hold data: memory use is this times 64 KiB. */
    public synchronized int pageCount() {
        return pages.size();
    }

    /**
     * Gives this disk's pages to the disks made after it: once a run is judged, nobody reads its
     * disks again (any later use fails).
     */
    public synchronized void release() {
        released = true;
        pages.values().forEach(SparseMemoryDisk::spare);
        pages.clear();
    }

    private void checkHeld() {
        if (released) {
            throw new IllegalStateException(this + " was released");
        }
    }

    /** A page for new data: spare or fresh; zeroed unless the caller writes {@code whole} of it. */
    private static byte[] newPage(boolean whole) {
        byte[] p;
        synchronized (SPARE) {
            p = SPARE.poll();
        }
        if (p == null) {
            return new byte[PAGE_BYTES];
        }
        if (!whole) {
            java.util.Arrays.fill(p, (byte) 0);
        }
        return p;
    }

    /** Pages waiting for a disk. */
    static int spareCount() {
        synchronized (SPARE) {
            return SPARE.size();
        }
    }

    private static void spare(byte[] page) {
        synchronized (SPARE) {
            if (SPARE.size() < MAX_SPARE_PAGES) {
                SPARE.push(page);
            }
        }
    }

    @Override
    public synchronized void read(long sector, ByteBuffer dst) {
        checkHeld();
        long count = Disk.checkRange(this, sector, dst.remaining());
        segments(sector, count, (page, inPage, n) -> {
            byte[] p = pages.get(page);
            int bytes = n * SECTOR_SIZE_BYTES;
            if (p == null) {
                Zeros.fill(dst.slice(dst.position(), bytes));
                dst.position(dst.position() + bytes);
            } else {
                dst.put(p, inPage * SECTOR_SIZE_BYTES, bytes);
            }
        });
    }

    @Override
    public synchronized void write(long sector, ByteBuffer src) {
        checkHeld();
        long count = Disk.checkRange(this, sector, src.remaining());
        segments(sector, count, (page, inPage, n) -> {
            int bytes = n * SECTOR_SIZE_BYTES;
            byte[] p = pages.get(page);
            if (p == null) {
                if (Zeros.isZero(src.slice(src.position(), bytes))) {
                    src.position(src.position() + bytes); // zeros over a hole: keep the hole
                    return;
                }
                p = newPage(n == PAGE_SECTORS);
                pages.put(page, p);
            }
            src.get(p, inPage * SECTOR_SIZE_BYTES, bytes);
            if (n == PAGE_SECTORS && Zeros.isZero(p, 0, PAGE_BYTES)) {
                spare(pages.remove(page));
            }
        });
    }

    /**
     * Writes {@link WriteContent}'s sectors of write {@code writeId}, as {@link #write} of them would,
     * straight into the pages: a simulated world's initial data, without a buffer to copy from.
     */
    public synchronized void writeContent(long sector, long sectorCount, long writeId) {
        checkHeld();
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        segments(sector, sectorCount, (page, inPage, n) -> {
            // never all zeros (every sector carries a non-zero fill byte): the page stays
            byte[] p = pages.get(page);
            if (p == null) {
                p = newPage(n == PAGE_SECTORS);
                pages.put(page, p);
            }
            WriteContent.fill(p, inPage * SECTOR_SIZE_BYTES, writeId, page * PAGE_SECTORS + inPage, n);
        });
    }

    @Override
    public synchronized void writeZeros(long sector, long sectorCount) {
        checkHeld();
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        segments(sector, sectorCount, (page, inPage, n) -> {
            byte[] p = pages.get(page);
            if (p != null) {
                if (n == PAGE_SECTORS) {
                    spare(pages.remove(page));
                } else {
                    java.util.Arrays.fill(p, inPage * SECTOR_SIZE_BYTES, (inPage + n) * SECTOR_SIZE_BYTES, (byte) 0);
                }
            }
        });
    }

    /**
     * ZERO over pages never written with data (holes: they read as zeros), DATA over the others,
     * as a sparse file answers {@code SEEK_DATA}/{@code SEEK_HOLE}: page by page.
     */
    @Override
    public synchronized Allocation allocation(long sector, long maxSectors) {
        checkHeld();
        long limit = Math.min(sizeSectors(), sector + maxSectors);
        if (sector >= limit) {
            return new Allocation(State.DATA, 0);
        }
        boolean data = pages.containsKey(sector / PAGE_SECTORS);
        long s = sector;
        while (s < limit && pages.containsKey(s / PAGE_SECTORS) == data) {
            s = (s / PAGE_SECTORS + 1) * PAGE_SECTORS;
        }
        return new Allocation(data ? State.DATA : State.ZERO, Math.min(s, limit) - sector);
    }

    /**
     * The first byte at which this disk and {@code other} (of the same size) differ, or -1: page by
     * page over the pages either holds, a page one lacks read as the zeros it reads as. No bytes are
     * copied, so comparing two images costs one pass over the pages they hold.
     */
    public long firstMismatch(SparseMemoryDisk other) {
        if (other.sizeBytes() != sizeBytes()) {
            throw new IllegalArgumentException(this + " and " + other + " differ in size");
        }
        synchronized (this) {
            synchronized (other) {
                checkHeld();
                other.checkHeld();
                long[] held = heldPages(pages, other.pages);
                for (long page : held) {
                    int at = mismatch(pages.get(page), other.pages.get(page));
                    if (at >= 0) {
                        return page * PAGE_BYTES + at;
                    }
                }
                return -1;
            }
        }
    }

    /** The pages either map holds, ascending, each once. */
    private static long[] heldPages(Map<Long, byte[]> a, Map<Long, byte[]> b) {
        long[] all = new long[a.size() + b.size()];
        int n = 0;
        for (long k : a.keySet()) {
            all[n++] = k;
        }
        for (long k : b.keySet()) {
            if (!a.containsKey(k)) {
                all[n++] = k;
            }
        }
        all = java.util.Arrays.copyOf(all, n);
        java.util.Arrays.sort(all);
        return all;
    }

    /** Where two pages first differ (null: a page of zeros), or -1. */
    private static int mismatch(byte[] a, byte[] b) {
        if (a == null || b == null) {
            byte[] held = a == null ? b : a;
            return Zeros.firstNonZero(held, 0, PAGE_BYTES);
        }
        return java.util.Arrays.mismatch(a, b);
    }

    /** Memory never fails: the visitors here throw no I/O error. */
    private static void segments(long sector, long count, Segments.Visitor v) {
        try {
            Segments.forEach(sector, count, PAGE_SECTORS, v);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "SparseMemoryDisk[" + name() + ", " + sizeBytes() + " bytes]";
    }
}
