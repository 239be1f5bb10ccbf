// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the write pipeline reports failures, waits, stops and is interrupted. */
class WritePipelineEdgeTest {
    static final int CHUNK = 4096;
    static final int SECTORS = CHUNK / 512;
    /** Only a broken pipeline keeps a held write waiting this long. */
    static final long HOLD_LIMIT_NANOS = 10_000_000_000L;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    /**
     * A memory disk whose writes can fail, and can be held until a given thread waits inside a
     * given WritePipeline method: the order of events is then fixed, not left to the scheduler.
     */
    static final class TestDisk extends WrappedDisk {
        TestDisk() {
            super(new SparseMemoryDisk("drive0", 64L * CHUNK));
        }

        final AtomicInteger landed = new AtomicInteger();
        volatile boolean failWrites;
        volatile Thread holdUntilWaiting;
        volatile String inMethod;
        volatile java.util.concurrent.CountDownLatch gate; // when set, writes wait for it
        // a force (the writeback's) can be held too, until forceHoldThread waits in forceHoldMethod
        volatile Thread forceHoldThread;
        volatile String forceHoldMethod;
        final java.util.concurrent.CountDownLatch forceStarted = new java.util.concurrent.CountDownLatch(1);
        volatile boolean forceDone;

        @Override
        public void write(long sector, ByteBuffer src) throws IOException {
            hold();
            if (failWrites) {
                throw new IOException("medium error");
            }
            disk.write(sector, src);
            landed.incrementAndGet();
        }

        @Override
        public void writeZeros(long sector, long sectorCount) throws IOException {
            hold();
            disk.writeZeros(sector, sectorCount);
            landed.incrementAndGet();
        }

        @Override
        public void force() {
            forceStarted.countDown();
            Thread t = forceHoldThread;
            long deadline = System.nanoTime() + HOLD_LIMIT_NANOS;
            while (t != null && !waitsIn(t, forceHoldMethod) && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(20_000);
            }
            forceDone = true;
        }

        private void hold() {
            java.util.concurrent.CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(HOLD_LIMIT_NANOS, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Thread t = holdUntilWaiting;
            if (t == null) {
                return;
            }
            long deadline = System.nanoTime() + HOLD_LIMIT_NANOS;
            while (!waitsIn(t, inMethod) && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    static boolean waitsIn(Thread t, String method) {
        Thread.State s = t.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(WritePipeline.class.getName()) && e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    static ByteBuffer filled(WritePipeline p, int value) throws IOException {
        ByteBuffer b = p.takeFree();
        b.clear();
        while (b.hasRemaining()) {
            b.put((byte) value);
        }
        return b;
    }

    static List<Thread> pipelineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("blkmig-target-") && t.isAlive()).toList();
    }

    @Test
    void aFailedWriteIsReportedByTheDrainAndByEveryLaterCall() throws Exception {
        TestDisk d = new TestDisk();
        d.failWrites = true;
        try (WritePipeline p = new WritePipeline(2, CHUNK)) {
            p.submit(d, 0, SECTORS, filled(p, 1), 100);
            WritePipeline.WriteFailed f = assertThrows(WritePipeline.WriteFailed.class, p::drain);
            assertEquals("write to 'drive0' at sector 0 failed: medium error", f.getMessage());
            assertEquals(100, f.offsetBytes);
            assertThrows(WritePipeline.WriteFailed.class, () -> p.submit(d, SECTORS, SECTORS, null, 200));
            assertThrows(WritePipeline.WriteFailed.class, p::takeFree);
        }
    }

    @Test
    void aReceiverWaitingForABufferLearnsOfAFailureThatHappensMeanwhile() throws Exception {
        TestDisk d = new TestDisk();
        d.failWrites = true;
        d.inMethod = "takeFree";
        d.holdUntilWaiting = Thread.currentThread(); // the write fails only once we wait for its buffer
        try (WritePipeline p = new WritePipeline(1, CHUNK)) {
            p.submit(d, 0, SECTORS, filled(p, 1), 100);
            assertThrows(WritePipeline.WriteFailed.class, p::takeFree);
        }
    }

    @Test
    void closeWaitsForTheBlocksAlreadyHandedOver() throws Exception {
        TestDisk d = new TestDisk();
        WritePipeline p = new WritePipeline(2, CHUNK);
        p.submit(d, 0, SECTORS, filled(p, 1), 0);
        d.inMethod = "close";
        d.holdUntilWaiting = Thread.currentThread(); // later writes land only once close() waits
        p.submit(d, SECTORS, SECTORS, filled(p, 2), CHUNK);
        p.submit(d, 2 * SECTORS, SECTORS, null, 2 * CHUNK);
        p.close();
        assertEquals(3, d.landed.get(), "every block handed over landed before close returned");
        assertTrue(pipelineThreads().isEmpty(), "writer and writeback threads stopped: " + pipelineThreads());
    }

    @Test
    void closeWaitsForAWritebackUnderWay() throws Exception {
        TestDisk d = new TestDisk();
        d.forceHoldMethod = "close";
        d.forceHoldThread = Thread.currentThread(); // the writeback's force ends only once close() waits
        WritePipeline p = new WritePipeline(2, CHUNK, CHUNK);
        p.submit(d, 0, SECTORS, filled(p, 1), 0); // one chunk reaches the threshold: a writeback starts
        p.drain();
        assertTrue(d.forceStarted.await(10, TimeUnit.SECONDS), "the writeback started");
        p.close();
        assertTrue(d.forceDone, "close returned only after the writeback ended");
        assertTrue(pipelineThreads().isEmpty(), pipelineThreads().toString());
    }

    @Test
    void thePipelineThreadsNeverKeepTheJvmAlive() {
        try (WritePipeline p = new WritePipeline(1, CHUNK)) {
            List<Thread> ts = pipelineThreads();
            assertEquals(2, ts.size(), ts.toString());
            ts.forEach(t -> assertTrue(t.isDaemon(), t.getName()));
        }
    }

    @Test
    void reachingTheWritebackThresholdExactlyAsksForAWriteback() throws Exception {
        WritePipelineTest.ForcedDisk d = new WritePipelineTest.ForcedDisk(64L * CHUNK);
        try (WritePipeline p = new WritePipeline(2, CHUNK, 3L * CHUNK)) {
            for (int i = 0; i < 3; i++) {
                p.submit(d, (long) i * SECTORS, SECTORS, filled(p, i), (long) i * CHUNK);
            }
            p.drain();
            await().atMost(Duration.ofSeconds(10)).until(() -> d.forces.get() == 1);
        }
    }

    @Test
    void anInterruptedWaitEndsInInterruptedIoAndKeepsTheInterrupt() throws Exception {
        TestDisk d = new TestDisk();
        WritePipeline p = new WritePipeline(1, CHUNK);
        try {
            ByteBuffer only = filled(p, 1);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedIOException.class, p::takeFree, "no buffer is free");
            assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");

            // the writer is held at the first job; the queue (buffers + 1 jobs) fills, and we wait in put
            java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
            d.gate = gate;
            p.submit(d, 0, SECTORS, only, 0);
            Thread self = Thread.currentThread();
            CompletableFuture<Void> interrupted = CompletableFuture.runAsync(() -> {
                while (!waitsIn(self, "put")) {
                    LockSupport.parkNanos(20_000);
                }
                self.interrupt(); // before the writer may go on: the wait in put can only end by the interrupt
                gate.countDown();
            });
            assertThrows(InterruptedIOException.class, () -> {
                for (int i = 1; i < 10; i++) {
                    p.submit(d, (long) i * SECTORS, SECTORS, null, 0);
                }
            });
            assertTrue(Thread.interrupted());
            interrupted.get(10, TimeUnit.SECONDS);

            Thread.currentThread().interrupt();
            p.close(); // under an interrupt it may stop waiting early, but the interrupt stays
            assertTrue(Thread.interrupted());
        } finally {
            p.close(); // uninterrupted: the threads stop
        }
        assertTrue(pipelineThreads().isEmpty(), pipelineThreads().toString());
    }

    @Test
    void aFailingInputIsIncompleteWithItsReason() {
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", 0, CHUNK, 7), ReceiverTest.EOS),
                ReceiverTest.end()));
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(s, 0, 100), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        ReceiveResult r = new BlockReceiver(Map.of("drive0", new SparseMemoryDisk("drive0", 8L * CHUNK)), CHUNK, Set.of(),
                x -> {}, 2).receive(failing);
        assertFalse(r.complete());
        assertEquals("input failed: connection reset", r.reason());
        assertEquals(100, r.offsetBytes());
    }

    @Test
    void aResultSaysWhatItCountedAndHowLongTheFlushTook() {
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", 0, CHUNK, 7),
                new org.blkmig.protocol.Record.ZeroBlock(SECTORS, "drive0"), ReceiverTest.EOS), ReceiverTest.end()));
        long before = System.nanoTime();
        ReceiveResult r = new BlockReceiver(Map.of("drive0", new SparseMemoryDisk("drive0", 8L * CHUNK)), CHUNK, Set.of(),
                x -> {}, 2).receive(new ByteArrayInputStream(s));
        long elapsedNanos = System.nanoTime() - before;
        assertEquals("complete: 1 data blocks, 1 zero blocks, " + r.bytesRead() + " bytes", r.toString());
        assertTrue(r.bytesRead() > CHUNK && r.bytesRead() <= s.length, "read " + r.bytesRead() + " of " + s.length);
        assertTrue(r.flushNanos() >= 0 && r.flushNanos() <= elapsedNanos, "the flush is part of the receive: " + r.flushNanos());
        ReceiveResult cut = new BlockReceiver(Map.of("drive0", new SparseMemoryDisk("drive0", 8L * CHUNK)), CHUNK, Set.of(),
                x -> {}, 2).receive(new ByteArrayInputStream(s, 0, 40));
        assertEquals("incomplete at byte " + cut.offsetBytes() + ": " + cut.reason(), cut.toString());
        assertFalse(cut.complete());
    }

    @Test
    void printableEscapesControlCharactersOnly() {
        assertEquals("a b~\\x1f\\x7f\\x00", BlockReceiver.printable("a b~\u001f\u007f\u0000"));
    }

    /** The seeded real-thread bug, shown by the order of its two stores: the count comes before the failure. */
    @Test
    void countedBeforeFailurePublishesTheCountFirst() {
        List<String> shipped = new java.util.ArrayList<>();
        WritePipeline.DoneCount.of(Set.of()).end(() -> shipped.add("failure"), () -> shipped.add("count"));
        assertEquals(List.of("failure", "count"), shipped, "a drain that sees the count must see the failure");
        List<String> seeded = new java.util.ArrayList<>();
        WritePipeline.DoneCount.of(Set.of(org.blkmig.simdisk.ThreadMutant.COUNTED_BEFORE_FAILURE))
                .end(() -> seeded.add("failure"), () -> seeded.add("count"));
        assertEquals(List.of("count", "failure"), seeded);
    }
}
