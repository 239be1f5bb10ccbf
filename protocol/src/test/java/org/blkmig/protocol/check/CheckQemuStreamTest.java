// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.check.StreamChecker.Payload;
import org.blkmig.protocol.check.StreamChecker.Rule;
import org.blkmig.protocol.check.StreamChecker.Violation;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamChecker#checkQemuStream} on QEMU-framed streams: each violation names its rule and
 * the byte offset where it is, counted here by hand from the framing.
 */
class CheckQemuStreamTest {
    static final int CHUNK_BYTES = 2048; // 4 sectors
    static final Map<String, Long> DEVICES = Map.of("drive0", 4L * CHUNK_BYTES);
    static final Record EOS = Record.EndOfSection.INSTANCE;

    // sizes in the stream: file header 8 + configuration (1 + 4 + "pc-i440fx-7.2") = 26
    static final int FIRST_SECTION = 26;
    static final int START_HEADER_BYTES = 1 + 4 + 1 + 5 + 4 + 4;
    static final int PART_HEADER_BYTES = 5;
    static final int FOOTER_BYTES = 5;
    static final int SMALL_RECORD_BYTES = 8; // EOS, PROGRESS
    static final int BLOCK_BYTES = 8 + 1 + 6 + CHUNK_BYTES;
    /** Where the first PART begins: after the START payload (just EOS) and its footer. */
    static final int PART_AT = FIRST_SECTION + START_HEADER_BYTES + SMALL_RECORD_BYTES + FOOTER_BYTES;

    static Record block(long sector) {
        return TestStreams.block(sector, "drive0", CHUNK_BYTES, 7);
    }

    static List<Violation> check(Payload... payloads) throws IOException {
        byte[] stream = TestStreams.frame(List.of(payloads), CHUNK_BYTES, 5);
        return StreamChecker.checkQemuStream(ByteInput.of(stream), DEVICES, CHUNK_BYTES);
    }

    static Payload start() {
        return new Payload(SectionType.START, List.of(EOS));
    }

    static Payload part(Record... rs) {
        return new Payload(SectionType.PART, List.of(rs));
    }

    static Payload end(Record... rs) {
        return new Payload(SectionType.END, List.of(rs));
    }

    /** The one violation, with its rule and offset. */
    static void assertOne(Rule rule, long offsetBytes, List<Violation> vs) {
        assertEquals(1, vs.size(), vs.toString());
        assertEquals(rule, vs.get(0).rule(), vs.toString());
        assertEquals(offsetBytes, vs.get(0).offset(), vs.toString());
        assertEquals("byte", vs.get(0).unit());
        assertTrue(vs.get(0).toString().contains("[" + rule.id + "]"), vs.toString());
    }

    @Test
    void aCleanStreamHasNoViolation() throws IOException {
        assertEquals(List.of(), check(start(), part(new Record.Progress(50), block(0), new Record.ZeroBlock(4, "drive0"), EOS),
                end(block(12), new Record.Progress(100), EOS)));
    }

    @Test
    void aBlockAfterEndIsReportedAtThePayloadAfterEnd() throws IOException {
        int endBytes = PART_HEADER_BYTES + 2 * SMALL_RECORD_BYTES + FOOTER_BYTES;
        assertOne(Rule.AFTER_END, PART_AT + endBytes,
                check(start(), end(new Record.Progress(100), EOS), part(block(0), EOS)));
    }

    @Test
    void anUnalignedSectorIsReportedAtItsRecord() throws IOException {
        int recordAt = PART_AT + PART_HEADER_BYTES + BLOCK_BYTES;
        List<Violation> vs = check(start(), part(block(0), block(6), EOS), end(new Record.Progress(100), EOS));
        assertOne(Rule.SECTOR_ALIGNED, recordAt, vs);
        assertTrue(vs.get(0).detail().contains("sector 6"), vs.toString());
    }

    @Test
    void progressGoingBackwardsIsReportedAtTheLowerValue() throws IOException {
        int recordAt = PART_AT + PART_HEADER_BYTES + SMALL_RECORD_BYTES;
        assertOne(Rule.PROGRESS_MONOTONIC, recordAt, check(start(), part(new Record.Progress(50), new Record.Progress(40), EOS),
                end(new Record.Progress(100), EOS)));
    }

    @Test
    void anEndWithoutProgress100IsReportedAtTheEndPayload() throws IOException {
        int endAt = PART_AT + PART_HEADER_BYTES + SMALL_RECORD_BYTES + FOOTER_BYTES;
        assertOne(Rule.END_PROGRESS_100, endAt, check(start(), part(EOS), end(new Record.Progress(90), EOS)));
    }

    @Test
    void aBlockForAnUnknownDeviceOrPastTheEndIsReported() throws IOException {
        int recordAt = PART_AT + PART_HEADER_BYTES;
        assertOne(Rule.KNOWN_DEVICE, recordAt, check(start(), part(TestStreams.block(0, "drive9", CHUNK_BYTES, 1), EOS),
                end(new Record.Progress(100), EOS)));
        assertOne(Rule.SECTOR_IN_DEVICE, recordAt, check(start(), part(block(16), EOS), end(new Record.Progress(100), EOS)));
    }

    @Test
    void aStreamWithoutEndIsReportedAtItsLastByte() throws IOException {
        byte[] stream = TestStreams.frame(List.of(start(), part(EOS)), CHUNK_BYTES, 5);
        assertOne(Rule.END_PRESENT, stream.length,
                StreamChecker.checkQemuStream(ByteInput.of(stream), DEVICES, CHUNK_BYTES));
    }

    @Test
    void aStartWithABlockIsReportedAtItsRecord() throws IOException {
        List<Violation> vs = check(new Payload(SectionType.START, List.of(block(0), EOS)), end(new Record.Progress(100), EOS));
        assertOne(Rule.START_ONLY_EOS, FIRST_SECTION + START_HEADER_BYTES, vs);
    }

    @Test
    void aMissingEosIsAFramingErrorWhereTheFooterStands() {
        // without its EOS the payload runs into its footer, which is no record: the reader throws, naming the offset
        byte[] stream = TestStreams.frame(List.of(start(), part(new Record.Progress(10)), end(new Record.Progress(100), EOS)),
                CHUNK_BYTES, 5);
        int footerAt = PART_AT + PART_HEADER_BYTES + SMALL_RECORD_BYTES;
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> StreamChecker.checkQemuStream(ByteInput.of(stream), DEVICES, CHUNK_BYTES));
        assertEquals(footerAt, e.offsetBytes(), e.getMessage());
    }

    @Test
    void aFullBlockSectionIsReported() throws IOException {
        // just the START as a FULL section, then EOF: the block section is live, and it has no END
        byte[] start = TestStreams.frame(List.of(start()), CHUNK_BYTES, 5);
        start[FIRST_SECTION] = 0x04;
        List<Violation> vs = StreamChecker.checkQemuStream(ByteInput.of(start), DEVICES, CHUNK_BYTES);
        assertEquals(List.of(Rule.NOT_FULL, Rule.START_FIRST, Rule.END_PRESENT), vs.stream().map(Violation::rule).toList(),
                vs.toString());
        assertEquals(FIRST_SECTION, vs.get(0).offset());
    }
}
