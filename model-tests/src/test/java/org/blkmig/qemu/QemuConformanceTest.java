// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blkmig against a real QEMU 7.2, both ways. In CI QEMU is installed and these run; elsewhere,
 * without QEMU, they are skipped and say so.
 */
class QemuConformanceTest {
    static final int MIB = 1 << 20;
    static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        boolean present = QemuProcess.available();
        if (!present && System.getenv("CI") != null) {
            fail("CI must install QEMU 7.2 (apt-get install qemu-system-x86 qemu-utils): conformance tests cannot run");
        }
        Assumptions.assumeTrue(present, "QEMU 7.2 is not installed here (apt-get install qemu-system-x86 qemu-utils):"
                + " the conformance tests are skipped");
    }

    // ---- helpers ----

    /** A raw image of random data, with every chunk whose index is in zeroChunks left zero. */
    Path image(String name, long sizeBytes, long seed, Set<Integer> zeroChunks) throws IOException {
        Path p = dir.resolve(name);
        Random r = new Random(seed);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] chunk = new byte[MIB];
            for (long at = 0; at < sizeBytes; at += MIB) {
                int n = (int) Math.min(MIB, sizeBytes - at);
                if (zeroChunks.contains((int) (at / MIB))) {
                    java.util.Arrays.fill(chunk, (byte) 0);
                } else {
                    r.nextBytes(chunk);
                }
                ch.write(ByteBuffer.wrap(chunk, 0, n), at);
            }
        }
        return p;
    }

    /** Migrates from QEMU with block migration, injecting guest writes while it is active. */
    record SourceRun(String status, int writesDuringMigration) {}

    /** At most this many guest writes, one every 150 ms while the migration is active. */
    static final int GUEST_WRITES = 8;

    SourceRun qemuSource(List<QemuProcess.Drive> drives, Path stream, long maxBandwidth, boolean inc,
            boolean zeroBlocks, long writableBytes) throws IOException {
        return qemuSource(drives, stream, maxBandwidth, inc, zeroBlocks, writableBytes, GUEST_WRITES);
    }

    /**
     * QEMU 7.2 aborts when a qemu-io write arrives just as the migration completes (the source has
     * inactivated its images: "Assertion `!(bs->open_flags & BDRV_O_INACTIVE)' failed" in
     * block/io.c) instead of failing the request: a defect of QEMU, not of the run under test, so
     * such an attempt is recorded and retried.
     */
    static final String QEMU_INACTIVE_ABORT = "BDRV_O_INACTIVE";

    SourceRun qemuSource(List<QemuProcess.Drive> drives, Path stream, long maxBandwidth, boolean inc,
            boolean zeroBlocks, long writableBytes, int maxWrites) throws IOException {
        for (int attempt = 1; ; attempt++) {
            QemuProcess q = QemuProcess.start(dir, drives, null);
            try {
                return migrateOnce(q, drives, stream, maxBandwidth, inc, zeroBlocks, writableBytes, maxWrites);
            } catch (IOException e) {
                String log = q.log();
                if (!log.contains(QEMU_INACTIVE_ABORT) || attempt == 3) {
                    throw new IOException(e.getMessage() + "; QEMU's log: " + log.strip(), e);
                }
                System.out.println("finding: QEMU 7.2 aborted on a guest write at completion (attempt " + attempt
                        + ", retried): " + log.lines().filter(l -> l.contains(QEMU_INACTIVE_ABORT)).findFirst().orElse(""));
            } finally {
                q.close();
            }
        }
    }

    private SourceRun migrateOnce(QemuProcess q, List<QemuProcess.Drive> drives, Path stream, long maxBandwidth, boolean inc,
            boolean zeroBlocks, long writableBytes, int maxWrites) throws IOException {
        try {
            if (maxBandwidth > 0) {
                q.setMaxBandwidth(maxBandwidth);
            }
            if (maxWrites > 0) {
                // keeps QEMU 7.2 from completing before its bulk pass ends (its own race, shown by a
                // finding below): a threshold under one chunk completes only with nothing pending
                q.setDowntimeLimitMillis(1);
            }
            if (zeroBlocks) {
                q.setCapability("zero-blocks", true);
            }
            q.migrate("exec:cat > " + stream, true, inc);
            Random r = new Random(stream.hashCode());
            int writes = 0;
            long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
            while (q.migrationStatus().matches("setup|active") && System.nanoTime() < deadline) {
                QemuProcess.Drive d = drives.get(r.nextInt(drives.size()));
                long off = (r.nextLong(writableBytes / 4096)) * 4096;
                if (writes < maxWrites && q.migrationStatus().equals("active")) {
                    q.qemuIoWrite(d.id(), 1 + r.nextInt(254), off, 4096 * (1 + r.nextInt(16)));
                    writes++;
                }
                Thread.sleep(writes < maxWrites ? 150 : 10);
            }
            String status = q.awaitMigration(MIGRATION_TIMEOUT);
            return new SourceRun(status, writes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** blkmig's receiver applies the stream to new sparse files of these sizes. */
    ReceiveResult receive(Path stream, Map<String, Path> targets, Map<String, Long> sizes) throws IOException {
        Map<String, Disk> disks = new LinkedHashMap<>();
        for (Map.Entry<String, Path> t : targets.entrySet()) {
            disks.put(t.getKey(), Files.exists(t.getValue()) ? FileDisk.open(t.getKey(), t.getValue(), true)
                    : FileDisk.create(t.getKey(), t.getValue(), sizes.get(t.getKey())));
        }
        try (InputStream in = Files.newInputStream(stream)) {
            return new BlockReceiver(disks).receive(in);
        } finally {
            for (Disk d : disks.values()) {
                d.close();
            }
        }
    }

    static void assertChecked(Path stream, Map<String, Long> sizes) throws IOException {
        try (InputStream in = Files.newInputStream(stream)) {
            assertEquals(List.of(), StreamChecker.checkQemuStream(ByteInput.of(in), sizes, Wire.QEMU_CHUNK_SIZE_BYTES));
        }
    }

    /** Block records of a stream: [PART payloads with blocks, data blocks, zero blocks]. */
    static long[] census(Path stream) throws IOException {
        long[] c = new long[3];
        try (InputStream in = Files.newInputStream(stream)) {
            QemuStreamReader r = new QemuStreamReader(ByteInput.of(in));
            boolean blockInPart = false;
            QemuEvent e;
            while ((e = r.next()) != null) {
                if (e instanceof QemuEvent.BlockRecord br) {
                    if (br.record() instanceof Record.DeviceBlock) {
                        c[1]++;
                        blockInPart |= br.type() == org.blkmig.protocol.SectionType.PART;
                    } else if (br.record() instanceof Record.ZeroBlock) {
                        c[2]++;
                    } else if (br.record() instanceof Record.EndOfSection && blockInPart) {
                        c[0]++;
                        blockInPart = false;
                    }
                }
            }
        }
        return c;
    }

    static long firstDifference(Path a, Path b) throws IOException {
        long mismatch = Files.mismatch(a, b);
        return mismatch;
    }

    static void assertSameImage(Path expected, Path actual, String what) throws IOException {
        long at = Files.mismatch(expected, actual);
        assertEquals(-1, at, what + ": first differing byte " + at);
    }

    // ---- QEMU -> blkmig ----

    @Test
    void qemuToBlkmigOneDeviceWithGuestWritesAcrossSeveralIterations() throws IOException {
        Path src = image("src.img", 16L * MIB, 1, Set.of());
        Path stream = dir.resolve("s.bin");
        SourceRun run = qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 8L * MIB, false, false, 16L * MIB);
        assertEquals("completed", run.status());
        assertTrue(run.writesDuringMigration() >= 3, "guest writes landed during the migration: " + run.writesDuringMigration());
        long[] c = census(stream);
        assertTrue(c[0] >= 3, "several iterate payloads carried blocks: " + c[0]);
        assertChecked(stream, Map.of("drive0", 16L * MIB));
        Path dst = dir.resolve("dst.img");
        ReceiveResult r = receive(stream, Map.of("drive0", dst), Map.of("drive0", 16L * MIB));
        assertTrue(r.complete(), r.toString());
        assertSameImage(src, dst, "QEMU's source after migration vs blkmig's target");
        System.out.printf("qemu->blkmig one device 16 MiB: %d guest writes, %d data blocks in %d iterate payloads: identical%n",
                run.writesDuringMigration(), c[1], c[0]);
    }

    @Test
    void qemuToBlkmigTwoDevices() throws IOException {
        Path a = image("a.img", 8L * MIB, 2, Set.of());
        Path b = image("b.img", 12L * MIB, 3, Set.of());
        Path stream = dir.resolve("s.bin");
        SourceRun run = qemuSource(List.of(QemuProcess.Drive.raw("drive0", a), QemuProcess.Drive.raw("drive1", b)), stream,
                16L * MIB, false, false, 8L * MIB);
        assertEquals("completed", run.status());
        Map<String, Long> sizes = Map.of("drive0", 8L * MIB, "drive1", 12L * MIB);
        assertChecked(stream, sizes);
        Path ta = dir.resolve("ta.img");
        Path tb = dir.resolve("tb.img");
        ReceiveResult r = receive(stream, Map.of("drive0", ta, "drive1", tb), sizes);
        assertTrue(r.complete(), r.toString());
        assertSameImage(a, ta, "drive0");
        assertSameImage(b, tb, "drive1");
    }

    @Test
    void qemuToBlkmigAPartialLastChunkWithRandomTail() throws IOException {
        long size = 5L * MIB + 1536;
        Path src = image("odd.img", size, 4, Set.of());
        Path stream = dir.resolve("s.bin");
        SourceRun run = qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 16L * MIB, false, false, 5L * MIB);
        assertEquals("completed", run.status());
        assertChecked(stream, Map.of("drive0", size));
        Path dst = dir.resolve("dst.img");
        ReceiveResult r = receive(stream, Map.of("drive0", dst), Map.of("drive0", size));
        assertTrue(r.complete(), r.toString());
        assertEquals(size, Files.size(dst));
        assertSameImage(src, dst, "a 5 MiB + 1536 B image");
    }

    @Test
    void qemuToBlkmigWithTheZeroBlocksCapability() throws IOException {
        Path src = image("z.img", 16L * MIB, 5, Set.of(1, 2, 3, 7, 8, 12, 15));
        Path stream = dir.resolve("s.bin");
        SourceRun run = qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 16L * MIB, false, true, 16L * MIB);
        assertEquals("completed", run.status());
        long[] c = census(stream);
        assertTrue(c[2] >= 1, "ZERO_BLOCK records were sent: " + c[2]);
        assertChecked(stream, Map.of("drive0", 16L * MIB));
        Path dst = dir.resolve("dst.img");
        Files.write(dst, new byte[16 * MIB]);
        ByteBuffer junk = ByteBuffer.allocate(MIB);
        java.util.Arrays.fill(junk.array(), (byte) 0x77);
        try (FileChannel ch = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            ch.write(junk, 2L * MIB); // a zero block must really write zeros
        }
        ReceiveResult r = receive(stream, Map.of("drive0", dst), Map.of("drive0", 16L * MIB));
        assertTrue(r.complete(), r.toString());
        assertSameImage(src, dst, "zero-blocks on");
    }

    @Test
    void qemuToBlkmigIncrementalOverASharedBase() throws IOException {
        Path base = image("base.raw", 16L * MIB, 6, Set.of());
        Path top = dir.resolve("top.qcow2");
        QemuProcess.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        // data in the top, and a zero cluster over the base's non-zero data
        QemuProcess.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x33 3M 200k", "-c", "write -z 8M 1M",
                "-c", "write -P 0x44 12M 64k", top.toString());
        Path stream = dir.resolve("s.bin");
        SourceRun run = qemuSource(List.of(new QemuProcess.Drive("drive0", top, "qcow2")), stream, 16L * MIB, true, false,
                16L * MIB);
        assertEquals("completed", run.status());
        assertChecked(stream, Map.of("drive0", 16L * MIB));
        long[] c = census(stream);
        assertTrue(c[1] < 16, "only allocated chunks are sent: " + c[1] + " of 16");
        Path flat = dir.resolve("flat.raw");
        QemuProcess.run(dir, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", top.toString(), flat.toString());
        Path dst = dir.resolve("dst.raw");
        Files.copy(base, dst, StandardCopyOption.REPLACE_EXISTING); // the destination has the same base
        ReceiveResult r = receive(stream, Map.of("drive0", dst), Map.of("drive0", 16L * MIB));
        assertTrue(r.complete(), r.toString());
        assertSameImage(flat, dst, "the top over its base, flattened");
        System.out.printf("qemu->blkmig incremental: %d of 16 chunks sent, identical to the flattened top%n", c[1]);
    }

    // ---- blkmig -> QEMU ----

    void blkmigToQemu(List<Long> sizesBytes, boolean zeroBlocks, long seed) throws IOException {
        QemuConformance.Loaded r = QemuConformance.blkmigToQemu(dir, sizesBytes, zeroBlocks, seed);
        assertEquals(null, r.problem());
        assertTrue(r.guestWrites() >= 3, "the simulated guest wrote during the migration: " + r.guestWrites());
        System.out.printf("blkmig->qemu %s zero-blocks=%b: %d simulated guest writes, QEMU loaded it, disks identical%n",
                sizesBytes, zeroBlocks, r.guestWrites());
    }

    /** The gate's cases end in identical disks. */
    @Test
    void theGatesCasesPass() throws IOException {
        for (QemuConformance.Case c : QemuConformance.cases()) {
            QemuConformance.Result r = QemuConformance.run(c);
            assertTrue(r.passed(), c.name() + ": " + r.problem());
        }
    }

    @Test
    void blkmigToQemuOneDevice() throws IOException {
        blkmigToQemu(List.of(16L * MIB), false, 1);
    }

    @Test
    void blkmigToQemuTwoDevicesWithZeroBlocks() throws IOException {
        blkmigToQemu(List.of(8L * MIB, 12L * MIB), true, 2);
    }

    @Test
    void blkmigToQemuTwoDevicesWithoutZeroBlocks() throws IOException {
        blkmigToQemu(List.of(4L * MIB, 6L * MIB), false, 3);
    }

    // ---- QEMU 7.2's defects, shown as findings ----

    @Test
    void finding_qemu72DestinationFailsOnAPartialLastChunkWhereBlkmigSucceeds() throws IOException {
        long size = 3L * MIB + 1536;
        Path src = image("odd.img", size, 7, Set.of());
        Path stream = dir.resolve("s.bin");
        assertEquals("completed", qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 0, false, false, 3L * MIB).status());
        Path qemuTarget = dir.resolve("qemu-target.img");
        try (FileChannel ch = FileChannel.open(qemuTarget, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
        String status;
        String log;
        try (QemuProcess dst = QemuProcess.start(dir, List.of(QemuProcess.Drive.raw("drive0", qemuTarget)), "exec:cat " + stream)) {
            status = dst.awaitIncoming(MIGRATION_TIMEOUT);
            log = dst.log();
        }
        assertNotEquals("completed", status, "QEMU 7.2's destination now loads a partial last chunk: update this finding");
        assertTrue(firstDifference(src, qemuTarget) >= 0, "QEMU's target misses data");
        Path ours = dir.resolve("blkmig-target.img");
        ReceiveResult r = receive(stream, Map.of("drive0", ours), Map.of("drive0", size));
        assertTrue(r.complete(), r.toString());
        assertSameImage(src, ours, "blkmig's receiver on the same stream");
        System.out.println("finding: QEMU 7.2's destination ends '" + status + "' on a 3 MiB + 1536 B disk (log: "
                + log.strip().replace('\n', ' ') + "); blkmig's receiver rebuilds the same stream exactly");
    }

    @Test
    void finding_qemu72CompletesBeforeItsBulkPhaseEndsAtHighBandwidth() throws IOException {
        long size = 256L * MIB;
        Path src = image("big.img", size, 8, Set.of());
        List<String> runs = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            Path stream = dir.resolve("s" + attempt + ".bin");
            String status = qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 1L << 30, false, false, size, 0)
                    .status();
            Path dst = dir.resolve("dst" + attempt + ".img");
            ReceiveResult r = receive(stream, Map.of("drive0", dst), Map.of("drive0", size));
            long differsAt = firstDifference(src, dst);
            long[] c = census(stream);
            runs.add(String.format("attempt %d: QEMU says %s, sent %d of 256 chunks, blkmig receiver %s, first differing byte %d",
                    attempt, status, c[1], r.complete() ? "complete" : "incomplete", differsAt));
            Files.delete(stream);
            Files.delete(dst);
            if (status.equals("completed") && r.complete() && differsAt >= 0) {
                System.out.println("finding: QEMU 7.2 at max-bandwidth 1G reports success with its bulk phase unfinished: "
                        + String.join("; ", runs));
                return;
            }
        }
        fail("QEMU 7.2 completed correctly in 3 runs at 1G: its early completion did not show; update this finding: " + runs);
    }
}
