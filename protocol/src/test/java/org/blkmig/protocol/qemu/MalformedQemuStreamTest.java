// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.check.StreamChecker.Payload;
import org.junit.jupiter.api.Test;

class MalformedQemuStreamTest {
    static final int CHUNK = 512;

    static final List<Payload> SMALL = List.of(
            new Payload(SectionType.START, List.of(Record.EndOfSection.INSTANCE)),
            new Payload(SectionType.PART, List.of(new Record.Progress(50), TestStreams.block(0, "drive0", CHUNK, 3),
                    new Record.ZeroBlock(1, "drive0"), Record.EndOfSection.INSTANCE)),
            new Payload(SectionType.END, List.of(new Record.Progress(100), Record.EndOfSection.INSTANCE)));

    /** Reads the whole stream; every failure must be a ProtocolException. */
    static void readAll(byte[] stream) throws IOException {
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(stream), CHUNK);
        while (r.next() != null) {
            // walk
        }
    }

    static ProtocolException fails(byte[] stream) {
        return assertThrows(ProtocolException.class, () -> readAll(stream));
    }

    @Test
    void theSmallStreamIsValid() throws IOException {
        assertEquals(SMALL, QemuFramingProperties.readPayloads(TestStreams.frame(SMALL, CHUNK, 7), CHUNK));
    }

    @Test
    void truncationAtEveryByteIsAProtocolException() {
        byte[] full = TestStreams.frame(SMALL, CHUNK, 7);
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            try {
                readAll(part);
                fail("a stream cut at byte " + cut + " of " + full.length + " was accepted");
            } catch (ProtocolException e) {
                assertTrue(e.offsetBytes() <= cut, e.getMessage());
                // a run that stops early must read as truncated, never as malformed (the checks rely on it)
                assertTrue(e.problem().startsWith("truncated"), "cut at " + cut + ": " + e.getMessage());
                assertEquals(ProtocolException.Kind.TRUNCATED, e.kind(), "cut at " + cut + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("cut at " + cut + ": " + t + " is not a ProtocolException");
            }
        }
    }

    @Test
    void badMagicAndVersionAreRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        byte[] magic = s.clone();
        magic[0] = 'X';
        assertTrue(fails(magic).getMessage().contains("not a QEMU migration stream"));
        assertEquals(ProtocolException.Kind.MALFORMED, fails(magic).kind(), "wrong, not cut short");
        byte[] version = s.clone();
        version[7] = 2;
        assertTrue(fails(version).getMessage().contains("unsupported QEMU stream version 2"));
        assertTrue(fails(new byte[0]).getMessage().contains("empty input"));
        assertEquals(ProtocolException.Kind.TRUNCATED, fails(new byte[0]).kind(), "no header at all: cut short");
    }

    @Test
    void everyUnknownSectionTypeIsRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int firstSection = 8 + 1 + 4 + "pc-i440fx-7.2".length();
        for (int type = 0x09; type <= 0xff; type++) {
            byte[] bad = s.clone();
            bad[firstSection] = (byte) type;
            ProtocolException e = fails(bad);
            assertEquals(firstSection, e.offsetBytes());
            assertTrue(e.getMessage().contains(String.format("unknown section type 0x%02x", type)), e.getMessage());
        }
        byte[] sub = s.clone();
        sub[firstSection] = 0x05; // a subsection where a section must stand
        fails(sub);
    }

    @Test
    void aWrongFooterIdIsRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int firstSection = 8 + 1 + 4 + "pc-i440fx-7.2".length();
        int footer = firstSection + 1 + 4 + 1 + 5 + 4 + 4 + 8; // START header + EOS
        assertEquals(0x7e, s[footer] & 0xff);
        ByteBuffer.wrap(s).putInt(footer + 1, 8);
        ProtocolException e = fails(s);
        assertEquals(footer, e.offsetBytes());
        assertTrue(e.getMessage().contains("footer names section id 8 but section 7"), e.getMessage());
    }

    @Test
    void aPartOfAnUnknownSectionIsRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int firstSection = 8 + 1 + 4 + "pc-i440fx-7.2".length();
        int part = firstSection + 1 + 4 + 1 + 5 + 4 + 4 + 8 + 5;
        assertEquals(0x02, s[part]);
        ByteBuffer.wrap(s).putInt(part + 1, 99);
        assertTrue(fails(s).getMessage().contains("section id 99 that was never started"));
    }

    @Test
    void trailingBytesAfterTheStreamAreRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        byte[] longer = Arrays.copyOf(s, s.length + 1);
        longer[s.length] = 0x01;
        assertTrue(fails(longer).getMessage().contains("after EOF"));
    }

    @Test
    void aHugeMachineTypeLengthIsRejectedWithoutAllocating() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        ByteBuffer.wrap(s).putInt(9, 0x7fffffff);
        assertTrue(fails(s).getMessage().contains("machine type length"));
    }

    /** The block payloads of SMALL with a device-state (FULL) section before the END, as QEMU may order them. */
    static byte[] withDeviceStateBeforeEnd() throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(java.nio.channels.Channels.newChannel(out), CHUNK, 7);
        w.writeHeader("pc-i440fx-7.2");
        for (Payload p : SMALL.subList(0, 2)) {
            w.beginPayload(p.type());
            for (Record r : p.records()) {
                w.write(r);
            }
            w.endPayload();
        }
        ByteBuffer dev = ByteBuffer.allocate(64);
        dev.put((byte) QemuFormat.SECTION_FULL).putInt(9).put((byte) 5).put("timer".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(0).putInt(2).put(new byte[] {1, 2, 3}).put((byte) QemuFormat.SECTION_FOOTER).putInt(9);
        out.write(dev.array(), 0, dev.position());
        w.beginPayload(SectionType.END);
        for (Record r : SMALL.get(2).records()) {
            w.write(r);
        }
        w.endPayload();
        w.writeEof();
        return out.toByteArray();
    }

    @Test
    void aLiveSectionAfterDeviceStateIsReadNotSkippedAsDeviceState() throws IOException {
        // QEMU loads sections in any order; the skip of device state must stop at its footer here too
        assertEquals(SMALL, QemuFramingProperties.readPayloads(withDeviceStateBeforeEnd(), CHUNK));
    }

    @Test
    void aBlockSectionOtherThanInstance0Version1IsRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int firstSection = 8 + 1 + 4 + "pc-i440fx-7.2".length();
        int instance = firstSection + 1 + 4 + 1 + 5;
        byte[] other = s.clone();
        ByteBuffer.wrap(other).putInt(instance, 1);
        ProtocolException e = fails(other);
        assertEquals(firstSection, e.offsetBytes());
        assertTrue(e.getMessage().contains("block section instance 1 is not 0"), e.getMessage());
        byte[] version = s.clone();
        ByteBuffer.wrap(version).putInt(instance + 4, 2);
        assertTrue(fails(version).getMessage().contains("block section version 2 is not 1"));
    }

    /** Header, a RAM START naming its block in a ZERO page, a RAM PART whose first page CONTINUEs that block, the block section. */
    static byte[] ramContinuedAcrossPayloads(boolean nameInStart) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(java.nio.channels.Channels.newChannel(out), CHUNK, 7);
        w.writeHeader("pc-i440fx-7.2");
        byte[] name = "pc.ram".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer ram = ByteBuffer.allocate(8192);
        ram.put((byte) QemuFormat.SECTION_START).putInt(3).put((byte) 3).put("ram".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(0).putInt(4);
        ram.putLong(8192 | QemuFormat.RAM_FLAG_MEM_SIZE).put((byte) name.length).put(name).putLong(8192);
        if (nameInStart) {
            ram.putLong(QemuFormat.RAM_FLAG_ZERO).put((byte) name.length).put(name).put((byte) 0);
        }
        ram.putLong(QemuFormat.RAM_FLAG_EOS).put((byte) QemuFormat.SECTION_FOOTER).putInt(3);
        ram.put((byte) QemuFormat.SECTION_PART).putInt(3);
        ram.putLong(4096 | QemuFormat.RAM_FLAG_PAGE | QemuFormat.RAM_FLAG_CONTINUE).put(new byte[4096]);
        ram.putLong(QemuFormat.RAM_FLAG_EOS).put((byte) QemuFormat.SECTION_FOOTER).putInt(3);
        out.write(ram.array(), 0, ram.position());
        for (Payload p : SMALL) {
            w.beginPayload(p.type());
            for (Record r : p.records()) {
                w.write(r);
            }
            w.endPayload();
        }
        w.writeEof();
        return out.toByteArray();
    }

    @Test
    void aRamPageMayContinueTheBlockOfAnEarlierPayload() throws IOException {
        // QEMU's loader keeps the last RAM block for the whole stream, and its source continues it across iterations
        assertEquals(SMALL, QemuFramingProperties.readPayloads(ramContinuedAcrossPayloads(true), CHUNK));
        assertTrue(fails(ramContinuedAcrossPayloads(false)).getMessage().contains("never named"));
    }

    @Test
    void deviceStateThatLooksLikeAFooterAndASectionWithAnUnprintableNameIsSkipped() throws IOException {
        // device state of section 9 holding its own footer, then a FULL header whose name has NUL bytes: not a boundary
        ByteBuffer fake = ByteBuffer.allocate(64);
        fake.put((byte) QemuFormat.SECTION_FOOTER).putInt(9).put((byte) QemuFormat.SECTION_FULL).putInt(0x27).put((byte) 8)
                .put("block".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put(new byte[3]).putInt(0).putInt(2);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(java.nio.channels.Channels.newChannel(out), CHUNK, 7);
        w.writeHeader("pc-i440fx-7.2");
        for (Payload p : SMALL) {
            w.beginPayload(p.type());
            for (Record r : p.records()) {
                w.write(r);
            }
            w.endPayload();
        }
        ByteBuffer dev = ByteBuffer.allocate(128);
        dev.put((byte) QemuFormat.SECTION_FULL).putInt(9).put((byte) 5).put("timer".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(0).putInt(2).put(fake.array(), 0, fake.position()).put((byte) QemuFormat.SECTION_FOOTER).putInt(9);
        out.write(dev.array(), 0, dev.position());
        w.writeEof();
        byte[] stream = out.toByteArray();
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(stream), CHUNK);
        QemuEvent e;
        long skippedBytes = -1;
        while ((e = r.next()) != null) {
            if (e instanceof QemuEvent.SectionEnd s && s.idstr().equals("timer")) {
                skippedBytes = s.skippedBytes();
            }
        }
        assertEquals(fake.position(), skippedBytes, "the timer's device state is skipped up to its real footer");
    }

    @Test
    void aConfigurationAfterTheFirstSectionIsRejected() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int eof = s.length - 1;
        byte[] late = Arrays.copyOf(s, s.length + 5);
        // where the EOF marker was: a configuration with an empty machine type, then EOF
        late[eof] = QemuFormat.CONFIGURATION;
        late[late.length - 1] = QemuFormat.EOF;
        ProtocolException e = fails(late);
        assertEquals(eof, e.offsetBytes());
        assertTrue(e.getMessage().contains("configuration section after the first section"), e.getMessage());
    }

    @Test
    void aRamRecordOfTwoKindsIsRejected() throws IOException {
        byte[] s = ramContinuedAcrossPayloads(true);
        int firstRamRecord = 26 + 1 + 4 + 1 + 3 + 4 + 4; // header and configuration, the RAM START's header
        assertEquals(QemuFormat.RAM_FLAG_MEM_SIZE, s[firstRamRecord + 7]);
        s[firstRamRecord + 7] = QemuFormat.RAM_FLAG_MEM_SIZE | QemuFormat.RAM_FLAG_EOS;
        ProtocolException e = fails(s);
        assertEquals(firstRamRecord, e.offsetBytes());
        assertTrue(e.getMessage().contains("more than one kind flag"), e.getMessage());
        s[firstRamRecord + 7] = QemuFormat.RAM_FLAG_CONTINUE;
        assertTrue(fails(s).getMessage().contains("has no kind flag"));
    }

    @Test
    void aVmDescriptionLongerThanTheInputIsTruncated() {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        byte[] desc = Arrays.copyOf(s, s.length + 5 + 2);
        desc[s.length] = QemuFormat.VMDESCRIPTION;
        ByteBuffer.wrap(desc).putInt(s.length + 1, 0xffffffff);
        ProtocolException e = fails(desc);
        assertTrue(e.problem().startsWith("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("2 of 4294967295 bytes"), e.getMessage());
    }

    @Test
    void aFullBlockSectionIsReadAsRecords() throws IOException {
        byte[] s = TestStreams.frame(SMALL, CHUNK, 7);
        int firstSection = 8 + 1 + 4 + "pc-i440fx-7.2".length();
        s[firstSection] = QemuFormat.SECTION_FULL; // the START, as FULL: a record list all the same
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(Arrays.copyOf(s, firstSection + 19 + 8 + 5)), CHUNK);
        assertTrue(r.next() instanceof QemuEvent.Configuration);
        assertEquals(new QemuEvent.SectionBegin(SectionType.FULL, 7, "block", 0, 1, firstSection), r.next());
        QemuEvent eos = r.next();
        assertEquals(Record.EndOfSection.INSTANCE, ((QemuEvent.BlockRecord) eos).record());
        assertEquals(SectionType.FULL, ((QemuEvent.SectionEnd) r.next()).type());
        // and the PART that follows names a section that is not live
        assertTrue(fails(s).getMessage().contains("which is not live"));
    }
}
