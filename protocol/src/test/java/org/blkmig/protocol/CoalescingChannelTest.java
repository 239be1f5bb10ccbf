// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small writes leave together, in order, before any large write, transfer or close. */
class CoalescingChannelTest {
    /** A plain channel (not gathering) that takes every write whole and counts the calls. */
    static ShortTransfersTest.Stingy counting() {
        return new ShortTransfersTest.Stingy(Integer.MAX_VALUE, true);
    }

    static ByteBuffer bytes(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return ByteBuffer.wrap(b);
    }

    @Test
    void smallWritesLeaveInOneWriteAndBeforeALargeOne(@TempDir Path dir) throws IOException {
        ShortTransfersTest.Stingy out = counting();
        CoalescingChannel c = new CoalescingChannel(out);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) { // 15,000 bytes of 15-byte records
            assertEquals(15, c.write(bytes(15, i)));
            want.write(bytes(15, i).array(), 0, 15);
        }
        assertEquals(0, out.calls, "nothing sent yet");
        assertEquals(15_000, c.pendingBytes());
        assertEquals(8192, c.write(bytes(8192, 7)));
        want.write(bytes(8192, 7).array(), 0, 8192);
        assertEquals(2, out.calls, "the gathered records, then the large write");
        // a gathering write: small parts are gathered, a large total goes after what waits
        assertEquals(20, c.write(new ByteBuffer[] {bytes(10, 1), bytes(10, 2)}));
        assertEquals(5010, c.write(new ByteBuffer[] {bytes(10, 3), bytes(5000, 4)}));
        for (int[] part : new int[][] {{10, 1}, {10, 2}, {10, 3}, {5000, 4}}) {
            want.write(bytes(part[0], part[1]).array(), 0, part[0]);
        }
        // a file transfer sends what waits first
        c.write(bytes(3, 9));
        want.write(bytes(3, 9).array(), 0, 3);
        Path f = dir.resolve("f");
        Files.write(f, bytes(100, 5).array());
        try (FileChannel file = FileChannel.open(f)) {
            assertEquals(100, c.transferFrom(file, 0, 100));
        }
        want.write(bytes(100, 5).array(), 0, 100);
        c.write(bytes(1, 6));
        want.write(bytes(1, 6).array(), 0, 1);
        assertEquals(true, c.isOpen());
        c.close();
        assertArrayEquals(want.toByteArray(), out.out.toByteArray(), "every byte, in order");
    }

    @Test
    void aFullBufferIsSentBeforeItOverflows() throws IOException {
        ShortTransfersTest.Stingy out = counting();
        CoalescingChannel c = new CoalescingChannel(out);
        for (int i = 0; i < CoalescingChannel.BUFFER_BYTES / 4096 + 1; i++) {
            c.write(bytes(4096, i));
        }
        assertEquals(1, out.calls);
        assertEquals(CoalescingChannel.BUFFER_BYTES, out.out.size());
        c.flush();
        c.flush();
        assertEquals(2, out.calls, "a flush with nothing waiting writes nothing");
    }
}
