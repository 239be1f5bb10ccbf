// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** QEMU 7.2's destination reads flags by precedence (block, progress, EOS) where blkmig's receiver refuses. */
class QemuFlagRulesTest {
    static final int CHUNK = 4096;

    private static Record read(byte[] bytes, RecordReader.Flags rule) throws IOException {
        RecordReader r = new RecordReader(ByteInput.of(bytes), CHUNK);
        r.readFlagsAs(rule);
        return r.next();
    }

    private static byte[] header(long value, int flags) {
        return ByteBuffer.allocate(8).putLong(value << 9 | flags).array();
    }

    private static byte[] zeroBlock(long sector, int flags) {
        return ByteBuffer.allocate(8 + 1 + 6).putLong(sector << 9 | flags).put((byte) 6).put("drive0".getBytes()).array();
    }

    @Test
    void aBlockBitWinsOverEveryOtherBit() throws IOException {
        int flags = Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_ZERO_BLOCK | Wire.FLAG_EOS | Wire.FLAG_PROGRESS | 0x100;
        assertEquals(new Record.ZeroBlock(2048, "drive0"), read(zeroBlock(2048, flags), RecordReader.Flags.QEMU_7_2));
        assertThrows(ProtocolException.class, () -> read(zeroBlock(2048, flags), RecordReader.Flags.STRICT));
    }

    @Test
    void progressBeforeEosAndTheirValuesAreTakenAsTheyCome() throws IOException {
        assertEquals(new Record.Progress(250), read(header(250, Wire.FLAG_PROGRESS | Wire.FLAG_EOS), RecordReader.Flags.QEMU_7_2));
        assertInstanceOf(Record.EndOfSection.class, read(header(77, Wire.FLAG_EOS | 0x20), RecordReader.Flags.QEMU_7_2));
        assertThrows(ProtocolException.class, () -> read(header(77, Wire.FLAG_EOS), RecordReader.Flags.STRICT));
        assertThrows(ProtocolException.class, () -> read(header(250, Wire.FLAG_PROGRESS), RecordReader.Flags.STRICT));
    }

    @Test
    void noneOfTheThreeKindsIsQemusOneError() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> read(header(1, Wire.FLAG_ZERO_BLOCK | 0x40), RecordReader.Flags.QEMU_7_2));
        assertTrue(e.getMessage().contains("Unknown block migration flags: 0x48"), e.getMessage());
    }
}
