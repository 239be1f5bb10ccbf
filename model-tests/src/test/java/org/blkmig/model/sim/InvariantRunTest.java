// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.Invariant;
import org.junit.jupiter.api.Test;

/** A broken invariant is a failed run, judged and printed with its scenario: never a silent pass, never a crash. */
class InvariantRunTest {
    @Test
    void aViolationMidRunEndsTheRunFailedAndNamesTheInvariant() {
        PayloadSink breaksAtTheTenthRecord = new PayloadSink() {
            private int records;

            @Override
            public void beginPayload(SectionType type) {}

            @Override
            public void write(Record record) {
                Invariant.check(++records < 10, "the test sink's own check, at record 10");
            }

            @Override
            public void endPayload() {}
        };
        ScenarioRunner.Source src = ScenarioRunner.simulateSource(Scenario.defaults(), Variant.BLKMIG, breaksAtTheTenthRecord);
        assertEquals(MigrationResult.Outcome.FAILED, src.migration().outcome());
        assertEquals("invariant violated: the test sink's own check, at record 10", src.brokenInvariant());
    }

    @Test
    void theInvariantsPropertyFailsFirstAndTheReportReplaysIt() {
        ScenarioRunner.Run clean = ScenarioRunner.run(Scenario.defaults(), Variant.BLKMIG, ScenarioRunner.RunFaults.NONE);
        assertNull(clean.brokenInvariant());
        assertTrue(Judge.judge(clean).verdicts().get(0).passed());
        ScenarioRunner.Run broken = new ScenarioRunner.Run(clean.scenario(), clean.variant(), clean.migration(),
                clean.receive(), clean.stream(), clean.history(), clean.sources(), clean.sourceDevices(), clean.targets(),
                clean.bases(), clean.guestWrites(), clean.eventsRun(), "invariant violated: 2 reads of drive0 chunk 3 in flight",
                clean.faults(), clean.clock(), clean.ends());
        List<Verdict> vs = Judge.judge(broken).verdicts();
        assertEquals(Properties.INVARIANTS, vs.get(0).property());
        assertFalse(vs.get(0).passed());
        String report = Judge.judge(broken).report();
        assertTrue(report.startsWith("property invariants failed: invariant violated: 2 reads of drive0 chunk 3"), report);
        assertTrue(report.contains("replay:   ./blkmig simulate --scenario '" + Scenario.defaults() + "'"), report);
    }
}
