// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.check.StreamChecker.Payload;
import org.blkmig.protocol.check.StreamChecker.Rule;
import org.junit.jupiter.api.Test;

class StreamCheckerTest {
    static final int CHUNK = 4096; // 8 sectors
    static final Map<String, Long> DEVICES = Map.of("drive0", 3L * CHUNK + 1536, "empty", 0L);
    static final Record EOS = Record.EndOfSection.INSTANCE;

    static Payload start() {
        return new Payload(SectionType.START, List.of(EOS));
    }

    static Payload part(Record... rs) {
        return new Payload(SectionType.PART, List.of(rs));
    }

    static Payload end(Record... rs) {
        return new Payload(SectionType.END, List.of(rs));
    }

    static Payload validEnd() {
        return end(new Record.Progress(100), EOS);
    }

    static Record blk(long sector) {
        return TestStreams.block(sector, "drive0", CHUNK, 1);
    }

    static Set<Rule> rules(Payload... payloads) {
        return StreamChecker.check(List.of(payloads), DEVICES, CHUNK).stream()
                .map(StreamChecker.Violation::rule).collect(Collectors.toSet());
    }

    @Test
    void aValidStreamPassesEveryRule() {
        assertEquals(Set.of(), rules(start(), part(new Record.Progress(0), blk(0), blk(8), new Record.Progress(60), EOS),
                part(new Record.ZeroBlock(16, "drive0"), blk(24), EOS), end(blk(8), new Record.Progress(100), EOS)));
    }

    @Test
    void payloadEos() {
        assertEquals(Set.of(Rule.PAYLOAD_EOS), rules(start(), part(blk(0)), validEnd()));
        assertEquals(Set.of(Rule.PAYLOAD_EOS, Rule.AFTER_EOS), rules(start(), part(blk(0), EOS, EOS), validEnd()));
    }

    @Test
    void afterEos() {
        assertEquals(Set.of(Rule.AFTER_EOS), rules(start(), part(EOS, blk(0)), validEnd()));
    }

    @Test
    void startOnlyEos() {
        assertEquals(Set.of(Rule.START_ONLY_EOS), rules(new Payload(SectionType.START, List.of(blk(0), EOS)), validEnd()));
        assertTrue(rules(new Payload(SectionType.START, List.of()), validEnd()).contains(Rule.START_ONLY_EOS));
    }

    @Test
    void startFirst() {
        assertEquals(Set.of(Rule.START_FIRST), rules(part(EOS), validEnd()));
        assertEquals(Set.of(Rule.START_FIRST), rules(start(), start(), validEnd()));
    }

    @Test
    void sectorAligned() {
        assertEquals(Set.of(Rule.SECTOR_ALIGNED), rules(start(), part(blk(3), EOS), validEnd()));
    }

    @Test
    void sectorInDevice() {
        // the device has 3 chunks + 3 sectors: chunk 3 starts at sector 24 and is partial; 32 is past the end
        assertEquals(Set.of(), rules(start(), part(blk(24), EOS), validEnd()));
        assertEquals(Set.of(Rule.SECTOR_IN_DEVICE), rules(start(), part(blk(32), EOS), validEnd()));
        assertEquals(Set.of(Rule.SECTOR_IN_DEVICE), rules(start(), part(new Record.ZeroBlock(0, "empty"), EOS), validEnd()));
    }

    @Test
    void knownDevice() {
        assertEquals(Set.of(Rule.KNOWN_DEVICE), rules(start(), part(new Record.ZeroBlock(0, "drive9"), EOS), validEnd()));
    }

    @Test
    void progressRangeAndMonotonic() {
        assertEquals(Set.of(Rule.PROGRESS_RANGE), rules(start(), part(new Record.Progress(101), EOS), validEnd()));
        assertEquals(Set.of(Rule.PROGRESS_MONOTONIC),
                rules(start(), part(new Record.Progress(40), new Record.Progress(30), EOS), validEnd()));
    }

    @Test
    void endProgress100() {
        assertEquals(Set.of(Rule.END_PROGRESS_100), rules(start(), end(EOS)));
        assertEquals(Set.of(Rule.END_PROGRESS_100), rules(start(), end(new Record.Progress(99), EOS)));
        assertEquals(Set.of(Rule.END_PROGRESS_100), rules(start(), end(new Record.Progress(100), blk(0), EOS)));
    }

    @Test
    void afterEnd() {
        assertEquals(Set.of(Rule.AFTER_END), rules(start(), validEnd(), part(blk(0), EOS)));
    }

    @Test
    void endPresent() {
        assertEquals(Set.of(Rule.END_PRESENT), rules(start(), part(blk(0), EOS)));
    }

    @Test
    void notFull() {
        assertEquals(Set.of(Rule.NOT_FULL), rules(start(), new Payload(SectionType.FULL, List.of(EOS)), validEnd()));
    }

    @Test
    void everyRuleHasAPassingAndFiringTestAndViolationsNameTheirRule() {
        List<Rule> all = new ArrayList<>(Arrays.asList(Rule.values()));
        assertEquals(13, all.size(), "a new rule needs tests here");
        StreamChecker.Violation v = StreamChecker.check(List.of(start(), part(blk(3), EOS), validEnd()), DEVICES, CHUNK).get(0);
        assertTrue(v.toString().startsWith("[sector-aligned] at record 1: sector 3"), v.toString());
        assertTrue(v.toString().endsWith("(" + Rule.SECTOR_ALIGNED.reason + ")"));
    }

    @Test
    void untypedPayloadsAreJudgedOnceTheirTypeIsKnown() {
        StreamChecker c = new StreamChecker(DEVICES, CHUNK);
        c.beginPayload(SectionType.START, 0);
        c.record(EOS, 0);
        c.endPayload(8);
        c.beginUntypedPayload(8);
        c.record(blk(0), 8);
        c.record(EOS, 9);
        c.endPayload(10, SectionType.PART);
        c.beginUntypedPayload(10);
        c.record(new Record.Progress(100), 10);
        c.record(EOS, 11);
        c.endPayload(12, SectionType.END);
        assertEquals(List.of(), c.finish(12));
        StreamChecker bad = new StreamChecker(DEVICES, CHUNK);
        bad.beginUntypedPayload(0);
        bad.record(blk(0), 0);
        bad.record(EOS, 1);
        bad.endPayload(2, SectionType.START);
        bad.beginUntypedPayload(2);
        bad.record(new Record.Progress(99), 2);
        bad.record(EOS, 3);
        bad.endPayload(4, SectionType.END);
        bad.beginUntypedPayload(4);
        bad.record(EOS, 4);
        bad.endPayload(5, SectionType.END);
        Set<Rule> fired = bad.finish(5).stream().map(StreamChecker.Violation::rule).collect(Collectors.toSet());
        assertEquals(Set.of(Rule.START_ONLY_EOS, Rule.START_FIRST, Rule.END_PROGRESS_100, Rule.AFTER_END), fired);
    }

    @Test
    void onlyTheFirstThousandViolationsAreKeptButAllCounted() {
        List<Record> many = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            many.add(new Record.ZeroBlock(0, "nope"));
        }
        many.add(EOS);
        StreamChecker c = new StreamChecker(DEVICES, CHUNK);
        c.beginPayload(SectionType.START, 0);
        c.record(EOS, 0);
        c.beginPayload(SectionType.END, 1); // ends the open payload
        for (Record r : many) {
            c.record(r, 2);
        }
        assertEquals(1000, c.finish(3).size());
        assertEquals(1501, c.violationCount()); // 1500 unknown devices, END without PROGRESS 100
    }
}
