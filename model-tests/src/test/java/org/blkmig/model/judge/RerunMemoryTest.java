// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * A judged outcome keeps one run's memory: the determinism rerun's disks and stream are given back
 * once judged (a realistic finding kept while shrinking held two runs' and ran out of heap).
 */
class RerunMemoryTest {
    @Test
    void theRerunIsJudgedThenReleasedWhileTheRunStaysReadable() throws Exception {
        Judge.Outcome o = Judge.judge(Scenario.defaults(), Variant.BLKMIG, true);
        assertTrue(o.verdicts().stream().anyMatch(v -> v.property().id().equals("determinism") && v.passed()
                && v.status() == Verdict.Status.PASS), "determinism judged on both runs");
        ScenarioRunner.Run rerun = o.facts().rerun().orElseThrow();
        assertThrows(IllegalStateException.class, () -> rerun.stream().sha256(), "the rerun's stream was given back");
        for (var d : rerun.targets().values()) {
            assertThrows(IllegalStateException.class, () -> d.read(0, ByteBuffer.allocate(512)), "its targets too");
        }
        for (var d : rerun.sources().values()) {
            assertThrows(IllegalStateException.class, () -> d.read(0, ByteBuffer.allocate(512)), "its sources too");
        }
        ScenarioRunner.Run run = o.run();
        assertDoesNotThrow(() -> run.stream().sha256());
        for (var d : run.targets().values()) {
            d.read(0, ByteBuffer.allocate(512));
        }
        o.release(); // releasing the outcome again is harmless
    }
}
