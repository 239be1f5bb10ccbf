// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiverTest {
    static final int MIB = 1 << 20;
    static final Record EOS = Record.EndOfSection.INSTANCE;
    static final Path QEMU = Path.of("../protocol/src/test/resources/qemu72");

    @TempDir
    Path dir;

    /** A QEMU-framed stream of these payloads (START, then PARTs, the last one END). */
    static byte[] stream(int chunk, List<List<Record>> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), chunk, 3);
        try {
            w.writeHeader("pc-i440fx-7.2");
            w.beginPayload(SectionType.START);
            w.write(EOS);
            w.endPayload();
            for (int i = 0; i < parts.size(); i++) {
                w.beginPayload(i == parts.size() - 1 ? SectionType.END : SectionType.PART);
                for (Record r : parts.get(i)) {
                    w.write(r);
                }
                w.endPayload();
            }
            w.writeEof();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Record.DeviceBlock block(String dev, long sector, int chunk, int fill) {
        byte[] b = new byte[chunk];
        Arrays.fill(b, (byte) fill);
        return new Record.DeviceBlock(sector, dev, ByteBuffer.wrap(b));
    }

    static List<Record> end() {
        return List.of(new Record.Progress(100), EOS);
    }

    static byte[] gunzip(String name) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(QEMU.resolve(name)))) {
            return in.readAllBytes();
        }
    }

    @Test
    void aPartialLastChunkWritesExactlyItsTailAndKeepsTheFileLength() throws IOException {
        Path p = dir.resolve("t.img");
        long size = (3L << 20) + 1536;
        try (FileDisk t = FileDisk.create("drive0", p, size)) {
            byte[] s = stream(MIB, List.of(List.of(block("drive0", 6144, MIB, 0x5a), EOS), end()));
            List<Long> progress = new ArrayList<>();
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t), MIB, Set.of(), progress::add).receive(new ByteArrayInputStream(s));
            assertTrue(r.complete(), r.toString());
            assertEquals(List.of(100L), progress);
        }
        byte[] img = Files.readAllBytes(p);
        assertEquals(size, img.length);
        for (int i = 0; i < img.length; i++) {
            assertEquals(i >= 3 << 20 ? 0x5a : 0, img[i] & 0xff, "byte " + i);
        }
    }

    @Test
    void theQemuDestinationBugFailsOnThePartialChunk() throws IOException {
        Disk t = new SparseMemoryDisk("drive0", (3L << 20) + 1536);
        byte[] s = stream(MIB, List.of(List.of(block("drive0", 6144, MIB, 1), EOS), end()));
        ReceiveResult r = new BlockReceiver(Map.of("drive0", t), MIB, Set.of(ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE), p -> {})
                .receive(new ByteArrayInputStream(s));
        assertFalse(r.complete());
        assertTrue(r.reason().contains("write to 'drive0' at sector 6144 failed"), r.reason());
    }

    @Test
    void zeroBlocksWriteZerosAndKeepHoles() throws Exception {
        Path p = dir.resolve("z.img");
        try (FileDisk t = FileDisk.create("drive0", p, 32L << 20)) {
            t.write(0, ByteBuffer.wrap(new byte[4096]).put(0, (byte) 9));
            List<Record> zeros = new ArrayList<>();
            for (int c = 0; c < 32; c++) {
                zeros.add(new Record.ZeroBlock(c * 2048L, "drive0"));
            }
            zeros.add(EOS);
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t)).receive(new ByteArrayInputStream(stream(MIB, List.of(zeros, end()))));
            assertTrue(r.complete(), r.toString());
            assertEquals(32, r.zeroBlocks());
        }
        byte[] img = Files.readAllBytes(p);
        assertEquals(-1, java.util.Arrays.mismatch(img, new byte[img.length]), "all zero");
        Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        long blocks = Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim());
        assertTrue(blocks * 512 <= 128 * 1024, "32 MiB of zero blocks allocate only the 64 KiB that held data: " + blocks * 512 + " bytes allocated");
    }

    @Test
    void blocksTheTargetsRefuseEndTheReceiveBeforeAnythingIsWritten() {
        for (Record bad : List.of(block("drive9", 0, 4096, 1), block("drive0", 3, 4096, 1), block("drive0", 64, 4096, 1),
                new Record.ZeroBlock(1L << 40, "drive0"))) {
            SparseMemoryDisk t = new SparseMemoryDisk("drive0", 32 * 1024);
            byte[] s = stream(4096, List.of(List.of(bad, EOS), end()));
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t), 4096, Set.of(), p -> {}).receive(new ByteArrayInputStream(s));
            assertFalse(r.complete(), bad.toString());
            assertTrue(r.reason().contains("unknown device 'drive9'") || r.reason().contains("not chunk-aligned")
                    || r.reason().contains("is outside 'drive0'"), r.reason());
            assertEquals(0, t.pageCount(), "nothing written for " + bad);
            assertTrue(r.offsetBytes() > 0);
        }
    }

    @Test
    void unknownFlagsAndAStreamWithoutStartAreIncomplete() {
        SparseMemoryDisk t = new SparseMemoryDisk("drive0", 32 * 1024);
        byte[] s = stream(4096, List.of(List.of(new Record.Progress(5), EOS), end()));
        int firstPart = 8 + 1 + 4 + 13 + 19 + 8 + 5 + 5; // header, configuration, START + EOS + footer, PART header
        ByteBuffer.wrap(s).putLong(firstPart, (5L << 9) | 0x4 | 0x40);
        ReceiveResult r = new BlockReceiver(Map.of("drive0", t), 4096, Set.of(), p -> {}).receive(new ByteArrayInputStream(s));
        assertFalse(r.complete());
        assertTrue(r.reason().contains("reserved flag bits 0x40"), r.reason());
        assertEquals(firstPart, r.offsetBytes());
    }

    @Test
    void truncationAtAnyOffsetIsIncompleteWithAReason() {
        byte[] s = stream(4096, List.of(List.of(block("drive0", 0, 4096, 1), new Record.Progress(50), EOS),
                List.of(block("drive0", 8, 4096, 2), new Record.Progress(100), EOS)));
        for (int cut = 0; cut < s.length - 1; cut += 7) {
            SparseMemoryDisk t = new SparseMemoryDisk("drive0", 32 * 1024);
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t), 4096, Set.of(), p -> {})
                    .receive(new ByteArrayInputStream(Arrays.copyOf(s, cut)));
            assertFalse(r.complete(), "cut at " + cut);
            assertFalse(r.reason().isEmpty());
        }
        SparseMemoryDisk t = new SparseMemoryDisk("drive0", 32 * 1024);
        assertTrue(new BlockReceiver(Map.of("drive0", t), 4096, Set.of(), p -> {}).receive(new ByteArrayInputStream(s)).complete());
        ReceiveResult lying = new BlockReceiver(Map.of("drive0", t), 4096, Set.of(ReceiverMutant.COMPLETE_AT_END_OF_INPUT), p -> {})
                .receive(new ByteArrayInputStream(Arrays.copyOf(s, s.length - 40)));
        assertTrue(lying.complete(), "the mutant claims completion it did not earn");
    }

    @Test
    void realQemu72StreamsRebuildTheExactSourceImages() throws IOException {
        for (String[] c : new String[][] {{"stream8m.bin.gz", "src8m.img.gz"}, {"stream3m.bin.gz", "src3m.img.gz"}}) {
            byte[] source = gunzip(c[1]);
            SparseMemoryDisk t = new SparseMemoryDisk("drive0", source.length);
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t)).receive(new ByteArrayInputStream(gunzip(c[0])));
            assertTrue(r.complete(), c[0] + ": " + r);
            ByteBuffer img = ByteBuffer.allocate(source.length);
            t.read(0, img);
            assertArrayEquals(source, img.array(), c[0]);
            assertEquals(100, r.lastProgress());
        }
    }

    @Test
    void withAWritePipelineTheSameStreamsGiveTheSameImages() throws IOException {
        for (String[] c : new String[][] {{"stream8m.bin.gz", "src8m.img.gz"}, {"stream3m.bin.gz", "src3m.img.gz"}}) {
            byte[] source = gunzip(c[1]);
            SparseMemoryDisk t = new SparseMemoryDisk("drive0", source.length);
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t), MIB, Set.of(), p -> {}, 4)
                    .receive(new ByteArrayInputStream(gunzip(c[0])));
            assertTrue(r.complete(), c[0] + ": " + r);
            ByteBuffer img = ByteBuffer.allocate(source.length);
            t.read(0, img);
            assertArrayEquals(source, img.array(), c[0]);
        }
        // later blocks of one chunk land after earlier ones: the writer keeps the stream's order
        List<Record> same = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            same.add(block("drive0", 0, 4096, i));
            same.add(new Record.ZeroBlock(8, "drive0"));
            same.add(block("drive0", 8, 4096, 100 + i));
        }
        same.add(EOS);
        SparseMemoryDisk t = new SparseMemoryDisk("drive0", 16 * 1024);
        ReceiveResult r = new BlockReceiver(Map.of("drive0", t), 4096, Set.of(), p -> {}, 2)
                .receive(new ByteArrayInputStream(stream(4096, List.of(same, end()))));
        assertTrue(r.complete(), r.toString());
        ByteBuffer b = ByteBuffer.allocate(8192);
        t.read(0, b);
        assertEquals(20, b.get(0));
        assertEquals(120, b.get(4096));
    }

    @Test
    void aWriteErrorOnTheWriterThreadEndsTheReceiveIncompleteAtItsBlock() throws IOException {
        Disk t = new SparseMemoryDisk("drive0", (3L << 20) + 1536);
        byte[] s = stream(MIB, List.of(List.of(block("drive0", 0, MIB, 1), block("drive0", 2048, MIB, 2),
                block("drive0", 6144, MIB, 3), block("drive0", 4096, MIB, 4), EOS), end()));
        ReceiveResult r = new BlockReceiver(Map.of("drive0", t), MIB, Set.of(ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE), p -> {}, 2)
                .receive(new ByteArrayInputStream(s));
        assertFalse(r.complete());
        assertTrue(r.reason().contains("write to 'drive0' at sector 6144 failed"), r.reason());
        assertTrue(r.offsetBytes() > 2L * MIB && r.offsetBytes() < 3L * MIB + 100, "the failing block's offset: " + r.offsetBytes());
        long threads = Thread.getAllStackTraces().keySet().stream().filter(x -> x.getName().equals("blkmig-target-writer")
                && x.isAlive()).count();
        assertEquals(0, threads, "the writer thread has stopped");
    }

    @Test
    void aWriteErrorOnTheTargetIsIncomplete() throws IOException {
        Path p = dir.resolve("ro.img");
        Files.write(p, new byte[1 << 20]);
        try (FileDisk t = FileDisk.open("drive0", p, false)) {
            byte[] s = stream(MIB, List.of(List.of(block("drive0", 0, MIB, 1), EOS), end()));
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t)).receive(new ByteArrayInputStream(s));
            assertFalse(r.complete());
            assertTrue(r.reason().contains("opened read-only"), r.reason());
        }
        assertEquals("a\\x00b", BlockReceiver.printable("a\u0000b"));
    }
}
