// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/** Every disk reads back what was written, for any size and range, against a byte-array model. */
class DiskProperties {
    /** One operation: write data, write zeros, or read and compare. */
    record Op(int kind, long sector, int sectorCount, byte fill) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.longs().between(0, 4000),
                Arbitraries.integers().between(1, 300), Arbitraries.bytes())
                .as(Op::new).list().ofMaxSize(25);
    }

    static void apply(Disk d, byte[] model, List<Op> ops) throws IOException {
        long sectors = d.sizeSectors();
        for (Op op : ops) {
            if (sectors == 0) {
                return;
            }
            long s = op.sector() % sectors;
            int n = (int) Math.min(op.sectorCount(), sectors - s);
            int from = (int) (s * 512);
            int to = from + n * 512;
            switch (op.kind()) {
                case 0 -> {
                    byte[] data = new byte[n * 512];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (op.fill() + i / 512);
                    }
                    d.write(s, buffer(data, op.fill()));
                    System.arraycopy(data, 0, model, from, data.length);
                }
                case 1 -> {
                    d.writeZeros(s, n);
                    Arrays.fill(model, from, to, (byte) 0);
                }
                default -> {
                    ByteBuffer b = ByteBuffer.allocate(n * 512);
                    d.read(s, b);
                    assertArrayEquals(Arrays.copyOfRange(model, from, to), b.array());
                }
            }
        }
        ByteBuffer all = ByteBuffer.allocate((int) (sectors * 512));
        d.read(0, all);
        assertArrayEquals(model, all.array());
        checkAllocation(d, model);
    }

    /** The data in one of the buffers writes come in: heap, direct, read-only, or a slice past 4 KiB of zeros. */
    static ByteBuffer buffer(byte[] data, byte pick) {
        return switch (Math.floorMod(pick, 4)) {
            case 0 -> ByteBuffer.wrap(data);
            case 1 -> ByteBuffer.allocateDirect(data.length).put(data).flip();
            case 2 -> ByteBuffer.wrap(data).asReadOnlyBuffer();
            default -> {
                byte[] padded = new byte[4096 + data.length];
                System.arraycopy(data, 0, padded, 4096, data.length);
                yield ByteBuffer.wrap(padded, 4096, data.length).slice();
            }
        };
    }

    /**
     * The disk's allocation, walked from sector 0 with lookups of every length: each answer covers
     * at least one sector and stays inside the disk, and every range it calls ZERO holds zeros in
     * the model (a hole the sender would not read must read as zeros). Counts the holes found.
     */
    static void checkAllocation(Disk d, byte[] model) {
        long sectors = d.sizeSectors();
        boolean hole = false;
        for (long s = 0, step = 1; s < sectors; step = step * 3 % 1000 + 1) {
            Disk.Allocation a = d.allocation(s, step);
            long at = s;
            org.junit.jupiter.api.Assertions.assertTrue(a.sectorCount() >= 1 && a.sectorCount() <= Math.min(step, sectors - at),
                    () -> a + " at sector " + at + " asked for " + sectors);
            if (a.state() == Disk.State.ZERO) {
                hole = true;
                int from = (int) (s * 512);
                int to = (int) ((s + a.sectorCount()) * 512);
                org.junit.jupiter.api.Assertions.assertTrue(Zeros.isZero(model, from, to),
                        () -> "sectors " + at + "+" + a.sectorCount() + " called a hole hold data");
            }
            s += a.sectorCount();
        }
        Statistics.label("a hole found").collect(hole);
    }

    @Property(tries = 200)
    void aSparseDiskReadsBackWhatWasWritten(@ForAll @IntRange(min = 0, max = 3000) int sectors, @ForAll("ops") List<Op> ops)
            throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk("d", sectors * 512L);
        apply(d, new byte[sectors * 512], ops);
        Statistics.label("a hole found").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("partial last page").collect(sectors % 128 != 0);
        Statistics.label("partial last page").coverage(c -> c.check(true).percentage(p -> p > 50));
    }

    @Property(tries = 60)
    void aFileDiskReadsBackWhatWasWritten(@ForAll @IntRange(min = 0, max = 3000) int sectors, @ForAll("ops") List<Op> ops,
            @ForAll boolean sparseCalls) throws IOException {
        Path p = Files.createTempFile("blkmig-disk", ".img");
        byte[] model = new byte[sectors * 512];
        try {
            try (FileDisk d = FileDisk.create("d", p, sectors * 512L)) {
                if (!sparseCalls) {
                    d.withoutSparseCalls(); // the fallback: every range data, zeros written where they are not
                }
                apply(d, model, ops);
                assertEquals(sectors * 512L, Files.size(p), "the file keeps its length");
            }
            // opened again, it punches its zero writes (the ops once more, on the data they left)
            try (FileDisk d = FileDisk.open("d", p, true)) {
                if (!sparseCalls) {
                    d.withoutSparseCalls();
                }
                apply(d, model, ops);
                assertEquals(sectors * 512L, Files.size(p), "punching keeps the length");
            }
            Statistics.label("a hole found").coverage(c -> c.check(true).percentage(pct -> pct > 10));
        } finally {
            Files.delete(p);
        }
    }

    /** Half the layered disks span at most two clusters, so that a zero write covers a whole one often. */
    @Provide
    Arbitrary<Integer> layeredSectors() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 2000),
                Arbitraries.integers().between(1, 2 * LayeredDisk.CLUSTER_SECTORS));
    }

    @Property(tries = 200)
    void aLayeredDiskReadsTopOverBaseAndItsAllocationAgreesWithAModel(@ForAll("layeredSectors") int sectors,
            @ForAll("ops") List<Op> ops) throws IOException {
        SparseMemoryDisk base = new SparseMemoryDisk("base", sectors * 512L, true);
        byte[] model = new byte[sectors * 512];
        for (long s = 0; s < sectors; s += 7) {
            int n = (int) Math.min(3, sectors - s);
            ByteBuffer data = WriteContent.make(0, s, n);
            data.duplicate().get(model, (int) s * 512, n * 512);
            base.write(s, data);
        }
        LayeredDisk d = new LayeredDisk("top", base);
        // the model of allocation: per cluster, what the last write made it
        int clusters = (sectors + LayeredDisk.CLUSTER_SECTORS - 1) / LayeredDisk.CLUSTER_SECTORS;
        Disk.State[] state = new Disk.State[clusters];
        Arrays.fill(state, Disk.State.UNALLOCATED);
        for (Op op : ops) {
            apply(d, model, List.of(op));
            long s = op.sector() % sectors;
            long n = Math.min(op.sectorCount(), sectors - s);
            for (long c = s / LayeredDisk.CLUSTER_SECTORS; c <= (s + n - 1) / LayeredDisk.CLUSTER_SECTORS; c++) {
                long first = c * LayeredDisk.CLUSTER_SECTORS;
                long clusterSectors = Math.min(LayeredDisk.CLUSTER_SECTORS, sectors - first);
                boolean whole = s <= first && s + n >= first + clusterSectors;
                if (op.kind() == 0) {
                    state[(int) c] = Disk.State.DATA;
                } else if (op.kind() == 1) {
                    state[(int) c] = whole ? Disk.State.ZERO : Disk.State.DATA;
                }
            }
        }
        for (int c = 0; c < clusters; c++) {
            long first = (long) c * LayeredDisk.CLUSTER_SECTORS;
            Disk.Allocation a = d.allocation(first, 1);
            assertEquals(state[c], a.state(), "cluster " + c);
        }
        Disk.Allocation run = d.allocation(0, sectors);
        long expectedRun = 0;
        for (int c = 0; c < clusters && state[c] == state[0]; c++) {
            expectedRun = Math.min(sectors, (c + 1L) * LayeredDisk.CLUSTER_SECTORS);
        }
        assertEquals(expectedRun, run.sectorCount());
        Statistics.label("zero cluster").collect(Arrays.asList(state).contains(Disk.State.ZERO));
        // met in ~10% of tries; 2% leaves a wide margin for 200 tries
        Statistics.label("zero cluster").coverage(c -> c.check(true).percentage(p -> p > 2));
    }

    /** Two sparse disks given common and then their own operations: the first mismatch is the models'. */
    @Property(tries = 300)
    void twoSparseDisksFirstDifferWhereTheirBytesDo(@ForAll @IntRange(min = 1, max = 3000) int sectors,
            @ForAll("ops") List<Op> common, @ForAll("ops") List<Op> onlyA, @ForAll("ops") List<Op> onlyB) throws IOException {
        SparseMemoryDisk a = new SparseMemoryDisk("a", sectors * 512L);
        SparseMemoryDisk b = new SparseMemoryDisk("b", sectors * 512L);
        byte[] modelA = new byte[sectors * 512];
        byte[] modelB = new byte[sectors * 512];
        apply(a, modelA, common);
        apply(b, modelB, common);
        apply(a, modelA, onlyA.subList(0, Math.min(2, onlyA.size())));
        apply(b, modelB, onlyB.subList(0, Math.min(2, onlyB.size())));
        long expected = Arrays.mismatch(modelA, modelB);
        assertEquals(expected, a.firstMismatch(b));
        assertEquals(expected, b.firstMismatch(a));
        Statistics.label("differ").collect(expected >= 0, expected >= 0 && (a.pageCount() == 0 || b.pageCount() == 0));
        Statistics.label("differ").coverage(c -> {
            c.check(true, false).percentage(p -> p > 20);
            c.check(true, true).count(n -> n > 0);
            c.check(false, false).percentage(p -> p > 10);
        });
    }

    /**
     * A sparse disk holds at most 4 KiB for each part its data writes touched (not a 64 KiB page for a
     * small write), and at least the parts that read as data.
     */
    @Property(tries = 200)
    void aSparseDiskHoldsNoMoreThanThePartsItsDataTouched(@ForAll @IntRange(min = 1, max = 3000) int sectors,
            @ForAll("ops") List<Op> ops) throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk("d", sectors * 512L);
        byte[] model = new byte[sectors * 512];
        apply(d, model, ops);
        int partSectors = SparseMemoryDisk.PART_BYTES / 512;
        java.util.BitSet touched = new java.util.BitSet();
        for (Op op : ops) {
            long s = op.sector() % sectors;
            long n = Math.min(op.sectorCount(), sectors - s);
            if (op.kind() == 0) {
                touched.set((int) (s / partSectors), (int) ((s + n - 1) / partSectors) + 1);
            }
        }
        int partsOfData = 0;
        for (int from = 0; from < model.length; from += SparseMemoryDisk.PART_BYTES) {
            partsOfData += Zeros.isZero(model, from, Math.min(model.length, from + SparseMemoryDisk.PART_BYTES)) ? 0 : 1;
        }
        int dataParts = partsOfData;
        long held = d.heldBytes();
        org.junit.jupiter.api.Assertions.assertTrue(held <= (long) touched.cardinality() * SparseMemoryDisk.PART_BYTES,
                () -> held + " bytes held for " + touched.cardinality() + " parts touched");
        org.junit.jupiter.api.Assertions.assertTrue(held >= (long) dataParts * SparseMemoryDisk.PART_BYTES,
                () -> held + " bytes held for " + dataParts + " parts of data");
        Statistics.label("less than its pages").collect(held < (long) d.pageCount() * SparseMemoryDisk.PAGE_BYTES);
        Statistics.label("less than its pages").coverage(c -> c.check(true).percentage(p -> p > 30));
    }

    /** Writing a write's contents in place leaves the bytes a write of its buffer leaves, over any earlier data. */
    @Property(tries = 200)
    void writingContentInPlaceEqualsWritingItsBuffer(@ForAll @IntRange(min = 1, max = 3000) int sectors,
            @ForAll("ops") List<Op> before, @ForAll @IntRange(min = 0, max = 2999) int at,
            @ForAll @IntRange(min = 1, max = 700) int count, @ForAll @IntRange(min = 0, max = 1000) int writeId)
            throws IOException {
        SparseMemoryDisk inPlace = new SparseMemoryDisk("a", sectors * 512L);
        SparseMemoryDisk buffered = new SparseMemoryDisk("b", sectors * 512L);
        byte[] model = new byte[sectors * 512];
        apply(inPlace, model.clone(), before);
        apply(buffered, model, before);
        long s = at % sectors;
        int n = (int) Math.min(count, sectors - s);
        inPlace.writeContent(s, n, writeId);
        buffered.write(s, WriteContent.make(writeId, s, n));
        assertEquals(-1, inPlace.firstMismatch(buffered));
        assertEquals(buffered.pageCount(), inPlace.pageCount());
        assertEquals(buffered.heldBytes(), inPlace.heldBytes());
        Statistics.label("crosses a page").collect(s / 128 != (s + n - 1) / 128);
        Statistics.label("crosses a page").coverage(c -> c.check(true).percentage(p -> p > 8));
    }
}
