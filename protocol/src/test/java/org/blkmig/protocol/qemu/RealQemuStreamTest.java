// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.check.StreamChecker;
import org.junit.jupiter.api.Test;

/** Streams made by a real QEMU 7.2 (see src/test/resources/qemu72/README.md). */
class RealQemuStreamTest {

    record Extracted(List<String> blocks, byte[] image, List<String> sections, List<Long> progress) {}

    /** Applies every block of the stream to an image of the given size, writing only in-bounds bytes. */
    static Extracted extract(byte[] stream, int imageBytes) throws IOException {
        QemuStreamReader reader = new QemuStreamReader(ByteInput.of(stream));
        byte[] image = new byte[imageBytes];
        List<String> blocks = new ArrayList<>();
        List<String> sections = new ArrayList<>();
        List<Long> progress = new ArrayList<>();
        QemuEvent e;
        while ((e = reader.next()) != null) {
            if (e instanceof QemuEvent.SectionBegin b) {
                sections.add(b.type() + " " + b.idstr());
            } else if (e instanceof QemuEvent.BlockRecord r) {
                if (r.record() instanceof Record.DeviceBlock d) {
                    blocks.add(d.device() + "@" + d.sector());
                    long start = d.sector() * Wire.SECTOR_SIZE_BYTES;
                    int len = (int) Math.min(Wire.QEMU_CHUNK_SIZE_BYTES, imageBytes - start);
                    d.data().duplicate().get(image, (int) start, len);
                } else if (r.record() instanceof Record.Progress p) {
                    progress.add(p.percent());
                }
            }
        }
        return new Extracted(blocks, image, sections, progress);
    }

    @Test
    void an8MiBStreamYieldsExactlyTheBlocksQemuSentAndTheImage() throws IOException {
        byte[] source = TestStreams.resource("src8m.img.gz");
        Extracted x = extract(TestStreams.resource("stream8m.bin.gz"), source.length);
        List<String> expected = new ArrayList<>();
        for (int chunk = 0; chunk < 8; chunk++) {
            expected.add("drive0@" + chunk * 2048L);
        }
        assertEquals(expected, x.blocks());
        assertArrayEquals(source, x.image());
        assertEquals(List.of(0L, 12L, 25L, 37L, 50L, 62L, 75L, 87L, 100L), x.progress());
        assertEquals("START block", x.sections().get(0));
        assertEquals("START ram", x.sections().get(1));
        assertTrue(x.sections().contains("END block"));
        assertTrue(x.sections().stream().anyMatch(s -> s.startsWith("FULL ")), "device state sections walked");
    }

    @Test
    void theCheckerAcceptsRealQemuStreams() throws IOException {
        assertEquals(List.of(), StreamChecker.checkQemuStream(ByteInput.of(TestStreams.resource("stream8m.bin.gz")),
                Map.of("drive0", 8L << 20), Wire.QEMU_CHUNK_SIZE_BYTES));
        assertEquals(List.of(), StreamChecker.checkQemuStream(ByteInput.of(TestStreams.resource("stream3m.bin.gz")),
                Map.of("drive0", (3L << 20) + 1536), Wire.QEMU_CHUNK_SIZE_BYTES));
    }

    @Test
    void aPartialLastChunkStreamRebuildsTheWholeImage() throws IOException {
        byte[] source = TestStreams.resource("src3m.img.gz");
        assertEquals((3 << 20) + 1536, source.length);
        Extracted x = extract(TestStreams.resource("stream3m.bin.gz"), source.length);
        // QEMU sends chunks in read-completion order, not in disk order
        assertEquals(List.of("drive0@0", "drive0@2048", "drive0@4096", "drive0@6144"), x.blocks().stream().sorted().toList());
        assertArrayEquals(source, x.image());
    }

    @Test
    void aRamOnlyStreamHasNoBlockSectionAndEndsWithItsDescription() throws IOException {
        QemuStreamReader reader = new QemuStreamReader(ByteInput.of(TestStreams.resource("ramonly.bin.gz")));
        int blockRecords = 0;
        boolean eof = false;
        boolean description = false;
        QemuEvent.Configuration config = null;
        QemuEvent e;
        while ((e = reader.next()) != null) {
            blockRecords += e instanceof QemuEvent.BlockRecord ? 1 : 0;
            eof |= e instanceof QemuEvent.EndOfSections;
            description |= e instanceof QemuEvent.VmDescription;
            if (e instanceof QemuEvent.Configuration c) {
                config = c;
            }
        }
        assertEquals(0, blockRecords);
        assertTrue(eof && description);
        assertEquals("pc-i440fx-7.2", config.machineType());
    }

    @Test
    void blockPayloadsAreYieldedInOrderWithTheirSectionType() throws IOException {
        QemuStreamReader reader = new QemuStreamReader(ByteInput.of(TestStreams.resource("stream8m.bin.gz")));
        List<SectionType> types = new ArrayList<>();
        QemuEvent e;
        while ((e = reader.next()) != null) {
            if (e instanceof QemuEvent.BlockRecord r && r.record() instanceof Record.EndOfSection) {
                types.add(r.type());
            }
        }
        assertEquals(SectionType.START, types.get(0));
        assertEquals(SectionType.END, types.get(types.size() - 1));
        assertTrue(types.subList(1, types.size() - 1).stream().allMatch(t -> t == SectionType.PART));
        assertTrue(types.size() >= 3);
        ByteBuffer.allocate(0);
    }
}
