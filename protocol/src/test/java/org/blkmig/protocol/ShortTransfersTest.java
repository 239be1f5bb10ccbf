// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers over channels that take less than offered (a socket with a full buffer) and files that
 * give less than asked: every byte still goes out once, in order, and is counted.
 */
public class ShortTransfersTest {
    static final int CHUNK = 4096;
    static final int MAX_PER_CALL_BYTES = 1000;

    @TempDir
    Path dir;

    /**
     * Takes at most {@code maxPerCallBytes} a call (only on the first call if {@code onlyFirstShort});
     * the splicer's tests use it too.
     */
    public static class Stingy implements WritableByteChannel {
        public final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int maxPerCallBytes;
        final boolean onlyFirstShort;
        int calls;

        Stingy() {
            this(MAX_PER_CALL_BYTES, false);
        }

        public Stingy(int maxPerCallBytes, boolean onlyFirstShort) {
            this.maxPerCallBytes = maxPerCallBytes;
            this.onlyFirstShort = onlyFirstShort;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = onlyFirstShort && calls++ > 0 ? src.remaining() : Math.min(src.remaining(), maxPerCallBytes);
            byte[] b = new byte[n];
            src.get(b);
            out.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    static final class StingyGathering extends Stingy implements GatheringByteChannel {
        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long budget = MAX_PER_CALL_BYTES;
            long n = 0;
            for (int i = offset; i < offset + length && budget > 0; i++) {
                ByteBuffer s = srcs[i];
                int take = (int) Math.min(budget, s.remaining());
                ByteBuffer part = s.duplicate();
                part.limit(part.position() + take);
                write(part);
                s.position(s.position() + take);
                budget -= take;
                n += take;
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }
    }

    /** A zero-copy target that sends at most MAX_PER_CALL_BYTES of the file a call. */
    static final class StingyZeroCopy extends Stingy implements ZeroCopyTarget {
        @Override
        public long transferFrom(FileChannel file, long position, long count) throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, MAX_PER_CALL_BYTES));
            int n = file.read(b, position);
            if (n <= 0) {
                return 0;
            }
            return write(b.flip());
        }
    }

    /** A file that reads and transfers at most MAX_PER_CALL_BYTES a call. */
    static final class StingyFile extends FileChannel {
        final FileChannel f;

        StingyFile(FileChannel f) {
            this.f = f;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + Math.min(part.remaining(), MAX_PER_CALL_BYTES));
            int n = f.read(part, position);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return f.transferTo(position, Math.min(count, MAX_PER_CALL_BYTES), target);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return f.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return f.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return f.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return f.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return f.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            f.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return f.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            f.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            f.force(metaData);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return f.transferFrom(src, position, count);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return f.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return f.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return f.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return f.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            f.close();
        }
    }

    Path file(int bytes) throws IOException {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 13 + 5);
        }
        Path p = dir.resolve("f.img");
        Files.write(p, b);
        return p;
    }

    static byte[] chunkOf(byte[] whole, int from, int lengthBytes) {
        return Arrays.copyOf(Arrays.copyOfRange(whole, from, from + lengthBytes), CHUNK);
    }

    @Test
    void fileBlocksFromAnOffsetGoOutWholeThroughShortTransfers() throws IOException {
        Path p = file(3 * CHUNK);
        byte[] whole = Files.readAllBytes(p);
        for (Stingy out : List.of(new Stingy(), new StingyZeroCopy())) {
            RecordWriter rw = new RecordWriter(out, CHUNK);
            try (FileChannel f = new StingyFile(FileChannel.open(p))) {
                rw.writeFileBlock(8, "d", f, CHUNK + 100, CHUNK);
                rw.writeFileBlock(16, "d", f, 2 * CHUNK + 7, 2000);
            }
            assertEquals(2 * (8 + 1 + 1 + CHUNK), rw.bytesWritten(), out.getClass().getSimpleName());
            assertEquals(2 * (8 + 1 + 1 + CHUNK), out.out.size());
            assertEquals(List.of(new Record.DeviceBlock(8, "d", ByteBuffer.wrap(chunkOf(whole, CHUNK + 100, CHUNK))),
                    new Record.DeviceBlock(16, "d", ByteBuffer.wrap(chunkOf(whole, 2 * CHUNK + 7, 2000)))),
                    TestStreams.decodeAll(out.out.toByteArray(), CHUNK), out.getClass().getSimpleName());
        }
    }

    @Test
    void aFileBlockHoldsOneByteToOneChunk() throws IOException {
        Path p = file(CHUNK);
        try (FileChannel f = FileChannel.open(p)) {
            RecordWriter rw = new RecordWriter(new Stingy(), CHUNK);
            for (int bad : new int[] {0, -1, CHUNK + 1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rw.writeFileBlock(0, "d", f, 0, bad));
                assertEquals("a file block holds 1.." + CHUNK + " bytes, not " + bad, e.getMessage());
            }
            rw.writeFileBlock(0, "d", f, 0, 1);
            assertEquals(8 + 1 + 1 + CHUNK, rw.bytesWritten());
            assertEquals(CHUNK, rw.chunkSizeBytes());
            IOException short1 = assertThrows(IOException.class, () -> rw.writeFileBlock(0, "d", f, CHUNK - 10, 20));
            assertEquals("the file ends before " + (CHUNK + 10), short1.getMessage());
        }
    }

    @Test
    void theDefaultSinkReadsAFileBlockFromAnOffsetThroughShortReads() throws IOException {
        Path p = file(3 * CHUNK);
        byte[] whole = Files.readAllBytes(p);
        List<Record> kept = new ArrayList<>();
        PayloadSink sink = new PayloadSink() {
            @Override
            public void beginPayload(SectionType type) {}

            @Override
            public void write(Record r) {
                kept.add(r instanceof Record.DeviceBlock b ? b.copy() : r);
            }

            @Override
            public void endPayload() {}
        };
        try (FileChannel f = new StingyFile(FileChannel.open(p))) {
            sink.writeFileBlock(8, "d", f, CHUNK + 3, 2500, CHUNK);
            IOException e = assertThrows(IOException.class, () -> sink.writeFileBlock(0, "d", f, 2 * CHUNK + 1, CHUNK, CHUNK));
            assertEquals("the file ends before " + (3 * CHUNK + 1), e.getMessage());
        }
        assertEquals(List.of(new Record.DeviceBlock(8, "d", ByteBuffer.wrap(chunkOf(whole, CHUNK + 3, 2500)))), kept);
    }

    @Test
    void blocksGoOutWholeAndCountedThroughGatheringAndPlainChannelsThatTakeLittle() throws IOException {
        byte[] data = new byte[CHUNK];
        for (int i = 0; i < CHUNK; i++) {
            data[i] = (byte) (i ^ 0x5a);
        }
        List<Record> records = List.of(new Record.Progress(3), new Record.DeviceBlock(8, "drive0", ByteBuffer.wrap(data)),
                new Record.ZeroBlock(16, "drive0"), new Record.DeviceBlock(24, "drive1", ByteBuffer.wrap(data)),
                Record.EndOfSection.INSTANCE);
        long expectedBytes = 8 + (8 + 1 + 6 + CHUNK) + (8 + 1 + 6) + (8 + 1 + 6 + CHUNK) + 8;
        for (Stingy out : List.of(new Stingy(), new StingyGathering())) {
            RecordWriter rw = new RecordWriter(out, CHUNK);
            for (Record r : records) {
                rw.write(r);
            }
            assertEquals(expectedBytes, rw.bytesWritten(), out.getClass().getSimpleName());
            assertEquals(expectedBytes, out.out.size());
            assertEquals(records, TestStreams.decodeAll(out.out.toByteArray(), CHUNK));
        }
        // the same bytes as through an output stream
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        RecordWriter rw = new RecordWriter(Channels.newChannel(plain), CHUNK);
        for (Record r : records) {
            rw.write(r);
        }
        assertEquals(expectedBytes, plain.size());
        assertTrue(rw.bytesWritten() > 0);
    }
}
