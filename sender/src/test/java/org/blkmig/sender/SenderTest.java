// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.IoContext;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.SimGuest;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.Workload;
import org.blkmig.simdisk.WriteContent;
import org.junit.jupiter.api.Test;

class SenderTest {
    static final int CHUNK = 64 * 1024;
    static final long SPC = CHUNK / 512;

    static SenderOptions opts() {
        return SenderOptions.defaults().withChunkSize(CHUNK);
    }

    static MigrationResult migrate(World w, SenderOptions o, ControllerOptions c, SimGuest guest) {
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, o);
        if (guest != null) {
            guest.start();
        }
        return new MigrationController(c, w.io).run(s, guest == null ? GuestControl.NONE : guest::stop);
    }

    static ControllerOptions bw(long bytesPerSecond) {
        return ControllerOptions.defaults().withBandwidth(bytesPerSecond);
    }

    @Test
    void endToEndTheRecordsObeyTheCheckerAndRebuildTheSourceAsTheGuestLeftIt() throws IOException {
        World w = new World(11);
        w.add("drive0", 4L << 20, false);
        w.add("drive1", (3L << 20) + 1536, false);
        SimGuest g = w.guest(Workload.of(Workload.Kind.UNIFORM, 32 << 10));
        MigrationResult r = migrate(w, opts(), bw(8L << 20), g);
        assertTrue(r.completed(), r.reason());
        assertTrue(g.writesDone() > 0);
        Map<String, Long> sizes = Map.of("drive0", 4L << 20, "drive1", (3L << 20) + 1536);
        assertEquals(List.of(), StreamChecker.check(w.sink.payloads, sizes, CHUNK));
        Map<String, byte[]> images = World.apply(w.sink.payloads, sizes, CHUNK);
        for (BlockDevice d : w.devices) {
            assertArrayEquals(World.contents(d), images.get(d.name()), d.name());
        }
        assertTrue(r.downtimeNanos() > 0 && r.slices().size() > 3);
        assertEquals(0, w.devices.get(0).dirtyBitmapCount(), "tracking stops at complete");
    }

    @Test
    void aWriteWhileTheBulkReadOfItsChunkIsInFlightIsResent() throws IOException {
        World w = new World(3, new LatencyModel.Fixed(5_000_000));
        BlockDevice d = w.add("drive0", 2L << 20, false);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        s.setup();
        s.iterate(new SliceBudget(CHUNK * 4L)); // reads of chunks 0..3 in flight
        w.scheduler.runUntil(4_999_999); // sampled, not completed
        d.guestWrite(10, WriteContent.make(77, 10, 1), 77);
        w.scheduler.runUntil(20_000_000);
        while (!s.bulkCompleted()) {
            s.iterate(new SliceBudget(CHUNK * 4L));
            w.scheduler.runUntil(w.scheduler.nowNanos() + 10_000_000);
        }
        s.iterate(SliceBudget.unlimited());
        s.complete();
        List<Record.DeviceBlock> chunk0 = w.sink.blocks().stream().filter(b -> b.sector() == 0).toList();
        assertEquals(2, chunk0.size(), "chunk 0 is sent by the bulk pass and again after the write");
        assertEquals(77, WriteContent.writeIdOf(chunk0.get(1).data().duplicate().position(10 * 512), 10));
        assertEquals(0, WriteContent.writeIdOf(chunk0.get(0).data().duplicate().position(10 * 512), 10), "the initial data");
    }

    @Test
    void aChunkDirtiedWhileItsDirtyReadIsInFlightIsNeverReadTwiceAtOnce() throws IOException {
        World w = new World(5, new LatencyModel.Uniform(0, 4_000_000));
        w.add("drive0", 1L << 20, false);
        SimGuest g = w.guest(Workload.of(Workload.Kind.HAMMER, 64 << 10));
        MigrationResult r = migrate(w, opts(), ControllerOptions.defaults().withBandwidth(32L << 20)
                .withMaxDowntime(10_000_000), g);
        assertTrue(r.completed(), r.reason());
        Map<Long, History.ReadSubmit> submits = new HashMap<>();
        Map<Long, Integer> inFlight = new HashMap<>();
        int hammered = 0;
        for (History.Entry e : w.history.entries()) {
            if (e instanceof History.ReadSubmit rs) {
                submits.put(rs.readId(), rs);
                assertEquals(0, inFlight.merge(rs.sector(), 1, Integer::sum) - 1, "two reads of sector " + rs.sector());
            } else if (e instanceof History.ReadComplete rc) {
                inFlight.merge(submits.get(rc.readId()).sector(), -1, Integer::sum);
            } else if (e instanceof History.GuestWrite gw) {
                hammered += inFlight.getOrDefault(gw.sector() / SPC * SPC, 0);
            }
        }
        assertTrue(hammered > 5, "writes landed on chunks with reads in flight: " + hammered);
        assertTrue(r.sender().dirtyChunksRead > 0);
    }

    @Test
    void aPartialLastChunkIsReadAsItsThreeSectors() throws IOException {
        World w = new World(1);
        w.add("drive0", (3L << 20) + 1536, false);
        MigrationResult r = migrate(w, SenderOptions.defaults(), bw(16L << 20), null);
        assertTrue(r.completed());
        List<History.ReadSubmit> reads = w.history.entries().stream().filter(e -> e instanceof History.ReadSubmit)
                .map(e -> (History.ReadSubmit) e).toList();
        assertEquals(4, reads.size());
        History.ReadSubmit last = reads.stream().filter(x -> x.sector() == 3 * 2048).findFirst().orElseThrow();
        assertEquals(3, last.sectorCount());
        Record.DeviceBlock b = w.sink.blocks().stream().filter(x -> x.sector() == 6144).findFirst().orElseThrow();
        assertEquals(1 << 20, b.data().remaining(), "the record still carries a whole chunk");
    }

    @Test
    void readOnlyAndZeroSizeDevicesAreSkippedAndTheScanGoesOn() throws IOException {
        World w = new World(2);
        w.add("ro", 1L << 20, true);
        w.add("empty", 0, false);
        w.add("drive2", 1L << 20, false);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        MigrationResult r = new MigrationController(bw(8L << 20), w.io).run(s, GuestControl.NONE);
        assertTrue(r.completed());
        assertEquals(List.of("drive2"), s.migratedDevices());
        assertEquals(16, w.sink.blocks().stream().filter(b -> b.device().equals("drive2")).count());
        World m = new World(2);
        m.add("empty", 0, false);
        m.add("drive1", 1L << 20, false);
        BlockMigrationSender bad = new BlockMigrationSender(m.devices, m.io, m.sink,
                opts().withMutants(Set.of(SenderMutant.ZERO_SIZE_ENDS_SCAN)));
        bad.setup();
        assertEquals(List.of(), bad.migratedDevices(), "the historical bug: the scan stops at the empty drive");
    }

    @Test
    void progressIsSentWhenThePercentChangesAndEndsWith100ThenEos() throws IOException {
        World w = new World(4);
        w.add("drive0", 10L << 20, false);
        MigrationResult r = migrate(w, SenderOptions.defaults(), bw(4L << 20), null);
        assertTrue(r.completed());
        List<Long> progress = new ArrayList<>();
        w.sink.payloads.forEach(p -> p.records().forEach(x -> {
            if (x instanceof Record.Progress pr) {
                progress.add(pr.percent());
            }
        }));
        assertEquals(List.of(0L, 10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 100L), progress);
        List<Record> end = w.sink.payloads.get(w.sink.payloads.size() - 1).records();
        assertEquals(new Record.Progress(100), end.get(end.size() - 2));
        assertEquals(Record.EndOfSection.INSTANCE, end.get(end.size() - 1));
        assertEquals(SectionType.START, w.sink.payloads.get(0).type());
        assertEquals(List.of(Record.EndOfSection.INSTANCE), w.sink.payloads.get(0).records());
    }

    @Test
    void pendingStaysAboveTheThresholdUntilTheBulkPassIsDone() throws IOException {
        World w = new World(6, new LatencyModel.Fixed(0));
        w.add("drive0", 2L << 20, false);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        s.setup();
        long threshold = 100L << 20;
        while (!s.bulkCompleted()) {
            assertTrue(s.pendingBytes(threshold) > threshold);
            s.iterate(new SliceBudget(CHUNK * 3L));
            w.scheduler.runUntil(w.scheduler.nowNanos() + 1);
        }
        s.iterate(SliceBudget.unlimited());
        assertEquals(0, s.pendingBytes(threshold));
        World e = new World(6, new LatencyModel.Fixed(0));
        e.add("drive0", 2L << 20, false);
        BlockMigrationSender early = new BlockMigrationSender(e.devices, e.io, e.sink, opts().withMutants(Set.of(SenderMutant.EARLY_COMPLETION)));
        early.setup();
        early.iterate(new SliceBudget(CHUNK));
        assertTrue(early.pendingBytes(threshold) < threshold, "QEMU 7.2: bulk pending reported below the threshold");
    }

    @Test
    void writesFasterThanTheBandwidthDoNotConvergeAndAQuarterDoes() throws IOException {
        World fast = new World(8);
        fast.add("drive0", 8L << 20, false);
        SimGuest g = fast.guest(Workload.of(Workload.Kind.UNIFORM, 4L << 20));
        ControllerOptions limits = bw(4L << 20).withLimits(10, 400);
        MigrationResult r = migrate(fast, opts(), limits, g);
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, r.outcome());
        assertTrue(r.reason().startsWith("did not converge"), r.reason());
        assertTrue(g.running(), "the guest runs on");
        assertEquals(0, fast.devices.get(0).dirtyBitmapCount(), "tracking stopped");
        assertFalse(fast.sink.payloads.stream().anyMatch(p -> p.type() == SectionType.END), "no END: the target stays incomplete");

        World slow = new World(8);
        slow.add("drive0", 8L << 20, false);
        // a quarter of the bandwidth in dirtied chunk bytes
        Workload w = Workload.of(Workload.Kind.UNIFORM, 1);
        double perByte = Workload.of(Workload.Kind.UNIFORM, 1_000_000).dirtyRateBytesPerSecond(CHUNK) / 1_000_000;
        w = Workload.of(Workload.Kind.UNIFORM, (long) ((4L << 20) / 4 / perByte));
        MigrationResult ok = migrate(slow, opts(), limits, slow.guest(w));
        assertTrue(ok.completed(), ok.reason());
        ControllerOptions capped = bw(1L << 20).withLimits(1000, 5);
        World tiny = new World(8);
        tiny.add("drive0", 8L << 20, false);
        MigrationResult cap = migrate(tiny, opts(), capped, null);
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, cap.outcome());
        assertTrue(cap.reason().contains("within 5 slices"), cap.reason());
        World heavy = new World(8);
        heavy.add("drive0", 8L << 20, false);
        MigrationResult bytes = migrate(heavy, opts(), bw(4L << 20).withLimits(1000, 100_000).withMaxBytesSent(20L << 20),
                heavy.guest(Workload.of(Workload.Kind.UNIFORM, 4L << 20)));
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, bytes.outcome());
        assertTrue(bytes.reason().contains("more than the limit of 20971520"), bytes.reason());
    }

    @Test
    void aSixteenGiBDiskMigratesWithinTheBufferBound() throws IOException {
        World w = new World(9, new LatencyModel.Uniform(0, 200_000));
        BlockDevice big = new BlockDevice(new SparseMemoryDisk("big", 16L << 30));
        big.guestWrite(12345, WriteContent.make(5, 12345, 8), 5);
        w.devices.add(big);
        int[] maxBuffers = new int[1];
        int[] allocated = {0};
        long[] blocks = new long[2];
        PayloadSink counting = new PayloadSink() {
            @Override
            public void beginPayload(SectionType t) {}

            @Override
            public void write(Record r) {
                blocks[r instanceof Record.ZeroBlock ? 1 : 0] += r instanceof Record.EndOfSection || r instanceof Record.Progress ? 0 : 1;
            }

            @Override
            public void endPayload() {}
        };
        SenderOptions o = SenderOptions.defaults().withZeroBlocks(true).withBuffers(8, 16);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, counting, o);
        w.io.addReadListener(new IoContext.ReadListener() {
            @Override
            public void submitted(BlockDevice device, long sector, long sectorCount) {
                maxBuffers[0] = Math.max(maxBuffers[0], s.buffersInUse());
                allocated[0] = Math.max(allocated[0], s.buffersAllocated());
            }
        });
        MigrationResult r = new MigrationController(bw(64L << 30), w.io).run(s, GuestControl.NONE);
        assertTrue(r.completed(), r.reason());
        assertEquals(16384, blocks[0] + blocks[1]);
        assertEquals(1, blocks[0], "one chunk has data; the rest are zero blocks");
        assertTrue(s.peakBuffersInUse() <= 16, "peak " + s.peakBuffersInUse());
        assertTrue(maxBuffers[0] <= 16);
        assertTrue(allocated[0] >= 1 && allocated[0] <= 16, "buffers allocated during the migration: " + allocated[0]);
        assertEquals(16L << 20, s.bufferBoundBytes());
        assertTrue(Runtime.getRuntime().maxMemory() <= 300L << 20, "this test runs under -Xmx256m");
    }

    @Test
    void aFailingOutputEndsTheMigrationFailedAndCancelsCleanly() throws IOException {
        World w = new World(10);
        w.add("drive0", 2L << 20, false);
        PayloadSink sink = mock(PayloadSink.class);
        doThrow(new IOException("connection reset")).when(sink).write(any(Record.DeviceBlock.class));
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, sink, opts());
        MigrationResult r = new MigrationController(bw(8L << 20), w.io).run(s, GuestControl.NONE);
        assertEquals(MigrationResult.Outcome.FAILED, r.outcome());
        assertEquals("connection reset", r.reason());
        assertTrue(s.finished());
        assertEquals(0, s.buffersAllocated(), "buffers freed");
        assertEquals(0, w.devices.get(0).dirtyBitmapCount(), "tracking stopped");
    }

    @Test
    void aReadErrorEndsTheMigrationFailed() throws IOException {
        World w = new World(12);
        Disk failing = mock(Disk.class);
        org.mockito.Mockito.when(failing.name()).thenReturn("bad");
        org.mockito.Mockito.when(failing.sizeBytes()).thenReturn(1L << 20);
        org.mockito.Mockito.when(failing.sizeSectors()).thenReturn(2048L);
        // all data: its chunks must be read (a mock's null would be no answer at all)
        org.mockito.Mockito.when(failing.allocation(org.mockito.ArgumentMatchers.anyLong(),
                org.mockito.ArgumentMatchers.anyLong())).thenCallRealMethod();
        doThrow(new IOException("medium error")).when(failing).read(org.mockito.ArgumentMatchers.anyLong(), any(ByteBuffer.class));
        w.devices.add(new BlockDevice(failing));
        MigrationResult r = migrate(w, opts(), bw(8L << 20), null);
        assertEquals(MigrationResult.Outcome.FAILED, r.outcome());
        assertTrue(r.reason().contains("medium error") && r.reason().contains("read of bad sector"), r.reason());
    }

    @Test
    void onRealThreadsTheSameSenderEndsIdentical() throws Exception {
        World w = new World(14);
        w.add("drive0", 8L << 20, false);
        w.add("drive1", (2L << 20) + 512, false);
        try (org.blkmig.simdisk.ThreadPoolIoContext io = new org.blkmig.simdisk.ThreadPoolIoContext(4)) {
            org.blkmig.simdisk.ThreadedGuest guest = new org.blkmig.simdisk.ThreadedGuest(w.devices,
                    Workload.of(Workload.Kind.UNIFORM, 1L << 20), 3, 2);
            BlockMigrationSender s = new BlockMigrationSender(w.devices, io, w.sink, opts());
            guest.start();
            MigrationResult r = new MigrationController(bw(32L << 20), io).run(s, guest::stop);
            guest.stop();
            assertTrue(r.completed(), r.reason());
            assertTrue(guest.writesDone() > 0);
            Map<String, Long> sizes = Map.of("drive0", 8L << 20, "drive1", (2L << 20) + 512);
            assertEquals(List.of(), StreamChecker.check(w.sink.payloads, sizes, CHUNK));
            Map<String, byte[]> images = World.apply(w.sink.payloads, sizes, CHUNK);
            for (BlockDevice d : w.devices) {
                assertArrayEquals(World.contents(d), images.get(d.name()), d.name());
            }
        }
    }

    @Test
    void zeroCopyFromFilesEndsIdenticalWithGuestWritesAndAPartialChunk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path a = dir.resolve("a.img");
        java.nio.file.Path b = dir.resolve("b.img");
        byte[] data = new byte[(5 << 20) + 1536];
        new java.util.Random(2).nextBytes(data);
        java.nio.file.Files.write(a, java.util.Arrays.copyOf(data, 4 << 20));
        java.nio.file.Files.write(b, data);
        try (org.blkmig.simdisk.FileDisk da = org.blkmig.simdisk.FileDisk.open("drive0", a, true);
                org.blkmig.simdisk.FileDisk db = org.blkmig.simdisk.FileDisk.open("drive1", b, true);
                org.blkmig.simdisk.ThreadPoolIoContext io = new org.blkmig.simdisk.ThreadPoolIoContext(2)) {
            List<BlockDevice> devices = List.of(new BlockDevice(da), new BlockDevice(db));
            World.Collecting sink = new World.Collecting();
            org.blkmig.simdisk.ThreadedGuest guest = new org.blkmig.simdisk.ThreadedGuest(devices,
                    Workload.of(Workload.Kind.UNIFORM, 1L << 20), 9, 1);
            BlockMigrationSender s = new BlockMigrationSender(devices, io, sink, SenderOptions.defaults().withZeroCopy(true));
            guest.start();
            MigrationResult r = new MigrationController(bw(16L << 20), io).run(s, guest::stop);
            guest.stop();
            assertTrue(r.completed(), r.reason());
            assertTrue(guest.writesDone() > 0);
            assertEquals(0, s.peakBuffersInUse(), "no chunk buffer: the data went from the file");
            Map<String, Long> sizes = Map.of("drive0", 4L << 20, "drive1", (5L << 20) + 1536);
            assertEquals(List.of(), StreamChecker.check(sink.payloads, sizes, 1 << 20));
            Map<String, byte[]> images = World.apply(sink.payloads, sizes, 1 << 20);
            assertArrayEquals(java.nio.file.Files.readAllBytes(a), images.get("drive0"));
            assertArrayEquals(java.nio.file.Files.readAllBytes(b), images.get("drive1"));
        }
    }

    @Test
    void aCancelOnRealThreadsStopsCleanlyAndLeaksNoThread() throws Exception {
        World w = new World(15);
        w.add("drive0", 64L << 20, false);
        byte[] before;
        org.blkmig.simdisk.ThreadedGuest guest = new org.blkmig.simdisk.ThreadedGuest(w.devices,
                Workload.of(Workload.Kind.UNIFORM, 4L << 20), 3, 1);
        MigrationResult r;
        try (org.blkmig.simdisk.ThreadPoolIoContext io = new org.blkmig.simdisk.ThreadPoolIoContext(4)) {
            BlockMigrationSender s = new BlockMigrationSender(w.devices, io, w.sink, opts());
            MigrationController c = new MigrationController(bw(16L << 20), io);
            // SenderStats belongs to the migration thread (plain fields): count reads at the I/O seam instead
            java.util.concurrent.atomic.AtomicInteger readsSubmitted = new java.util.concurrent.atomic.AtomicInteger();
            io.addReadListener(new IoContext.ReadListener() {
                @Override
                public void submitted(BlockDevice device, long sector, long sectorCount) {
                    readsSubmitted.incrementAndGet();
                }
            });
            guest.start();
            java.util.concurrent.CompletableFuture<MigrationResult> run = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> c.run(s, guest::stop));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> readsSubmitted.get() > 20);
            c.cancel();
            r = run.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(MigrationResult.Outcome.CANCELLED, r.outcome());
            assertEquals(0, r.sender().buffersHeldAtEnd);
            assertEquals(0, w.devices.get(0).dirtyBitmapCount());
            long writes = guest.writesDone();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> guest.writesDone() > writes);
        } finally {
            guest.stop();
        }
        assertFalse(w.sink.payloads.stream().anyMatch(p -> p.type() == SectionType.END), "no END after a cancel");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet()
                .stream().noneMatch(t -> t.getName().startsWith("blkmig-reader-") || t.getName().startsWith("blkmig-guest-")));
    }

    @Test
    void buffersAreAllocatedOnDemandWithinTheBoundAndFreedAtTheEnd() throws IOException {
        World w = new World(14);
        w.add("drive0", 4L << 20, false);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        assertEquals(0, s.buffersAllocated(), "none before the first read");
        assertFalse(s.finished());
        assertEquals((long) opts().maxBufferedChunks() * CHUNK, s.bufferBoundBytes());
        s.setup();
        // before any read the whole disk is pending (the bulk pass guards completion: never under the threshold)
        assertEquals(4L << 20, s.pendingBytes(0));
        assertEquals((64L << 20) + CHUNK, s.pendingBytes(64L << 20));
        assertEquals(0, s.progressPercent());
        int[] allocated = {0};
        w.io.addReadListener(new IoContext.ReadListener() {
            @Override
            public void submitted(BlockDevice device, long sector, long sectorCount) {
                allocated[0] = Math.max(allocated[0], s.buffersAllocated());
            }
        });
        long[] inUse = {0};
        w.io.addReadListener(new IoContext.ReadListener() {
            @Override
            public void submitted(BlockDevice device, long sector, long sectorCount) {
                inUse[0] = Math.max(inUse[0], s.buffersInUse());
            }
        });
        // setup done above: the controller's own setup would refuse a second one, so drive it by hand
        SliceBudget budget = new SliceBudget(1L << 20);
        for (int i = 0; i < 1000 && !s.bulkCompleted(); i++) {
            budget.reset(1L << 20);
            s.iterate(budget);
            w.scheduler.runUntil(w.scheduler.nowNanos() + 100_000_000L);
        }
        assertTrue(s.bulkCompleted());
        s.complete();
        assertTrue(s.finished());
        assertTrue(s.progressPercent() >= 90, "progress " + s.progressPercent()); // bulk progress, as the last PROGRESS before 100
        assertTrue(inUse[0] >= 1 && s.peakBuffersInUse() >= inUse[0], inUse[0] + " in use, peak " + s.peakBuffersInUse());
        assertTrue(allocated[0] >= 1 && allocated[0] <= opts().maxBufferedChunks(), "allocated: " + allocated[0]);
        assertEquals(0, s.buffersAllocated(), "buffers freed");
        assertEquals(4L << 20, s.stats().totalBytes);
    }

    @Test
    void theSliceFiguresAddUpToTheMigrationsAndTheDowntimeIsTheFinalCopysTransfer() throws IOException {
        World w = new World(15);
        w.add("drive0", 8L << 20, false);
        long bandwidth = 4L << 20;
        // half the bandwidth in dirtied chunk bytes: several dirty rounds that converge
        double perByte = Workload.of(Workload.Kind.UNIFORM, 1_000_000).dirtyRateBytesPerSecond(CHUNK) / 1_000_000;
        Workload load = Workload.of(Workload.Kind.UNIFORM, (long) (bandwidth / 2 / perByte));
        SimGuest g = w.guest(load);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        g.start();
        long maxDowntimeNanos = 20_000_000;
        MigrationResult r = new MigrationController(bw(bandwidth).withMaxDowntime(maxDowntimeNanos), w.io).run(s, g::stop);
        assertTrue(r.completed(), r.reason());
        long dirtyReadsInSlices = r.slices().stream().mapToLong(MigrationResult.SliceFigures::dirtyChunksRead).sum();
        assertTrue(r.slices().stream().allMatch(f -> f.dirtyChunksRead() >= 0));
        assertTrue(dirtyReadsInSlices > 0 && dirtyReadsInSlices <= s.stats().dirtyChunksRead,
                dirtyReadsInSlices + " dirty reads in slices of " + s.stats().dirtyChunksRead);
        for (int i = 0; i < r.slices().size(); i++) {
            assertEquals(i, r.slices().get(i).index());
        }
        // the downtime is the stop-and-copy: what was sent after the stop, at the bandwidth
        assertEquals(r.endNanos() - r.guestStoppedNanos(), r.downtimeNanos());
        long sentAfterStop = r.bytesSent() - r.slices().stream().mapToLong(MigrationResult.SliceFigures::bytesSent).sum();
        assertTrue(r.downtimeNanos() > 0, "the final copy takes time");
        assertTrue(r.downtimeNanos() <= maxDowntimeNanos * 4,
                "downtime " + r.downtimeNanos() + " ns for about " + sentAfterStop + " bytes");
        assertTrue(r.guestStoppedNanos() >= r.slices().get(r.slices().size() - 1).endNanos());
    }

    @Test
    void misuseIsRefused() throws IOException {
        World w = new World(13);
        w.add("drive0", 1L << 20, false);
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, opts());
        assertEquals("setup not done", assertThrows(IllegalStateException.class, () -> s.iterate(SliceBudget.unlimited())).getMessage());
        s.setup();
        assertEquals(1L << 20, s.stats().totalBytes);
        assertEquals(1, s.stats().devices);
        assertThrows(IllegalStateException.class, s::setup);
        assertThrows(org.blkmig.simdisk.Invariant.Violation.class, s::complete, "complete before the bulk pass ended");
        s.cancel();
        s.cancel();
        assertTrue(s.stats().cancelled);
        assertEquals("the migration has ended", assertThrows(IllegalStateException.class, () -> s.iterate(SliceBudget.unlimited())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SenderOptions.defaults().withChunkSize(64 << 10).requireQemuCompatible());
        SenderOptions.defaults().requireQemuCompatible();
        assertThrows(IllegalArgumentException.class, () -> SenderOptions.defaults().withBuffers(8, 4));
        assertThrows(IllegalArgumentException.class, () -> new ControllerOptions(0, 1, 1, 1, 1, 0, java.util.Set.of(), RamModel.Settings.NONE));
        SliceBudget b = new SliceBudget(10);
        b.consume(12);
        assertTrue(b.exhausted());
        assertEquals(0, b.remainingBytes());
    }
}
