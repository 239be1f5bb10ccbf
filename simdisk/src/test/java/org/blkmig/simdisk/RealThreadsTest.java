// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Disks and bitmaps under real threads: no write is lost between the data and its dirty bit. */
class RealThreadsTest {
    static final int CHUNK = 64 * 1024;

    @Test
    void everyGuestWriteIsSeenByALaterReadOrMarkedDirty() throws Exception {
        SparseMemoryDisk source = new SparseMemoryDisk("src", 4L << 20);
        SparseMemoryDisk copy = new SparseMemoryDisk("copy", 4L << 20);
        BlockDevice dev = new BlockDevice(source);
        DirtyBitmap dirty = dev.createDirtyBitmap(CHUNK);
        dirty.setAll();
        ThreadedGuest guest = new ThreadedGuest(List.of(dev), Workload.of(Workload.Kind.UNIFORM, 32L << 20), 7, 4);
        AtomicBoolean copying = new AtomicBoolean(true);
        AtomicInteger passes = new AtomicInteger();
        long chunks = dirty.chunkCount();
        Thread copier = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            try {
                while (copying.get()) {
                    if (dirty.count() == 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                    }
                    for (long c = dirty.nextDirty(0); c >= 0; c = dirty.nextDirty(c + 1)) {
                        dirty.clear(c); // before the read: a racing write sets it again
                        b.clear();
                        dev.read(c * CHUNK / 512, b);
                        copy.write(c * CHUNK / 512, b.flip());
                    }
                    passes.incrementAndGet();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        guest.start();
        copier.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> guest.writesDone() > 2000 && passes.get() > 50);
        // stop the copier while the guest still writes: the last writes must all be marked dirty
        copying.set(false);
        copier.join();
        long writesAtStop = guest.writesDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> guest.writesDone() > writesAtStop + 20);
        guest.stop();
        assertNull(guest.failure());
        int stale = 0;
        for (long c = 0; c < chunks; c++) {
            ByteBuffer a = ByteBuffer.allocate(CHUNK);
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            source.read(c * CHUNK / 512, a);
            copy.read(c * CHUNK / 512, b);
            if (!a.flip().equals(b.flip())) {
                stale++;
                assertTrue(dirty.test(c), "chunk " + c + " differs from its copy and is not dirty: a lost write");
            }
        }
        assertTrue(guest.writesDone() > 2000);
        assertTrue(stale > 0, "the interesting case: chunks written after the last copy");
        System.out.println("real threads: " + guest.writesDone() + " writes, " + passes.get() + " copy passes, "
                + stale + " chunks still dirty at the end");
    }

    @Test
    void aThreadPoolContextReadsConcurrentlyAndSignalsCompletion() throws Exception {
        BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 8L << 20));
        dev.guestWrite(0, WriteContent.make(3, 0, 16), 3);
        try (ThreadPoolIoContext io = new ThreadPoolIoContext(4)) {
            AtomicInteger done = new AtomicInteger();
            AtomicInteger submitted = new AtomicInteger();
            io.addReadListener(new IoContext.ReadListener() {
                @Override
                public void submitted(BlockDevice device, long sector, long sectorCount) {
                    submitted.incrementAndGet();
                }
            });
            ByteBuffer first = ByteBuffer.allocate(CHUNK);
            for (int i = 0; i < 64; i++) {
                io.submitRead(dev, (long) i * 128, i == 0 ? first : ByteBuffer.allocate(CHUNK), e -> done.incrementAndGet());
            }
            io.awaitUntil(() -> done.get() == 64);
            assertEquals(64, submitted.get());
            assertEquals(0, io.readsInFlight());
            assertEquals(3, WriteContent.writeIdOf(first, 0));
            long before = io.nowNanos();
            io.pause(before + 20_000_000);
            assertTrue(io.nowNanos() >= before);
            AtomicInteger errors = new AtomicInteger();
            BlockDevice failing = new BlockDevice(new FailingDisk());
            io.submitRead(failing, 0, ByteBuffer.allocate(512), e -> errors.addAndGet(e == null ? 0 : 1));
            io.awaitUntil(() -> errors.get() == 1);
        }
    }

    /** A disk whose reads fail. */
    static final class FailingDisk implements Disk {
        @Override
        public String name() {
            return "bad";
        }

        @Override
        public long sizeBytes() {
            return 4096;
        }

        @Override
        public boolean readOnly() {
            return false;
        }

        @Override
        public void read(long sector, ByteBuffer dst) throws IOException {
            throw new IOException("medium error");
        }

        @Override
        public void write(long sector, ByteBuffer src) {}

        @Override
        public void writeZeros(long sector, long sectorCount) {}
    }

    /** The seeded real-thread bug, shown in the callback itself: the shipped order fills the buffer first. */
    @Test
    void completionBeforeDataRunsTheCallbackBeforeTheLastSectorIsCopied() throws Exception {
        BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 1L << 20));
        dev.guestWrite(0, WriteContent.make(3, 0, 16), 3);
        for (java.util.Set<ThreadMutant> ms : List.of(java.util.Set.<ThreadMutant>of(),
                java.util.Set.of(ThreadMutant.COMPLETION_BEFORE_DATA))) {
            try (ThreadPoolIoContext io = new ThreadPoolIoContext(1, ms)) {
                ByteBuffer b = ByteBuffer.allocate(16 * 512);
                AtomicBoolean done = new AtomicBoolean();
                AtomicBoolean lastZeroWhenDone = new AtomicBoolean();
                AtomicBoolean headZeroWhenDone = new AtomicBoolean();
                io.submitRead(dev, 0, b, e -> {
                    lastZeroWhenDone.set(Zeros.isZero(b.duplicate().position(15 * 512)));
                    headZeroWhenDone.set(Zeros.isZero(b.duplicate().limit(15 * 512)));
                    done.set(true);
                });
                io.awaitUntil(done::get);
                assertEquals(!ms.isEmpty(), lastZeroWhenDone.get(), ms + ": the last sector as the completion saw it");
                assertFalse(headZeroWhenDone.get(), ms + ": the sectors before it are read first");
            }
        }
    }
}
