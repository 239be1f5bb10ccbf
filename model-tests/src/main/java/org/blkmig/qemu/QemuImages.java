// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.protocol.Wire;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;

/**
 * One real run's images in its directory, made and read with qemu-img and qemu-io: the source's
 * disks (raw, or a qcow2 top over a raw base with writes of its own), the chunks its bulk pass
 * must send, the targets each destination loads into, and where images differ.
 */
final class QemuImages {
    static final int CHUNK_BYTES = Wire.QEMU_CHUNK_SIZE_BYTES;
    static final long SECTORS_PER_CHUNK = CHUNK_BYTES / QemuScenario.SECTOR_BYTES;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where an image first differs from the one it should equal. */
    record Difference(String device, long atByte) {
        ChunkRef chunk() {
            return new ChunkRef(device, atByte / CHUNK_BYTES);
        }
    }

    private final QemuScenario s;
    private final Path dir;
    private final List<QemuProcess.Drive> drives = new ArrayList<>();
    private final Map<String, Long> sizes = new LinkedHashMap<>();
    /** Each qcow2 top's base, which a destination starts from too; empty for raw images. */
    private final List<Path> bases = new ArrayList<>();
    /** The chunks the bulk pass must send, in disk order. */
    private final Set<ChunkRef> needed = new LinkedHashSet<>();

    private QemuImages(QemuScenario s, Path dir) {
        this.s = s;
        this.dir = dir;
    }

    /** Makes the scenario's source images in {@code dir}. */
    static QemuImages make(QemuScenario s, Path dir) throws IOException {
        QemuImages images = new QemuImages(s, dir);
        for (int i = 0; i < s.devices().size(); i++) {
            images.addDevice(i);
        }
        return images;
    }

    List<QemuProcess.Drive> drives() {
        return Collections.unmodifiableList(drives);
    }

    Map<String, Long> sizes() {
        return Collections.unmodifiableMap(sizes);
    }

    Set<ChunkRef> needed() {
        return Collections.unmodifiableSet(needed);
    }

    // ---- the source ----

    private void addDevice(int i) throws IOException {
        QemuScenario.Device dev = s.devices().get(i);
        String name = QemuScenario.name(i);
        sizes.put(name, dev.sizeBytes());
        SplittableRandom r = new SplittableRandom(s.seed() * 31 + i);
        Path content = dir.resolve(name + (s.incremental() ? ".base.raw" : ".src.raw"));
        writeContent(content, dev, r);
        if (!s.incremental()) {
            drives.add(QemuProcess.Drive.raw(name, content));
            need(name, 0, dev.sizeBytes());
            return;
        }
        bases.add(content);
        Path top = qcow2Top(name, content, dev, r);
        drives.add(new QemuProcess.Drive(name, top, "qcow2"));
        // the bulk pass sends each chunk the top holds any of (QEMU checks the top alone)
        JsonNode map = JSON.readTree(QemuProcess.run(dir, "qemu-img", "map", "--output=json", "-f", "qcow2", top.toString()));
        for (JsonNode e : map) {
            if (e.path("depth").asInt(-1) == 0) {
                long start = e.get("start").asLong();
                need(name, start, start + e.get("length").asLong());
            }
        }
    }

    /** A qcow2 top over {@code base} with its own data: a zero cluster over the base's data and a few written regions. */
    private Path qcow2Top(String name, Path base, QemuScenario.Device dev, SplittableRandom r) throws IOException {
        Path top = dir.resolve(name + ".top.qcow2");
        QemuProcess.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
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
        return top;
    }

    private void need(String device, long fromByte, long toByte) {
        for (long c = fromByte / CHUNK_BYTES; c * CHUNK_BYTES < toByte; c++) {
            needed.add(new ChunkRef(device, c));
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
    List<Path> sourceAsLeft() throws IOException {
        List<Path> out = new ArrayList<>();
        for (QemuProcess.Drive d : drives) {
            out.add(flat(d, "expected"));
        }
        return out;
    }

    private Path flat(QemuProcess.Drive d, String what) throws IOException {
        if (d.format().equals("raw")) {
            return d.image();
        }
        Path out = dir.resolve(d.id() + "." + what + ".raw");
        QemuProcess.run(dir, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", d.image().toString(), out.toString());
        return out;
    }

    /** The oracle's rebuild of what a completed stream carries (a qcow2 top's over a copy of its base); null if it rejects it. */
    Map<String, Path> carried(Path stream) throws IOException {
        Map<String, Path> starts = new LinkedHashMap<>();
        for (int i = 0; i < bases.size(); i++) {
            starts.put(QemuScenario.name(i), bases.get(i));
        }
        try {
            return OracleRebuild.rebuild(stream, sizes, starts, CHUNK_BYTES, dir);
        } catch (Rejected | IOException e) {
            return null;
        }
    }

    // ---- the destinations ----

    List<Path> blkmigTargets() {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < drives.size(); i++) {
            out.add(dir.resolve(QemuScenario.name(i) + ".blkmig.raw"));
        }
        return out;
    }

    /** Opens blkmig's targets into {@code into} (so the caller closes what opened if one fails). */
    void openBlkmigTargets(Map<String, Disk> into) throws IOException {
        List<Path> targets = blkmigTargets();
        for (int i = 0; i < drives.size(); i++) {
            String name = QemuScenario.name(i);
            if (s.incremental()) {
                // the destination has the same base: the stream carries only the top
                Files.copy(bases.get(i), targets.get(i), StandardCopyOption.REPLACE_EXISTING);
                into.put(name, FileDisk.open(name, targets.get(i), true));
            } else {
                into.put(name, FileDisk.create(name, targets.get(i), sizes.get(name)));
            }
        }
    }

    /** The destination QEMU's drives: blank raw images, or a qcow2 top over the shared base; made once. */
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
                    blank(t, sizes.get(name));
                }
                out.add(QemuProcess.Drive.raw(name, t));
            }
        }
        return out;
    }

    /** A sparse file of zeros. */
    static Path blank(Path file, long sizeBytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.write(ByteBuffer.allocate(1), sizeBytes - 1);
        }
        return file;
    }

    List<Path> qemuTargetsFlat() throws IOException {
        List<Path> out = new ArrayList<>();
        for (QemuProcess.Drive d : qemuTargets()) {
            out.add(flat(d, "dst-flat"));
        }
        return out;
    }

    /** For each device whose image differs from its expected one (in device order): where it first does. */
    static List<Difference> differences(List<Path> images, List<Path> expected) throws IOException {
        List<Difference> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            long at = Files.mismatch(expected.get(i), images.get(i));
            if (at >= 0) {
                out.add(new Difference(QemuScenario.name(i), at));
            }
        }
        return out;
    }
}
