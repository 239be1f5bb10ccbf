// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.Findings;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/**
 * The qemu-7.2 profile finds QEMU 7.2's bugs by itself, and the blkmig profile passes the same
 * scenarios: the shrunk findings of {@code campaign --profile qemu-7.2 --scenarios 2000} (seed 1), replayed.
 */
class Qemu72ProfileTest {
    static final Variant QEMU = new Variant(Profile.QEMU_7_2, Set.of());

    /**
     * The bulk/dirty double read loses a guest write: a bulk read of a chunk samples, the guest
     * writes the chunk, the dirty walk (bulk done within the same iterate) reads it again since bulk
     * reads are never marked in flight, the second read completes first, and the stale bulk block
     * goes out last with the dirty bit already clear. Seed 9: with the receiver's zero runs the link's
     * timing moved, and seed 16's stale block is now overwritten by a later one (read-history still fails).
     */
    static final String DOUBLE_READ = "devices=drive0:32M,drive1:48M;content=6353848000608806813;"
            + "workload=hotspot@17261097[8-128];bandwidth=1G;downtime=195ms;latency=longtail:500us,10%,30ms;chunk=1M;"
            + "zero-blocks=true;shared-base=false;alloc=54;faults=none;seed=9;ram=32M:2%:0";
    /** Pending raised only at zero: the block section's pending is under the threshold, bulk unfinished. */
    static final String EARLY_COMPLETION = "devices=drive0:32M,drive1:48M,drive2:24M;content=1385917874247193764;"
            + "workload=none@0[8-128];bandwidth=1G;downtime=270ms;latency=fixed:0ns;chunk=1M;zero-blocks=false;"
            + "shared-base=false;alloc=60;faults=none;seed=7957245340243480170;ram=32M:2%:0";
    /** A data block for a partial last chunk: the destination writes the whole chunk and fails past the end. */
    static final String PARTIAL_LAST_CHUNK = "devices=drive0:49212K;content=-41544050003052662;workload=none@0[8-128];"
            + "bandwidth=64M;downtime=41ms;latency=fixed:0ns;chunk=1M;zero-blocks=false;shared-base=false;alloc=75;"
            + "faults=none;seed=-7418318043626483580;ram=32M:2%:0";

    private static void qemuFailsAndBlkmigPasses(String line, String key, String evidence) {
        Scenario s = Scenario.parse(line);
        Judge.Outcome q = Judge.judge(s, QEMU);
        assertEquals(key, Findings.key(q), () -> String.join("\n", q.verdicts().stream().map(Object::toString).toList()));
        assertTrue(q.firstFailure().orElseThrow().evidence().contains(evidence), q.report());
        assertTrue(q.run().migration().completed(), "QEMU reports success");
        Judge.Outcome b = Judge.judge(s, Variant.BLKMIG);
        assertTrue(b.passed() && b.run().migration().completed(), () -> b.report());
    }

    @Test
    void theDoubleReadLosesAGuestWrite() {
        qemuFailsAndBlkmigPasses(DOUBLE_READ, "identical: a stale block sent after a newer one of its chunk",
                "source has guest write");
    }

    @Test
    void earlyCompletionLeavesChunksUnsent() {
        qemuFailsAndBlkmigPasses(EARLY_COMPLETION, "identical: completed with chunks never sent (early completion)",
                "target has no write");
    }

    @Test
    void theDestinationFailsOnAPartialLastChunk() {
        qemuFailsAndBlkmigPasses(PARTIAL_LAST_CHUNK,
                "identical: the destination failed: a block's write crosses the device's end (a partial last chunk)",
                "differs first");
    }

    @Test
    void aShortCampaignFindsTwoOfThemWithoutBeingPointedAtThem() {
        // 200 scenarios of campaign seed 1: early completion first at #39, the destination failure at #1
        Campaign.Summary s = Campaign.run(new Campaign.Settings(1, 200, 0, 1, QEMU, 0, 10, true), k -> {});
        List<String> keys = s.failures().stream().map(Campaign.Failure::key).toList();
        assertTrue(keys.contains("identical: completed with chunks never sent (early completion)"), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.contains("crosses the device's end")), keys.toString());
        assertEquals(200, s.run());
    }
}
