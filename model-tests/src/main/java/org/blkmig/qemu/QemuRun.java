// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.protocol.Wire;
import org.blkmig.qemu.QemuProcess;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;

/**
 * One {@link QemuScenario} on the real QEMU 7.2: a source QEMU with no guest migrates its disks
 * ({@code migrate -b}, into a file through {@code exec:cat}) while {@code qemu-io} writes on its
 * monitor; the stream then goes to blkmig's receiver and/or a destination QEMU. The run is judged
 * from the images (the source's as QEMU left them, each target), the stream (the oracle's decoder
 * and StreamChecker) and what each QEMU said: never from the receiver's bookkeeping.
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

    /** The properties of a real run; the shared ones keep the simulation's names and meaning. */
    public enum Property {
        SETUP("setup", "the scenario's images are made and its QEMUs start"),
        NO_HANG("no-hang", "the migration and each destination reach a final state within the scenario's deadline"),
        EXPLAINED_FAILURE(Properties.EXPLAINED_FAILURE.id(), "with no fault injected, the source's migration completes and"
                + " its QEMU stays up"),
        PROTOCOL(Properties.PROTOCOL.id(), Properties.PROTOCOL.promise()),
        PROGRESS(Properties.PROGRESS.id(), Properties.PROGRESS.promise()),
        RECEIVER_MATCHES_STREAM("receiver-matches-stream", "when QEMU says completed, blkmig's target equals what the stream"
                + " carries (the oracle's own rebuild of it), whether or not QEMU put its disks into the stream faithfully"),
        IDENTICAL(Properties.IDENTICAL.id(), "when QEMU says completed, every target a destination completed equals its"
                + " source as QEMU left it"),
        CHUNK_COVERAGE(Properties.CHUNK_COVERAGE.id(), "when QEMU says completed, its stream carried every chunk (of a"
                + " qcow2 top: every chunk the top held)"),
        HONEST_COMPLETION(Properties.HONEST_COMPLETION.id(), "each destination's own verdict (blkmig's receiver: complete;"
                + " QEMU: completed) is a success exactly when the source QEMU said completed");

        public final String id;
        public final String reason;

        Property(String id, String reason) {
            this.id = id;
            this.reason = reason;
        }
    }

    /** {@code cause}: what a finding is named by, without the run's numbers (the evidence keeps them). */
    public record Verdict(Property property, boolean passed, String evidence, String cause) {
        @Override
        public String toString() {
            return (passed ? "PASS " : "FAIL ") + property.id + (evidence.isEmpty() ? "" : ": " + evidence);
        }
    }

    /** What happened, for reports: the source's status, what the stream carried, each destination's verdict. */
    /**
     * {@code faithfulStream}: the completed stream carries every source disk as QEMU left it (the
     * oracle's rebuild equals it); false is QEMU's own defect (a lost write, early completion).
     */
    public record Facts(String sourceStatus, int writesIssued, long streamBytes, int chunksNeeded, int chunksSent,
            String blkmigVerdict, String qemuVerdict, long migrationMillis, long wallMillis, boolean faithfulStream) {}

    public record Outcome(QemuScenario scenario, Destination destination, List<Verdict> verdicts, Facts facts) {
        public boolean passed() {
            return verdicts.stream().allMatch(Verdict::passed);
        }

        public Verdict firstFailure() {
            return verdicts.stream().filter(v -> !v.passed()).findFirst().orElseThrow();
        }

        /**
         * The finding's name: the first failed property and its cause; chunks never sent are the root
         * of whatever else failed with them.
         */
        public String key() {
            Verdict first = firstFailure();
            for (Verdict v : verdicts) {
                if (!v.passed() && v.property() == Property.CHUNK_COVERAGE) {
                    return first.property().id + ": completed with chunks never sent (early completion)";
                }
            }
            return first.property().id + ": " + first.cause();
        }

        public String report() {
            Verdict f = firstFailure();
            return "property " + f.property().id + " failed: " + f.evidence() + "\n  scenario: " + scenario + "\n  replay:   "
                    + replayCommand(scenario, destination);
        }
    }

    public static String replayCommand(QemuScenario s, Destination d) {
        return "./blkmig qemu-campaign --scenario '" + s + "' --destination " + d.cliName();
    }

    static final int CHUNK = Wire.QEMU_CHUNK_SIZE_BYTES;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DESTINATION_TIMEOUT = Duration.ofSeconds(60);

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
            return new Runner(s, dest, dir, deadline).run();
        } catch (java.io.InterruptedIOException e) {
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
        String message = message(e);
        return new Outcome(s, dest, List.of(fail(Property.SETUP, message, message.lines().findFirst().orElse(""))),
                new Facts("not run", 0, 0, 0, 0, "not run", "not run", 0, 0, false));
    }

    /** An exception's message; one without (a closed channel's) is named by its class. */
    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Deletes a directory and all it holds. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static final class Runner {
        final QemuScenario s;
        final Destination dest;
        final Path dir;
        final List<QemuProcess.Drive> drives = new ArrayList<>();
        final Map<String, Long> sizes = new LinkedHashMap<>();
        final List<Path> bases = new ArrayList<>();
        /** Chunks the bulk pass must send, as device@sector, in disk order. */
        final Set<String> needed = new java.util.LinkedHashSet<>();
        final List<Verdict> verdicts = new ArrayList<>();
        final Path stream;
        final AtomicBoolean hung = new AtomicBoolean();

        final Duration deadline;

        Runner(QemuScenario s, Destination dest, Path dir, Duration deadline) {
            this.deadline = deadline;
            this.s = s;
            this.dest = dest;
            this.dir = dir;
            this.stream = dir.resolve("stream.bin");
        }

        Outcome run() throws IOException {
            long t0 = System.nanoTime();
            prepareImages();
            String status;
            String sourceProblem = null;
            int writes;
            long migrationMillis;
            ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "qemu-watchdog");
                t.setDaemon(true);
                return t;
            });
            try {
                QemuProcess src = QemuProcess.start(dir, drives, null, s.ramMiB());
                var kill = watchdog.schedule(() -> {
                    hung.set(true);
                    try {
                        src.kill();
                    } catch (IOException e) {
                        // killed anyway
                    }
                }, deadline.toMillis(), TimeUnit.MILLISECONDS);
                long m0 = System.nanoTime();
                int[] issued = {0};
                try {
                    status = migrate(src, issued);
                } catch (IOException e) {
                    status = hung.get() ? "hung" : "died";
                    sourceProblem = e.getMessage();
                } finally {
                    kill.cancel(false);
                    migrationMillis = (System.nanoTime() - m0) / 1_000_000;
                    writes = issued[0];
                    src.close(); // after the watchdog's kill too: it only forgets the process
                }
                String crash = crashLine(src.log());
                if (crash != null) {
                    status = status.equals("completed") ? "completed" : "died";
                    sourceProblem = crash;
                }
            } finally {
                watchdog.shutdownNow();
            }
            boolean completed = status.equals("completed");
            if (status.equals("hung")) {
                verdicts.add(fail(Property.NO_HANG, "the source's migration was still running after " + deadline.toMillis()
                        + " ms (QEMU killed)", "the source's migration hung"));
            }
            if (status.equals("hung")) {
                verdicts.add(na(Property.EXPLAINED_FAILURE, "it hung"));
            } else if (!completed || sourceProblem != null) {
                String what = status.equals("died") ? "died" : "ended " + status;
                verdicts.add(fail(Property.EXPLAINED_FAILURE, "the source QEMU " + what + (sourceProblem == null ? "" : ": "
                        + sourceProblem), "the source qemu " + what + (sourceProblem == null ? "" : ": " + sourceProblem)));
            } else {
                verdicts.add(pass(Property.EXPLAINED_FAILURE));
            }
            OracleStream d = OracleStream.decode(() -> Files.newInputStream(stream), sizes, CHUNK, completed);
            for (org.blkmig.model.judge.Verdict v : List.of(Properties.PROTOCOL.judge(d, completed),
                    Properties.PROGRESS.judge(d, completed))) {
                Property p = v.property() == Properties.PROTOCOL ? Property.PROTOCOL : Property.PROGRESS;
                verdicts.add(v.passed() ? pass(p) : fail(p, v.evidence(), v.evidence()));
            }
            Set<String> sent = new HashSet<>();
            d.blocks().forEach(b -> sent.add(b.device() + "@" + b.sector()));

            List<Path> expected = sourceImagesAsLeft();
            Map<String, Path> carried = completed && d.error() == null ? carried() : null;
            boolean faithful = carried != null && differences("the stream's content", List.copyOf(carried.values()), expected)
                    .isEmpty();
            List<String> identical = new ArrayList<>();
            List<String> honest = new ArrayList<>();
            String honestCause = null;
            String blkmigVerdict = "not run";
            String qemuVerdict = "not run";
            if (dest.blkmig()) {
                ReceiveResult r = receiveWithBlkmig();
                blkmigVerdict = r.complete() ? "complete" : "incomplete: " + r.reason();
                if (r.complete() != completed) {
                    honest.add("the source QEMU said " + status + " but blkmig's receiver says " + blkmigVerdict);
                    honestCause = "blkmig's receiver says " + (r.complete() ? "complete" : "incomplete") + " where the source "
                            + status + (r.complete() ? "" : ": " + r.reason());
                }
                if (carried == null) {
                    verdicts.add(na(Property.RECEIVER_MATCHES_STREAM, completed ? "the oracle rejects the stream"
                            : "the migration did not complete"));
                } else {
                    List<String> off = differences("blkmig's target", blkmigTargets(), List.copyOf(carried.values()));
                    verdicts.add(off.isEmpty() ? pass(Property.RECEIVER_MATCHES_STREAM) : fail(Property.RECEIVER_MATCHES_STREAM,
                            off.get(0) + " from the oracle's rebuild of the stream", "blkmig's target differs from what the"
                            + " stream carries"));
                }
                if (completed) {
                    compare("blkmig's target", blkmigTargets(), expected, sent, identical);
                }
            }
            if (dest.qemu()) {
                String[] v = loadIntoQemu();
                qemuVerdict = v[0] + (v[1] == null ? "" : ": " + v[1]);
                if (v[0].equals("completed") != completed) {
                    honest.add("the source QEMU said " + status + " but the destination QEMU says " + qemuVerdict);
                    if (honestCause == null) {
                        honestCause = "the destination qemu " + v[0] + " where the source " + status
                                + (v[1] == null ? "" : ": " + v[1].split(" / ")[0]);
                    }
                }
                if (v[0].equals("hung")) {
                    verdicts.add(0, fail(Property.NO_HANG, "the destination QEMU was still loading after "
                            + DESTINATION_TIMEOUT.toSeconds() + " s (QEMU killed)", "the destination qemu hung"));
                }
                if (completed && v[0].equals("completed")) {
                    compare("the destination QEMU's disk", qemuTargetsFlat(), expected, sent, identical);
                }
            }
            verdicts.add(!identical.isEmpty() ? fail(Property.IDENTICAL, String.join("; ", identical),
                    "a target differs from its source" + (identical.get(0).contains("never carried") ? " where the stream"
                            + " carried nothing" : " in a chunk the stream carried") + (carried != null && !faithful
                            ? " (QEMU's stream does not carry its source as QEMU left it)" : ""))
                    : completed ? pass(Property.IDENTICAL) : na(Property.IDENTICAL, "the migration did not complete"));
            List<String> unsent = needed.stream().filter(c -> !sent.contains(c)).toList();
            int neededCount = needed.size();
            verdicts.add(!completed ? na(Property.CHUNK_COVERAGE, "the migration did not complete")
                    : unsent.isEmpty() ? pass(Property.CHUNK_COVERAGE)
                    : fail(Property.CHUNK_COVERAGE, unsent.size() + " of " + neededCount + " chunks were never sent, the first "
                            + unsent.get(0).replace("@", " at sector "), "completed with chunks never sent"));
            verdicts.add(honest.isEmpty() ? pass(Property.HONEST_COMPLETION)
                    : fail(Property.HONEST_COMPLETION, String.join("; ", honest), honestCause));
            Facts facts = new Facts(status, writes, Files.exists(stream) ? Files.size(stream) : 0, neededCount,
                    (int) needed.stream().filter(sent::contains).count(), blkmigVerdict, qemuVerdict, migrationMillis,
                    (System.nanoTime() - t0) / 1_000_000, faithful);
            return new Outcome(s, dest, List.copyOf(verdicts), facts);
        }

        // ---- images ----

        void prepareImages() throws IOException {
            for (int i = 0; i < s.devices().size(); i++) {
                QemuScenario.Device dev = s.devices().get(i);
                String name = QemuScenario.name(i);
                sizes.put(name, dev.sizeBytes());
                SplittableRandom r = new SplittableRandom(s.seed() * 31 + i);
                Path content = dir.resolve(name + (s.incremental() ? ".base.raw" : ".src.raw"));
                writeContent(content, dev, r);
                if (!s.incremental()) {
                    drives.add(QemuProcess.Drive.raw(name, content));
                    for (long c = 0; c * CHUNK < dev.sizeBytes(); c++) {
                        needed.add(name + "@" + c * (CHUNK / QemuScenario.SECTOR_BYTES));
                    }
                    continue;
                }
                bases.add(content);
                Path top = dir.resolve(name + ".top.qcow2");
                QemuProcess.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", content.toString(), "-F", "raw",
                        top.toString());
                // the top's own data: a few written regions and a zero cluster over the base's data
                List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
                long sectors = dev.sizeBytes() / QemuScenario.SECTOR_BYTES;
                for (int k = 0; k < 1 + r.nextInt(4); k++) {
                    long len = Math.min(sectors, 1 + r.nextInt(512));
                    long off = r.nextLong(sectors - len + 1);
                    cmd.add("-c");
                    cmd.add(k == 0 ? "write -z " + off * 512 + " " + len * 512
                            : "write -P 0x" + Integer.toHexString(1 + r.nextInt(255)) + " " + off * 512 + " " + len * 512);
                }
                cmd.add(top.toString());
                QemuProcess.run(dir, cmd.toArray(String[]::new));
                drives.add(new QemuProcess.Drive(name, top, "qcow2"));
                // the bulk pass sends each chunk the top holds any of (QEMU checks the top alone)
                JsonNode map = JSON.readTree(QemuProcess.run(dir, "qemu-img", "map", "--output=json", "-f", "qcow2",
                        top.toString()));
                for (JsonNode e : map) {
                    if (e.path("depth").asInt(-1) == 0) {
                        long start = e.get("start").asLong();
                        long end = start + e.get("length").asLong();
                        for (long c = start / CHUNK; c * CHUNK < end; c++) {
                            needed.add(name + "@" + c * (CHUNK / QemuScenario.SECTOR_BYTES));
                        }
                    }
                }
            }
        }

        static void writeContent(Path file, QemuScenario.Device dev, SplittableRandom r) throws IOException {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); FileChannel ch = raf.getChannel()) {
                raf.setLength(dev.sizeBytes());
                if (dev.content() == QemuScenario.Content.RANDOM) {
                    fillRandom(ch, 0, dev.sizeBytes(), r);
                } else {
                    long sectors = dev.sizeBytes() / QemuScenario.SECTOR_BYTES;
                    long regions = 1 + dev.sizeBytes() / (4 * QemuScenario.MIB);
                    for (long k = 0; k < regions; k++) {
                        long len = Math.min(sectors, 8 + r.nextInt(2041));
                        long off = r.nextLong(sectors - len + 1);
                        fillRandom(ch, off * 512, len * 512, r);
                    }
                }
            }
        }

        private static void fillRandom(FileChannel ch, long at, long length, SplittableRandom r) throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) QemuScenario.MIB).order(ByteOrder.LITTLE_ENDIAN);
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(b.capacity(), length - done);
                b.clear();
                while (b.remaining() >= 8) {
                    b.putLong(r.nextLong());
                }
                b.clear().limit(n);
                while (b.hasRemaining()) {
                    done += ch.write(b, at + done);
                }
            }
        }

        /** What the source's disks hold now, as raw files (a qcow2 top flattened over its base). */
        List<Path> sourceImagesAsLeft() throws IOException {
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < drives.size(); i++) {
                out.add(flat(drives.get(i), "expected"));
            }
            return out;
        }

        Path flat(QemuProcess.Drive d, String what) throws IOException {
            if (d.format().equals("raw")) {
                return d.image();
            }
            Path out = dir.resolve(d.id() + "." + what + ".raw");
            QemuProcess.run(dir, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", d.image().toString(), out.toString());
            return out;
        }

        // ---- the source ----

        /** Migrates, making each guest write once the disk progress reaches its point; the final status. */
        String migrate(QemuProcess q, int[] issued) throws IOException {
            q.setMaxBandwidth(s.bandwidthBytesPerSecond());
            if (s.zeroBlocks()) {
                q.setCapability("zero-blocks", true);
            }
            q.migrate("exec:cat > " + stream, true, s.incremental());
            int next = 0;
            while (true) {
                JsonNode info = q.command("query-migrate", null);
                String st = info.path("status").asText("none");
                if (!st.matches("setup|active|device|none|pre-switchover")) {
                    return st;
                }
                JsonNode disk = info.path("disk");
                long total = disk.path("total").asLong(0);
                int percent = total == 0 ? 0 : (int) (disk.path("transferred").asLong(0) * 100 / total);
                if (st.equals("active") && next < s.writes().size() && s.writes().get(next).atPercent() <= percent) {
                    QemuScenario.Write w = s.writes().get(next++);
                    String drive = QemuScenario.name(w.device());
                    if (w.zero()) {
                        q.qemuIoWriteZeros(drive, w.offsetBytes(), w.lengthBytes());
                    } else {
                        q.qemuIoWrite(drive, w.pattern(), w.offsetBytes(), w.lengthBytes());
                    }
                    issued[0]++;
                    continue;
                }
                sleepMillis(5);
            }
        }

        /** QEMU's own report of dying (an assertion, an abort), if its log has one. */
        static String crashLine(String log) {
            for (String l : log.lines().toList()) {
                if (l.contains("Assertion") || l.contains("assertion") || l.contains("Aborted") || l.contains("core dumped")) {
                    return l.strip();
                }
            }
            return null;
        }

        // ---- the destinations ----

        List<Path> blkmigTargets() {
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < drives.size(); i++) {
                out.add(dir.resolve(QemuScenario.name(i) + ".blkmig.raw"));
            }
            return out;
        }

        ReceiveResult receiveWithBlkmig() throws IOException {
            Map<String, Disk> disks = new LinkedHashMap<>();
            List<Path> targets = blkmigTargets();
            try {
                for (int i = 0; i < drives.size(); i++) {
                    String name = QemuScenario.name(i);
                    if (s.incremental()) {
                        // the destination has the same base: the stream carries only the top
                        Files.copy(bases.get(i), targets.get(i), StandardCopyOption.REPLACE_EXISTING);
                        disks.put(name, FileDisk.open(name, targets.get(i), true));
                    } else {
                        disks.put(name, FileDisk.create(name, targets.get(i), sizes.get(name)));
                    }
                }
                try (InputStream in = Files.newInputStream(stream)) {
                    return new BlockReceiver(disks).receive(in);
                }
            } catch (RuntimeException e) {
                return new ReceiveResult(false, "blkmig's receiver threw " + e, 0, 0, 0, -1, 0);
            } finally {
                for (Disk d : disks.values()) {
                    d.close();
                }
            }
        }

        List<QemuProcess.Drive> qemuTargets() throws IOException {
            List<QemuProcess.Drive> out = new ArrayList<>();
            for (int i = 0; i < drives.size(); i++) {
                String name = QemuScenario.name(i);
                if (s.incremental()) {
                    Path top = dir.resolve(name + ".dst.qcow2");
                    if (!Files.exists(top)) {
                        QemuProcess.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", bases.get(i).toString(), "-F", "raw",
                                top.toString());
                    }
                    out.add(new QemuProcess.Drive(name, top, "qcow2"));
                } else {
                    Path t = dir.resolve(name + ".dst.raw");
                    if (!Files.exists(t)) {
                        try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                            ch.truncate(0);
                            ch.write(ByteBuffer.allocate(1), sizes.get(name) - 1);
                        }
                    }
                    out.add(QemuProcess.Drive.raw(name, t));
                }
            }
            return out;
        }

        List<Path> qemuTargetsFlat() throws IOException {
            List<Path> out = new ArrayList<>();
            for (QemuProcess.Drive d : qemuTargets()) {
                out.add(flat(d, "dst-flat"));
            }
            return out;
        }

        /** The destination QEMU loads the stream: its status ("completed", "failed", "exited", "hung") and its error. */
        String[] loadIntoQemu() throws IOException {
            if (!Files.exists(stream)) {
                return new String[] {"not run", "no stream"};
            }
            String status;
            QemuProcess q;
            try {
                q = QemuProcess.start(dir, qemuTargets(), "exec:cat " + stream, s.ramMiB());
            } catch (IOException e) {
                // it can fail on the stream before its monitor is up
                return new String[] {"failed", errorLines(message(e))};
            }
            String log;
            try {
                try {
                    status = q.awaitIncoming(DESTINATION_TIMEOUT);
                } catch (IOException e) {
                    q.kill();
                    return new String[] {"hung", e.getMessage()};
                }
                // its monitor went away: it is exiting (give it time on a loaded machine), or its monitor broke
                for (int i = 0; status.startsWith("error") && q.alive() && i < 100; i++) {
                    sleepMillis(50);
                }
                if (status.startsWith("error") && !q.alive()) {
                    status = "exited";
                }
                log = q.log();
            } finally {
                q.close();
            }
            if (status.equals("completed")) {
                return new String[] {status, null};
            }
            // failed, or exited on a failed load: one verdict whatever the monitor saw first
            return new String[] {status.equals("exited") ? "failed" : status, errorLines(log)};
        }

        /** QEMU's own error lines, not its progress lines. */
        static String errorLines(String log) {
            return log.lines().filter(l -> l.contains(QemuProcess.BINARY + ":")).map(l -> l.substring(l.indexOf(QemuProcess.BINARY)).strip())
                    .reduce((a, b) -> a + " / " + b).orElse("(nothing in its log)");
        }

        /** The oracle's rebuild of what the completed stream carries (a qcow2 top's over a copy of its base); null if it rejects it. */
        Map<String, Path> carried() throws IOException {
            Map<String, Path> starts = new LinkedHashMap<>();
            for (int i = 0; i < bases.size(); i++) {
                starts.put(QemuScenario.name(i), bases.get(i));
            }
            try {
                return OracleRebuild.rebuild(stream, sizes, starts, CHUNK, dir);
            } catch (Rejected | IOException e) {
                return null;
            }
        }

        /** For each device whose image differs from its expected one: where it first does. */
        List<String> differences(String what, List<Path> images, List<Path> expected) throws IOException {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                long at = Files.mismatch(expected.get(i), images.get(i));
                if (at >= 0) {
                    out.add(what + " " + QemuScenario.name(i) + " differs first at byte " + at);
                }
            }
            return out;
        }

        /** Compares each target with its source as left; a difference names its chunk and whether the stream carried it. */
        void compare(String what, List<Path> targets, List<Path> expected, Set<String> sent, List<String> out) throws IOException {
            for (int i = 0; i < targets.size(); i++) {
                long at = Files.mismatch(expected.get(i), targets.get(i));
                if (at >= 0) {
                    String name = QemuScenario.name(i);
                    long chunk = at / CHUNK;
                    boolean carried = sent.contains(name + "@" + chunk * (CHUNK / QemuScenario.SECTOR_BYTES));
                    out.add(what + " " + name + " differs first at byte " + at + " (chunk " + chunk + ", "
                            + (carried ? "which the stream carried" : "which the stream never carried") + ")");
                    return;
                }
            }
        }
    }

    private static Verdict pass(Property p) {
        return new Verdict(p, true, "", "");
    }

    private static Verdict na(Property p, String why) {
        return new Verdict(p, true, "n/a: " + why, "");
    }

    private static Verdict fail(Property p, String evidence, String cause) {
        // QEMU's messages are long: a finding keeps more of them than the simulation's
        return new Verdict(p, false, evidence, shape(cause.replace(QemuProcess.BINARY + ": ", ""), 20));
    }

    /** QEMU's message without its numbers and names of places, so runs of one failure share it. */
    static String shape(String message, int maxWords) {
        String s = message.replaceAll("drive[0-9]+", "DEV").replaceAll("-?[0-9]+", "#").replaceAll("\\s+", " ").trim();
        String[] words = s.split(" ");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(words.length, maxWords)))
                .toLowerCase(java.util.Locale.ROOT);
    }

    static void sleepMillis(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }
}
