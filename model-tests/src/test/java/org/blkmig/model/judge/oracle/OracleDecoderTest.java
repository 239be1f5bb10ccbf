// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.junit.jupiter.api.Test;

/** The oracle's decoder on streams built here byte by byte, good and bad. */
class OracleDecoderTest {
    static final int CHUNK_BYTES = 4096;
    static final long SECTORS_PER_CHUNK = CHUNK_BYTES / 512;

    /** Lines a person can compare: payload boundaries and records with their offsets. */
    static final class Trace implements OracleDecoder.Listener {
        final List<String> lines = new ArrayList<>();

        @Override
        public void payloadBegin(OracleDecoder.SectionKind kind, long offsetBytes) {
            lines.add("begin " + kind + " @" + offsetBytes);
        }

        @Override
        public void record(OracleDecoder.Rec r) {
            String data = r.data() == null ? "" : " fill=" + r.data().get(0) + " bytes=" + r.data().remaining();
            lines.add(r.kind() + " " + r.value() + (r.device() == null ? "" : " " + r.device()) + data + " @" + r.offsetBytes());
        }

        @Override
        public void payloadEnd(OracleDecoder.SectionKind kind, long offsetBytes) {
            lines.add("end " + kind + " @" + offsetBytes);
        }
    }

    static Record.DeviceBlock block(long sector, int fill) {
        byte[] b = new byte[CHUNK_BYTES];
        Arrays.fill(b, (byte) fill);
        return new Record.DeviceBlock(sector, "drive0", ByteBuffer.wrap(b));
    }

    /** Header, configuration, RAM START, block START, RAM PART, block PART, block END, device state, EOF, VM description. */
    static byte[] stream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), CHUNK_BYTES, 3);
        try {
            w.writeHeader("pc-i440fx-7.2");
            // RAM START (id 5): MEM_SIZE with one 8 KiB block, a ZERO page naming it, EOS
            ByteBuffer ram = ByteBuffer.allocate(80);
            ram.put((byte) 1).putInt(5).put((byte) 3).put("ram".getBytes(StandardCharsets.US_ASCII)).putInt(0).putInt(4);
            ram.putLong(8192 | 0x04).put((byte) 6).put("pc.ram".getBytes(StandardCharsets.US_ASCII)).putLong(8192);
            ram.putLong(0x02).put((byte) 6).put("pc.ram".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            ram.putLong(0x10).put((byte) 0x7e).putInt(5);
            out.write(ram.array(), 0, ram.position());
            w.beginPayload(SectionType.START);
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            // RAM PART: its first page CONTINUEs the block named in the START (QEMU keeps the last block across payloads)
            ByteBuffer part = ByteBuffer.allocate(4200);
            part.put((byte) 2).putInt(5);
            part.putLong(4096 | 0x08 | 0x20).put(new byte[4096]);
            part.putLong(0x02).put((byte) 6).put("pc.ram".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            part.putLong(0x10).put((byte) 0x7e).putInt(5);
            out.write(part.array(), 0, part.position());
            w.beginPayload(SectionType.PART);
            w.write(new Record.Progress(0));
            w.write(block(0, 1));
            w.write(new Record.ZeroBlock(SECTORS_PER_CHUNK, "drive0"));
            w.write(new Record.Progress(50));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            w.beginPayload(SectionType.END);
            w.write(block(2 * SECTORS_PER_CHUNK, 2));
            w.write(new Record.Progress(100));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            // device state (FULL, id 9) whose bytes contain a footer of another section
            ByteBuffer dev = ByteBuffer.allocate(64);
            dev.put((byte) 4).putInt(9).put((byte) 5).put("timer".getBytes(StandardCharsets.US_ASCII)).putInt(0).putInt(2);
            dev.put(new byte[] {1, 0x7e, 0, 0, 0, 8, 4}).put((byte) 0x7e).putInt(9);
            out.write(dev.array(), 0, dev.position());
            w.writeEof();
            byte[] json = "{\"devices\":[]}".getBytes(StandardCharsets.US_ASCII);
            out.write(6);
            out.write(ByteBuffer.allocate(4).putInt(json.length).array());
            out.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static List<String> decode(byte[] bytes) throws Exception {
        Trace t = new Trace();
        new OracleDecoder(CHUNK_BYTES).decodeQemu(new ByteArrayInputStream(bytes), t);
        return t.lines;
    }

    static Rejected reject(byte[] bytes) {
        return assertThrows(Rejected.class, () -> decode(bytes));
    }

    @Test
    void aQemuStreamYieldsTheBlockPayloadsWithTheirOffsets() throws Exception {
        byte[] s = stream();
        // offsets by hand: header 8 + configuration 18 = 26; RAM START 17 + 23 + 16 + 8 + 5 = 69 -> block START at 95
        List<String> expected = List.of(
                "begin START @95", "EOS 0 @114", "end START @127",
                // RAM PART: 5 + 8 + 4096 + 16 + 8 + 5 = 4138 -> block PART at 4265
                "begin PART @4265", "PROGRESS 0 @4270", "DATA 0 drive0 fill=1 bytes=4096 @4278",
                "ZERO 8 drive0 @8389", "PROGRESS 50 @8404", "EOS 0 @8412", "end PART @8425",
                "begin END @8425", "DATA 16 drive0 fill=2 bytes=4096 @8430", "PROGRESS 100 @12541", "EOS 0 @12549",
                "end END @12562");
        assertEquals(expected, decode(s));
        OracleDecoder.Summary sum = new OracleDecoder(CHUNK_BYTES).decodeQemu(new ByteArrayInputStream(s), r -> {});
        assertEquals(s.length, sum.lengthBytes());
        assertTrue(sum.eofMarker());
        assertEquals(14, sum.vmDescriptionBytes());
    }

    @Test
    void aBareRecordListIsCutIntoPayloadsAtEachEos() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        org.blkmig.protocol.RecordWriter w = new org.blkmig.protocol.RecordWriter(out, CHUNK_BYTES);
        for (Record r : List.of(Record.EndOfSection.INSTANCE, block(0, 7), Record.EndOfSection.INSTANCE,
                new Record.Progress(100), Record.EndOfSection.INSTANCE, new Record.Progress(100))) {
            w.write(r);
        }
        byte[] bytes = out.toByteArray();
        List<String> expected = List.of("begin null @0", "EOS 0 @0", "end START @8",
                "begin null @8", "DATA 0 drive0 fill=7 bytes=4096 @8", "EOS 0 @4119", "end PART @4127",
                "begin null @4127", "PROGRESS 100 @4127", "EOS 0 @4135", "end END @4143",
                "begin null @4143", "PROGRESS 100 @4143");
        Trace t = new Trace();
        new OracleDecoder(CHUNK_BYTES).decode(new ByteArrayInputStream(bytes), t);
        assertEquals(expected, t.lines);
        OracleDecoder.Summary sum = new OracleDecoder(CHUNK_BYTES).decodeRecords(new ByteArrayInputStream(bytes), r -> {});
        assertTrue(sum.payloadOpen(), "the last payload has no EOS");
        assertFalse(new OracleDecoder(CHUNK_BYTES).decodeRecords(new ByteArrayInputStream(bytes, 0, 4143), r -> {})
                .payloadOpen());
    }

    @Test
    void everyCutOfAStreamBeforeItsEofMarkerIsATruncationNeverAMalformation() throws Exception {
        byte[] s = stream();
        int eofAt = s.length - 20; // the EOF marker, then the VM description (1 + 4 + 14 bytes)
        for (int cut = 0; cut < s.length; cut++) {
            if (cut == eofAt + 1) {
                continue; // the EOF marker ends a stream: the VM description is optional
            }
            Rejected r = reject(Arrays.copyOf(s, cut));
            assertTrue(r.truncated(), "cut " + cut + ": " + r.getMessage());
            assertTrue(r.offsetBytes() <= cut, "cut " + cut + ": " + r.getMessage());
        }
        assertEquals(15, decode(Arrays.copyOf(s, eofAt + 1)).size());
    }

    static byte[] with(byte[] s, int offset, byte... bytes) {
        byte[] c = s.clone();
        System.arraycopy(bytes, 0, c, offset, bytes.length);
        return c;
    }

    @Test
    void malformedInputNamesTheReasonAndTheOffset() {
        byte[] s = stream();
        record Bad(byte[] bytes, long offsetBytes, String reason) {}
        int partAt = 4265;
        int firstRecord = partAt + 5; // PROGRESS 0; its flags are its header's last byte
        List<Bad> cases = List.of(
                new Bad(with(s, 0, (byte) 'X'), 0, "file magic"),
                new Bad(with(s, 7, (byte) 2), 4, "file version 2"),
                new Bad(with(s, firstRecord + 7, (byte) 0x14), firstRecord, "unused flag bits 0x10"),
                new Bad(with(s, firstRecord + 7, (byte) 0x06), firstRecord, "flags 0x6 are none of"),
                new Bad(with(s, firstRecord + 7, (byte) 0x0c), firstRecord, "flags 0xc are none of"),
                new Bad(with(s, firstRecord + 7, (byte) 0x00), firstRecord, "flags 0x0 are none of"),
                new Bad(with(s, firstRecord + 6, (byte) 0xca, (byte) 0x04), firstRecord, "PROGRESS 101"),
                new Bad(with(s, firstRecord + 6, (byte) 0x02, (byte) 0x02), firstRecord, "EOS carries the value 1"),
                new Bad(with(s, firstRecord + 8 + 8, (byte) 0), firstRecord + 8, "device name of 0 bytes"),
                new Bad(with(s, firstRecord + 8 + 9, (byte) 0xff), firstRecord + 8, "not UTF-8"),
                new Bad(with(s, 126, (byte) 4), 122, "footer of section 4 ends section 3"),
                new Bad(with(s, 122, (byte) 0x7f), 122, "missing footer of section 3"),
                new Bad(with(s, partAt, (byte) 0x09), partAt, "section type 0x09"),
                new Bad(with(s, partAt + 4, (byte) 4), partAt, "PART of section id 4, which no START declared"),
                new Bad(with(s, 113, (byte) 2), 95, "block section instance 0 version 2"),
                new Bad(with(s, 109, (byte) 1), 95, "block section instance 1 version 1"),
                new Bad(with(s, 99, (byte) 5), 95, "section id 5 is declared a second time"),
                new Bad(with(s, 50, (byte) 0x18), 43, "RAM record flags 0x18"),
                new Bad(with(s, 89, (byte) 0x12), 82, "RAM record flags 0x12"),
                new Bad(with(s, 73, (byte) 0x22), 66, "CONTINUEs, but no RAM block was named before"),
                new Bad(with(s, 11, (byte) 1), 9, "machine type of 269 bytes"),
                // without the device state (31 bytes) and VM description, whose skipping needs a plausible EOF
                new Bad(with(Arrays.copyOf(s, s.length - 51 + 2), s.length - 51, (byte) 0, (byte) 1), s.length - 50,
                        "section type 0x01 after EOF"),
                new Bad(Arrays.copyOf(s, s.length + 1), s.length, "bytes after the VM description"));
        for (Bad b : cases) {
            Rejected r = assertThrows(Rejected.class, () -> decode(b.bytes()), b.reason());
            assertFalse(r.truncated(), r.getMessage());
            assertTrue(r.reason().contains(b.reason()), "expected '" + b.reason() + "' in: " + r.getMessage());
            assertEquals(b.offsetBytes(), r.offsetBytes(), r.getMessage());
        }
    }

    @Test
    void decodingAStreamOfManyChunksAllocatesAboutOneChunkNotTheStream() throws Exception {
        int chunkBytes = 1 << 20;
        int blocks = 64;
        byte[] header = Arrays.copyOf(stream(), 26); // the file header and the configuration
        byte[] start = {1, 0, 0, 0, 3, 5, 'b', 'l', 'o', 'c', 'k', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0x7e, 0, 0, 0, 3};
        byte[] blockHead = ByteBuffer.allocate(15).putLong(0x01).put((byte) 6).put("drive0".getBytes(StandardCharsets.US_ASCII))
                .array();
        // a stream of 64 MiB, generated as it is read: START, then PART payloads of one block each
        InputStream in = new InputStream() {
            long position;
            final long partBytes = 5 + 15 + chunkBytes + 8 + 5;
            final long totalBytes = header.length + start.length + blocks * partBytes + 1;

            @Override
            public int read() {
                if (position >= totalBytes) {
                    return -1;
                }
                long p = position++;
                if (p < header.length) {
                    return header[(int) p] & 0xff;
                }
                p -= header.length;
                if (p < start.length) {
                    return start[(int) p] & 0xff;
                }
                p -= start.length;
                if (p == blocks * partBytes) {
                    return 0; // EOF marker
                }
                long inPart = p % partBytes;
                if (inPart < 5) {
                    return inPart == 0 ? 2 : inPart == 4 ? 3 : 0;
                }
                inPart -= 5;
                if (inPart < 15) {
                    return blockHead[(int) inPart] & 0xff;
                }
                inPart -= 15;
                if (inPart < chunkBytes) {
                    return 0x5a;
                }
                inPart -= chunkBytes;
                if (inPart < 8) {
                    return inPart == 7 ? 2 : 0;
                }
                inPart -= 8;
                return inPart == 0 ? 0x7e : inPart == 4 ? 3 : 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = 0;
                while (n < len) {
                    int c = read();
                    if (c < 0) {
                        return n == 0 ? -1 : n;
                    }
                    b[off + n++] = (byte) c;
                }
                return n;
            }
        };
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] dataBlocks = {0};
        long before = threads.getCurrentThreadAllocatedBytes();
        new OracleDecoder(chunkBytes).decodeQemu(in, r -> {
            if (r.kind() == OracleDecoder.Kind.DATA) {
                assertEquals(0x5a, r.data().get(chunkBytes - 1));
                dataBlocks[0]++;
            }
        });
        long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(blocks, dataBlocks[0]);
        assertTrue(allocatedBytes < 4L << 20, "decoding " + blocks + " MiB allocated " + allocatedBytes + " bytes");
    }
}
