// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/**
 * The qemu-7.2 profile finds QEMU 7.2's bugs by itself, and the blkmig profile passes the same
 * scenarios: the shrunk findings of a 2000-scenario campaign (seed 1), replayed.
 */
class Qemu72ProfileTest {
    static final Variant QEMU = new Variant(Profile.QEMU_7_2, Set.of());

    /**
     * The bulk/dirty double read loses a guest write: the bulk read of chunk 2 samples, the guest
     * writes the chunk, the dirty walk (bulk done within the same iterate) reads it again since bulk
     * reads are never marked in flight, the second read completes first, and the stale bulk block
     * goes out last with the dirty bit already clear.
     */
    static final String DOUBLE_READ = "devices=drive0:6M;content=-4305634796302654745;workload=hammer@33713[8-128];"
            + "bandwidth=20M;downtime=65ms;latency=longtail:500us,10%,30ms;chunk=1M;zero-blocks=false;shared-base=false;"
            + "alloc=87;faults=none;seed=2581973817390208841;ram=32M:2%:0";
    /** Pending raised only at zero: RAM's pending drains, the block section's is under the threshold, bulk unfinished. */
    static final String EARLY_COMPLETION = "devices=drive0:6M,drive1:6M,drive2:6M;content=6964655515047645667;"
            + "workload=none@0[8-128];bandwidth=8378K;downtime=179ms;latency=fixed:1ms;chunk=1M;zero-blocks=false;"
            + "shared-base=false;alloc=83;faults=none;seed=-360426019017759091;ram=32M:2%:0";
    /** A data block for a partial last chunk: the destination writes the whole chunk and fails past the end. */
    static final String PARTIAL_LAST_CHUNK = "devices=drive0:2108K;content=-41544050003052662;workload=none@0[8-128];"
            + "bandwidth=7026K;downtime=41ms;latency=fixed:0ns;chunk=1M;zero-blocks=false;shared-base=false;alloc=75;"
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
                "source has guest write #1, target has initial data");
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
        Campaign.Summary s = Campaign.run(new Campaign.Settings(1, 400, 0, 1, QEMU, 0, 40, true), k -> {});
        List<String> keys = s.failures().stream().map(Campaign.Failure::key).toList();
        assertTrue(keys.contains("identical: completed with chunks never sent (early completion)"), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.contains("crosses the device's end")), keys.toString());
        assertEquals(400, s.run());
    }
}
