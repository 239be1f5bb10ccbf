// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.blkmig.model.fuzz.StreamFuzzer;
import org.blkmig.simdisk.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Names print and parse the same whatever the default locale: in Turkish, "I" lower-cases to a
 * dotless "ı" and "i" upper-cases to a dotted "İ", so a name with an i would not parse back.
 */
class RootLocaleTest {
    private Locale saved;

    @BeforeEach
    void turkish() {
        saved = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr"));
    }

    @AfterEach
    void restore() {
        Locale.setDefault(saved);
    }

    @Test
    void aScenarioLineWithAWorkloadRoundTripsInTurkish() {
        Scenario s = Scenario.defaults();
        assertTrue(s.toString().contains(";workload=uniform@"), s.toString());
        assertEquals(s, Scenario.parse(s.toString()));
        for (Workload.Kind k : Workload.Kind.values()) {
            Workload w = Workload.of(k, 65536);
            assertEquals(w, Workload.parse(w.spec()), w.spec());
        }
    }

    @Test
    void mutantNamesRoundTripInTurkish() {
        assertEquals("final-copy-sends-before-read", Mutant.FINAL_COPY_SENDS_BEFORE_READ.cliName());
        assertEquals(Mutant.TRACKING_LEFT_ON, Mutant.parse("tracking-left-on"));
        for (Mutant m : Mutant.values()) {
            assertEquals(m, Mutant.parse(m.cliName()), m.cliName());
        }
        Variant v = Variant.of(Mutant.TRACKING_LEFT_ON);
        assertTrue(v.toString().contains("tracking-left-on"), v.toString());
    }

    @Test
    void theFuzzersOutcomeNamesAreTheSameInTurkish() {
        StreamFuzzer.Summary s = new StreamFuzzer().run(0, 100);
        for (String name : s.outcomes().keySet()) {
            assertEquals(StreamFuzzer.Outcome.valueOf(name.toUpperCase(Locale.ROOT)).name().toLowerCase(Locale.ROOT), name);
        }
        assertTrue(s.outcomes().containsKey("incomplete") || s.outcomes().containsKey("finding"), s.outcomes().toString());
    }
}
