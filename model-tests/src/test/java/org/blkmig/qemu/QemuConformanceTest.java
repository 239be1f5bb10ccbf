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
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;
import org.blkmig.qemu.QemuRun;
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

    /** A guest write made on QEMU's monitor, and when (System.nanoTime) it was made. */
    record GuestWrite(String drive, long offsetBytes, long lengthBytes, long atNanos) {}

    /** Migrates from QEMU with block migration, injecting guest writes while it is active. */
    record SourceRun(String status, List<GuestWrite> writes, long endNanos) {
        int writesDuringMigration() {
            return writes.size();
        }
    }

    /** At most this many guest writes, one every 150 ms while the migration is active. */
    static final int GUEST_WRITES = 8;

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
            List<GuestWrite> writes = new ArrayList<>();
            long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
            while (q.migrationStatus().matches("setup|active") && System.nanoTime() < deadline) {
                QemuProcess.Drive d = drives.get(r.nextInt(drives.size()));
                long off = (r.nextLong(writableBytes / 4096)) * 4096;
                long length = 4096 * (1 + r.nextInt(16));
                int pattern = 1 + r.nextInt(254);
                if (writes.size() < maxWrites && q.migrationStatus().equals("active")) {
                    long at = System.nanoTime();
                    q.qemuIoWrite(d.id(), pattern, off, length);
                    writes.add(new GuestWrite(d.id(), off, length, at));
                }
                Thread.sleep(writes.size() < maxWrites ? 150 : 10);
            }
            long endNanos = System.nanoTime();
            String status = q.awaitMigration(MIGRATION_TIMEOUT);
            return new SourceRun(status, List.copyOf(writes), endNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** One run of the QEMU source: its stream, and each device's image as the stream carries it (the oracle's rebuild). */
    record Attempt(int number, Path dir, SourceRun run, Path stream, Map<String, Path> carried) {}

    /** Judges blkmig on one attempt against what its stream carries; it must hold on every attempt. */
    interface BlkmigCheck {
        void check(Attempt a) throws IOException;
    }

    /** A QEMU 7.2 source whose stream does not carry its disks as it left them (lost write, early completion): rerun up to this. */
    static final int QEMU_ATTEMPTS = 4;

    /**
     * Runs the QEMU source until its stream carries its disks as QEMU left them. On every attempt
     * blkmig is judged against the oracle's rebuild of the stream ({@code check}): that must always
     * hold. A stream that differs from the source is QEMU 7.2's own defect: the attempt is rerun,
     * and the test fails only when QEMU never produces a faithful stream, naming the defect.
     * {@code starts}: what a destination starts from, per device (absent: zeros).
     */
    Attempt faithfulQemuSource(List<QemuProcess.Drive> drives, Map<String, Long> sizes, Map<String, Path> starts,
            long maxBandwidth, boolean inc, boolean zeroBlocks, long writableBytes, int maxWrites, BlkmigCheck check)
            throws IOException {
        List<String> defects = new ArrayList<>();
        for (int n = 1; n <= QEMU_ATTEMPTS; n++) {
            Path at = Files.createDirectories(dir.resolve("attempt" + n));
            Path stream = at.resolve("s.bin");
            SourceRun run = qemuSource(drives, stream, maxBandwidth, inc, zeroBlocks, writableBytes, maxWrites);
            assertEquals("completed", run.status(), "QEMU's source migration");
            Attempt a = new Attempt(n, at, run, stream, carried(stream, sizes, starts, at));
            check.check(a);
            String defect = qemuDefect(a, drives);
            if (defect == null) {
                return a;
            }
            defects.add("attempt " + n + ": " + defect);
            System.out.println("finding: QEMU 7.2's stream does not carry its own disk (rerun; blkmig matched the stream): "
                    + defect);
        }
        fail("QEMU 7.2 never put its disks into its stream faithfully in " + QEMU_ATTEMPTS + " runs (QEMU's defect, not"
                + " blkmig's: blkmig's target equalled the stream's content each time): " + String.join("; ", defects));
        return null;
    }

    /** The oracle's rebuild of what the stream carries. */
    static Map<String, Path> carried(Path stream, Map<String, Long> sizes, Map<String, Path> starts, Path outDir)
            throws IOException {
        try {
            return OracleRebuild.rebuild(stream, sizes, starts, Wire.QEMU_CHUNK_SIZE_BYTES, outDir);
        } catch (Rejected e) {
            fail("the oracle rejects QEMU's stream: " + e.getMessage());
            return null;
        }
    }

    /** Null when every source image as QEMU left it equals what the stream carries; else QEMU's defect and its evidence. */
    String qemuDefect(Attempt a, List<QemuProcess.Drive> drives) throws IOException {
        for (QemuProcess.Drive d : drives) {
            Path left = d.image();
            if (!d.format().equals("raw")) {
                left = a.dir().resolve(d.id() + ".left.raw");
                QemuProcess.run(dir, "qemu-img", "convert", "-f", d.format(), "-O", "raw", d.image().toString(), left.toString());
            }
            long at = Files.mismatch(left, a.carried().get(d.id()));
            if (at < 0) {
                continue;
            }
            List<GuestWrite> ws = a.run().writes();
            for (int i = ws.size() - 1; i >= 0; i--) {
                GuestWrite w = ws.get(i);
                if (w.drive().equals(d.id()) && at >= w.offsetBytes() && at < w.offsetBytes() + w.lengthBytes()) {
                    return String.format("lost guest write: %s differs first at byte %d, inside qemu-io write %d of %d (%d bytes at"
                            + " %d, issued %d ms before QEMU's migration left 'active'), which the stream does not carry",
                            d.id(), at, i + 1, ws.size(), w.lengthBytes(), w.offsetBytes(),
                            (a.run().endNanos() - w.atNanos()) / 1_000_000);
                }
            }
            return String.format("early completion: %s differs first at byte %d (chunk %d), no guest write there: QEMU said"
                    + " completed without sending it", d.id(), at, at / Wire.QEMU_CHUNK_SIZE_BYTES);
        }
        return null;
    }

    /** blkmig's receiver on the attempt's stream, from copies of {@code starts}; its targets must equal what the stream carries. */
    Map<String, Path> receiveAndMatch(Attempt a, Map<String, Long> sizes, Map<String, Path> starts) throws IOException {
        Map<String, Path> targets = new LinkedHashMap<>();
        for (String dev : sizes.keySet()) {
            Path t = a.dir().resolve(dev + ".blkmig.raw");
            if (starts.containsKey(dev)) {
                Files.copy(starts.get(dev), t, StandardCopyOption.REPLACE_EXISTING);
            }
            targets.put(dev, t);
        }
        ReceiveResult r = receive(a.stream(), targets, sizes);
        assertTrue(r.complete(), "blkmig's receiver on a stream QEMU completed: " + r);
        for (String dev : sizes.keySet()) {
            assertEquals(sizes.get(dev), Files.size(targets.get(dev)), dev + ": blkmig's target size");
            assertSameImage(a.carried().get(dev), targets.get(dev), "attempt " + a.number() + ": blkmig's target " + dev
                    + " vs the oracle's rebuild of QEMU's stream");
        }
        return targets;
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
        Map<String, Long> sizes = Map.of("drive0", 16L * MIB);
        Attempt a = faithfulQemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), sizes, Map.of(), 8L * MIB, false, false,
                16L * MIB, GUEST_WRITES, at -> {
                    assertChecked(at.stream(), sizes);
                    receiveAndMatch(at, sizes, Map.of());
                });
        assertTrue(a.run().writesDuringMigration() >= 3, "guest writes landed during the migration: "
                + a.run().writesDuringMigration());
        long[] c = census(a.stream());
        assertTrue(c[0] >= 3, "several iterate payloads carried blocks: " + c[0]);
        assertSameImage(src, a.dir().resolve("drive0.blkmig.raw"), "QEMU's source after migration vs blkmig's target");
        System.out.printf("qemu->blkmig one device 16 MiB: %d guest writes, %d data blocks in %d iterate payloads: identical"
                + " (QEMU attempt %d)%n", a.run().writesDuringMigration(), c[1], c[0], a.number());
    }

    @Test
    void qemuToBlkmigTwoDevices() throws IOException {
        Path a = image("a.img", 8L * MIB, 2, Set.of());
        Path b = image("b.img", 12L * MIB, 3, Set.of());
        Map<String, Long> sizes = Map.of("drive0", 8L * MIB, "drive1", 12L * MIB);
        Attempt at = faithfulQemuSource(List.of(QemuProcess.Drive.raw("drive0", a), QemuProcess.Drive.raw("drive1", b)), sizes,
                Map.of(), 16L * MIB, false, false, 8L * MIB, GUEST_WRITES, x -> {
                    assertChecked(x.stream(), sizes);
                    receiveAndMatch(x, sizes, Map.of());
                });
        assertSameImage(a, at.dir().resolve("drive0.blkmig.raw"), "drive0");
        assertSameImage(b, at.dir().resolve("drive1.blkmig.raw"), "drive1");
    }

    @Test
    void qemuToBlkmigAPartialLastChunkWithRandomTail() throws IOException {
        long size = 5L * MIB + 1536;
        Path src = image("odd.img", size, 4, Set.of());
        Map<String, Long> sizes = Map.of("drive0", size);
        Attempt a = faithfulQemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), sizes, Map.of(), 16L * MIB, false, false,
                5L * MIB, GUEST_WRITES, x -> {
                    assertChecked(x.stream(), sizes);
                    receiveAndMatch(x, sizes, Map.of());
                });
        assertSameImage(src, a.dir().resolve("drive0.blkmig.raw"), "a 5 MiB + 1536 B image");
    }

    @Test
    void qemuToBlkmigWithTheZeroBlocksCapability() throws IOException {
        Path src = image("z.img", 16L * MIB, 5, Set.of(1, 2, 3, 7, 8, 12, 15));
        Map<String, Long> sizes = Map.of("drive0", 16L * MIB);
        // the destination starts with junk where the source is zero: a zero block must really write zeros
        Path start = dir.resolve("junk-start.img");
        Files.write(start, new byte[16 * MIB]);
        ByteBuffer junk = ByteBuffer.allocate(MIB);
        java.util.Arrays.fill(junk.array(), (byte) 0x77);
        try (FileChannel ch = FileChannel.open(start, StandardOpenOption.WRITE)) {
            ch.write(junk, 2L * MIB);
        }
        Attempt a = faithfulQemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), sizes, Map.of("drive0", start), 16L * MIB,
                false, true, 16L * MIB, GUEST_WRITES, x -> {
                    assertTrue(census(x.stream())[2] >= 1, "ZERO_BLOCK records were sent: " + census(x.stream())[2]);
                    assertChecked(x.stream(), sizes);
                    receiveAndMatch(x, sizes, Map.of("drive0", start));
                });
        assertSameImage(src, a.dir().resolve("drive0.blkmig.raw"), "zero-blocks on");
    }

    @Test
    void qemuToBlkmigIncrementalOverASharedBase() throws IOException {
        Path base = image("base.raw", 16L * MIB, 6, Set.of());
        Path top = dir.resolve("top.qcow2");
        QemuProcess.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        // data in the top, and a zero cluster over the base's non-zero data
        QemuProcess.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x33 3M 200k", "-c", "write -z 8M 1M",
                "-c", "write -P 0x44 12M 64k", top.toString());
        Map<String, Long> sizes = Map.of("drive0", 16L * MIB);
        // the destination has the same base: the stream carries only the top
        Map<String, Path> starts = Map.of("drive0", base);
        Attempt a = faithfulQemuSource(List.of(new QemuProcess.Drive("drive0", top, "qcow2")), sizes, starts, 16L * MIB, true,
                false, 16L * MIB, GUEST_WRITES, x -> {
                    assertChecked(x.stream(), sizes);
                    assertTrue(census(x.stream())[1] < 16, "only allocated chunks are sent: " + census(x.stream())[1] + " of 16");
                    receiveAndMatch(x, sizes, starts);
                });
        Path flat = dir.resolve("flat.raw");
        QemuProcess.run(dir, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", top.toString(), flat.toString());
        assertSameImage(flat, a.dir().resolve("drive0.blkmig.raw"), "the top over its base, flattened");
        System.out.printf("qemu->blkmig incremental: %d of 16 chunks sent, identical to the flattened top%n", census(a.stream())[1]);
    }

    // ---- blkmig -> QEMU ----


    void blkmigToQemu(List<Long> sizesBytes, boolean zeroBlocks, long seed) throws IOException {
        QemuConformance.Loaded r = QemuConformance.blkmigToQemu(dir, sizesBytes, zeroBlocks, seed);
        assertTrue(r.verdict().passed(), r.verdict().toString());
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
        Map<String, Long> sizes = Map.of("drive0", size);
        Attempt a = faithfulQemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), sizes, Map.of(), 0, false, false, 3L * MIB,
                GUEST_WRITES, x -> receiveAndMatch(x, sizes, Map.of()));
        assertSameImage(src, a.dir().resolve("drive0.blkmig.raw"), "blkmig's receiver on QEMU's stream");
        Path qemuTarget = dir.resolve("qemu-target.img");
        try (FileChannel ch = FileChannel.open(qemuTarget, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
        QemuLoad loaded = QemuConformance.load(dir, List.of(QemuProcess.Drive.raw("drive0", qemuTarget)), a.stream());
        assertNotEquals(Ending.COMPLETED, loaded.ending(), "QEMU 7.2's destination now loads a partial last chunk: update this"
                + " finding");
        assertEquals(QemuError.Kind.LOAD_SECTION, loaded.error().kind(), loaded.toString());
        assertTrue(firstDifference(src, qemuTarget) >= 0, "QEMU's target misses data");
        System.out.println("finding: QEMU 7.2's destination ends " + loaded + " on a 3 MiB + 1536 B disk; blkmig's receiver"
                + " rebuilds the same stream exactly");
    }

    /**
     * QEMU's early completion is QEMU's, so whether it shows is reported, not asserted (the
     * qemu-campaign hunts it); what is asserted is blkmig's receiver on each stream it makes.
     */
    @Test
    void finding_qemu72CompletesBeforeItsBulkPhaseEndsAtHighBandwidth() throws IOException {
        long size = 256L * MIB;
        Path src = image("big.img", size, 8, Set.of());
        Map<String, Long> sizes = Map.of("drive0", size);
        List<String> runs = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            Path at = Files.createDirectories(dir.resolve("attempt" + n));
            Path stream = at.resolve("s.bin");
            SourceRun run = qemuSource(List.of(QemuProcess.Drive.raw("drive0", src)), stream, 1L << 30, false, false, size, 0);
            assertEquals("completed", run.status(), "QEMU's source migration");
            Attempt a = new Attempt(n, at, run, stream, carried(stream, sizes, Map.of(), at));
            receiveAndMatch(a, sizes, Map.of());
            String defect = qemuDefect(a, List.of(QemuProcess.Drive.raw("drive0", src)));
            runs.add(String.format("attempt %d: sent %d of 256 chunks, %s", n, census(stream)[1],
                    defect == null ? "faithful" : defect));
            QemuRun.deleteTree(at);
            if (defect != null) {
                System.out.println("finding: QEMU 7.2 at max-bandwidth 1G reports success with its bulk phase unfinished;"
                        + " blkmig's receiver matched its stream each time: " + String.join("; ", runs));
                return;
            }
        }
        System.out.println("note: QEMU 7.2's early completion did not show in 3 runs at 1G this time; blkmig's receiver matched"
                + " each stream: " + runs);
    }
}
