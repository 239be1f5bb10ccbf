// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.WriteContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 4 GiB stream, generated as it is read, into a sparse file: the heap stays small (this module runs with -Xmx64m). */
class SparseStreamTest {
    static final long SIZE = 4L << 30;
    static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** header, configuration, START, one PART of 4096 blocks (every 512th with data), END, EOF. */
    static final class Generated extends InputStream {
        private final ByteBuffer buf = ByteBuffer.allocate(2 * MIB);
        private long chunk = -1;
        private int stage;

        Generated() {
            buf.flip();
        }

        private void refill() {
            buf.clear();
            switch (stage) {
                case 0 -> {
                    buf.putInt(0x5145564d).putInt(3).put((byte) 7).putInt(13).put("pc-i440fx-7.2".getBytes());
                    buf.put((byte) 1).putInt(0).put((byte) 5).put("block".getBytes()).putInt(0).putInt(1);
                    buf.putLong(2).put((byte) 0x7e).putInt(0);
                    buf.put((byte) 2).putInt(0);
                    stage = 1;
                    chunk = 0;
                }
                case 1 -> {
                    boolean data = chunk % 512 == 7;
                    buf.putLong((chunk * 2048) << 9 | (data ? 1 : 9)).put((byte) 6).put("drive0".getBytes());
                    if (data) {
                        buf.put(WriteContent.make(chunk, chunk * 2048, 2048));
                    }
                    if (++chunk == SIZE / MIB) {
                        buf.putLong(2).put((byte) 0x7e).putInt(0);
                        buf.put((byte) 3).putInt(0).putLong((100L << 9) | 4).putLong(2).put((byte) 0x7e).putInt(0).put((byte) 0);
                        stage = 2;
                    }
                }
                default -> stage = 3;
            }
            buf.flip();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            while (!buf.hasRemaining()) {
                if (stage == 3) {
                    return -1;
                }
                refill();
            }
            int n = Math.min(len, buf.remaining());
            buf.get(b, off, n);
            return n;
        }
    }

    @Test
    void aFourGiBSparseStreamIsReceivedInASmallHeap() throws IOException {
        assertTrue(Runtime.getRuntime().maxMemory() <= 80L << 20, "runs under -Xmx64m");
        Path p = dir.resolve("big.img");
        try (FileDisk t = FileDisk.create("drive0", p, SIZE)) {
            ReceiveResult r = new BlockReceiver(Map.of("drive0", t), MIB, Set.of(), x -> {}).receive(new Generated());
            assertTrue(r.complete(), r.toString());
            assertEquals(8, r.dataBlocks());
            assertEquals(4088, r.zeroBlocks());
            ByteBuffer sector = ByteBuffer.allocate(512);
            t.read(519 * 2048L + 5, sector);
            assertEquals(519, WriteContent.writeIdOf(sector.flip(), 519 * 2048L + 5));
        }
    }
}
