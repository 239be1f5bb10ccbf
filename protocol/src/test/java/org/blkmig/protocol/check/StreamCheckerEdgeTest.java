// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.check.StreamChecker.Payload;
import org.blkmig.protocol.check.StreamChecker.Rule;
import org.blkmig.protocol.check.StreamChecker.Violation;
import org.junit.jupiter.api.Test;

/** The checker used record by record (as the receiver side and the fuzzers use it), and its messages. */
class StreamCheckerEdgeTest {
    static final int CHUNK = 4096; // 8 sectors
    static final Record EOS = Record.EndOfSection.INSTANCE;

    static List<String> details(List<Violation> vs) {
        return vs.stream().map(v -> v.rule().id + ": " + v.detail()).toList();
    }

    @Test
    void aPayloadLeftOpenIsJudgedWhenTheNextBegins() {
        StreamChecker c = new StreamChecker(Map.of("d", (long) CHUNK), CHUNK);
        c.beginPayload(SectionType.START, 0);
        c.beginPayload(SectionType.END, 20); // the START was never ended: judged now, at its own offset
        c.record(new Record.Progress(100), 20);
        c.record(EOS, 28);
        assertEquals(List.of("payload-eos: START payload has 0 EOS records", "start-only-eos: empty START payload"),
                details(c.finish(36)));
        assertEquals(0, c.finish(36).get(0).offset());
    }

    @Test
    void untypedPayloadsNamedStartOrEndAreJudgedWhenNamed() {
        StreamChecker fine = new StreamChecker(null, CHUNK);
        fine.beginUntypedPayload(0);
        fine.record(EOS, 0);
        fine.endPayload(1, SectionType.START);
        // begun as a PART (its type comes at its end), so only start-first: a START of just EOS is fine
        assertEquals(List.of("start-first: PART payload before any START"), details(fine.finishTruncated()));

        StreamChecker c = new StreamChecker(null, CHUNK);
        c.beginUntypedPayload(0);
        c.record(new Record.ZeroBlock(0, "d"), 0);
        c.record(new Record.Progress(5), 1);
        c.record(EOS, 2);
        c.endPayload(3, SectionType.START);
        c.beginUntypedPayload(3);
        c.record(new Record.Progress(100), 3);
        c.record(EOS, 4);
        c.endPayload(5, SectionType.END);
        c.beginUntypedPayload(5);
        c.record(new Record.ZeroBlock(8, "d"), 5); // aligned: fine without device sizes
        c.record(new Record.ZeroBlock(3, "d"), 5);
        c.record(EOS, 6);
        c.endPayload(7, SectionType.END);
        // judged at endPayload: a truncated finish keeps what was found
        assertEquals(List.of("start-first: PART payload before any START",
                "start-only-eos: 2 records besides EOS in the START payload",
                "after-end: PART payload after END",
                "sector-aligned: sector 3 of 'd' is not a multiple of 8",
                "after-end: a second END payload",
                "end-progress-100: END payload ends with BLOCK d 3 zero, EOS"), details(c.finishTruncated()));
        assertEquals(6, c.violationCount());
    }

    @Test
    void aRecordOutsideAPayloadIsAMisuse() {
        StreamChecker c = new StreamChecker(null, CHUNK);
        assertThrows(IllegalStateException.class, () -> c.record(EOS, 0));
    }

    @Test
    void deviceSizesRoundUpToWholeSectors() {
        Map<String, Long> odd = Map.of("d", 1000L); // 2 sectors, the last one partial
        List<Payload> ok = List.of(new Payload(SectionType.START, List.of(EOS)),
                new Payload(SectionType.END, List.of(new Record.ZeroBlock(0, "d"), new Record.Progress(100), EOS)));
        assertEquals(List.of(), StreamChecker.check(ok, odd, CHUNK));
        List<Payload> past = List.of(new Payload(SectionType.START, List.of(EOS)),
                new Payload(SectionType.END, List.of(new Record.ZeroBlock(8, "d"), new Record.Progress(100), EOS)));
        assertEquals(List.of("sector-in-device: sector 8 of 'd' is past its end (2 sectors)"),
                details(StreamChecker.check(past, odd, CHUNK)));
    }

    @Test
    void theEndOfTheEndPayloadIsDescribedRecordByRecord() {
        Record data = TestStreams.block(8, "d", CHUNK, 1);
        List<List<Record>> endings = List.of(List.of(EOS), List.of(new Record.ZeroBlock(16, "d"), EOS),
                List.of(data, EOS), List.of(new Record.Progress(50), EOS), List.of(EOS, new Record.Progress(100)),
                List.of(new Record.Progress(100), EOS, EOS));
        List<String> expected = List.of("nothing, EOS", "BLOCK d 16 zero, EOS", "BLOCK d 8 data, EOS", "PROGRESS 50, EOS",
                "EOS, PROGRESS 100", "EOS, EOS");
        for (int i = 0; i < endings.size(); i++) {
            List<Payload> s = List.of(new Payload(SectionType.START, List.of(EOS)), new Payload(SectionType.END, endings.get(i)));
            List<String> found = details(StreamChecker.check(s, Map.of("d", 4L * CHUNK), CHUNK));
            String wanted = "end-progress-100: END payload ends with " + expected.get(i);
            assertEquals(1, found.stream().filter(wanted::equals).count(), found.toString());
        }
    }

    @Test
    void aFramedStreamWithViolationsReportsThem() throws java.io.IOException {
        byte[] s = TestStreams.frame(List.of(new Payload(SectionType.START, List.of(EOS)),
                new Payload(SectionType.END, List.of(new Record.Progress(50), EOS))), CHUNK, 3);
        List<Violation> vs = StreamChecker.checkQemuStream(ByteInput.of(s), Map.of(), CHUNK);
        assertEquals(List.of(Rule.END_PROGRESS_100), vs.stream().map(Violation::rule).toList());
    }
}
