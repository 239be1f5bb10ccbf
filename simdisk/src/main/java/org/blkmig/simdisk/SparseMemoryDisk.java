// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * An in-memory disk that holds only the 64 KiB pages that were written with non-zero data, so
 * a 64 GiB disk costs little. A page written whole with data is one array; any other keeps only
 * its 4 KiB parts that hold data, so a small write costs 4 KiB rather than 64 (a guest hammering a
 * large disk with small writes filled the heap page by page). Which pages are held, and so
 * {@link #allocation}, does not depend on the parts. Every method is synchronized: one request at
 * a time is atomic.
 */
public final class SparseMemoryDisk extends BaseDisk {
    public static final int PAGE_BYTES = 64 * 1024;
    private static final int PAGE_SECTORS = PAGE_BYTES / SECTOR_SIZE_BYTES;
    static final int PART_BYTES = 4 * 1024;
    private static final int PART_SECTORS = PART_BYTES / SECTOR_SIZE_BYTES;
    private static final int PARTS_PER_PAGE = PAGE_BYTES / PART_BYTES;

    /** A held page: {@code whole}, or {@code parts} of which null ones read as zeros. */
    private static final class Page {
        byte[] whole;
        byte[][] parts;

        static Page whole(byte[] p) {
            Page page = new Page();
            page.whole = p;
            return page;
        }

        static Page inParts() {
            Page page = new Page();
            page.parts = new byte[PARTS_PER_PAGE][];
            return page;
        }

        /** The array holding part {@code i} (null: zeros); it starts at {@link #offset}. */
        byte[] part(int i) {
            return whole != null ? whole : parts[i];
        }

        int offset(int i) {
            return whole != null ? i * PART_BYTES : 0;
        }

        long heldBytes() {
            if (whole != null) {
                return PAGE_BYTES;
            }
            long bytes = 0;
            for (byte[] q : parts) {
                bytes += q == null ? 0 : PART_BYTES;
            }
            return bytes;
        }
    }

    private final Map<Long, Page> pages = new HashMap<>();
    private boolean released;

    /**
     * Pages and parts of released disks, for the next disks: a campaign makes millions of them, and
     * those living through a scenario were copied by the collector from generation to generation.
     */
    private static final java.util.ArrayDeque<byte[]> SPARE = new java.util.ArrayDeque<>();
    private static final int MAX_SPARE_PAGES = 1024; // 64 MiB: held for good, so small beside a realistic run's heap
    private static final java.util.ArrayDeque<byte[]> SPARE_PARTS = new java.util.ArrayDeque<>();
    private static final int MAX_SPARE_PARTS = 4096; // 16 MiB

    public SparseMemoryDisk(String name, long sizeBytes, boolean readOnly) {
        super(name, sizeBytes, readOnly);
    }

    public SparseMemoryDisk(String name, long sizeBytes) {
        this(name, sizeBytes, false);
    }

    /** Pages that hold data (what {@link #allocation} calls DATA). */
    public synchronized int pageCount() {
        return pages.size();
    }

    /** The bytes of data arrays this disk holds: 64 KiB per whole page, 4 KiB per part. */
    public synchronized long heldBytes() {
        long bytes = 0;
        for (Page p : pages.values()) {
            bytes += p.heldBytes();
        }
        return bytes;
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
        return take(SPARE, PAGE_BYTES, whole);
    }

    private static byte[] newPart(boolean whole) {
        return take(SPARE_PARTS, PART_BYTES, whole);
    }

    private static byte[] take(java.util.ArrayDeque<byte[]> spare, int bytes, boolean whole) {
        byte[] p;
        synchronized (spare) {
            p = spare.poll();
        }
        if (p == null) {
            return new byte[bytes];
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

    /** Parts waiting for a disk. */
    static int sparePartCount() {
        synchronized (SPARE_PARTS) {
            return SPARE_PARTS.size();
        }
    }

    private static void spare(Page page) {
        if (page.whole != null) {
            give(SPARE, MAX_SPARE_PAGES, page.whole);
        } else {
            for (byte[] q : page.parts) {
                sparePart(q);
            }
        }
    }

    private static void sparePart(byte[] part) {
        if (part != null) {
            give(SPARE_PARTS, MAX_SPARE_PARTS, part);
        }
    }

    private static void give(java.util.ArrayDeque<byte[]> spare, int max, byte[] p) {
        synchronized (spare) {
            if (spare.size() < max) {
                spare.push(p);
            }
        }
    }

    @Override
    public synchronized void read(long sector, ByteBuffer dst) {
        checkHeld();
        long count = Disk.checkRange(this, sector, dst.remaining());
        segments(sector, count, (page, inPage, n) -> {
            Page p = pages.get(page);
            int bytes = n * SECTOR_SIZE_BYTES;
            if (p == null) {
                Zeros.fill(dst.slice(dst.position(), bytes));
                dst.position(dst.position() + bytes);
            } else if (p.whole != null) {
                dst.put(p.whole, inPage * SECTOR_SIZE_BYTES, bytes);
            } else {
                for (int s = inPage, end = inPage + n, k; s < end; s += k) {
                    int inPart = s % PART_SECTORS;
                    k = Math.min(end - s, PART_SECTORS - inPart);
                    byte[] q = p.parts[s / PART_SECTORS];
                    int partBytes = k * SECTOR_SIZE_BYTES;
                    if (q == null) {
                        Zeros.fill(dst.slice(dst.position(), partBytes));
                        dst.position(dst.position() + partBytes);
                    } else {
                        dst.put(q, inPart * SECTOR_SIZE_BYTES, partBytes);
                    }
                }
            }
        });
    }

    @Override
    public synchronized void write(long sector, ByteBuffer src) {
        checkHeld();
        long count = Disk.checkRange(this, sector, src.remaining());
        segments(sector, count, (page, inPage, n) -> {
            int bytes = n * SECTOR_SIZE_BYTES;
            Page p = pages.get(page);
            if (n == PAGE_SECTORS) {
                writeWholePage(page, p, src);
                return;
            }
            if (p == null) {
                if (isZero(src, src.position(), bytes)) {
                    src.position(src.position() + bytes); // zeros over a hole: keep the hole
                    return;
                }
                p = Page.inParts();
                pages.put(page, p);
            }
            if (p.whole != null) {
                src.get(p.whole, inPage * SECTOR_SIZE_BYTES, bytes);
                return;
            }
            for (int s = inPage, end = inPage + n, k; s < end; s += k) {
                int inPart = s % PART_SECTORS;
                k = Math.min(end - s, PART_SECTORS - inPart);
                writePart(p, s / PART_SECTORS, inPart, k, src);
            }
        });
    }

    /** Sectors of one part from src: a part of zeros is not kept (the page stays held). */
    private static void writePart(Page p, int i, int inPart, int n, ByteBuffer src) {
        int bytes = n * SECTOR_SIZE_BYTES;
        byte[] q = p.parts[i];
        if (q == null) {
            if (isZero(src, src.position(), bytes)) {
                src.position(src.position() + bytes);
                return;
            }
            q = newPart(n == PART_SECTORS);
            p.parts[i] = q;
        }
        src.get(q, inPart * SECTOR_SIZE_BYTES, bytes);
        if (n == PART_SECTORS && Zeros.isZero(q, 0, PART_BYTES)) {
            sparePart(q);
            p.parts[i] = null;
        }
    }

    /**
     * A write of a whole page replaces it: zeros drop it, data without a 4 KiB part of zeros makes it
     * one array, other data keeps its parts of data (a chunk received with a small write in it).
     */
    private void writeWholePage(long page, Page old, ByteBuffer src) {
        int from = src.position();
        int zeroParts = 0;
        for (int i = 0; i < PARTS_PER_PAGE; i++) {
            zeroParts += isZero(src, from + i * PART_BYTES, PART_BYTES) ? 1 : 0;
        }
        if (zeroParts == PARTS_PER_PAGE) {
            if (old != null) {
                spare(pages.remove(page));
            }
            src.position(from + PAGE_BYTES);
            return;
        }
        if (zeroParts == 0) {
            if (old == null || old.whole == null) {
                if (old != null) {
                    spare(old);
                }
                old = Page.whole(newPage(true));
                pages.put(page, old);
            }
            src.get(old.whole, 0, PAGE_BYTES);
            return;
        }
        if (old == null || old.whole != null) {
            if (old != null) {
                spare(old);
            }
            old = Page.inParts();
            pages.put(page, old);
        }
        for (int i = 0; i < PARTS_PER_PAGE; i++) {
            writePart(old, i, 0, PART_SECTORS, src);
        }
    }

    /** Whether b's bytes [index, index + length) are zeros: no slice of a heap buffer (a page written checks 16 parts). */
    private static boolean isZero(ByteBuffer b, int index, int length) {
        if (b.hasArray()) {
            int from = b.arrayOffset() + index;
            return Zeros.isZero(b.array(), from, from + length);
        }
        return Zeros.isZero(b.slice(index, length));
    }

    /**
     * Writes {@link WriteContent}'s sectors of write {@code writeId}, as {@link #write} of them would,
     * straight into the pages: a simulated world's initial data, without a buffer to copy from.
     */
    public synchronized void writeContent(long sector, long sectorCount, long writeId) {
        checkHeld();
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        segments(sector, sectorCount, (page, inPage, n) -> {
            // never all zeros (every sector carries a non-zero fill byte): the page and its parts stay
            long first = page * PAGE_SECTORS;
            Page p = pages.get(page);
            if (n == PAGE_SECTORS && (p == null || p.whole == null)) {
                if (p != null) {
                    spare(p);
                }
                p = Page.whole(newPage(true));
                pages.put(page, p);
            } else if (p == null) {
                p = Page.inParts();
                pages.put(page, p);
            }
            if (p.whole != null) {
                WriteContent.fill(p.whole, inPage * SECTOR_SIZE_BYTES, writeId, first + inPage, n);
                return;
            }
            for (int s = inPage, end = inPage + n, k; s < end; s += k) {
                int inPart = s % PART_SECTORS;
                k = Math.min(end - s, PART_SECTORS - inPart);
                int i = s / PART_SECTORS;
                if (p.parts[i] == null) {
                    p.parts[i] = newPart(k == PART_SECTORS);
                }
                WriteContent.fill(p.parts[i], inPart * SECTOR_SIZE_BYTES, writeId, first + s, k);
            }
        });
    }

    @Override
    public synchronized void writeZeros(long sector, long sectorCount) {
        checkHeld();
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        segments(sector, sectorCount, (page, inPage, n) -> {
            Page p = pages.get(page);
            if (p == null) {
                return;
            }
            if (n == PAGE_SECTORS) {
                spare(pages.remove(page));
            } else if (p.whole != null) {
                java.util.Arrays.fill(p.whole, inPage * SECTOR_SIZE_BYTES, (inPage + n) * SECTOR_SIZE_BYTES, (byte) 0);
            } else {
                for (int s = inPage, end = inPage + n, k; s < end; s += k) {
                    int inPart = s % PART_SECTORS;
                    k = Math.min(end - s, PART_SECTORS - inPart);
                    int i = s / PART_SECTORS;
                    if (p.parts[i] == null) {
                        continue;
                    }
                    if (k == PART_SECTORS) {
                        sparePart(p.parts[i]);
                        p.parts[i] = null;
                    } else {
                        java.util.Arrays.fill(p.parts[i], inPart * SECTOR_SIZE_BYTES, (inPart + k) * SECTOR_SIZE_BYTES, (byte) 0);
                    }
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
     * page over the pages either holds, a page or part one lacks read as the zeros it reads as. No
     * bytes are copied, so comparing two images costs one pass over the pages they hold.
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
    private static long[] heldPages(Map<Long, Page> a, Map<Long, Page> b) {
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
    private static int mismatch(Page a, Page b) {
        if (a != null && b != null && a.whole != null && b.whole != null) {
            return java.util.Arrays.mismatch(a.whole, b.whole);
        }
        for (int i = 0; i < PARTS_PER_PAGE; i++) {
            byte[] pa = a == null ? null : a.part(i);
            byte[] pb = b == null ? null : b.part(i);
            int at;
            if (pa == null && pb == null) {
                continue;
            } else if (pa == null || pb == null) {
                byte[] held = pa == null ? pb : pa;
                int from = (pa == null ? b : a).offset(i);
                at = Zeros.firstNonZero(held, from, from + PART_BYTES);
                at = at < 0 ? -1 : at - from;
            } else {
                int fromA = a.offset(i);
                int fromB = b.offset(i);
                at = java.util.Arrays.mismatch(pa, fromA, fromA + PART_BYTES, pb, fromB, fromB + PART_BYTES);
            }
            if (at >= 0) {
                return i * PART_BYTES + at;
            }
        }
        return -1;
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
