// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.check.StreamChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuSplicerTest {
    @TempDir
    Path dir;

    @Test
    void aBlockSectionIsSplicedAfterTheConfigurationWithAnUnusedId() throws IOException {
        byte[] ramOnly = TestStreams.resource("ramonly.bin.gz");
        Path ram = dir.resolve("ramonly.bin");
        Files.write(ram, ramOnly);
        QemuSplicer.Template t = QemuSplicer.scan(ram);
        assertEquals(8 + 1 + 4 + "pc-i440fx-7.2".length(), t.prefixBytes());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuSplicer.splice(ram, Channels.newChannel(out), w -> {
            w.beginPayload(SectionType.START);
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            w.beginPayload(SectionType.END);
            w.write(TestStreams.block(0, "drive0", Wire.QEMU_CHUNK_SIZE_BYTES, 0x5a));
            w.write(new Record.Progress(100));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
        });
        byte[] spliced = out.toByteArray();
        // START header 19 + EOS 8 + footer 5; END header 5 + block (8 + 1 + 6 + 1 MiB) + progress 8 + EOS 8 + footer 5
        assertEquals(ramOnly.length + 19 + 8 + 5 + 5 + 8 + 1 + 6 + (1 << 20) + 8 + 8 + 5, spliced.length);
        // the reader walks it all, and the block section is first
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(spliced));
        List<String> sections = new ArrayList<>();
        int blockId = -1;
        QemuEvent e;
        while ((e = r.next()) != null) {
            if (e instanceof QemuEvent.SectionBegin b && b.type() == SectionType.START) {
                sections.add(b.idstr());
                if (b.isBlock()) {
                    blockId = b.sectionId();
                }
            }
        }
        assertEquals("block", sections.get(0));
        assertTrue(sections.contains("ram"));
        assertEquals(t.unusedSectionId(), blockId);
        assertEquals(List.of(), StreamChecker.checkQemuStream(ByteInput.of(spliced), Map.of("drive0", 1L << 20),
                Wire.QEMU_CHUNK_SIZE_BYTES));
    }

    @Test
    void aStreamThatAlreadyHasABlockSectionIsRefused() throws IOException {
        Path s = dir.resolve("with-block.bin");
        Files.write(s, TestStreams.resource("stream8m.bin.gz"));
        assertThrows(ProtocolException.class, () -> QemuSplicer.scan(s));
    }

    @Test
    void aStreamWithoutEofIsRefused() throws IOException {
        byte[] ramOnly = TestStreams.resource("ramonly.bin.gz");
        Path s = dir.resolve("cut.bin");
        Files.write(s, java.util.Arrays.copyOf(ramOnly, 100));
        assertThrows(ProtocolException.class, () -> QemuSplicer.scan(s));
    }
}
