// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Choices;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/** {@code --sizes}: small is the draw of every campaign so far; realistic reaches 32 MiB to 1 GiB; mixed takes a share of each. */
class SizeMixTest {
    /** SHA-256 of the scenario lines of seed 7, scenarios 0-999, one per line, recorded before --sizes (on eabde51). */
    static final String SEED7_BLKMIG_LINES = "9fa4e1dfc0d34667d2654a54ec45ce0a9f8af3a0ba5fc57f2d6cf333d6bd5020";
    static final String SEED7_QEMU_LINES = "7ef2e2a22dcf8433189c0df0eb818f09576fa6d51c68e1d882bc6b2c458175a4";

    static String linesHash(SizeMix sizes, Profile profile) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int k = 0; k < 1000; k++) {
            md.update((Campaign.choices(7, k, sizes).toScenario(profile) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void smallIsTheDrawOfEveryCampaignSoFar() throws Exception {
        assertEquals(SEED7_BLKMIG_LINES, linesHash(SizeMix.SMALL, Profile.BLKMIG));
        assertEquals(SEED7_QEMU_LINES, linesHash(SizeMix.SMALL, Profile.QEMU_7_2));
        assertEquals(Campaign.choices(7, 3), Campaign.choices(7, 3, SizeMix.SMALL));
        assertEquals(SizeMix.SMALL, new Campaign.Settings(7, 1, 0, 1, Variant.BLKMIG, 0, 1).sizes(), "the kill matrix's and tests' default");
    }

    @Test
    void aMixedCampaignIsTheSmallOneWithOneScenarioInTenRealistic() {
        int realistic = 0;
        int n = 2000;
        for (int k = 0; k < n; k++) {
            Choices c = Campaign.choices(4243, k, SizeMix.MIXED);
            if (c.realistic()) {
                realistic++;
                assertEquals(Campaign.choices(4243, k, SizeMix.REALISTIC), c, "#" + k);
            } else {
                assertEquals(Campaign.choices(4243, k), c, "#" + k);
            }
        }
        assertTrue(Math.abs(realistic * 100.0 / n - 100.0 / SizeMix.MIXED_REALISTIC_ONE_IN) < 2, realistic + " of " + n);
        assertEquals("sizes mixed (90% small, 10% realistic: 32 MiB-1 GiB)", SizeMix.MIXED.describe());
        assertEquals("sizes small", SizeMix.SMALL.describe());
        assertEquals(SizeMix.REALISTIC, SizeMix.parse("realistic"));
        assertThrows(IllegalArgumentException.class, () -> SizeMix.parse("huge"));
    }

    @Test
    void realisticDrawsReachEveryCaseTheyAreFor() {
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (String c : List.of("total under 64 MiB", "total over 512 MiB", "a size not a multiple of 1 MiB",
                "a size not a multiple of the chunk", "a size a multiple of 1 MiB", "names prefixes of each other",
                "a name of 255 bytes", "a name not ASCII", "a name of 1 byte", "8 devices", "an empty device",
                "a device under 1 MiB", "a read-only device", "zero blocks", "a full copy", "a shared base", "64 KiB chunks",
                "a guest at the rate limit or more", "no guest", "read faults")) {
            seen.put(c, 0);
        }
        for (int k = 0; k < 2000; k++) {
            Choices c = Campaign.choices(4242, k, SizeMix.REALISTIC);
            Scenario s = c.toScenario(Profile.BLKMIG);
            long total = s.totalBytes();
            assertTrue(total >= Choices.REALISTIC_MIN_BYTES && total <= Choices.REALISTIC_MAX_BYTES, "#" + k + ": " + total);
            assertTrue(s.devices().size() <= Choices.REALISTIC_MAX_DEVICES, "#" + k);
            assertEquals(s, Scenario.parse(s.toString()), "#" + k + ": its line replays it");
            Set<String> names = new HashSet<>();
            boolean prefixes = false;
            for (Scenario.Device d : s.devices()) {
                int bytes = d.name().getBytes(StandardCharsets.UTF_8).length;
                assertTrue(bytes >= 1 && bytes <= 255 && names.add(d.name()), "#" + k + ": " + d.name());
                assertFalse(d.name().matches(".*[\\s'\"\\\\].*"), "#" + k + ": a shell-quotable name: " + d.name());
                count(seen, "a size not a multiple of 1 MiB", d.sizeBytes() % (1 << 20) != 0);
                count(seen, "a size not a multiple of the chunk", d.sizeBytes() % s.chunkSizeBytes() != 0);
                count(seen, "a size a multiple of 1 MiB", d.sizeBytes() > 0 && d.sizeBytes() % (1 << 20) == 0);
                count(seen, "a name of 255 bytes", bytes == 255);
                count(seen, "a name not ASCII", bytes != d.name().length());
                count(seen, "a name of 1 byte", bytes == 1);
                count(seen, "an empty device", d.sizeBytes() == 0);
                count(seen, "a device under 1 MiB", d.sizeBytes() > 0 && d.sizeBytes() < (1 << 20));
                count(seen, "a read-only device", d.readOnly());
                for (Scenario.Device e : s.devices()) {
                    prefixes |= e != d && e.name().startsWith(d.name());
                }
            }
            long migrated = s.devices().stream().filter(Scenario.Device::migrated).mapToLong(Scenario.Device::sizeBytes).sum();
            assertTrue(s.zeroBlocks() || migrated <= 192L << 20, "#" + k + ": a copy without zero blocks fits the data cap");
            count(seen, "total under 64 MiB", total < 64L << 20);
            count(seen, "total over 512 MiB", total > 512L << 20);
            count(seen, "names prefixes of each other", prefixes);
            count(seen, "8 devices", s.devices().size() == 8);
            count(seen, "zero blocks", s.zeroBlocks());
            count(seen, "a full copy", !s.zeroBlocks() && !s.sharedBase());
            count(seen, "a shared base", s.sharedBase());
            count(seen, "64 KiB chunks", s.chunkSizeBytes() == 64 << 10);
            count(seen, "a guest at the rate limit or more", c.dirtyPercent() >= 100 && c.workload() != org.blkmig.simdisk.Workload.Kind.NONE);
            count(seen, "no guest", s.workload().kind() == org.blkmig.simdisk.Workload.Kind.NONE);
            count(seen, "read faults", !s.faults().equals(org.blkmig.simdisk.Faults.NONE));
        }
        // each case in at least 2% of the draws (40 of 2000)
        seen.forEach((c, n) -> assertTrue(n >= 40, c + ": " + n + " of 2000 draws; all: " + seen));
    }

    private static void count(Map<String, Integer> seen, String c, boolean happened) {
        if (happened) {
            seen.merge(c, 1, Integer::sum);
        }
    }

    @Test
    void aShrunkRealisticScenarioIsRealisticStillAndFailsTheSameWay() {
        Variant v = Variant.of(Mutant.MISSING_EOS);
        for (int k = 0; k < 20; k++) {
            Choices c = Campaign.choices(4242, k, SizeMix.REALISTIC);
            Judge.Outcome o = Judge.judge(c.toScenario(), v, false);
            if (o.passed()) {
                continue;
            }
            String key = Findings.key(o);
            Judge.Shrunk s = Judge.shrink(c, o, v, x -> Findings.key(x).equals(key), 25);
            Scenario shrunk = s.outcome().run().scenario();
            assertTrue(s.choices().realistic(), "shrinking keeps the realistic reading of its numbers");
            assertTrue(s.runs() > 1 && !s.choices().equals(c), "shrinking made progress from #" + k);
            assertTrue(shrunk.devices().size() <= c.devices().size() && shrunk.totalBytes() <= c.toScenario().totalBytes());
            assertEquals(key, Findings.key(Judge.judge(Scenario.parse(shrunk.toString()), v, false)), "its line replays it");
            return;
        }
        throw new AssertionError("no realistic scenario of seed 4242 failed with " + v);
    }

    @Test
    void noSimplerRealisticChoiceIsAFullCopyPastTheDataCap() {
        for (int k = 0; k < 2000; k++) {
            Choices c = Campaign.choices(4242, k, SizeMix.REALISTIC);
            for (Choices simpler : c.simpler()) {
                Scenario s = simpler.toScenario();
                long migrated = s.devices().stream().filter(Scenario.Device::migrated).mapToLong(Scenario.Device::sizeBytes).sum();
                assertTrue(s.zeroBlocks() || migrated <= ScenarioRunner.dataLimitBytes(s), "#" + k + ": " + s);
            }
        }
    }
}
