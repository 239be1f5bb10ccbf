// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blocks sent straight from a file read back as the same records a buffer would give. */
class FileBlockTest {
    static final int CHUNK = 4096;

    @TempDir
    Path dir;

    Path file(int bytes) throws IOException {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        Path p = dir.resolve("f.img");
        Files.write(p, b);
        return p;
    }

    /** A wrapper that is not a FileChannel target, but takes file data through the interface. */
    static final class Wrapped implements WritableByteChannel, ZeroCopyTarget {
        final WritableByteChannel inner;
        int transfers;

        Wrapped(WritableByteChannel inner) {
            this.inner = inner;
        }

        @Override
        public long transferFrom(FileChannel file, long position, long count) throws IOException {
            transfers++;
            return file.transferTo(position, count, inner);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return inner.write(src);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    @Test
    void fullAndPartialChunksFromAFileDecodeAsBlocksWithAZeroTail() throws IOException {
        Path p = file(CHUNK + 1024);
        byte[] whole = Files.readAllBytes(p);
        for (boolean wrapped : new boolean[] {false, true}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Wrapped w = new Wrapped(Channels.newChannel(out));
            RecordWriter rw = new RecordWriter(wrapped ? w : Channels.newChannel(out), CHUNK);
            try (FileChannel f = FileChannel.open(p)) {
                rw.writeFileBlock(0, "d", f, 0, CHUNK);
                rw.writeFileBlock(8, "d", f, CHUNK, 1024);
            }
            assertEquals(2 * (8 + 1 + 1 + CHUNK), rw.bytesWritten());
            assertEquals(wrapped ? 2 : 0, w.transfers);
            List<Record> rs = TestStreams.decodeAll(out.toByteArray(), CHUNK);
            byte[] tail = Arrays.copyOf(Arrays.copyOfRange(whole, CHUNK, CHUNK + 1024), CHUNK);
            assertEquals(List.of(new Record.DeviceBlock(0, "d", ByteBuffer.wrap(Arrays.copyOf(whole, CHUNK))),
                    new Record.DeviceBlock(8, "d", ByteBuffer.wrap(tail))), rs);
        }
        try (FileChannel f = FileChannel.open(p)) {
            RecordWriter rw = new RecordWriter(new ByteArrayOutputStream(), CHUNK);
            assertThrows(IllegalArgumentException.class, () -> rw.writeFileBlock(0, "d", f, 0, CHUNK + 1));
            assertThrows(IOException.class, () -> rw.writeFileBlock(0, "d", f, 4 * CHUNK, CHUNK), "past the end of the file");
        }
    }

    @Test
    void aSinkWithoutZeroCopyReadsTheFileAndAFramedOneSendsIt() throws IOException {
        Path p = file(2 * CHUNK);
        List<Record> kept = new ArrayList<>();
        PayloadSink plain = new PayloadSink() {
            @Override
            public void beginPayload(SectionType type) {}

            @Override
            public void write(Record r) {
                kept.add(r instanceof Record.DeviceBlock b ? b.copy() : r);
            }

            @Override
            public void endPayload() {}
        };
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        QemuStreamWriter q = new QemuStreamWriter(Channels.newChannel(framed), CHUNK, 1);
        q.writeHeader("pc-i440fx-7.2");
        try (FileChannel f = FileChannel.open(p)) {
            plain.writeFileBlock(8, "d", f, CHUNK, CHUNK, CHUNK);
            assertThrows(IllegalStateException.class, () -> q.writeFileBlock(0, "d", f, 0, CHUNK, CHUNK), "no payload open");
            q.beginPayload(SectionType.START);
            q.write(Record.EndOfSection.INSTANCE);
            q.endPayload();
            q.beginPayload(SectionType.END);
            q.writeFileBlock(8, "d", f, CHUNK, CHUNK, CHUNK);
            q.write(new Record.Progress(100));
            q.write(Record.EndOfSection.INSTANCE);
            q.endPayload();
            q.writeEof();
            assertThrows(IOException.class, () -> plain.writeFileBlock(0, "d", f, 3 * CHUNK, CHUNK, CHUNK));
        }
        byte[] second = Arrays.copyOfRange(Files.readAllBytes(p), CHUNK, 2 * CHUNK);
        assertEquals(List.of(new Record.DeviceBlock(8, "d", ByteBuffer.wrap(second))), kept);
        assertEquals(List.of(), StreamChecker.checkQemuStream(ByteInput.of(framed.toByteArray()),
                java.util.Map.of("d", 2L * CHUNK), CHUNK));
    }

    @Test
    void aReaderFillsTheBufferItIsGiven() throws IOException {
        byte[] bytes = TestStreams.encode(List.of(TestStreams.block(0, "d", CHUNK, 5), TestStreams.block(8, "d", CHUNK, 6)), CHUNK);
        RecordReader r = new RecordReader(ByteInput.of(bytes), CHUNK);
        ByteBuffer mine = ByteBuffer.allocate(CHUNK);
        r.useDataBuffer(mine);
        r.next();
        assertEquals(5, mine.get(0));
        ByteBuffer other = ByteBuffer.allocateDirect(CHUNK);
        r.useDataBuffer(other);
        r.next();
        assertEquals(6, other.get(0));
        assertEquals(5, mine.get(0), "the first block's buffer was left alone");
        assertThrows(IllegalArgumentException.class, () -> r.useDataBuffer(ByteBuffer.allocate(CHUNK / 2)));
    }
}
