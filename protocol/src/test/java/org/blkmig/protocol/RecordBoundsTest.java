// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The limits of records, names and chunk sizes, each tested on both sides of its edge. */
class RecordBoundsTest {
    static final int CHUNK = 512;
    static final ByteBuffer DATA = ByteBuffer.allocate(CHUNK);

    @Test
    void sectorsFitTheHeaderOnBothKindsOfBlock() {
        new Record.DeviceBlock(Wire.MAX_HEADER_VALUE, "d", DATA);
        new Record.ZeroBlock(0, "d");
        for (long bad : new long[] {-1, Wire.MAX_HEADER_VALUE + 1}) {
            assertThrows(IllegalArgumentException.class, () -> new Record.DeviceBlock(bad, "d", DATA));
            assertThrows(IllegalArgumentException.class, () -> new Record.ZeroBlock(bad, "d"));
        }
    }

    @Test
    void deviceNamesAreOneTo255Bytes() {
        String longest = "x".repeat(Wire.MAX_DEVICE_NAME_BYTES);
        assertEquals(longest, new Record.DeviceBlock(0, longest, DATA).device());
        assertEquals("d", new Record.ZeroBlock(0, "d").device());
        for (String bad : new String[] {"", longest + "x", "é".repeat(128)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Record.DeviceBlock(0, bad, DATA));
            assertEquals("device name must be 1..255 bytes: " + bad.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new Record.ZeroBlock(0, bad));
        }
        assertThrows(NullPointerException.class, () -> new Record.DeviceBlock(0, null, DATA));
    }

    @Test
    void progressTakesAnyValueTheHeaderCanCarry() {
        assertEquals(Wire.MAX_HEADER_VALUE, new Record.Progress(Wire.MAX_HEADER_VALUE).percent());
        assertEquals(0, new Record.Progress(0).percent());
        assertThrows(IllegalArgumentException.class, () -> new Record.Progress(-1));
        assertThrows(IllegalArgumentException.class, () -> new Record.Progress(Wire.MAX_HEADER_VALUE + 1));
    }

    @Test
    void aDeviceBlockPrintsItsSizeNotItsData() {
        assertEquals("DeviceBlock[sector=8, device=drive0, bytes=512]", new Record.DeviceBlock(8, "drive0", DATA).toString());
    }

    @Test
    void chunkSizesArePowersOfTwoWithinTheRange() {
        assertEquals(Wire.MIN_CHUNK_SIZE_BYTES, Wire.checkChunkSize(Wire.MIN_CHUNK_SIZE_BYTES));
        assertEquals(Wire.MAX_CHUNK_SIZE_BYTES, Wire.checkChunkSize(Wire.MAX_CHUNK_SIZE_BYTES));
        for (int bad : new int[] {Wire.MIN_CHUNK_SIZE_BYTES / 2, Wire.MAX_CHUNK_SIZE_BYTES * 2, Wire.MIN_CHUNK_SIZE_BYTES * 3}) {
            assertThrows(IllegalArgumentException.class, () -> Wire.checkChunkSize(bad), String.valueOf(bad));
        }
    }

    @Test
    void aNameThatIsAPrefixOfThePreviousOneIsReadAsItself() throws IOException {
        List<Record> records = List.of(new Record.ZeroBlock(0, "drive10"), new Record.ZeroBlock(0, "drive1"),
                new Record.ZeroBlock(0, "drive12"), new Record.ZeroBlock(0, "drive1"), new Record.ZeroBlock(0, "drive1"),
                new Record.ZeroBlock(0, "drive2"));
        RecordReader r = new RecordReader(ByteInput.of(TestStreams.encode(records, CHUNK)), CHUNK);
        for (Record expected : records) {
            assertEquals(expected, r.next());
        }
        assertEquals(CHUNK, r.chunkSizeBytes());
        assertEquals(6 * (8 + 1) + 7 + 6 + 7 + 6 + 6 + 6, r.input().offset());
    }

    @Test
    void theReservedFlagsAreNamedInTheError() {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(0, (3L << 9) | Wire.FLAG_PROGRESS | 0x100);
        ProtocolException e = assertThrows(ProtocolException.class, () -> new RecordReader(ByteInput.of(b.array()), CHUNK).next());
        assertEquals("reserved flag bits 0x100 set in record header 0x0000000000000704", e.problem());
    }

    @Test
    void theReaderKeepsTheBufferItIsLent() throws IOException {
        ByteBuffer lent = ByteBuffer.allocate(CHUNK);
        byte[] data = new byte[CHUNK];
        data[7] = 42;
        RecordReader r = new RecordReader(ByteInput.of(TestStreams.encode(
                List.of(new Record.DeviceBlock(0, "d", ByteBuffer.wrap(data))), CHUNK)), CHUNK);
        r.useDataBuffer(lent);
        Record.DeviceBlock got = (Record.DeviceBlock) r.next();
        assertEquals(42, lent.get(7));
        assertEquals(42, got.data().get(7));
        assertThrows(IllegalArgumentException.class, () -> r.useDataBuffer(ByteBuffer.allocate(CHUNK + 1)));
        assertSame(r.input(), r.input());
    }
}
