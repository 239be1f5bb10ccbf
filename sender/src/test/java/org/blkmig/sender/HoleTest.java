// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.ThreadPoolIoContext;
import org.blkmig.simdisk.WriteContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Chunks in holes go without a read, and a guest write that fills a hole afterwards is not lost. */
class HoleTest {
    static final int CHUNK = 1 << 20;
    static final int CHUNKS = 32;

    /**
     * A guest thread writes into holes during the bulk pass: into a hole the moment its block went
     * out (the migration thread waits until the write has landed, so the write comes after the
     * lookup, deterministically), and into a hole the bulk pass has not reached yet.
     */
    @ParameterizedTest(name = "zero blocks {0}")
    @ValueSource(booleans = {true, false})
    void aGuestWriteIntoAHoleDuringTheBulkPassIsSentAgain(boolean zeroBlocks, @TempDir Path dir) throws Exception {
        Path img = dir.resolve("src.img");
        Random random = new Random(5);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((long) CHUNKS * CHUNK + 1536); // sparse, with a partial last chunk
            for (int c = 0; c < CHUNKS; c += 4) { // data in every fourth chunk, the rest holes
                byte[] data = new byte[CHUNK / 2];
                random.nextBytes(data);
                f.seek((long) c * CHUNK + CHUNK / 4);
                f.write(data);
            }
        }
        try (FileDisk disk = FileDisk.open("drive0", img, true); ThreadPoolIoContext io = new ThreadPoolIoContext(2);
                HoleFiller guest = new HoleFiller(new BlockDevice(disk))) {
            HandingSink sink = new HandingSink(guest, 6);
            BlockMigrationSender s = new BlockMigrationSender(List.of(guest.device), io, sink,
                    SenderOptions.defaults().withZeroBlocks(zeroBlocks).withZeroCopy(true));
            // 32 MiB/s: the 8 data chunks keep the bulk pass going for about a quarter of a second
            MigrationResult r = new MigrationController(ControllerOptions.defaults().withBandwidth(32L << 20), io).run(s,
                    GuestControl.NONE);
            assertTrue(r.completed(), r.reason());
            assertEquals(6, sink.handedOver.size(), "the guest wrote into six holes, each right after its block went out");
            assertTrue(guest.filled.size() > 6, "and into holes ahead of the bulk pass: " + guest.filled.size());
            assertTrue(guest.filled.stream().allMatch(t -> t < s.stats().bulkCompletedAtNanos), "during the bulk pass");
            assertTrue(s.stats().holeChunks >= 16, "the holes (25 less those filled ahead) were not read: " + s.stats().holeChunks);
            assertEquals(s.stats().holeChunks + s.stats().readsSubmitted, s.stats().bulkChunksRead + s.stats().dirtyChunksRead,
                    "each chunk looked at once per pass: known zero or read");
            Map<String, Long> sizes = Map.of("drive0", disk.sizeBytes());
            assertEquals(List.of(), StreamChecker.check(sink.payloads, sizes, CHUNK));
            for (long c : sink.handedOver) {
                assertTrue(sink.sent.get(c) >= 2, "chunk " + c + " filled after its hole was sent, but not sent again");
            }
            byte[] image = World.apply(sink.payloads, sizes, CHUNK).get("drive0");
            assertArrayEquals(Files.readAllBytes(img), image, "the target rebuilt from the stream is the source as left");
        }
    }

    @Test
    void withoutZeroBlocksAHoleGoesAsAChunkOfZerosAndQemuReadsIt() throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk("drive0", 4L * CHUNK);
        d.write(2L * CHUNK / 512, WriteContent.make(1, 2L * CHUNK / 512, 8)); // chunk 2 holds data
        for (SenderPolicies p : List.of(SenderPolicies.BLKMIG, SenderPolicies.QEMU_7_2)) {
            World w = new World(3);
            BlockDevice dev = new BlockDevice(d);
            World.Collecting sink = new World.Collecting();
            BlockMigrationSender s = new BlockMigrationSender(List.of(dev), w.io, sink,
                    SenderOptions.defaults().withPolicies(p));
            MigrationResult r = new MigrationController(ControllerOptions.defaults(), w.io).run(s, GuestControl.NONE);
            assertTrue(r.completed(), r.reason());
            boolean blkmig = p == SenderPolicies.BLKMIG;
            assertEquals(blkmig ? 3 : 0, s.stats().holeChunks, "blkmig knows the holes; QEMU 7.2 reads every chunk");
            assertEquals(blkmig ? 1 : 4, s.stats().readsSubmitted);
            assertEquals(4, sink.blocks().size(), "every chunk goes as data: no zero blocks asked for");
            for (Record.DeviceBlock b : sink.blocks()) {
                ByteBuffer want = ByteBuffer.allocate(CHUNK);
                d.read(b.sector(), want);
                assertEquals(want.flip(), b.data(), "chunk at sector " + b.sector());
            }
            long holesInHistory = w.history.entries().stream()
                    .filter(e -> e instanceof org.blkmig.simdisk.History.KnownZero).count();
            assertEquals(blkmig ? 3 : 0, holesInHistory, "each hole found is recorded for the checkers");
        }
    }

    /** A guest on a thread of its own that writes into a chunk when asked, and says when the write landed. */
    static final class HoleFiller implements AutoCloseable {
        final BlockDevice device;
        final List<Long> filled = new ArrayList<>(); // the nanoTime each write landed
        private final LinkedBlockingQueue<Map.Entry<Long, CompletableFuture<Void>>> asks = new LinkedBlockingQueue<>();
        private final Thread thread;
        private long writeId = 100;

        HoleFiller(BlockDevice device) {
            this.device = device;
            this.thread = new Thread(this::loop, "hole-filler");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            try {
                while (true) {
                    Map.Entry<Long, CompletableFuture<Void>> ask = asks.take();
                    if (ask.getKey() < 0) {
                        return;
                    }
                    long sector = ask.getKey() * (CHUNK / Disk.SECTOR_SIZE_BYTES) + 8;
                    try {
                        device.guestWrite(sector, WriteContent.make(writeId, sector, 16), writeId++);
                        synchronized (filled) {
                            filled.add(System.nanoTime());
                        }
                        ask.getValue().complete(null);
                    } catch (IOException e) {
                        ask.getValue().completeExceptionally(e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Has the guest thread write into {@code chunk}; returns once the write has landed. */
        void fill(long chunk) throws IOException {
            CompletableFuture<Void> done = new CompletableFuture<>();
            asks.add(Map.entry(chunk, done));
            try {
                done.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IOException("the guest write did not land", e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            asks.add(Map.entry(-1L, new CompletableFuture<>()));
            thread.join(10_000);
        }
    }

    /**
     * Keeps the payloads; after the first {@code fills} blocks of holes (all zeros) of the bulk
     * pass it has the guest fill that hole, and a hole eight chunks ahead, before it returns.
     */
    static final class HandingSink implements PayloadSink {
        final List<StreamChecker.Payload> payloads = new ArrayList<>();
        final List<Long> handedOver = new ArrayList<>();
        final Map<Long, Integer> sent = new HashMap<>();
        private final HoleFiller guest;
        private final int fills;
        private List<Record> current;
        private SectionType type;

        HandingSink(HoleFiller guest, int fills) {
            this.guest = guest;
            this.fills = fills;
        }

        @Override
        public void beginPayload(SectionType t) {
            type = t;
            current = new ArrayList<>();
        }

        @Override
        public void write(Record r) throws IOException {
            current.add(r instanceof Record.DeviceBlock b ? b.copy() : r);
            long sector = r instanceof Record.DeviceBlock b ? b.sector() : r instanceof Record.ZeroBlock z ? z.sector() : -1;
            if (sector < 0) {
                return;
            }
            long chunk = sector / (CHUNK / Disk.SECTOR_SIZE_BYTES);
            int times = sent.merge(chunk, 1, Integer::sum);
            boolean hole = r instanceof Record.ZeroBlock || r instanceof Record.DeviceBlock b && org.blkmig.simdisk.Zeros.isZero(b.data());
            if (hole && times == 1 && handedOver.size() < fills) {
                handedOver.add(chunk);
                guest.fill(chunk);
                if (chunk + 8 < CHUNKS && !sent.containsKey(chunk + 8)) {
                    guest.fill(chunk + 8); // not reached yet: the bulk pass finds data there
                }
            }
        }

        @Override
        public void endPayload() {
            payloads.add(new StreamChecker.Payload(type, current));
        }
    }
}
