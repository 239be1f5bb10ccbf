// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.junit.jupiter.api.Test;

/** The corners of QEMU's outer framing: configuration, commands, RAM, device state, footers, the tail. */
class QemuReaderEdgeTest {
    static final int CHUNK = 512;

    /** Builds a stream field by field, as QEMU writes it. */
    static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u8(int v) {
            out.write(v);
            return this;
        }

        Bytes be16(int v) {
            return u8(v >>> 8).u8(v & 0xff);
        }

        Bytes be32(int v) {
            return be16(v >>> 16).be16(v & 0xffff);
        }

        Bytes be64(long v) {
            return be32((int) (v >>> 32)).be32((int) v);
        }

        Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes zeros(int n) {
            return raw(new byte[n]);
        }

        Bytes str8(String s) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            return u8(b.length).raw(b);
        }

        Bytes header() {
            return be32(QemuFormat.FILE_MAGIC).be32(QemuFormat.FILE_VERSION);
        }

        Bytes config(String machine) {
            byte[] b = machine.getBytes(StandardCharsets.ISO_8859_1);
            return u8(QemuFormat.CONFIGURATION).be32(b.length).raw(b);
        }

        Bytes full(int id, String idstr, int version) {
            return u8(QemuFormat.SECTION_FULL).be32(id).str8(idstr).be32(0).be32(version);
        }

        Bytes start(int id, String idstr, int version) {
            return u8(QemuFormat.SECTION_START).be32(id).str8(idstr).be32(0).be32(version);
        }

        Bytes footer(int id) {
            return u8(QemuFormat.SECTION_FOOTER).be32(id);
        }

        /** A block START payload (just EOS) with its footer. */
        Bytes blockStart(int id) {
            return start(id, "block", 1).be64(QemuFormat.EOF | 0x02).footer(id);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static List<QemuEvent> events(byte[] stream) throws IOException {
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(stream), CHUNK);
        List<QemuEvent> out = new ArrayList<>();
        QemuEvent e;
        while ((e = r.next()) != null) {
            out.add(e instanceof QemuEvent.BlockRecord b && b.record() instanceof Record.DeviceBlock d
                    ? new QemuEvent.BlockRecord(b.type(), d.copy(), b.offsetBytes()) : e);
        }
        return out;
    }

    static ProtocolException fails(byte[] stream) {
        return assertThrows(ProtocolException.class, () -> events(stream));
    }

    static <T extends QemuEvent> List<T> only(List<QemuEvent> events, Class<T> kind) {
        return events.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    @Test
    void theMagicIsRecognisedFromItsFirstFourBytes() {
        assertTrue(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, 0x45, 0x56, 0x4d}));
        assertTrue(QemuStreamReader.looksLikeQemuStream(new Bytes().header().bytes()));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, 0x45, 0x56}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, 0x45, 0x56, 0x4e}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {(byte) 0xd1, 0x45, 0x56, 0x4d}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, (byte) 0xc5, 0x56, 0x4d}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, 0x45, (byte) 0xd6, 0x4d}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0x51, 0x45, 0x56, (byte) 0xcd}));
        assertFalse(QemuStreamReader.looksLikeQemuStream(new byte[] {0, 0, 0x56, 0x4d}));
    }

    @Test
    void aBadVersionIsReportedAtItsOwnOffset() {
        ProtocolException e = fails(new Bytes().be32(QemuFormat.FILE_MAGIC).be32(4).bytes());
        assertEquals(4, e.offsetBytes());
    }

    @Test
    void theMachineTypeIsBoundedTo256Bytes() throws IOException {
        String longest = "m".repeat(256);
        List<QemuEvent> ok = events(new Bytes().header().config(longest).u8(QemuFormat.EOF).bytes());
        assertEquals(longest, only(ok, QemuEvent.Configuration.class).get(0).machineType());
        ProtocolException tooLong = fails(new Bytes().header().config(longest + "m").u8(QemuFormat.EOF).bytes());
        assertEquals(9, tooLong.offsetBytes());
        assertEquals("machine type length 257 is out of range 0..256", tooLong.problem());
        ProtocolException negative = fails(new Bytes().header().u8(QemuFormat.CONFIGURATION).be32(-1).bytes());
        assertEquals("machine type length 4294967295 is out of range 0..256", negative.problem());
        assertEquals("", only(events(new Bytes().header().config("").u8(QemuFormat.EOF).bytes()),
                QemuEvent.Configuration.class).get(0).machineType());
    }

    static Bytes subsection(Bytes b, String name) {
        return b.u8(QemuFormat.SUBSECTION).str8(name).be32(1);
    }

    @Test
    void configurationSubsectionsAreReadAndNamed() throws IOException {
        Bytes b = new Bytes().header().config("pc");
        subsection(b, "configuration/target-page-bits").be32(12);
        subsection(b, "configuration/uuid").zeros(16);
        subsection(b, "configuration/capabilities").be32(2).str8("x-ignore-shared").str8("zero-blocks");
        b.blockStart(3).u8(QemuFormat.EOF);
        List<QemuEvent> es = events(b.bytes());
        assertEquals(List.of("configuration/target-page-bits", "configuration/uuid", "configuration/capabilities"),
                only(es, QemuEvent.Configuration.class).get(0).subsections());
        // what follows the subsections is read from the right place
        assertEquals(1, only(es, QemuEvent.SectionBegin.class).size());
        assertEquals(1, only(es, QemuEvent.EndOfSections.class).size());
    }

    @Test
    void capabilityCountsAreBoundedTo1024() throws IOException {
        Bytes most = subsection(new Bytes().header().config("pc"), "configuration/capabilities").be32(1024).zeros(1024);
        most.u8(QemuFormat.EOF);
        assertEquals(1, only(events(most.bytes()), QemuEvent.EndOfSections.class).size());
        Bytes none = subsection(new Bytes().header().config("pc"), "configuration/capabilities").be32(0).u8(QemuFormat.EOF);
        assertEquals(1, only(events(none.bytes()), QemuEvent.EndOfSections.class).size());
        for (int bad : new int[] {1025, -1}) {
            Bytes b = subsection(new Bytes().header().config("pc"), "configuration/capabilities").be32(bad).zeros(1025);
            ProtocolException e = fails(b.bytes());
            assertEquals("capability count " + bad + " is out of range", e.problem());
            assertEquals(8 + 1 + 4 + 2, e.offsetBytes());
        }
        ProtocolException unknown = fails(subsection(new Bytes().header().config("pc"), "configuration/other").bytes());
        assertEquals("unknown configuration subsection 'configuration/other'", unknown.problem());
    }

    @Test
    void aCommandSectionIsReportedAndSkipped() throws IOException {
        Bytes b = new Bytes().header().config("pc").u8(QemuFormat.COMMAND).be16(0x0102).be16(5).raw(new byte[] {1, 2, 3, 4, 5});
        b.blockStart(0x0a0b0c0d).u8(QemuFormat.EOF);
        List<QemuEvent> es = events(b.bytes());
        assertEquals(List.of(new QemuEvent.Command(0x0102, 5, 8 + 1 + 4 + 2)), only(es, QemuEvent.Command.class));
        assertEquals(0x0a0b0c0d, only(es, QemuEvent.SectionBegin.class).get(0).sectionId());
    }

    @Test
    void aBlockPayloadEndReportsItsSizeAndStreamsWithoutFootersAreRead() throws IOException {
        byte[] withFooters = new Bytes().header().config("pc").blockStart(1).u8(QemuFormat.EOF).bytes();
        QemuEvent.SectionEnd end = only(events(withFooters), QemuEvent.SectionEnd.class).get(0);
        assertEquals(0, end.skippedBytes(), "a block payload is parsed, not skipped");
        assertEquals(8 + 7 + 19 + 8 + 5, end.offsetBytes()); // header, configuration, START, payload, footer

        // send-section-footer off: no footer anywhere is fine
        Bytes none = new Bytes().header().config("pc").start(1, "block", 1).be64(0x02);
        none.u8(QemuFormat.SECTION_END).be32(1).be64((100L << 9) | 0x04).be64(0x02).u8(QemuFormat.EOF);
        List<QemuEvent> es = events(none.bytes());
        assertEquals(2, only(es, QemuEvent.SectionEnd.class).size());

        // but once a footer was seen, a missing one is an error
        Bytes missing = new Bytes().header().config("pc").blockStart(1);
        missing.u8(QemuFormat.SECTION_END).be32(1).be64(0x02).u8(QemuFormat.EOF);
        assertTrue(fails(missing.bytes()).problem().startsWith("missing footer after section 1 ('block')"));
    }

    @Test
    void theBlockSectionMustBeVersion1() throws IOException {
        ProtocolException e = fails(new Bytes().header().start(1, "block", 2).be64(0x02).footer(1).bytes());
        assertEquals("block section version 2 is not 1", e.problem());
        // a FULL 'block' section is read as records too (the checker flags it), so its version is checked as well
        ProtocolException full = fails(new Bytes().header().full(1, "block", 2).be64(0x02).footer(1).u8(QemuFormat.EOF)
                .bytes());
        assertEquals("block section version 2 is not 1", full.problem());
    }

    @Test
    void atMost65536SectionsAreDeclared() throws IOException {
        Bytes b = new Bytes().header();
        for (int id = 0; id < 65_536; id++) {
            b.full(id, "d", 1).footer(id);
        }
        byte[] most = b.u8(QemuFormat.EOF).bytes();
        assertEquals(65_536, only(events(most), QemuEvent.SectionEnd.class).size());
        byte[] tooMany = new Bytes().raw(java.util.Arrays.copyOf(most, most.length - 1)).full(70_000, "d", 1).footer(70_000)
                .u8(QemuFormat.EOF).bytes();
        assertEquals("more than 65536 sections", fails(tooMany).problem());
    }

    /** A RAM START payload: MEM_SIZE with its block list, then the given records, then EOS. */
    static Bytes ram(Bytes b, long totalBytes, long[] blockBytes) {
        b.start(2, "ram", 4).be64(totalBytes | QemuFormat.RAM_FLAG_MEM_SIZE);
        for (int i = 0; i < blockBytes.length; i++) {
            b.str8(i == 0 ? "pc.ram" : "").be64(blockBytes[i]);
        }
        return b;
    }

    @Test
    void ramPagesZerosAndContinuationsAreSkippedExactly() throws IOException {
        Bytes b = ram(new Bytes().header().config("pc"), 8192, new long[] {8192});
        b.be64(QemuFormat.RAM_FLAG_ZERO).str8("pc.ram").u8(0);
        b.be64(4096 | QemuFormat.RAM_FLAG_PAGE | QemuFormat.RAM_FLAG_CONTINUE).zeros(4096);
        b.be64(QemuFormat.RAM_FLAG_ZERO | QemuFormat.RAM_FLAG_CONTINUE).u8(0);
        b.be64(QemuFormat.RAM_FLAG_EOS).footer(2);
        b.blockStart(1).u8(QemuFormat.EOF);
        List<QemuEvent> es = events(b.bytes());
        assertEquals(List.of("ram", "block"), only(es, QemuEvent.SectionEnd.class).stream().map(QemuEvent.SectionEnd::idstr)
                .toList());
        // MEM_SIZE + its block list, ZERO with a name, PAGE, ZERO continued, EOS
        assertEquals(8 + (1 + 6 + 8) + (8 + 1 + 6 + 1) + (8 + 4096) + (8 + 1) + 8,
                only(es, QemuEvent.SectionEnd.class).get(0).skippedBytes());
    }

    @Test
    void aRamPageCutShortIsNamed() {
        Bytes b = ram(new Bytes().header(), 4096, new long[] {4096}).be64(QemuFormat.RAM_FLAG_PAGE).str8("pc.ram").zeros(100);
        assertTrue(fails(b).problem().startsWith("truncated: input ends inside RAM page (100 of 4096"), fails(b).problem());
        Bytes z = ram(new Bytes().header(), 4096, new long[] {4096}).be64(QemuFormat.RAM_FLAG_ZERO).str8("pc.ram");
        assertTrue(fails(z).problem().startsWith("truncated: input ends inside RAM fill byte"), fails(z).problem());
    }

    @Test
    void ramFlagsOutsideTheDefaultSetAreRefused() {
        Bytes b = ram(new Bytes().header(), 4096, new long[] {4096}).be64(QemuFormat.RAM_FLAG_XBZRLE);
        assertEquals("unsupported RAM record flags 0x40", fails(b.bytes()).problem());
    }

    @Test
    void ramBlockListsMustAddUpAndAreBounded() throws IOException {
        long page = QemuFormat.RAM_PAGE_SIZE_BYTES; // the RAM size travels in the page-address bits
        ProtocolException over = fails(ram(new Bytes().header(), 100 * page, new long[] {60 * page, 50 * page}).bytes());
        assertEquals("RAM block lengths do not add up to the RAM size " + 100 * page, over.problem());
        assertTrue(fails(ram(new Bytes().header(), 100 * page, new long[] {0})).problem().startsWith("RAM block lengths"));
        // an exact fit is read, and the EOS after it
        Bytes exact = ram(new Bytes().header(), 100 * page, new long[] {60 * page, 40 * page}).be64(QemuFormat.RAM_FLAG_EOS)
                .footer(2);
        assertEquals(1, only(events(exact.u8(QemuFormat.EOF).bytes()), QemuEvent.SectionEnd.class).size());

        long[] most = new long[65_536];
        java.util.Arrays.fill(most, 1);
        Bytes many = ram(new Bytes().header(), most.length, most).be64(QemuFormat.RAM_FLAG_EOS).footer(2);
        assertEquals(1, only(events(many.u8(QemuFormat.EOF).bytes()), QemuEvent.SectionEnd.class).size());
        long[] tooMany = new long[65_537];
        java.util.Arrays.fill(tooMany, 1);
        tooMany[65_536] = page; // the 65537th block would complete the RAM size: still one too many
        assertEquals("more than 65536 RAM blocks", fails(ram(new Bytes().header(), 65_536 + page, tooMany).bytes()).problem());
    }

    static ProtocolException fails(Bytes b) {
        return fails(b.bytes());
    }

    @Test
    void deviceStateEndsAtTheFooterWithItsIdFollowedByAPlausibleSection() throws IOException {
        int id = 0x01020304;
        byte[] idBytes = {1, 2, 3, 4};
        // false footers inside the state: wrong id, or followed by nothing that looks like a section
        Bytes state = new Bytes().u8(0x7e).be32(0x01020305).u8(0)
                .u8(0x7e).raw(idBytes).u8(0x02)                       // a PART: not plausible after device state
                .u8(0x7e).raw(idBytes).u8(0x00).u8(0x33)              // EOF followed by neither the end nor VMDESCRIPTION
                .u8(0x7e).raw(idBytes).u8(0x00).u8(0x00)              // ... not even by another EOF
                .u8(0x7e).raw(idBytes).u8(0x04).be32(9).u8(0).u8(0x41)  // FULL with an empty name
                .u8(0x7e).raw(idBytes).u8(0x04).be32(9).u8(1).u8(0x1f)  // FULL whose name starts with a control byte
                .u8(0x7e).raw(idBytes).u8(0x04).be32(9).u8(1).u8(0x7f); // ... or with DEL
        int stateBytes = state.bytes().length;
        for (int next = 0; next < 5; next++) {
            Bytes b = new Bytes().header().full(id, "dev", 1).raw(state.bytes()).footer(id);
            switch (next) {
                case 0 -> b.u8(QemuFormat.EOF);                                     // EOF, then the end
                case 1 -> b.u8(QemuFormat.EOF).u8(QemuFormat.VMDESCRIPTION).be32(2).raw("{}".getBytes());
                case 2 -> b.u8(QemuFormat.COMMAND).be16(1).be16(0).u8(QemuFormat.EOF);
                case 3 -> b.full(7, " x", 1).footer(7).u8(QemuFormat.EOF);        // names from 0x20 ...
                default -> b.full(7, "~x", 1).footer(7).u8(QemuFormat.EOF);       // ... to 0x7e
            }
            List<QemuEvent> es = events(b.bytes());
            assertEquals(stateBytes, only(es, QemuEvent.SectionEnd.class).get(0).skippedBytes(), "next " + next);
            assertEquals(1, only(es, QemuEvent.EndOfSections.class).size(), "next " + next);
        }
        // a footer as the last bytes of the input is the footer
        byte[] last = new Bytes().header().full(id, "dev", 1).u8(5).footer(id).bytes();
        assertThrows(ProtocolException.class, () -> events(last), "no EOF marker");
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(last), CHUNK);
        assertTrue(r.next() instanceof QemuEvent.SectionBegin);
        assertEquals(1, ((QemuEvent.SectionEnd) r.next()).skippedBytes());
    }

    @Test
    void aFooterCutShortIsNotAFooter() {
        byte[] cut = new Bytes().header().full(0, "dev", 1).u8(1).u8(0x7e).u8(0).u8(0).bytes();
        ProtocolException e = fails(cut);
        assertEquals("truncated: no footer found for section 0 ('dev')", e.problem());
    }

    @Test
    void anEmptyVmDescriptionIsFineAndItsLengthIsBounded() throws IOException {
        List<QemuEvent> es = events(new Bytes().header().u8(QemuFormat.EOF).u8(QemuFormat.VMDESCRIPTION).be32(0).bytes());
        assertEquals(List.of(new QemuEvent.VmDescription(0, 9)), only(es, QemuEvent.VmDescription.class));
        ProtocolException e = fails(new Bytes().header().u8(QemuFormat.EOF).u8(QemuFormat.VMDESCRIPTION).be32(-1).bytes());
        // the length is unsigned and never allocated: past the input it is a truncation
        assertEquals("truncated: input ends inside VM description (0 of 4294967295 bytes present)", e.problem());
    }

    @Test
    void theWriterCountsItsFramingAndSendsFileBlocksInItsPayload() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), CHUNK, 0x0102);
        assertEquals(0x0102, w.sectionId());
        w.writeHeader("pc");
        assertEquals(8 + 1 + 4 + 2, w.bytesWritten());
        w.beginPayload(SectionType.START);
        w.write(Record.EndOfSection.INSTANCE);
        w.endPayload();
        java.nio.file.Path f = java.nio.file.Files.createTempFile("blk", ".img");
        try {
            byte[] data = new byte[CHUNK];
            data[3] = 7;
            java.nio.file.Files.write(f, data);
            w.beginPayload(SectionType.END);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                w.writeFileBlock(0, "d", ch, 0, CHUNK, CHUNK);
            }
            w.write(new Record.Progress(100));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            w.writeEof();
            assertEquals(out.size(), w.bytesWritten());
            List<QemuEvent> es = events(out.toByteArray());
            assertEquals(new Record.DeviceBlock(0, "d", ByteBuffer.wrap(data)),
                    only(es, QemuEvent.BlockRecord.class).get(1).record());
        } finally {
            java.nio.file.Files.delete(f);
        }
    }

    @Test
    void blockDataLandsInTheBufferTheReaderIsLent() throws IOException {
        byte[] data = new byte[CHUNK];
        data[0] = 11;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), CHUNK, 1);
        w.writeHeader("pc");
        w.beginPayload(SectionType.START);
        w.write(new Record.DeviceBlock(0, "d", ByteBuffer.wrap(data)));
        w.write(Record.EndOfSection.INSTANCE);
        w.endPayload();
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(out.toByteArray()), CHUNK);
        ByteBuffer lent = ByteBuffer.allocateDirect(CHUNK);
        r.useDataBuffer(lent);
        QemuEvent e;
        while (!((e = r.next()) instanceof QemuEvent.BlockRecord)) {
            assertFalse(e == null);
        }
        assertEquals(11, lent.get(0));
    }
}
