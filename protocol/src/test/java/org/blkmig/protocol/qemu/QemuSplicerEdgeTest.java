// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.ShortTransfersTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Splicing into RAM-only streams whose section ids are taken, and through outputs that take little. */
class QemuSplicerEdgeTest {
    @TempDir
    Path dir;

    /**
     * Takes at most {@code maxPerCallBytes} a call (0: takes nothing, a peer that stopped reading),
     * or, with {@code onlyFirstShort}, takes that little once and then everything offered.
     */
    /** Header, configuration, FULL device-state sections with ids 0 and 1, EOF. */
    Path ramOnly() throws IOException {
        byte[] s = new QemuReaderEdgeTest.Bytes().header().config("pc").full(0, "dev", 1).zeros(3000).footer(0)
                .full(1, "dev", 1).zeros(3000).footer(1).u8(QemuFormat.EOF).bytes();
        Path p = dir.resolve("ram.bin");
        Files.write(p, s);
        return p;
    }

    static void startOnly(QemuStreamWriter w) throws IOException {
        w.beginPayload(SectionType.START);
        w.write(Record.EndOfSection.INSTANCE);
        w.endPayload();
    }

    @Test
    void theBlockSectionTakesTheFirstUnusedIdAndGoesOutWholeThroughShortWrites() throws IOException {
        Path ram = ramOnly();
        QemuSplicer.Template t = QemuSplicer.scan(ram);
        assertEquals(2, t.unusedSectionId());
        assertEquals(8 + 1 + 4 + 2, t.prefixBytes());
        byte[] original = Files.readAllBytes(ram);
        int block = 19 + 8 + 5; // START header, EOS, footer
        for (ShortTransfersTest.Stingy out : new ShortTransfersTest.Stingy[] {new ShortTransfersTest.Stingy(1000, false),
                new ShortTransfersTest.Stingy(7, true)}) {
            QemuSplicer.splice(ram, out, QemuSplicerEdgeTest::startOnly);
            byte[] spliced = out.out.toByteArray();
            assertEquals(original.length + block, spliced.length);
            assertArrayEquals(Arrays.copyOf(original, 15), Arrays.copyOf(spliced, 15));
            assertArrayEquals(Arrays.copyOfRange(original, 15, original.length),
                    Arrays.copyOfRange(spliced, 15 + block, spliced.length));
        }
    }

    @Test
    void anOutputThatTakesNothingIsAnErrorNotAHang() throws IOException {
        Path ram = ramOnly();
        IOException e = assertThrows(IOException.class, () -> QemuSplicer.splice(ram, new ShortTransfersTest.Stingy(0, false), QemuSplicerEdgeTest::startOnly));
        assertEquals("short copy from the RAM-only stream", e.getMessage());
    }

    @Test
    void withoutAConfigurationTheBlockSectionGoesAfterTheHeader() throws IOException {
        Path p = dir.resolve("bare.bin");
        Files.write(p, new QemuReaderEdgeTest.Bytes().header().full(5, "dev", 1).u8(1).footer(5).u8(QemuFormat.EOF).bytes());
        QemuSplicer.Template t = QemuSplicer.scan(p);
        assertEquals(8, t.prefixBytes());
        assertEquals(0, t.unusedSectionId());
        Path withBlock = dir.resolve("block.bin");
        Files.write(withBlock, new QemuReaderEdgeTest.Bytes().header().blockStart(0).u8(QemuFormat.EOF).bytes());
        ProtocolException e = assertThrows(ProtocolException.class, () -> QemuSplicer.scan(withBlock));
        assertEquals(8, e.offsetBytes());
    }
}
