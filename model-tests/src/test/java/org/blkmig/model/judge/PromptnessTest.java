// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.Profile;
import org.blkmig.sender.RamModel;
import org.junit.jupiter.api.Test;

/** {@code promptness}: the guest stops soon after completing fitted the downtime limit, by the liveness model. */
class PromptnessTest {
    static final Variant LATE = Variant.of(Mutant.COMPLETE_WHEN_STALLED);

    static Verdict promptness(Judge.Outcome o) {
        return o.verdicts().stream().filter(v -> v.property() == Properties.PROMPTNESS).findFirst().orElseThrow();
    }

    @Test
    void theDefaultScenarioPasses() {
        Judge.Outcome o = Judge.judge(Scenario.defaults(), Variant.BLKMIG);
        assertEquals(Verdict.Status.PASS, promptness(o).status(), promptness(o).toString());
        assertEquals("VERIFIED", o.headline());
    }

    @Test
    void aControllerThatWaitsForTheStallCounterCompletesLate() {
        Judge.Outcome o = Judge.judge(Scenario.defaults(), LATE);
        Verdict v = promptness(o);
        assertEquals(Verdict.Status.FAIL, v.status(), v.toString());
        assertEquals(Cause.COMPLETED_LATE, v.cause());
        // the bulk pass has ended by slice 18 of 100 ms: one dirty chunk is left, the guest runs 16 slices more
        assertEquals(1_800_000_000L, v.instantsNanos().get(0));
        assertEquals(o.facts().history().guestStoppedNanos(), v.instantsNanos().get(1));
        assertTrue(v.evidence().startsWith("at the start of slice 18 (1800.000 ms) 1048591 bytes were still to send"),
                v.evidence());
        assertTrue(v.evidence().contains("the guest stopped 16 slices later, 11 allowed"), v.evidence());
        assertEquals(Properties.PROMPTNESS, o.firstFailure().orElseThrow().property(), "no other property sees it");
    }

    @Test
    void aRunThatDidNotCompleteIsJudgedTheSameWay() {
        // cancelled at 3.2 s, 14 slices after completing fitted (11 allowed): the controller had still not completed
        ScenarioRunner.Run cancelled = ScenarioRunner.run(Scenario.defaults(), LATE,
                new ScenarioRunner.RunFaults(3_200_000_000L, -1, -1));
        assertEquals(MigrationResult.Outcome.CANCELLED, cancelled.migration().outcome());
        Verdict v = promptness(Judge.judge(cancelled));
        assertEquals(Cause.NOT_COMPLETED_THOUGH_FITTED, v.cause(), v.toString());
        assertEquals("CANCELLED", v.subject());
        // cancelled at 2.5 s, before the grace ran out: not late yet
        ScenarioRunner.Run early = ScenarioRunner.run(Scenario.defaults(), LATE, new ScenarioRunner.RunFaults(2_500_000_000L, -1, -1));
        assertEquals(Verdict.Status.PASS, promptness(Judge.judge(early)).status());
    }

    @Test
    void faultsMakeItNotApplicable() {
        Scenario s = Scenario.parse(Scenario.defaults().toString().replace("faults=none", "faults=0%err,10%slow*4"));
        Verdict v = promptness(Judge.judge(s, LATE));
        assertEquals(Verdict.Status.NOT_APPLICABLE, v.status(), v.toString());
        assertEquals(Cause.FAULT_STRUCK, v.cause());
    }

    /** The realistic-size hammer scenario sends the data limit still in its bulk pass: promptness cannot tell. */
    @Test
    void aRunTheDataLimitStoppedIsInconclusive() {
        Scenario s = Scenario.parse("devices=drive0:96M;content=5;workload=hammer@131072[8-128];bandwidth=24M;downtime=200ms;"
                + "latency=uniform:100us-2ms;chunk=1M;zero-blocks=false;shared-base=false;alloc=80;faults=none;seed=1");
        Judge.Outcome o = Judge.judge(s, Variant.BLKMIG, false);
        assertTrue(o.facts().liveness().inconclusive());
        Verdict v = promptness(o);
        assertEquals(Verdict.Status.INCONCLUSIVE, v.status(), v.toString());
        assertEquals(Cause.DATA_LIMIT_REACHED, v.cause());
    }

    /**
     * The interesting case occurs: in a share of the campaign's runs completing fitted at some slice
     * start, and the shipped controller then completed in time, under both profiles.
     */
    @Test
    void completingFitsInAShareOfCampaignRunsAndTheyCompleteInTime() {
        for (Profile p : new Profile[] {Profile.BLKMIG, Profile.QEMU_7_2}) {
            int runs = p == Profile.BLKMIG ? 100 : 40;
            int fitted = 0;
            for (int k = 0; k < runs; k++) {
                Judge.Outcome o = Judge.judge(Campaign.choices(1, k).toScenario(p), new Variant(p, Set.of()), false);
                assertTrue(promptness(o).passed(), () -> p + " " + promptness(o) + "\n" + o.run().scenario());
                if (!o.facts().liveness().faults() && Promptness.firstFit(o.facts()).isPresent()) {
                    fitted++;
                }
            }
            // about 1 run in 10 (blkmig) or in 12 (qemu-7.2, whose guest RAM counts at its bound) over 10,000 runs
            assertTrue(fitted * 20 >= runs, p + ": completing fitted in " + fitted + " of " + runs + " runs");
        }
    }

    @Test
    void guestRamCountsAtItsFirstPassOnTheWire() {
        // 64 pages, 32 of data (8 + 4096 bytes on the wire each), 32 zero (8 + 1), none dirtied
        assertEquals(32 * 4104 + 32 * 9, Liveness.ramBoundBytes(new RamModel.Settings(64 * 4096, 50, 0), 100_000_000));
        // a page dirtied per slice adds a data page
        assertEquals(32 * 4104 + 32 * 9 + 4104, Liveness.ramBoundBytes(new RamModel.Settings(64 * 4096, 50, 40_960),
                100_000_000));
        assertEquals(0, Liveness.ramBoundBytes(RamModel.Settings.NONE, 100_000_000));
    }
}
