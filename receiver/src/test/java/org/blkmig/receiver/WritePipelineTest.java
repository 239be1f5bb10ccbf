// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

class WritePipelineTest {
    static final int CHUNK = 4096;

    /** A memory disk that counts forces, and fails them once told to. */
    static final class ForcedDisk extends WrappedDisk {
        final AtomicInteger forces = new AtomicInteger();
        volatile boolean failForce;

        ForcedDisk(long sizeBytes) {
            super(new SparseMemoryDisk("drive0", sizeBytes));
        }

        @Override
        public void force() throws IOException {
            if (failForce) {
                throw new IOException("device gone");
            }
            forces.incrementAndGet();
        }
    }

    private static long writebackThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("blkmig-target-writeback") && t.isAlive()).count();
    }

    private static void submitChunks(WritePipeline p, Disk d, int chunks) throws IOException {
        for (int i = 0; i < chunks; i++) {
            ByteBuffer b = p.takeFree();
            b.clear();
            while (b.hasRemaining()) {
                b.put((byte) i);
            }
            p.submit(d, (long) i * CHUNK / 512, CHUNK / 512, b, (long) i * CHUNK);
        }
    }

    @Test
    void writtenDataIsForcedInTheBackgroundDuringTheTransfer() throws Exception {
        long before = writebackThreads();
        ForcedDisk d = new ForcedDisk(64L * CHUNK);
        try (WritePipeline p = new WritePipeline(2, CHUNK, 4L * CHUNK)) {
            submitChunks(p, d, 40);
            p.drain();
            await().atMost(Duration.ofSeconds(10)).until(() -> d.forces.get() >= 1);
            // requests coalesce: never more writebacks than thresholds crossed
            assertTrue(d.forces.get() <= 10, "forces: " + d.forces.get());
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            d.read(39L * CHUNK / 512, b);
            assertEquals(39, b.get(0));
        }
        assertEquals(before, writebackThreads(), "the writeback thread stopped with the pipeline");
    }

    @Test
    void belowTheThresholdNothingIsForcedBeforeTheEnd() throws Exception {
        ForcedDisk d = new ForcedDisk(64L * CHUNK);
        try (WritePipeline p = new WritePipeline(2, CHUNK, 64L * CHUNK)) {
            submitChunks(p, d, 20);
            p.drain();
        }
        assertEquals(0, d.forces.get());
    }

    @Test
    void aFailedBackgroundFlushFailsTheTransferWithItsReason() throws Exception {
        ForcedDisk d = new ForcedDisk(64L * CHUNK);
        d.failForce = true;
        try (WritePipeline p = new WritePipeline(2, CHUNK, 2L * CHUNK)) {
            // the failure may surface at any later call: a submit, a takeFree or a drain
            WritePipeline.WriteFailed f = assertThrows(WritePipeline.WriteFailed.class, () -> {
                submitChunks(p, d, 4);
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    p.drain();
                    Thread.sleep(1);
                }
            });
            assertEquals("flushing 'drive0' failed: device gone", f.getMessage());
            assertTrue(f.offsetBytes > 0 && f.offsetBytes <= 3L * CHUNK, "offset " + f.offsetBytes);
        }
    }

    @Test
    void theReceiverForcesEveryTargetAtTheEndAndAFailedForceIsIncomplete() {
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", 0, CHUNK, 7),
                ReceiverTest.EOS), ReceiverTest.end()));
        ForcedDisk ok = new ForcedDisk(8L * CHUNK);
        ReceiveResult r = new BlockReceiver(Map.of("drive0", ok), CHUNK, Set.of(), x -> {}, 2)
                .receive(new ByteArrayInputStream(s));
        assertTrue(r.complete(), r.toString());
        assertEquals(1, ok.forces.get(), "one final force, no writeback below the threshold");

        ForcedDisk bad = new ForcedDisk(8L * CHUNK);
        bad.failForce = true;
        ReceiveResult f = new BlockReceiver(Map.of("drive0", bad), CHUNK, Set.of(), x -> {}, 0)
                .receive(new ByteArrayInputStream(s));
        assertFalse(f.complete());
        assertEquals("flushing 'drive0' failed: device gone", f.reason());
    }

    @Test
    void aZeroBlockIsNotCountedAsWrittenData() throws Exception {
        ForcedDisk d = new ForcedDisk(64L * CHUNK);
        try (WritePipeline p = new WritePipeline(2, CHUNK, CHUNK)) {
            for (int i = 0; i < 20; i++) {
                p.submit(d, (long) i * CHUNK / 512, CHUNK / 512, null, (long) i * CHUNK);
            }
            p.drain();
        }
        assertEquals(0, d.forces.get(), "zero writes to a fresh target allocate nothing to force");
    }
}
