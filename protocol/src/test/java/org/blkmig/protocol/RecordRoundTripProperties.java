// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

public class RecordRoundTripProperties {
    static final int CHUNK = 512;

    @Property(tries = 300)
    void anyRecordListWrittenThenReadIsEqual(@ForAll("recordLists") List<Record> records) throws Exception {
        byte[] bytes = TestStreams.encode(records, CHUNK);
        assertEquals(records, TestStreams.decodeAll(bytes, CHUNK));
        Statistics.label("kinds").collect(records.stream().map(r -> r.getClass().getSimpleName()).distinct().count());
        Statistics.label("non-ascii name").collect(records.stream().anyMatch(RecordRoundTripProperties::nonAscii));
    }

    private static boolean nonAscii(Record r) {
        String d = r instanceof Record.DeviceBlock b ? b.device() : r instanceof Record.ZeroBlock z ? z.device() : "";
        return d.chars().anyMatch(c -> c > 127);
    }

    @Provide
    Arbitrary<List<Record>> recordLists() {
        return record().list().ofMaxSize(12);
    }

    static Arbitrary<String> deviceNames() {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars("-._/")
                .withCharRange('\u00e0', '\u00ff').withCharRange('\u4e00', '\u4e10')
                .ofMinLength(1).ofMaxLength(80)
                .filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= Wire.MAX_DEVICE_NAME_BYTES);
    }

    static Arbitrary<Long> sectors() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 1 << 20),
                Arbitraries.longs().between(0, Wire.MAX_HEADER_VALUE), Arbitraries.just(Wire.MAX_HEADER_VALUE));
    }

    public static Arbitrary<Record> record() {
        Arbitrary<Record> block = Combinators.combine(sectors(), deviceNames(),
                Arbitraries.bytes().array(byte[].class).ofSize(CHUNK))
                .as((s, d, data) -> new Record.DeviceBlock(s, d, ByteBuffer.wrap(data)));
        Arbitrary<Record> zero = Combinators.combine(sectors(), deviceNames()).as(Record.ZeroBlock::new);
        Arbitrary<Record> progress = Arbitraries.longs().between(0, 100).map(Record.Progress::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, block), net.jqwik.api.Tuple.of(2, zero),
                net.jqwik.api.Tuple.of(2, progress), net.jqwik.api.Tuple.of(1, Arbitraries.just(Record.EndOfSection.INSTANCE)));
    }
}
