// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.protocol.SectionType;
import org.junit.jupiter.api.Test;

/** {@code final-copy-order}: the stop-and-copy walks the devices in the device list's order. */
class FinalCopyOrderTest {
    /** The kill matrix's shrunk scenario for final-copy-devices-reversed (seed 1): both devices dirty at the stop. */
    static final String TWO_DIRTY_DEVICES = "devices=drive0:1344K,drive1:320K;content=6353848000608806813;"
            + "workload=uniform@129087[8-128];bandwidth=723K;downtime=195ms;latency=fixed:0ns;chunk=64K;zero-blocks=true;"
            + "shared-base=false;alloc=54;faults=none;seed=7817223230648258815;link=723K/s:1ms~0ns:w0:r64K:win256K";

    static Verdict order(Judge.Outcome o) {
        return o.verdicts().stream().filter(v -> v.property() == Properties.FINAL_COPY_ORDER).findFirst().orElseThrow();
    }

    /** The devices of the END payload's blocks read after the stop, in stream order. */
    static List<String> walk(Judge.Outcome o) {
        Facts f = o.facts();
        long stopped = f.history().guestStoppedNanos();
        return f.replay().matches().stream().filter(m -> m.read() != null && m.read().submitNanos() >= stopped)
                .map(m -> f.stream().blocks().get(m.index())).filter(b -> b.payload() == SectionType.END)
                .map(OracleStream.SentBlock::device).distinct().toList();
    }

    @Test
    void theShippedSenderWalksTheListFromItsFirstDevice() {
        Judge.Outcome o = Judge.judge(Scenario.parse(TWO_DIRTY_DEVICES), Variant.BLKMIG);
        assertEquals(Verdict.Status.PASS, order(o).status(), order(o).toString());
        assertEquals(List.of("drive0", "drive1"), walk(o), "the walk must cross both devices for the test to bite");
        assertEquals("VERIFIED", o.headline());
    }

    @Test
    void aFinalCopyThatWalksTheLastDeviceFirstFails() {
        Judge.Outcome o = Judge.judge(Scenario.parse(TWO_DIRTY_DEVICES), Variant.of(Mutant.FINAL_COPY_DEVICES_REVERSED));
        Verdict v = order(o);
        assertEquals(Verdict.Status.FAIL, v.status(), v.toString());
        assertEquals(Cause.FINAL_COPY_OUT_OF_ORDER, v.cause());
        assertEquals(List.of("drive1", "drive0"), walk(o));
        assertEquals("drive1", v.chunks().get(0).device());
        assertEquals("drive0", v.chunks().get(1).device());
        assertTrue(v.evidence().contains("drive0 comes before drive1 in the device list"), v.evidence());
        // the data is right: only the order gives the bug away
        assertEquals(Properties.FINAL_COPY_ORDER, o.firstFailure().orElseThrow().property());
    }

    @Test
    void aRunWhoseGuestNeverStoppedHasNoFinalCopyToJudge() {
        Scenario s = Scenario.parse(TWO_DIRTY_DEVICES);
        Judge.Outcome o = Judge.judge(org.blkmig.model.sim.ScenarioRunner.run(s, Variant.BLKMIG,
                new org.blkmig.model.sim.ScenarioRunner.RunFaults(200_000_000L, -1, -1)));
        assertEquals(Verdict.Status.NOT_APPLICABLE, order(o).status(), order(o).toString());
    }
}
