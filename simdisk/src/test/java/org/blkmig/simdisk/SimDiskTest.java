// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimDiskTest {
    @TempDir
    Path dir;

    @Test
    void aSparse64GiBDiskCostsOnlyWhatWasWritten() throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk("big", 64L << 30);
        for (int i = 0; i < 10; i++) {
            d.write((long) i * (1L << 30) / 512, WriteContent.make(i + 1, 0, 8));
        }
        assertEquals(10, d.pageCount());
        d.write(0, ByteBuffer.allocate(1 << 20)); // zeros over a page drop it, zeros over holes stay holes
        assertEquals(9, d.pageCount());
        d.writeZeros(1L << 21, 128);
        assertEquals(8, d.pageCount());
        assertThrows(IllegalArgumentException.class, () -> d.read((64L << 30) / 512, ByteBuffer.allocate(512)));
        assertThrows(IllegalArgumentException.class, () -> d.write(0, ByteBuffer.allocate(100)));
        assertThrows(IllegalArgumentException.class, () -> new SparseMemoryDisk("x", 1000));
    }

    @Test
    void aSmallWriteHoldsA4KiBPartWhileAllocationStaysPageByPage() {
        int part = SparseMemoryDisk.PART_BYTES;
        SparseMemoryDisk d = new SparseMemoryDisk("big", 1L << 30);
        byte[] model = new byte[4 * SparseMemoryDisk.PAGE_BYTES];
        d.write(8, put(model, WriteContent.make(1, 8, 8), 8)); // one part
        assertEquals(part, d.heldBytes());
        d.write(128 + 4, put(model, WriteContent.make(2, 132, 8), 132)); // across two parts
        assertEquals(3 * part, d.heldBytes());
        assertEquals(2, d.pageCount());
        assertEquals(new Disk.Allocation(Disk.State.DATA, 256), d.allocation(0, 1000), "DATA by whole pages, as before");

        // a whole page received with one sector of data in it keeps that part only; data filling one is one array
        ByteBuffer chunk = ByteBuffer.allocate(SparseMemoryDisk.PAGE_BYTES);
        chunk.put(9 * 512, WriteContent.make(3, 256 + 9, 1), 0, 512);
        d.write(256, put(model, chunk, 256));
        assertEquals(4 * part, d.heldBytes());
        d.write(384, put(model, WriteContent.make(4, 384, 128), 384));
        assertEquals(4 * part + SparseMemoryDisk.PAGE_BYTES, d.heldBytes());

        // zeros over a whole part give it back; its page stays DATA and reads zeros there
        d.writeZeros(8, 8);
        java.util.Arrays.fill(model, 8 * 512, 16 * 512, (byte) 0);
        assertEquals(3 * part + SparseMemoryDisk.PAGE_BYTES, d.heldBytes());
        assertEquals(new Disk.Allocation(Disk.State.DATA, 512), d.allocation(0, 1000));
        ByteBuffer all = ByteBuffer.allocate(model.length);
        d.read(0, all);
        assertArrayEquals(model, all.array());
    }

    /** Copies b into the model at sector, for the write of b there. */
    private static ByteBuffer put(byte[] model, ByteBuffer b, long sector) {
        b.duplicate().get(model, (int) sector * 512, b.remaining());
        return b;
    }

    @Test
    void zeroWritesToAFreshFileLeaveHoles() throws Exception {
        Path p = dir.resolve("sparse.img");
        try (FileDisk d = FileDisk.create("d", p, 64L << 20)) {
            d.writeZeros(0, (64L << 20) / 512);
            d.write(2048, WriteContent.make(1, 2048, 8));
            d.force();
        }
        Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        long blocks = Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim());
        assertTrue(blocks * 512 < (1L << 20), "64 MiB of zero writes allocated " + blocks * 512 + " bytes");
        try (FileDisk ro = FileDisk.open("d", p, false)) {
            assertFalse(ro.readOnly(), "a raw image is not a read-only drive");
            assertFalse(ro.writable());
            assertThrows(IOException.class, () -> ro.write(0, ByteBuffer.allocate(512)));
            assertThrows(IOException.class, () -> ro.writeZeros(0, 1));
            ByteBuffer b = ByteBuffer.allocate(512);
            ro.read(2048, b);
            assertEquals(1, WriteContent.writeIdOf(b.flip(), 2048));
        }
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[1000]);
        assertThrows(IOException.class, () -> FileDisk.open("o", odd, false));
    }

    @Test
    void aFileKnowsItsHolesAndZeroWritesToAnExistingImagePunchThem() throws Exception {
        Path p = dir.resolve("existing.img");
        byte[] data = imageWithHole(p, 4 << 20, (byte) 9, 16L << 20); // 4 MiB of data, then 12 MiB of hole
        long before = allocatedBytes(p);
        try (FileDisk d = FileDisk.open("d", p, true)) {
            assertEquals(new Disk.Allocation(Disk.State.DATA, 8192), d.allocation(0, 1 << 20), "the data, up to the hole");
            assertEquals(new Disk.Allocation(Disk.State.ZERO, 2048), d.allocation(8192, 2048), "a lookup within the hole");
            assertEquals(new Disk.Allocation(Disk.State.ZERO, 24576), d.allocation(8192, 1 << 20), "the hole, to the end");
            assertEquals(new Disk.Allocation(Disk.State.DATA, 10), d.allocation(100, 10));
            d.writeZeros(2048, 4096); // 1 MiB to 3 MiB: punched, not written
            d.writeZeros(6, 3); // inside one block: zeroed in place by the punch
            d.force();
            assertEquals(new Disk.Allocation(Disk.State.ZERO, 4096), d.allocation(2048, 1 << 20));
            assertEquals(new Disk.Allocation(Disk.State.DATA, 2048), d.allocation(6144, 1 << 20));
            ByteBuffer b = ByteBuffer.allocate(4 << 20);
            d.read(0, b);
            byte[] want = data.clone();
            java.util.Arrays.fill(want, 1 << 20, 3 << 20, (byte) 0);
            java.util.Arrays.fill(want, 6 * 512, 9 * 512, (byte) 0);
            assertArrayEquals(want, b.array());
        }
        long after = allocatedBytes(p);
        assertTrue(before - after >= (2L << 20) - 8192, "2 MiB punched: " + before + " -> " + after + " bytes allocated");
        try (FileDisk ro = FileDisk.open("d", p, false)) {
            assertEquals(Disk.State.ZERO, ro.allocation(2048, 1).state(), "a read-only image knows its holes too");
        }
    }

    @Test
    void withoutSparseCallsEveryRangeIsDataAndZerosAreWritten() throws Exception {
        Path p = dir.resolve("plain.img");
        imageWithHole(p, 2 << 20, (byte) 4, 8L << 20);
        try (FileDisk d = FileDisk.open("d", p, true)) {
            d.withoutSparseCalls();
            assertEquals(new Disk.Allocation(Disk.State.DATA, 2048), d.allocation(8192, 2048), "a hole, read as data");
            d.writeZeros(0, 2048); // written, not punched
            d.force();
            ByteBuffer b = ByteBuffer.allocate(2 << 20);
            d.read(0, b);
            b.flip();
            assertTrue(Zeros.isZero(b.duplicate().limit(1 << 20)));
            assertEquals(4, b.get(1 << 20));
        }
        assertTrue(allocatedBytes(p) >= 2L << 20, "zeros written over data keep it allocated: " + allocatedBytes(p));
    }

    @Test
    void aLookupInTheSimulationRecordsAHoleAndLetsItsTimePass() throws IOException {
        SimScheduler s = new SimScheduler(1);
        History h = new History();
        SimIoContext io = new SimIoContext(s, new LatencyModel.Fixed(0), Faults.NONE, h);
        SparseMemoryDisk disk = new SparseMemoryDisk("d", 4L << 20);
        disk.write(2048, WriteContent.make(1, 2048, 8));
        BlockDevice dev = new BlockDevice(disk);
        List<Long> sampled = new java.util.ArrayList<>();
        io.addReadListener(new IoContext.ReadListener() {
            @Override
            public void sampled(BlockDevice device, long sector, long sectorCount, long nanosUntilCompletion) {
                sampled.add(sector);
            }
        });
        assertEquals(new Disk.Allocation(Disk.State.ZERO, 2048), io.allocation(dev, 0, 2048));
        assertEquals(Disk.State.DATA, io.allocation(dev, 2048, 2048).state());
        assertEquals(new Disk.Allocation(Disk.State.ZERO, 1024), io.allocation(dev, 4096, 1024));
        assertEquals(List.of(new History.KnownZero(0, "d", 0, 2048), new History.KnownZero(2 * SimIoContext.LOOKUP_COST_NANOS,
                "d", 4096, 1024)), h.entries(), "only lookups that found the whole range a hole, at their instant");
        assertEquals(List.of(0L, 4096L), sampled, "a hammer hears of each hole looked at");
        assertEquals(3 * SimIoContext.LOOKUP_COST_NANOS, s.nowNanos(), "each lookup takes its time");
    }

    @Test
    void aSharedChunkOfZerosHasAnySize() {
        ByteBuffer small = Zeros.chunk(4096);
        ByteBuffer large = Zeros.chunk(1 << 20);
        assertEquals(4096, small.remaining());
        assertEquals(1 << 20, large.remaining());
        assertTrue(Zeros.isZero(large) && Zeros.isZero(small) && large.isReadOnly());
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> large.put(0, (byte) 1));
    }

    /** An image of {@code dataBytes} of {@code fill}, then a hole up to {@code sizeBytes}; returns the data. */
    static byte[] imageWithHole(Path p, int dataBytes, byte fill, long sizeBytes) throws IOException {
        byte[] data = new byte[dataBytes];
        java.util.Arrays.fill(data, fill);
        Files.write(p, data);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(sizeBytes);
        }
        return data;
    }

    static long allocatedBytes(Path p) throws IOException {
        Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        return Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim()) * 512;
    }

    @Test
    void creatingOverAnImageLeavesOnlyAHoleOfTheNewSize() throws Exception {
        Path p = dir.resolve("again.img");
        byte[] old = new byte[3 << 20];
        java.util.Arrays.fill(old, (byte) 7);
        Files.write(p, old);
        try (FileDisk d = FileDisk.create("d", p, 8L << 20)) {
            assertEquals(8L << 20, d.sizeBytes());
            ByteBuffer b = ByteBuffer.allocate(512);
            d.read(0, b);
            assertTrue(Zeros.isZero(b.flip()), "old contents survived the create");
        }
        assertEquals(8L << 20, Files.size(p));
        Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        assertEquals("0", new String(stat.getInputStream().readAllBytes()).trim(), "blocks allocated by the create");
    }

    @Test
    void dirtyBitsAreExactlyTheChunksTouchedSinceTheLastClear() {
        SplittableRandom r = new SplittableRandom(5);
        for (int round = 0; round < 200; round++) {
            int chunkBytes = 4096 << r.nextInt(4);
            long size = 512L * (1 + r.nextInt(5000));
            DirtyBitmap b = new DirtyBitmap(size, chunkBytes);
            Set<Long> model = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                long sectors = size / 512;
                long s = r.nextLong(sectors);
                long n = 1 + r.nextLong(Math.min(200, sectors - s));
                if (r.nextInt(4) == 0) {
                    long c = s * 512 / chunkBytes;
                    b.clear(c);
                    model.remove(c);
                } else {
                    b.setSectors(s, n);
                    for (long c = s * 512 / chunkBytes; c <= (s + n - 1) * 512 / chunkBytes; c++) {
                        model.add(c);
                    }
                }
            }
            assertEquals(model.size(), b.count());
            Set<Long> seen = new HashSet<>();
            for (long c = b.nextDirty(0); c >= 0; c = b.nextDirty(c + 1)) {
                assertTrue(b.test(c));
                seen.add(c);
            }
            assertEquals(model, seen);
        }
        DirtyBitmap b = new DirtyBitmap(10 * 4096, 4096);
        b.setAll();
        assertEquals(10, b.count());
        assertEquals(-1, b.nextDirty(10));
        assertThrows(IndexOutOfBoundsException.class, () -> b.set(10));
    }

    @Test
    void aReadReturnsTheDataAsOfItsSamplingPoint() throws IOException {
        for (long seed = 0; seed < 50; seed++) {
            SimScheduler s = new SimScheduler(seed);
            History h = new History();
            SimIoContext io = new SimIoContext(s, new LatencyModel.Uniform(0, 1_000_000), Faults.NONE, h);
            BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 4096));
            ByteBuffer dst = ByteBuffer.allocate(512);
            boolean[] done = new boolean[1];
            io.submitRead(dev, 0, dst, e -> done[0] = e == null);
            for (int i = 1; i <= 20; i++) {
                long id = i;
                s.at(i * 50_000L, () -> {
                    try {
                        dev.guestWrite(0, WriteContent.make(id, 0, 1), id);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            s.runUntil(2_000_000);
            assertTrue(done[0]);
            long sampledAt = h.entries().stream().filter(e -> e instanceof History.ReadSample).findFirst().orElseThrow().timeNanos();
            long expected = Math.min(20, sampledAt / 50_000); // writes at or before the sample are seen
            long got = WriteContent.writeIdOf(dst, 0);
            assertEquals(expected == 0 ? -1 : expected, got, "seed " + seed + " sampled at " + sampledAt);
        }
    }

    static String runWorkload(long seed, Workload w) {
        SimScheduler s = new SimScheduler(seed);
        History h = new History();
        SimIoContext io = new SimIoContext(s, new LatencyModel.LongTail(200_000, 10, 5_000_000), Faults.NONE, h);
        List<BlockDevice> devs = List.of(new BlockDevice(new SparseMemoryDisk("a", 4L << 20)),
                new BlockDevice(new SparseMemoryDisk("b", (1L << 20) + 512)));
        SimGuest g = new SimGuest(s, io, devs, w, h);
        g.start();
        for (int i = 0; i < 40; i++) {
            io.submitRead(devs.get(i % 2), (i * 97L) % 1900, ByteBuffer.allocate(65536), e -> {});
            s.runUntil(s.nowNanos() + 3_000_000);
        }
        g.stop();
        s.runUntil(s.nowNanos() + 100_000_000);
        return h.hash();
    }

    @Test
    void oneSeedReplaysOneRunAndOtherSeedsInterleaveDifferently() {
        Workload w = Workload.of(Workload.Kind.HAMMER, 2L << 20);
        assertEquals(runWorkload(42, w), runWorkload(42, w));
        Set<String> hashes = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            hashes.add(runWorkload(seed, w));
        }
        assertEquals(20, hashes.size(), "20 seeds, 20 different histories");
        for (Workload.Kind k : Workload.Kind.values()) {
            Workload x = Workload.of(k, 1L << 20);
            assertEquals(runWorkload(3, x), runWorkload(3, x), k + " replays");
        }
    }

    @Test
    void eventsAtOneInstantRunInAnOrderDrawnFromTheSeed() {
        Set<String> orders = new HashSet<>();
        for (long seed = 0; seed < 30; seed++) {
            SimScheduler s = new SimScheduler(seed);
            StringBuilder order = new StringBuilder();
            for (char c = 'a'; c <= 'e'; c++) {
                char x = c;
                s.at(100, () -> order.append(x));
            }
            s.runUntil(100);
            orders.add(order.toString());
        }
        assertTrue(orders.size() > 10, "orders seen: " + orders);
        SimScheduler s = new SimScheduler(1, 10);
        s.at(0, new Runnable() {
            @Override
            public void run() {
                s.after(1, this);
            }
        });
        assertThrows(IllegalStateException.class, () -> s.runUntil(1000), "a bound on events");
        assertThrows(Invariant.Violation.class, () -> s.at(-1, () -> {}));
    }

    @Test
    void injectedFaultsFailOrSlowReads() throws IOException {
        SimScheduler s = new SimScheduler(9);
        History h = new History();
        SimIoContext io = new SimIoContext(s, new LatencyModel.Fixed(1000), new Faults(50, 50, 10), h);
        BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 1 << 20));
        int[] failed = new int[1];
        for (int i = 0; i < 200; i++) {
            io.submitRead(dev, 0, ByteBuffer.allocate(512), e -> failed[0] += e == null ? 0 : 1);
        }
        io.awaitUntil(() -> io.readsInFlight() == 0);
        assertTrue(failed[0] > 50 && failed[0] < 150, "about half fail: " + failed[0]);
        // each submission takes its virtual time; the slowest read took ten times the latency
        java.util.Map<Long, Long> submittedAt = new java.util.HashMap<>();
        long slowest = 0;
        for (History.Entry e : h.entries()) {
            if (e instanceof History.ReadSubmit r) {
                submittedAt.put(r.readId(), r.timeNanos());
            } else if (e instanceof History.ReadComplete c) {
                slowest = Math.max(slowest, c.timeNanos() - submittedAt.get(c.readId()));
            }
        }
        assertEquals(10_000, slowest, "the slowest read took 10x");
        assertTrue(s.nowNanos() >= 200 * SimIoContext.SUBMIT_COST_NANOS, "200 submissions took their time");
        assertThrows(IOException.class, () -> io.awaitUntil(() -> false), "a condition nothing can make true");
    }

    @Test
    void textFormsParseBack() {
        for (String spec : List.of("fixed:1ms", "uniform:100us-2ms", "longtail:500us,5%,20ms", "fixed:0ns")) {
            assertEquals(spec, LatencyModel.parse(spec).spec());
        }
        assertThrows(IllegalArgumentException.class, () -> LatencyModel.parse("fixed"));
        assertThrows(IllegalArgumentException.class, () -> LatencyModel.parse("uniform:3ms"));
        assertThrows(IllegalArgumentException.class, () -> LatencyModel.parse("longtail:1ms,5,2ms"));
        assertThrows(IllegalArgumentException.class, () -> LatencyModel.parse("warp:1ms"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5ms"));
        assertEquals(3 * Durations.SECOND, Durations.parse("3s"));
        assertEquals("250ns", Durations.format(250));
        assertEquals((3L << 20) + 1536, Sizes.parse("3M+1536"));
        assertEquals("3M+1536", Sizes.format((3L << 20) + 1536));
        assertEquals("0", Sizes.format(0));
        assertEquals("1G", Sizes.format(1L << 30));
        assertEquals(1536, Sizes.parse("1536"));
        assertEquals(2048L << 10, Sizes.parse("2048k"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999T"));
        for (Workload.Kind k : Workload.Kind.values()) {
            Workload w = Workload.of(k, 12345);
            assertEquals(w, Workload.parse(w.spec()));
        }
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("uniform"));
        Faults f = Faults.buggify(3);
        assertEquals(f, Faults.parse(f.toString()));
        assertEquals(Faults.NONE, Faults.parse("none"));
        assertThrows(IllegalArgumentException.class, () -> Faults.parse("lots"));
        assertNotEquals(Faults.buggify(1), Faults.buggify(2));
    }

    @Test
    void workloadsPlaceWritesAsTheyClaim() {
        List<BlockDevice> devs = List.of(new BlockDevice(new SparseMemoryDisk("a", 64L << 20)));
        SplittableRandom r = new SplittableRandom(1);
        Workload.Planner seq = Workload.of(Workload.Kind.SEQUENTIAL, 1).new Planner(devs);
        long next = 0;
        for (int i = 0; i < 100; i++) {
            Workload.Planned p = seq.next(r);
            assertEquals(next, p.sector());
            next = p.sector() + p.sectorCount();
        }
        Workload.Planner hot = Workload.of(Workload.Kind.HOTSPOT, 1).new Planner(devs);
        int low = 0;
        for (int i = 0; i < 1000; i++) {
            Workload.Planned p = hot.next(r);
            low += p.sector() < devs.get(0).sizeSectors() / 10 ? 1 : 0;
            assertTrue(p.sector() + p.sectorCount() <= devs.get(0).sizeSectors());
        }
        assertTrue(low > 400, "the first tenth gets " + low + " of 1000 hotspot writes");
        Workload w = Workload.of(Workload.Kind.UNIFORM, 1 << 20);
        assertTrue(w.dirtyRateBytesPerSecond(1 << 20) > 20 * (1 << 20), "small writes dirty whole chunks");
        assertEquals(0, Workload.NONE.dirtyRateBytesPerSecond(1 << 20));
    }

    @Test
    void aReleasedDisksPagesServeLaterDisksAsZerosAndTheReleasedDiskRefusesUse() throws IOException {
        int bytes = 4 * SparseMemoryDisk.PAGE_BYTES;
        SparseMemoryDisk old = new SparseMemoryDisk("old", bytes);
        byte[] dirty = new byte[bytes];
        java.util.Arrays.fill(dirty, (byte) 0x5a);
        old.write(0, ByteBuffer.wrap(dirty, 0, bytes - 512)); // three pages whole, the last in 16 dirty parts
        int before = SparseMemoryDisk.spareCount();
        int partsBefore = SparseMemoryDisk.sparePartCount();
        old.release();
        assertTrue(SparseMemoryDisk.spareCount() >= Math.min(before + 3, 1024), "its pages are spare");
        assertTrue(SparseMemoryDisk.sparePartCount() >= Math.min(partsBefore + 16, 4096), "its parts are spare");
        assertThrows(IllegalStateException.class, () -> old.read(0, ByteBuffer.allocate(512)));
        assertThrows(IllegalStateException.class, () -> old.write(0, ByteBuffer.allocate(512)));

        // a page partly written, one written in place, one whole: reused pages read as if new
        SparseMemoryDisk next = new SparseMemoryDisk("next", bytes);
        byte[] model = new byte[bytes];
        byte[] sector = new byte[512];
        java.util.Arrays.fill(sector, (byte) 7);
        next.write(3, ByteBuffer.wrap(sector));
        System.arraycopy(sector, 0, model, 3 * 512, 512);
        next.writeContent(128 + 5, 10, 9);
        WriteContent.make(9, 128 + 5, 10).get(model, (128 + 5) * 512, 10 * 512);
        byte[] whole = new byte[SparseMemoryDisk.PAGE_BYTES];
        java.util.Arrays.fill(whole, (byte) 1);
        next.write(3 * 128, ByteBuffer.wrap(whole));
        System.arraycopy(whole, 0, model, 3 * SparseMemoryDisk.PAGE_BYTES, whole.length);
        ByteBuffer all = ByteBuffer.allocate(bytes);
        next.read(0, all);
        assertArrayEquals(model, all.array());
        assertEquals(3, next.pageCount());
    }
}
