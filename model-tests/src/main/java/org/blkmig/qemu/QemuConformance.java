// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.qemu.QemuSplicer;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.Workload;

/**
 * The conformance cases against a real QEMU 7.2 a CI gate runs (the full set is the test suite's
 * QemuConformanceTest): a QEMU source's stream applied by blkmig's receiver, and a blkmig stream
 * (spliced into a RAM-only stream of QEMU's) loaded by a QEMU destination; each ends in identical
 * disks or says where not. Each case works in a temporary directory it deletes, and stops its QEMU.
 */
public final class QemuConformance {
    private QemuConformance() {}

    static final int MIB = 1 << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** A case's result: null problem when it passed. */
    public record Result(String name, String problem, double seconds) {
        public boolean passed() {
            return problem == null;
        }
    }

    public interface Case {
        String name();

        /** Runs in {@code dir}; returns null when the disks are identical, else what went wrong. */
        String run(Path dir) throws IOException;
    }

    public static List<Case> cases() {
        return List.of(new Case() {
            @Override
            public String name() {
                return "qemu-7.2 source to blkmig receiver, 5 MiB + 1536 bytes";
            }

            @Override
            public String run(Path dir) throws IOException {
                return qemuToBlkmig(dir, 5L * MIB + 1536, 19);
            }
        }, new Case() {
            @Override
            public String name() {
                return "blkmig sender to qemu-7.2 destination, two devices with a guest writing";
            }

            @Override
            public String run(Path dir) throws IOException {
                return blkmigToQemu(dir, List.of(4L * MIB, 2L * MIB), false, 23).problem();
            }
        });
    }

    /** Runs a case in a fresh temporary directory, deleted afterwards. */
    public static Result run(Case c) {
        long t0 = System.nanoTime();
        Path dir = null;
        String problem;
        try {
            dir = Files.createTempDirectory("blkmig-qemu-");
            problem = c.run(dir);
        } catch (IOException | RuntimeException e) {
            problem = e.getClass().getSimpleName() + ": " + e.getMessage();
        } finally {
            delete(dir);
        }
        return new Result(c.name(), problem, (System.nanoTime() - t0) / 1e9);
    }

    /** A QEMU source whose stream does not carry its disk as it left it (QEMU 7.2's own defect): rerun up to this. */
    static final int QEMU_ATTEMPTS = 4;

    /**
     * blkmig's target must equal the oracle's rebuild of QEMU's stream (else blkmig's fault, at
     * once); QEMU's source must equal it too, else that is QEMU's defect (early completion) and the
     * QEMU side is rerun, a problem only if it is never faithful.
     */
    static String qemuToBlkmig(Path dir, long sizeBytes, long seed) throws IOException {
        Path src = randomImage(dir.resolve("src.img"), sizeBytes, seed);
        List<String> qemuDefects = new ArrayList<>();
        for (int n = 1; n <= QEMU_ATTEMPTS; n++) {
            Path at = Files.createDirectories(dir.resolve("attempt" + n));
            Path stream = at.resolve("stream.bin");
            String status;
            try (QemuProcess q = QemuProcess.start(dir, List.of(QemuProcess.Drive.raw("drive0", src)), null)) {
                q.migrate("exec:cat > " + stream, true, false);
                status = q.awaitMigration(TIMEOUT);
            }
            if (!status.equals("completed")) {
                return "QEMU's migration ended " + status;
            }
            Path carried;
            try {
                carried = OracleRebuild.rebuild(stream, Map.of("drive0", sizeBytes), Map.of(), Wire.QEMU_CHUNK_SIZE_BYTES, at)
                        .get("drive0");
            } catch (Rejected e) {
                return "the oracle rejects QEMU's stream: " + e.getMessage();
            }
            Path dst = at.resolve("dst.img");
            Disk target = FileDisk.create("drive0", dst, sizeBytes);
            ReceiveResult r;
            try (InputStream in = Files.newInputStream(stream)) {
                r = new BlockReceiver(Map.of("drive0", target)).receive(in);
            } finally {
                target.close();
            }
            if (!r.complete()) {
                return "blkmig's receiver did not complete QEMU's stream: " + r;
            }
            long off = Files.mismatch(carried, dst);
            if (off >= 0) {
                return "blkmig's target differs from what QEMU's stream carries (the oracle's rebuild) at byte " + off;
            }
            long lost = Files.mismatch(src, carried);
            if (lost < 0) {
                return null;
            }
            qemuDefects.add("run " + n + ": QEMU's stream lacks its source from byte " + lost + " (chunk " + lost / MIB
                    + "; no guest writes: early completion)");
        }
        return "QEMU 7.2 never put its disk into its stream faithfully in " + QEMU_ATTEMPTS + " runs (QEMU's defect; blkmig's"
                + " target equalled the stream each time): " + String.join("; ", qemuDefects);
    }

    /** A destination QEMU loads the stream: {status, log}; a load can fail before QEMU's monitor is up. */
    public static String[] load(Path dir, List<QemuProcess.Drive> drives, Path stream) throws IOException {
        QemuProcess q;
        try {
            q = QemuProcess.start(dir, drives, "exec:cat " + stream);
        } catch (IOException e) {
            return new String[] {"failed before its monitor was up", e.getMessage()};
        }
        try (q) {
            return new String[] {q.awaitIncoming(TIMEOUT), q.log()};
        }
    }

    /** What loading a blkmig stream into QEMU gave: null problem when the disks are identical; the guest's writes. */
    public record Loaded(String problem, long guestWrites) {}

    /**
     * blkmig's simulated source (a guest writing) spliced into a RAM-only stream of QEMU's, loaded
     * by a QEMU 7.2 destination over blank raw images of these sizes, which must equal the sources.
     */
    public static Loaded blkmigToQemu(Path dir, List<Long> sizesBytes, boolean zeroBlocks, long seed) throws IOException {
        List<QemuProcess.Drive> drives = new ArrayList<>();
        List<Scenario.Device> devices = new ArrayList<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            Path t = dir.resolve("target" + i + ".img");
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(1), sizesBytes.get(i) - 1);
            }
            drives.add(QemuProcess.Drive.raw("drive" + i, t));
            devices.add(new Scenario.Device("drive" + i, sizesBytes.get(i), false));
        }
        Path ramOnly = dir.resolve("ramonly.bin");
        try (QemuProcess q = QemuProcess.start(dir, drives, null)) {
            q.migrate("exec:cat > " + ramOnly, false, false);
            String status = q.awaitMigration(TIMEOUT);
            if (!status.equals("completed")) {
                return new Loaded("QEMU's RAM-only migration ended " + status, 0);
            }
        }
        Scenario s = new Scenario(devices, seed, Workload.of(Workload.Kind.UNIFORM, 256 << 10), 16L * MIB, 300 * Durations.MILLI,
                new LatencyModel.Uniform(100_000, 2_000_000), Wire.QEMU_CHUNK_SIZE_BYTES, zeroBlocks, false, 50, Faults.NONE, seed);
        Path spliced = dir.resolve("spliced.bin");
        ScenarioRunner.Source[] source = new ScenarioRunner.Source[1];
        try (FileChannel out = FileChannel.open(spliced, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            QemuSplicer.splice(ramOnly, out, w -> source[0] = ScenarioRunner.simulateSource(s, Variant.BLKMIG, w));
        }
        if (!source[0].migration().completed()) {
            return new Loaded("blkmig's simulated migration did not complete: " + source[0].migration().reason(), 0);
        }
        long writes = source[0].guestWrites();
        // blkmig's sender judged before QEMU is: the oracle's rebuild of the spliced stream is its source
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Scenario.Device d : devices) {
            sizes.put(d.name(), d.sizeBytes());
        }
        Map<String, Path> carried;
        try {
            carried = OracleRebuild.rebuild(spliced, sizes, Map.of(), Wire.QEMU_CHUNK_SIZE_BYTES,
                    Files.createDirectories(dir.resolve("oracle")));
        } catch (Rejected e) {
            return new Loaded("the oracle rejects blkmig's stream (blkmig's fault): " + e.getMessage(), writes);
        }
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            byte[] e = new byte[(int) (long) sizesBytes.get(i)];
            source[0].sources().get("drive" + i).read(0, ByteBuffer.wrap(e));
            expected.add(e);
            int at = java.util.Arrays.mismatch(e, Files.readAllBytes(carried.get("drive" + i)));
            if (at >= 0) {
                return new Loaded("blkmig's stream does not carry its source drive" + i + " (the oracle's rebuild differs at"
                        + " byte " + at + "): blkmig's fault", writes);
            }
        }
        String[] loaded = load(dir, drives, spliced);
        if (!loaded[0].equals("completed")) {
            boolean partialLastChunk = sizesBytes.stream().anyMatch(b -> b % Wire.QEMU_CHUNK_SIZE_BYTES != 0);
            return new Loaded((partialLastChunk ? "QEMU 7.2 refused blkmig's stream on a disk with a partial last chunk, its"
                    + " known destination defect (the stream carries blkmig's source exactly)"
                    : "QEMU 7.2 refused blkmig's stream, whose disks are whole chunks (blkmig's fault)") + " (" + loaded[0] + "): "
                    + loaded[1].strip(), writes);
        }
        for (int i = 0; i < devices.size(); i++) {
            int at = java.util.Arrays.mismatch(expected.get(i), Files.readAllBytes(drives.get(i).image()));
            if (at >= 0) {
                return new Loaded("QEMU's disk drive" + i + " differs from blkmig's source at byte " + at
                        + " though the stream carries it (blkmig's framing)", writes);
            }
        }
        return new Loaded(null, writes);
    }

    static Path randomImage(Path p, long sizeBytes, long seed) throws IOException {
        byte[] b = new byte[(int) sizeBytes];
        new Random(seed).nextBytes(b);
        // a zero chunk in the middle: QEMU sends it as data, the receiver must still write it
        java.util.Arrays.fill(b, MIB, Math.min(b.length, 2 * MIB), (byte) 0);
        Files.write(p, b);
        return p;
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is not a failed check
        }
    }
}
