// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.TriesBudget;
import org.blkmig.receiver.ReceiverMutant;
import org.junit.jupiter.api.Test;

/**
 * The quick slice of the stream fuzzer in {@code mvn verify}; the long run is
 * {@code ./blkmig fuzz --inputs 100000}.
 */
class StreamFuzzProperties {
    private final StreamFuzzer fuzzer = new StreamFuzzer();

    @Property(tries = 5000)
    void anyMutatedStreamEndsInAProtocolErrorOrAnHonestResult(@ForAll long seed) {
        StreamFuzzer.Finding f = fuzzer.check(seed);
        assertNull(f, () -> "seed " + f.seed() + ", " + f.mutation() + ": " + f.problem());
        Statistics.label("outcome").collect(fuzzer.lastOutcome());
        if (TriesBudget.full()) {
            Statistics.label("outcome").coverage(c -> {
                c.check(StreamFuzzer.Outcome.COMPLETE).percentage(p -> p >= 5);
                c.check(StreamFuzzer.Outcome.PROTOCOL_ERROR).percentage(p -> p >= 20);
                c.check(StreamFuzzer.Outcome.TARGET_REFUSED).percentage(p -> p >= 1);
                c.check(StreamFuzzer.Outcome.INCOMPLETE).percentage(p -> p >= 0.5);
            });
        }
    }

    @Test
    void theFuzzerFindsAReceiverThatWritesPastTheEndOrClaimsCompletion() {
        StreamFuzzer.Summary past = new StreamFuzzer(Set.of(ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE)).run(0, 300);
        assertTrue(past.findings() > 0, "the whole-chunk write of a partial chunk is found");
        assertTrue(past.first().get(0).problem().startsWith("a write outside drive0"), past.first().get(0).toString());
        StreamFuzzer.Summary lying = new StreamFuzzer(Set.of(ReceiverMutant.COMPLETE_AT_END_OF_INPUT)).run(0, 300);
        assertTrue(lying.findings() > 0, "completion without END is found");
        assertTrue(lying.first().get(0).problem().startsWith("complete without an END payload"), lying.first().get(0).toString());
        StreamFuzzer.Summary clean = new StreamFuzzer().run(0, 300);
        assertEquals(0, clean.findings());
        assertEquals(300, clean.outcomes().values().stream().mapToLong(Long::longValue).sum());
    }
}
