// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.TestStreams;
import org.blkmig.protocol.check.StreamChecker.Payload;

class QemuFramingProperties {
    static final int CHUNK = 512;

    @Property(tries = 200)
    void anyFramedBlockSectionReadsBackAsTheSamePayloads(@ForAll("sections") List<Payload> payloads,
            @ForAll @IntRange(min = 0, max = 1000) int sectionId) throws IOException {
        byte[] stream = TestStreams.frame(payloads, CHUNK, sectionId);
        assertEquals(payloads, readPayloads(stream, CHUNK));
    }

    static List<Payload> readPayloads(byte[] stream, int chunk) throws IOException {
        QemuStreamReader reader = new QemuStreamReader(ByteInput.of(stream), chunk);
        List<Payload> out = new ArrayList<>();
        List<Record> current = null;
        SectionType type = null;
        QemuEvent e;
        while ((e = reader.next()) != null) {
            if (e instanceof QemuEvent.SectionBegin b && b.isBlock()) {
                type = b.type();
                current = new ArrayList<>();
            } else if (e instanceof QemuEvent.BlockRecord r) {
                current.add(r.record() instanceof Record.DeviceBlock d ? d.copy() : r.record());
            } else if (e instanceof QemuEvent.SectionEnd s && s.idstr().equals("block")) {
                out.add(new Payload(type, current));
            }
        }
        return out;
    }

    /**
     * A START then PART/END payloads, each ending in exactly one EOS (the reader ends a payload at
     * its EOS, and a PART needs its START to name the section).
     */
    @Provide
    Arbitrary<List<Payload>> sections() {
        Arbitrary<Record> nonEos = org.blkmig.protocol.RecordRoundTripProperties.record()
                .filter(r -> !(r instanceof Record.EndOfSection));
        Arbitrary<Payload> payload = net.jqwik.api.Combinators.combine(
                Arbitraries.of(SectionType.START, SectionType.PART, SectionType.END), nonEos.list().ofMaxSize(5))
                .as((t, rs) -> {
                    List<Record> all = new ArrayList<>(rs);
                    all.add(Record.EndOfSection.INSTANCE);
                    return new Payload(t, all);
                });
        return payload.list().ofMaxSize(6).map(list -> {
            List<Payload> all = new ArrayList<>();
            all.add(new Payload(SectionType.START, List.of(Record.EndOfSection.INSTANCE)));
            list.forEach(p -> all.add(p.type() == SectionType.START ? new Payload(SectionType.PART, p.records()) : p));
            return all;
        });
    }
}
