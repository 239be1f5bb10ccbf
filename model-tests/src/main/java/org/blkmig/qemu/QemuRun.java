// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Verdict;
import org.blkmig.receiver.ReceiveResult;

/**
 * One {@link QemuScenario} on the real QEMU 7.2: a source QEMU with no guest migrates its disks
 * ({@code migrate -b}, into a file through {@code exec:cat}) while {@code qemu-io} writes on its
 * monitor; the stream then goes to blkmig's receiver and/or a destination QEMU. The images are
 * {@link QemuImages}' job, the processes {@link QemuMigration}'s, the verdicts {@link QemuJudge}'s.
 */
public final class QemuRun {
    private QemuRun() {}

    public enum Destination {
        BLKMIG, QEMU, BOTH;

        public boolean blkmig() {
            return this != QEMU;
        }

        public boolean qemu() {
            return this != BLKMIG;
        }

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Destination parse(String s) {
            for (Destination d : values()) {
                if (d.cliName().equals(s)) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown destination '" + s + "' (expected blkmig, qemu or both)");
        }
    }

    /**
     * What happened, for reports: how the source ended and what QEMU reported, the guest writes
     * issued, what the stream carried, each destination's ending ({@code blkmig} null and
     * {@code qemu} NOT_RUN when not in the run). {@code faithfulStream}: the completed stream
     * carries every source disk as QEMU left it (the oracle's rebuild equals it); false is QEMU's
     * own defect (a lost write, early completion).
     */
    public record Facts(Ending source, QemuError sourceError, int writesIssued, long streamBytes, int chunksNeeded,
            int chunksSent, ReceiveResult blkmig, QemuLoad qemu, long migrationMillis, long wallMillis, boolean faithfulStream) {

        static final Facts NOT_RUN = new Facts(Ending.NOT_RUN, QemuError.NONE, 0, 0, 0, 0, null, QemuLoad.NOT_RUN, 0, 0, false);

        /** blkmig's receiver's ending as people read it. */
        public String blkmigVerdict() {
            return blkmig == null ? Ending.NOT_RUN.word() : QemuJudge.receiverWord(blkmig);
        }

        /** The destination QEMU's ending as people read it. */
        public String qemuVerdict() {
            return qemu.toString();
        }
    }

    public record Outcome(QemuScenario scenario, Destination destination, List<Verdict> verdicts, Facts facts) {
        public Outcome {
            verdicts = List.copyOf(verdicts);
        }

        public boolean passed() {
            return verdicts.stream().allMatch(Verdict::passed);
        }

        public Verdict firstFailure() {
            return verdicts.stream().filter(v -> !v.passed()).findFirst().orElseThrow();
        }

        /** The finding's name, from the verdicts' typed fields. */
        public FindingKey key() {
            return FindingKey.of(verdicts);
        }

        public String report() {
            Verdict f = firstFailure();
            return "property " + f.property().id() + " failed: " + f.evidence() + "\n  scenario: " + scenario + "\n  replay:   "
                    + replayCommand(scenario, destination);
        }
    }

    public static String replayCommand(QemuScenario s, Destination d) {
        return "./blkmig qemu-campaign --scenario '" + s + "' --destination " + d.cliName();
    }

    /** The source's deadline: well past what its bandwidth needs. */
    static Duration deadline(QemuScenario s) {
        return Duration.ofSeconds(30 + 4 * s.totalBytes() / s.bandwidthBytesPerSecond());
    }

    /** Runs and judges the scenario in a new directory under {@code root}, which it leaves empty. */
    public static Outcome run(QemuScenario s, Destination dest, Path root) throws IOException {
        return run(s, dest, root, deadline(s));
    }

    /** As {@link #run(QemuScenario, Destination, Path)}, killing the source QEMU if its migration runs past {@code deadline}. */
    public static Outcome run(QemuScenario s, Destination dest, Path root, Duration deadline) throws IOException {
        Path dir = Files.createTempDirectory(root, "scenario");
        try {
            return runIn(s, dest, dir, deadline);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            // a run that cannot be carried out is a finding of its own, not the campaign's end
            return setupFailed(s, dest, e);
        } finally {
            deleteTree(dir);
        }
    }

    /** The outcome of a run that could not be carried out: its setup verdict names what failed. */
    static Outcome setupFailed(QemuScenario s, Destination dest, IOException e) {
        return new Outcome(s, dest, List.of(QemuJudge.setupFailed(e)), Facts.NOT_RUN);
    }

    private static Outcome runIn(QemuScenario s, Destination dest, Path dir, Duration deadline) throws IOException {
        long t0 = System.nanoTime();
        Path stream = dir.resolve("stream.bin");
        QemuImages images = QemuImages.make(s, dir);
        QemuMigration.Source source = QemuMigration.source(s, images.drives(), dir, stream, deadline);
        boolean completed = source.completed();
        OracleStream d = OracleStream.decode(() -> Files.newInputStream(stream), images.sizes(), QemuImages.CHUNK_BYTES,
                completed);
        List<Path> expected = images.sourceAsLeft();
        Map<String, Path> carried = completed && d.error() == null ? images.carried(stream) : null;
        List<Path> rebuilt = carried == null ? null : List.copyOf(carried.values());
        List<QemuImages.Difference> streamVsSource = rebuilt == null ? null : QemuImages.differences(rebuilt, expected);
        ReceiveResult blkmig = null;
        List<QemuImages.Difference> blkmigVsStream = null;
        List<QemuImages.Difference> blkmigVsSource = List.of();
        if (dest.blkmig()) {
            blkmig = QemuMigration.receive(stream, images::openBlkmigTargets);
            blkmigVsStream = rebuilt == null ? null : QemuImages.differences(images.blkmigTargets(), rebuilt);
            blkmigVsSource = completed ? QemuImages.differences(images.blkmigTargets(), expected) : List.of();
        }
        QemuLoad qemu = QemuLoad.NOT_RUN;
        List<QemuImages.Difference> qemuVsSource = List.of();
        if (dest.qemu()) {
            qemu = QemuMigration.load(dir, images.qemuTargets(), stream, s.ramMiB());
            qemuVsSource = completed && qemu.completed() ? QemuImages.differences(images.qemuTargetsFlat(), expected) : List.of();
        }
        QemuJudge.Observed o = new QemuJudge.Observed(deadline, source, d, images.needed(), streamVsSource, blkmig,
                blkmigVsStream, blkmigVsSource, dest.qemu() ? qemu : null, qemuVsSource);
        Set<ChunkRef> sent = QemuJudge.sent(d);
        Facts facts = new Facts(source.ending(), source.error(), source.writesIssued(), Files.exists(stream) ? Files.size(stream)
                : 0, images.needed().size(), (int) images.needed().stream().filter(sent::contains).count(), blkmig, qemu,
                source.migrationMillis(), (System.nanoTime() - t0) / 1_000_000, o.faithful());
        return new Outcome(s, dest, new QemuJudge(o).verdicts(), facts);
    }

    /** Deletes a directory and all it holds. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
