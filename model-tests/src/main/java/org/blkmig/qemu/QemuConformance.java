// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.blkmig.model.judge.Cause;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.qemu.QemuSplicer;
import org.blkmig.receiver.ReceiveResult;
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
    static final Duration TIMEOUT = QemuMigration.DESTINATION_TIMEOUT;

    /** A case's result: its verdict (a pass when the disks end identical) and how long it took. */
    public record Result(String name, Verdict verdict, double seconds) {
        public boolean passed() {
            return verdict.passed();
        }

        /** What a failure is named by, from the verdict's typed fields. */
        public FindingKey key() {
            return FindingKey.of(verdict);
        }

        /** What went wrong, for people; null when it passed. */
        public String problem() {
            return passed() ? null : verdict.evidence();
        }
    }

    public interface Case {
        String name();

        /** Runs in {@code dir}: a pass when the disks are identical, else what went wrong. */
        Verdict run(Path dir) throws IOException;
    }

    public static List<Case> cases() {
        return List.of(new Case() {
            @Override
            public String name() {
                return "qemu-7.2 source to blkmig receiver, 5 MiB + 1536 bytes";
            }

            @Override
            public Verdict run(Path dir) throws IOException {
                return qemuToBlkmig(dir, 5L * MIB + 1536, 19);
            }
        }, new Case() {
            @Override
            public String name() {
                return "blkmig sender to qemu-7.2 destination, two devices with a guest writing";
            }

            @Override
            public Verdict run(Path dir) throws IOException {
                return blkmigToQemu(dir, List.of(4L * MIB, 2L * MIB), false, 23).verdict();
            }
        });
    }

    /** Runs a case in a fresh temporary directory, deleted afterwards. */
    public static Result run(Case c) {
        long t0 = System.nanoTime();
        Path dir = null;
        Verdict verdict;
        try {
            dir = Files.createTempDirectory("blkmig-qemu-");
            verdict = c.run(dir);
        } catch (IOException | RuntimeException e) {
            verdict = QemuJudge.setupFailed(e);
        } finally {
            delete(dir);
        }
        return new Result(c.name(), verdict, (System.nanoTime() - t0) / 1e9);
    }

    /** A QEMU source whose stream does not carry its disk as it left it (QEMU 7.2's own defect): rerun up to this. */
    static final int QEMU_ATTEMPTS = 4;

    /**
     * blkmig's target must equal the oracle's rebuild of QEMU's stream (else blkmig's fault, at
     * once); QEMU's source must equal it too, else that is QEMU's defect (early completion) and the
     * QEMU side is rerun, a failure only if it is never faithful.
     */
    static Verdict qemuToBlkmig(Path dir, long sizeBytes, long seed) throws IOException {
        Path src = randomImage(dir.resolve("src.img"), sizeBytes, seed);
        List<String> qemuDefects = new ArrayList<>();
        for (int n = 1; n <= QEMU_ATTEMPTS; n++) {
            Verdict v = qemuToBlkmigOnce(dir, Files.createDirectories(dir.resolve("attempt" + n)), src, sizeBytes);
            if (v.cause() != Cause.STREAM_UNFAITHFUL) {
                return v;
            }
            qemuDefects.add("run " + n + ": " + v.evidence());
        }
        return Verdict.fail(Properties.IDENTICAL, Cause.STREAM_UNFAITHFUL, "QEMU 7.2 never put its disk into its stream"
                + " faithfully in " + QEMU_ATTEMPTS + " runs (QEMU's defect; blkmig's target equalled the stream each time): "
                + String.join("; ", qemuDefects));
    }

    /** One QEMU source into blkmig's receiver, in {@code at}: a pass, blkmig's failure, or QEMU's unfaithful stream. */
    private static Verdict qemuToBlkmigOnce(Path dir, Path at, Path src, long sizeBytes) throws IOException {
        Path stream = at.resolve("stream.bin");
        QemuError ended;
        try (QemuProcess q = QemuProcess.start(dir, List.of(QemuProcess.Drive.raw("drive0", src)), null)) {
            q.migrate("exec:cat > " + stream, true, false);
            ended = QemuMigration.ended(q.awaitMigration(TIMEOUT));
        }
        if (ended.kind() != QemuError.Kind.NONE) {
            return Verdict.fail(Properties.EXPLAINED_FAILURE, Cause.SOURCE_FAILED, "QEMU's migration ended " + ended.detail())
                    .subject(ended.subject());
        }
        Path carried;
        try {
            carried = OracleRebuild.rebuild(stream, Map.of("drive0", sizeBytes), Map.of(), Wire.QEMU_CHUNK_SIZE_BYTES, at)
                    .get("drive0");
        } catch (Rejected e) {
            return Verdict.fail(Properties.PROTOCOL, Cause.STREAM_UNREADABLE, "the oracle rejects QEMU's stream: " + e.getMessage());
        }
        Path dst = at.resolve("dst.img");
        ReceiveResult r = QemuMigration.receive(stream, into -> into.put("drive0", FileDisk.create("drive0", dst, sizeBytes)));
        if (!r.complete()) {
            return Verdict.fail(Properties.HONEST_COMPLETION, Cause.RECEIVER_INCOMPLETE, "blkmig's receiver did not complete"
                    + " QEMU's stream: " + r).subject(r.failure().name());
        }
        long off = Files.mismatch(carried, dst);
        if (off >= 0) {
            return Verdict.fail(QemuPromise.RECEIVER_MATCHES_STREAM, Cause.RECEIVER_DIFFERS_FROM_STREAM, "blkmig's target"
                    + " differs from what QEMU's stream carries (the oracle's rebuild) at byte " + off).about(chunkAt(off));
        }
        long lost = Files.mismatch(src, carried);
        return lost < 0 ? Verdict.pass(Properties.IDENTICAL) : Verdict.fail(Properties.IDENTICAL, Cause.STREAM_UNFAITHFUL,
                "QEMU's stream lacks its source from byte " + lost + " (chunk " + lost / MIB + "; no guest writes: early"
                + " completion)").about(chunkAt(lost));
    }

    private static ChunkRef chunkAt(long offsetBytes) {
        return new ChunkRef("drive0", offsetBytes / Wire.QEMU_CHUNK_SIZE_BYTES);
    }

    /** A destination QEMU (the README's RAM) loads the stream into these drives. */
    public static QemuLoad load(Path dir, List<QemuProcess.Drive> drives, Path stream) throws IOException {
        return QemuMigration.load(dir, drives, stream, QemuProcess.DEFAULT_RAM_MIB);
    }

    /** What loading a blkmig stream into QEMU gave: a pass when the disks are identical; the guest's writes. */
    public record Loaded(Verdict verdict, long guestWrites) {}

    /**
     * blkmig's simulated source (a guest writing) spliced into a RAM-only stream of QEMU's, loaded
     * by a QEMU 7.2 destination over blank raw images of these sizes, which must equal the sources.
     */
    public static Loaded blkmigToQemu(Path dir, List<Long> sizesBytes, boolean zeroBlocks, long seed) throws IOException {
        List<QemuProcess.Drive> drives = new ArrayList<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            drives.add(QemuProcess.Drive.raw("drive" + i, QemuImages.blank(dir.resolve("target" + i + ".img"), sizesBytes.get(i))));
        }
        Path ramOnly = dir.resolve("ramonly.bin");
        try (QemuProcess q = QemuProcess.start(dir, drives, null)) {
            q.migrate("exec:cat > " + ramOnly, false, false);
            QemuError ended = QemuMigration.ended(q.awaitMigration(TIMEOUT));
            if (ended.kind() != QemuError.Kind.NONE) {
                return new Loaded(Verdict.fail(QemuPromise.SETUP, Cause.SETUP_FAILED, "QEMU's RAM-only migration ended " + ended.detail())
                        .subject(ended.subject()), 0);
            }
        }
        Path spliced = dir.resolve("spliced.bin");
        ScenarioRunner.Source source = spliceBlkmig(ramOnly, spliced, sizesBytes, zeroBlocks, seed);
        if (!source.migration().completed()) {
            return new Loaded(Verdict.fail(Properties.CONVERGENCE, Cause.DID_NOT_CONVERGE, "blkmig's simulated migration did"
                    + " not complete: " + source.migration().reason()), 0);
        }
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            byte[] e = new byte[(int) (long) sizesBytes.get(i)];
            source.sources().get("drive" + i).read(0, ByteBuffer.wrap(e));
            expected.add(e);
        }
        // blkmig's sender judged before QEMU is: the oracle's rebuild of the spliced stream is its source
        Verdict carried = carriesItsSource(dir, spliced, sizesBytes, expected);
        return new Loaded(carried.passed() ? loadedIdentical(dir, drives, spliced, sizesBytes, expected) : carried,
                source.guestWrites());
    }

    /** blkmig's simulated source with a guest writing, its stream spliced into QEMU's RAM-only one. */
    private static ScenarioRunner.Source spliceBlkmig(Path ramOnly, Path spliced, List<Long> sizesBytes, boolean zeroBlocks,
            long seed) throws IOException {
        List<Scenario.Device> devices = new ArrayList<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            devices.add(new Scenario.Device("drive" + i, sizesBytes.get(i), false));
        }
        Scenario s = new Scenario(devices, seed, Workload.of(Workload.Kind.UNIFORM, 256 << 10), 16L * MIB, 300 * Durations.MILLI,
                new LatencyModel.Uniform(100_000, 2_000_000), Wire.QEMU_CHUNK_SIZE_BYTES, zeroBlocks, false, 50, Faults.NONE, seed);
        ScenarioRunner.Source[] source = new ScenarioRunner.Source[1];
        try (FileChannel out = FileChannel.open(spliced, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            QemuSplicer.splice(ramOnly, out, w -> source[0] = ScenarioRunner.simulateSource(s, Variant.BLKMIG, w));
        }
        return source[0];
    }

    /** The oracle's rebuild of blkmig's stream equals blkmig's source: a pass, or blkmig's fault. */
    private static Verdict carriesItsSource(Path dir, Path spliced, List<Long> sizesBytes, List<byte[]> expected)
            throws IOException {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            sizes.put("drive" + i, sizesBytes.get(i));
        }
        Map<String, Path> carried;
        try {
            carried = OracleRebuild.rebuild(spliced, sizes, Map.of(), Wire.QEMU_CHUNK_SIZE_BYTES,
                    Files.createDirectories(dir.resolve("oracle")));
        } catch (Rejected e) {
            return Verdict.fail(Properties.PROTOCOL, Cause.STREAM_UNREADABLE, "the oracle rejects blkmig's stream (blkmig's"
                    + " fault): " + e.getMessage());
        }
        for (int i = 0; i < expected.size(); i++) {
            int at = java.util.Arrays.mismatch(expected.get(i), Files.readAllBytes(carried.get("drive" + i)));
            if (at >= 0) {
                return Verdict.fail(Properties.IDENTICAL, Cause.STREAM_UNFAITHFUL, "blkmig's stream does not carry its source"
                        + " drive" + i + " (the oracle's rebuild differs at byte " + at + "): blkmig's fault")
                        .about(new ChunkRef("drive" + i, at / Wire.QEMU_CHUNK_SIZE_BYTES));
            }
        }
        return Verdict.pass(Properties.IDENTICAL);
    }

    /** QEMU loads blkmig's stream and its disks equal blkmig's sources. */
    private static Verdict loadedIdentical(Path dir, List<QemuProcess.Drive> drives, Path spliced, List<Long> sizesBytes,
            List<byte[]> expected) throws IOException {
        QemuLoad loaded = load(dir, drives, spliced);
        if (!loaded.completed()) {
            // QEMU 7.2's destination refuses a block that crosses a disk's end: its defect, not blkmig's
            boolean partialLastChunk = sizesBytes.stream().anyMatch(b -> b % Wire.QEMU_CHUNK_SIZE_BYTES != 0);
            return partialLastChunk ? Verdict.fail(Properties.HONEST_COMPLETION, Cause.DESTINATION_WRITE_CROSSES_END,
                    "QEMU 7.2 refused blkmig's stream on a disk with a partial last chunk, its known destination defect (the"
                    + " stream carries blkmig's source exactly): " + loaded).subject(loaded.subject())
                    : Verdict.fail(Properties.HONEST_COMPLETION, Cause.DESTINATION_NOT_COMPLETED, "QEMU 7.2 refused blkmig's"
                    + " stream, whose disks are whole chunks (blkmig's fault): " + loaded).subject(loaded.subject());
        }
        for (int i = 0; i < drives.size(); i++) {
            int at = java.util.Arrays.mismatch(expected.get(i), Files.readAllBytes(drives.get(i).image()));
            if (at >= 0) {
                return Verdict.fail(Properties.IDENTICAL, Cause.TARGET_DIFFERS_SENT, "QEMU's disk drive" + i + " differs from"
                        + " blkmig's source at byte " + at + " though the stream carries it (blkmig's framing)")
                        .about(new ChunkRef("drive" + i, at / Wire.QEMU_CHUNK_SIZE_BYTES));
            }
        }
        return Verdict.pass(Properties.IDENTICAL);
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
        try {
            QemuRun.deleteTree(dir);
        } catch (IOException | java.io.UncheckedIOException e) {
            // a temporary directory left behind is not a failed check
        }
    }
}
