// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordReaderTest {
    static final int CHUNK = 4096;

    private static ProtocolException fails(byte[] bytes) {
        return assertThrows(ProtocolException.class, () -> TestStreams.decodeAll(bytes, CHUNK));
    }

    private static byte[] header(long value, int flags) {
        return ByteBuffer.allocate(8).putLong(value << 9 | flags).array();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x10, 0x20, 0x40, 0x80, 0x100})
    void everyReservedFlagBitIsRejected(int bit) {
        ProtocolException e = fails(header(0, Wire.FLAG_PROGRESS | bit));
        assertTrue(e.getMessage().contains("reserved flag bits"), e.getMessage());
        assertEquals(0, e.offsetBytes());
    }

    @Test
    void aHeaderWithoutKindFlagIsRejected() {
        assertTrue(fails(header(5, 0)).getMessage().contains("no kind flag"));
    }

    @Test
    void zeroWithoutDeviceBlockIsRejected() {
        assertTrue(fails(header(0, Wire.FLAG_ZERO_BLOCK | Wire.FLAG_PROGRESS)).getMessage().contains("ZERO_BLOCK flag without"));
    }

    @Test
    void twoKindFlagsAreRejected() {
        assertTrue(fails(header(0, Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_EOS)).getMessage().contains("more than one kind"));
    }

    @Test
    void progressAbove100IsRejectedAtItsOffset() {
        byte[] eos = header(0, Wire.FLAG_EOS);
        byte[] bad = header(101, Wire.FLAG_PROGRESS);
        byte[] both = ByteBuffer.allocate(16).put(eos).put(bad).array();
        ProtocolException e = fails(both);
        assertEquals(8, e.offsetBytes());
        assertTrue(e.getMessage().contains("progress 101 is above 100"), e.getMessage());
    }

    @Test
    void eosWithAValueIsRejected() {
        assertTrue(fails(header(1, Wire.FLAG_EOS)).getMessage().contains("EOS record with non-zero value"));
    }

    @Test
    void anEmptyDeviceNameIsRejected() {
        byte[] b = ByteBuffer.allocate(9).put(header(0, Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_ZERO_BLOCK)).put((byte) 0).array();
        assertTrue(fails(b).getMessage().contains("empty device name"));
    }

    @Test
    void aNonUtf8DeviceNameIsRejected() {
        byte[] b = ByteBuffer.allocate(11).put(header(0, Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_ZERO_BLOCK))
                .put((byte) 2).put((byte) 0xc3).put((byte) 0x28).array();
        assertTrue(fails(b).getMessage().contains("not valid UTF-8"));
    }

    @Test
    void truncationAtEveryByteIsAProtocolExceptionNamingTheField() throws IOException {
        List<Record> records = List.of(new Record.Progress(3), TestStreams.block(2048, "drive0", CHUNK, 7),
                new Record.ZeroBlock(4096, "drive1"), Record.EndOfSection.INSTANCE);
        byte[] full = TestStreams.encode(records, CHUNK);
        assertEquals(records, TestStreams.decodeAll(full, CHUNK));
        int[] recordStarts = {0, 8, 8 + 8 + 1 + 6 + CHUNK, 8 + 8 + 1 + 6 + CHUNK + 8 + 1 + 6};
        for (int cut = 1; cut < full.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(full, cut);
            boolean atBoundary = java.util.Arrays.stream(recordStarts).anyMatch(s -> s == part.length);
            if (atBoundary) {
                assertEquals(records.subList(0, java.util.Arrays.binarySearch(recordStarts, cut)),
                        TestStreams.decodeAll(part, CHUNK));
                continue;
            }
            ProtocolException e = fails(part);
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void deviceBlockDataIsReusedAndCopyKeepsIt() throws IOException {
        byte[] bytes = TestStreams.encode(List.of(TestStreams.block(0, "d", CHUNK, 1), TestStreams.block(8, "d", CHUNK, 2)), CHUNK);
        RecordReader r = new RecordReader(ByteInput.of(bytes), CHUNK);
        Record.DeviceBlock first = (Record.DeviceBlock) r.next();
        Record.DeviceBlock kept = first.copy();
        Record.DeviceBlock second = (Record.DeviceBlock) r.next();
        assertEquals(2, second.data().get(0));
        assertEquals(1, kept.data().get(0));
        assertEquals(TestStreams.block(0, "d", CHUNK, 1), kept);
        assertEquals(8 + 1 + 1 + CHUNK, r.recordOffset());
        assertInstanceOf(Record.DeviceBlock.class, second);
    }

    @Test
    void partialChannelReadsAreReassembled() throws IOException {
        List<Record> records = List.of(TestStreams.block(0, "drive0", CHUNK, 9), new Record.Progress(50), Record.EndOfSection.INSTANCE);
        byte[] bytes = TestStreams.encode(records, CHUNK);
        // a channel that hands out 3 bytes per read
        java.io.InputStream slow = new java.io.ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        RecordReader r = new RecordReader(ByteInput.of(slow), CHUNK);
        assertEquals(records.get(0), r.next());
        assertEquals(records.get(1), r.next());
        assertEquals(records.get(2), r.next());
    }

    @Test
    void writerRefusesDataOfTheWrongSize() {
        RecordWriter w = new RecordWriter(new java.io.ByteArrayOutputStream(), CHUNK);
        assertThrows(IllegalArgumentException.class, () -> w.write(TestStreams.block(0, "d", 512, 0)));
    }

    @Test
    void recordsValidateTheirFields() {
        assertThrows(IllegalArgumentException.class, () -> new Record.ZeroBlock(-1, "d"));
        assertThrows(IllegalArgumentException.class, () -> new Record.ZeroBlock(0, ""));
        assertThrows(IllegalArgumentException.class, () -> new Record.ZeroBlock(0, "x".repeat(256)));
        assertThrows(IllegalArgumentException.class, () -> new Record.Progress(-1));
        assertThrows(IllegalArgumentException.class, () -> Wire.checkChunkSize(1000));
        assertThrows(IllegalArgumentException.class, () -> Wire.checkChunkSize(256));
        assertEquals(2048, Wire.sectorsPerChunk(Wire.QEMU_CHUNK_SIZE_BYTES));
    }
}
