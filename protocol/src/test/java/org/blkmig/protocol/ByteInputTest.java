// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** ByteInput's offsets, short and empty reads, and the bounds of what it reads ahead. */
class ByteInputTest {
    static final int BUFFER_BYTES = 64 * 1024;

    /**
     * Hands out {@code bytes} at most {@code maxPerReadBytes} a call, returning 0 (no data yet) on
     * every other call when asked; reading once everything was handed out fails the test when
     * {@code failPastEnd}: a network peer would block there.
     */
    static final class Trickle implements ReadableByteChannel {
        final byte[] bytes;
        final int maxPerReadBytes;
        final boolean emptyReads;
        final boolean failPastEnd;
        int position;
        int calls;

        Trickle(byte[] bytes, int maxPerReadBytes, boolean emptyReads, boolean failPastEnd) {
            this.bytes = bytes;
            this.maxPerReadBytes = maxPerReadBytes;
            this.emptyReads = emptyReads;
            this.failPastEnd = failPastEnd;
        }

        @Override
        public int read(ByteBuffer dst) {
            calls++;
            if (position == bytes.length) {
                if (failPastEnd) {
                    throw new AssertionError("read past what was needed: a live peer would block here");
                }
                return -1;
            }
            if (emptyReads && calls % 2 == 1) {
                return 0;
            }
            int n = Math.min(Math.min(maxPerReadBytes, dst.remaining()), bytes.length - position);
            dst.put(bytes, position, n);
            position += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    static byte[] counting(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    @Test
    void fieldsAreReadBigEndianAndNoByteIsRequestedBeyondTheField() throws IOException {
        byte[] b = {(byte) 0xfe, 0x12, 0x34, (byte) 0x89, (byte) 0xab, (byte) 0xcd, (byte) 0xef, 1, 2, 3, 4, 5, 6, 7, 8};
        // exactly 15 bytes, then a read would block: every field must be satisfied from what arrived
        ByteInput in = new ByteInput(new Trickle(b, 3, false, true));
        assertEquals(0xfe, in.readU8("u8"));
        assertEquals(0x1234, in.readBE16("be16"));
        assertEquals(0x89abcdef, in.readBE32("be32"));
        assertEquals(0x0102030405060708L, in.readBE64("be64"));
        assertEquals(15, in.offset());
    }

    @Test
    void aBe16AsTheFirstFieldIsFetched() throws IOException {
        assertEquals(0xabcd, ByteInput.of(new byte[] {(byte) 0xab, (byte) 0xcd}).readBE16("be16"));
        ProtocolException e = assertThrows(ProtocolException.class, () -> ByteInput.of(new byte[] {1}).readBE16("a be16"));
        assertEquals("truncated: input ends inside a be16 (1 of 2 bytes present)", e.problem());
    }

    @Test
    void aChannelThatReturnsNothingForAWhileIsNotTheEnd() throws IOException {
        byte[] b = counting(3 * BUFFER_BYTES + 100);
        ByteInput in = new ByteInput(new Trickle(b, 1000, true, false));
        assertEquals(b[0] & 0xff, in.readU8("u8"));
        ByteBuffer big = ByteBuffer.allocate(2 * BUFFER_BYTES);
        in.readFully(big, "big");
        assertEquals(1 + 2 * BUFFER_BYTES, in.offset());
        assertArrayEquals(Arrays.copyOfRange(b, 1, 1 + 2 * BUFFER_BYTES), big.array());
        in.skip(BUFFER_BYTES + 99, "rest");
        assertTrue(in.atEnd());
        assertEquals(b.length, in.offset());
    }

    @Test
    void theOffsetCountsLargeReadsThatBypassTheBuffer() throws IOException {
        byte[] b = counting(5 * BUFFER_BYTES + 10);
        for (int perRead : new int[] {BUFFER_BYTES / 3, BUFFER_BYTES, 4 * BUFFER_BYTES}) {
            ByteInput in = new ByteInput(new Trickle(b, perRead, false, false));
            in.readFully(new byte[10], 0, 10, "head");
            ByteBuffer big = ByteBuffer.allocate(4 * BUFFER_BYTES);
            in.readFully(big, "big");
            assertEquals(10 + 4 * BUFFER_BYTES, in.offset(), "per read " + perRead);
            assertArrayEquals(Arrays.copyOfRange(b, 10, 10 + 4 * BUFFER_BYTES), big.array());
            // the bytes after a direct read are the next ones, and the offset goes on from there
            assertEquals(b[10 + 4 * BUFFER_BYTES] & 0xff, in.peek(0));
            assertEquals(b[11 + 4 * BUFFER_BYTES] & 0xff, in.peek(1));
            assertEquals(b[10 + 4 * BUFFER_BYTES] & 0xff, in.readU8("next"));
            assertEquals(11 + 4 * BUFFER_BYTES, in.offset());
        }
    }

    @Test
    void aTruncatedReadNamesTheFieldAndWhatArrived() {
        byte[] b = counting(BUFFER_BYTES + 5);
        ByteInput in = ByteInput.of(b);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> in.readFully(ByteBuffer.allocate(2 * BUFFER_BYTES), "chunk data"));
        assertEquals("truncated: input ends inside chunk data (" + (BUFFER_BYTES + 5) + " of " + 2 * BUFFER_BYTES
                + " bytes present)", e.problem());
        assertEquals(0, e.offsetBytes());

        ByteInput small = ByteInput.of(new byte[] {1, 2, 3});
        ProtocolException s = assertThrows(ProtocolException.class, () -> small.readBE32("a be32"));
        assertEquals("truncated: input ends inside a be32 (3 of 4 bytes present)", s.problem());
    }

    @Test
    void afterAPeekSawTheEndALargeReadIsStillATruncation() throws IOException {
        ByteInput in = ByteInput.of(new byte[] {1, 2});
        assertEquals(-1, in.peek(2), "the end is seen");
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> in.readFully(ByteBuffer.allocate(2 * BUFFER_BYTES), "data"));
        assertTrue(e.problem().contains("(2 of " + 2 * BUFFER_BYTES + " bytes present)"), e.problem());
    }

    @Test
    void skipCountsTheOffsetAndATruncatedSkipSaysHowFarItGot() throws IOException {
        byte[] b = counting(3 * BUFFER_BYTES);
        ByteInput in = ByteInput.of(b);
        in.skip(BUFFER_BYTES + 3, "first");
        assertEquals(BUFFER_BYTES + 3, in.offset());
        assertEquals(b[BUFFER_BYTES + 3] & 0xff, in.readU8("next"));
        ProtocolException e = assertThrows(ProtocolException.class, () -> in.skip(2L * BUFFER_BYTES, "the rest"));
        assertEquals(BUFFER_BYTES + 4, e.offsetBytes());
        assertEquals("truncated: input ends inside the rest (" + (2 * BUFFER_BYTES - 4) + " of " + 2 * BUFFER_BYTES
                + " bytes present)", e.problem());
    }

    @Test
    void peekLooksAheadWithoutConsumingAndOnlyWithinItsBuffer() throws IOException {
        byte[] b = counting(BUFFER_BYTES + 10);
        ByteInput in = ByteInput.of(b);
        assertEquals(b[5] & 0xff, in.peek(5));
        assertEquals(b[BUFFER_BYTES - 1] & 0xff, in.peek(BUFFER_BYTES - 1));
        assertEquals(0, in.offset());
        assertThrows(IllegalArgumentException.class, () -> in.peek(BUFFER_BYTES));
        assertFalse(in.atEnd());
        assertEquals(-1, ByteInput.of(new byte[3]).peek(3));
    }

    /** A trickle that repeats its own reads when asked to fill, and logs the size of every read. */
    static final class FillingTrickle implements FillingChannel {
        final Trickle inner;
        final java.util.List<Integer> reads = new java.util.ArrayList<>();
        int fills;

        FillingTrickle(Trickle inner) {
            this.inner = inner;
        }

        @Override
        public int read(ByteBuffer dst) {
            int n = inner.read(dst);
            reads.add(n);
            return n;
        }

        @Override
        public int readWhileRoom(ByteBuffer dst, int minRemainingBytes) {
            fills++;
            int total = 0;
            while (true) {
                int n = read(dst);
                if (n < 0) {
                    return total > 0 ? total : -1;
                }
                total += n;
                if (dst.remaining() < minRemainingBytes) {
                    return total;
                }
            }
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    @Test
    void aFillingChannelIsAskedForTheSameReadsAsAPlainOne() throws IOException {
        byte[] b = counting(5 * BUFFER_BYTES + 10);
        for (int perRead : new int[] {1000, BUFFER_BYTES / 3, BUFFER_BYTES, 70_000, 4 * BUFFER_BYTES}) {
            FillingTrickle plain = new FillingTrickle(new Trickle(b, perRead, false, false));
            FillingTrickle filling = new FillingTrickle(new Trickle(b, perRead, false, false));
            ByteBuffer[] got = new ByteBuffer[2];
            int k = 0;
            for (FillingTrickle ch : new FillingTrickle[] {filling, plain}) {
                ByteInput in = new ByteInput(ch == plain ? asPlain(ch) : ch);
                in.readFully(new byte[10], 0, 10, "head");
                got[k] = ByteBuffer.allocate(4 * BUFFER_BYTES + 7);
                in.readFully(got[k], "big");
                assertEquals(10 + 4 * BUFFER_BYTES + 7, in.offset());
                assertEquals(b[10 + 4 * BUFFER_BYTES + 7] & 0xff, in.readU8("next"));
                k++;
            }
            assertArrayEquals(got[1].array(), got[0].array());
            assertEquals(plain.reads, filling.reads, "per read " + perRead);
            assertTrue(filling.fills > 0 && plain.fills == 0, "the large read filled");
        }
    }

    /** The channel seen as a plain one: ByteInput loops over its reads itself. */
    private static ReadableByteChannel asPlain(ReadableByteChannel ch) {
        return new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return ch.read(dst);
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
    }
}
