// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.sim.World;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;
import org.blkmig.simdisk.Zeros;

/**
 * The replay names what a read saw from write ids alone ({@link ContentMap}); the oracle names a
 * block from its bytes ({@link ContentIdentity}). They must agree on every range of any disk the
 * world can write, and the bytes' name must change with any byte.
 */
class ContentIdentityProperties {
    private static final long DISK_SECTORS = 3 * 2048 + 100; // pages of the map, and a partial one

    record Op(boolean zeros, long sector, long sectorCount, long writeId) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Long> sector = Arbitraries.longs().between(0, DISK_SECTORS - 1);
        Arbitrary<Long> count = Arbitraries.longs().between(1, 3000);
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 4), sector, count,
                Arbitraries.longs().between(-1, 50)).as((k, s, n, id) -> new Op(k == 0, s, Math.min(n, DISK_SECTORS - s), id));
        return op.list().ofMinSize(2).ofMaxSize(12);
    }

    @Property(tries = 300)
    void theBytesAndTheWriteIdsNameARangeAlike(@ForAll("ops") List<Op> ops, @ForAll("ranges") long[] range)
            throws IOException {
        SparseMemoryDisk disk = new SparseMemoryDisk("d", DISK_SECTORS * Disk.SECTOR_SIZE_BYTES);
        ContentMap map = new ContentMap(DISK_SECTORS);
        World.Contents bytes = World.Contents.of(disk);
        for (Op o : ops) {
            for (World.Contents c : List.of(bytes, map)) {
                if (o.zeros()) {
                    c.zeros(o.sector(), o.sectorCount());
                } else {
                    c.data(o.sector(), o.sectorCount(), o.writeId());
                }
            }
        }
        long sector = range[0];
        long count = Math.min(range[1], DISK_SECTORS - sector);
        ByteBuffer read = ByteBuffer.allocate((int) (count * Disk.SECTOR_SIZE_BYTES));
        disk.read(sector, read);
        read.flip();
        ContentMap.Seen seen = map.seen(sector, count);
        assertEquals(ContentIdentity.of(read, sector), seen.identity());
        assertEquals(Zeros.isZero(read), seen.zero());
        long distinct = distinctRuns(read, sector);
        Statistics.label("range").collect(seen.zero() ? "all zero" : distinct > 2 ? "many runs" : "few runs");
        Statistics.label("range").coverage(c -> {
            c.check("all zero").count((Integer n) -> n > 0);
            c.check("many runs").percentage((Double p) -> p > 5);
        });
    }

    /**
     * A block named where it lies in a stream's pieces (read-only views, a sector split between two)
     * gets the name of its bytes in one buffer, a last partial sector included.
     */
    @Property(tries = 300)
    void bytesInPiecesAreNamedAsInOneBuffer(@ForAll("ops") List<Op> ops, @ForAll("ranges") long[] range,
            @ForAll("cuts") List<Integer> cuts, @ForAll("tails") int tailBytes) throws IOException {
        SparseMemoryDisk disk = new SparseMemoryDisk("d", DISK_SECTORS * Disk.SECTOR_SIZE_BYTES);
        World.Contents bytes = World.Contents.of(disk);
        for (Op o : ops) {
            if (o.zeros()) {
                bytes.zeros(o.sector(), o.sectorCount());
            } else {
                bytes.data(o.sector(), o.sectorCount(), o.writeId());
            }
        }
        long sector = range[0];
        long count = Math.min(range[1], DISK_SECTORS - sector);
        ByteBuffer read = ByteBuffer.allocate((int) (count * Disk.SECTOR_SIZE_BYTES));
        disk.read(sector, read);
        read.flip();
        read.limit(Math.max(1, read.limit() - tailBytes));
        ContentIdentity.Namer namer = new ContentIdentity.Namer(sector);
        int at = read.position();
        boolean split = false;
        for (int cut : cuts.stream().map(c -> c % (read.limit() + 1)).sorted().distinct().toList()) {
            if (cut > at) {
                namer.add(read.slice(at, cut - at).asReadOnlyBuffer());
                split |= cut % Disk.SECTOR_SIZE_BYTES != 0;
                at = cut;
            }
        }
        namer.add(read.slice(at, read.limit() - at));
        Statistics.label("pieces").collect(split ? "a sector split" : "whole sectors");
        Statistics.label("pieces").coverage(c -> c.check("a sector split").percentage((Double p) -> p > 30));
        assertEquals(ContentIdentity.of(read, sector), namer.identity());
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE - 1).list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<Integer> tails() {
        return Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(1, Disk.SECTOR_SIZE_BYTES - 1));
    }

    @Provide
    Arbitrary<long[]> ranges() {
        return Combinators.combine(Arbitraries.longs().between(0, DISK_SECTORS - 1), Arbitraries.longs().between(1, 2048))
                .as((s, n) -> new long[] {s, n});
    }

    @Property(tries = 300)
    void anyChangedByteChangesTheName(@ForAll("ranges") long[] range, @ForAll("byteIndexes") int byteIndex,
            @ForAll("flips") byte flip) {
        long sector = range[0];
        int count = (int) Math.min(range[1], 64);
        ByteBuffer b = WriteContent.make(7, sector, count);
        long before = ContentIdentity.of(b, sector);
        int at = byteIndex % (count * Disk.SECTOR_SIZE_BYTES);
        b.put(at, (byte) (b.get(at) ^ flip));
        int inSector = at % Disk.SECTOR_SIZE_BYTES;
        Statistics.label("where").collect(inSector < WriteContent.HEADER_BYTES ? "header"
                : inSector == Disk.SECTOR_SIZE_BYTES - 1 ? "last byte" : "fill");
        Statistics.label("where").coverage(c -> {
            c.check("header").count((Integer n) -> n > 0);
            c.check("last byte").count((Integer n) -> n > 0);
        });
        assertNotEquals(before, ContentIdentity.of(b, sector));
    }

    /** A zero sector with one byte changed is no longer zeros, wherever the byte is. */
    @Property(tries = 100)
    void anyChangedByteOfZerosChangesTheName(@ForAll("byteIndexes") int byteIndex, @ForAll("flips") byte flip) {
        ByteBuffer b = ByteBuffer.allocate(4 * Disk.SECTOR_SIZE_BYTES);
        long before = ContentIdentity.of(b, 0);
        int at = byteIndex % b.capacity();
        b.put(at, flip);
        assertNotEquals(before, ContentIdentity.of(b, 0));
    }

    /** Any byte, with sectors' edges (first and last bytes of the fill) drawn often. */
    @Provide
    Arbitrary<Integer> byteIndexes() {
        Arbitrary<Integer> sectorIndex = Arbitraries.integers().between(0, 1 << 20);
        return Arbitraries.oneOf(Arbitraries.integers().between(0, Integer.MAX_VALUE - 1),
                sectorIndex.map(k -> k * Disk.SECTOR_SIZE_BYTES + Disk.SECTOR_SIZE_BYTES - 1),
                sectorIndex.map(k -> k * Disk.SECTOR_SIZE_BYTES + WriteContent.HEADER_BYTES));
    }

    @Provide
    Arbitrary<Byte> flips() {
        return Arbitraries.bytes().filter(x -> x != 0);
    }

    @Property(tries = 100)
    void aSectorElsewhereOrOfAnotherWriteIsAnotherName(@ForAll("ranges") long[] range) {
        long sector = range[0] + 1;
        int count = (int) Math.min(range[1], 64);
        long written = ContentIdentity.of(WriteContent.make(3, sector, count), sector);
        assertNotEquals(written, ContentIdentity.of(WriteContent.make(3, sector - 1, count), sector)); // a shifted read
        assertNotEquals(written, ContentIdentity.of(WriteContent.make(4, sector, count), sector)); // a stale one
        assertNotEquals(written, ContentIdentity.of(ByteBuffer.allocate(count * Disk.SECTOR_SIZE_BYTES), sector));
    }

    private static long distinctRuns(ByteBuffer b, long sector) {
        long runs = 0;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < b.remaining() / Disk.SECTOR_SIZE_BYTES; i++) {
            long id = WriteContent.writeIdOf(b.duplicate().position(i * Disk.SECTOR_SIZE_BYTES), sector + i);
            if (i == 0 || id != last) {
                runs++;
            }
            last = id;
        }
        return runs;
    }
}
