// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.TriesBudget;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/** The realistic draw from jqwik's raw numbers: every scenario in range and replayable, its cases all met. */
class RealisticDrawProperties {
    @Provide
    Arbitrary<Choices> realistic() {
        return ScenarioArbitraries.realisticChoices();
    }

    @Property(tries = 1000)
    void everyRealisticDrawIsInRangeAndReplays(@ForAll("realistic") Choices c) {
        for (Profile p : Profile.known()) {
            Scenario s = c.toScenario(p);
            assertTrue(s.totalBytes() >= Choices.REALISTIC_MIN_BYTES && s.totalBytes() <= Choices.REALISTIC_MAX_BYTES,
                    s.toString());
            assertEquals(s, Scenario.parse(s.toString()));
            Set<String> names = new HashSet<>();
            for (Scenario.Device d : s.devices()) {
                int bytes = d.name().getBytes(StandardCharsets.UTF_8).length;
                assertTrue(bytes >= 1 && bytes <= 255 && names.add(d.name()), d.name());
            }
        }
        Scenario s = c.toScenario();
        boolean prefixes = s.devices().stream().anyMatch(d -> s.devices().stream()
                .anyMatch(e -> e != d && e.name().startsWith(d.name())));
        Statistics.label("prefix names").collect(prefixes);
        Statistics.label("a 255-byte name").collect(s.devices().stream()
                .anyMatch(d -> d.name().getBytes(StandardCharsets.UTF_8).length == 255));
        Statistics.label("a size off 1 MiB").collect(s.devices().stream().anyMatch(d -> d.sizeBytes() % (1 << 20) != 0));
        Statistics.label("over 4 devices").collect(s.devices().size() > 4);
        if (TriesBudget.full()) {
            Statistics.label("prefix names").coverage(x -> x.check(true).percentage(p -> p >= 5));
            Statistics.label("a 255-byte name").coverage(x -> x.check(true).percentage(p -> p >= 10));
            Statistics.label("a size off 1 MiB").coverage(x -> x.check(true).percentage(p -> p >= 50));
            Statistics.label("over 4 devices").coverage(x -> x.check(true).percentage(p -> p >= 10));
        }
    }

    @Test
    void rawZerosAreOne32MiBDeviceNamedDrive0() {
        Choices c = Choices.drawRealistic(Draws.of(Collections.nCopies(96, 0)));
        Scenario s = c.toScenario();
        assertEquals(List.of(new Scenario.Device("drive0", Choices.REALISTIC_MIN_BYTES, false)), s.devices());
        assertEquals(c, Choices.drawRealistic(Draws.of(List.of())));
        assertTrue(c.realistic());
    }
}
