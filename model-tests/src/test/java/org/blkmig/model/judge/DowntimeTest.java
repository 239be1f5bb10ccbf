// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.DowntimeHistogram;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.junit.jupiter.api.Test;

/** {@code downtime}: the guest's stop lasts no longer than the limit plus the slack the history accounts for. */
class DowntimeTest {
    static Verdict downtime(Judge.Outcome o) {
        return o.verdicts().stream().filter(v -> v.property() == Properties.DOWNTIME).findFirst().orElseThrow();
    }

    /** Campaign seed 1, scenario 7: a link as slow as the rate limit, 195 ms of downtime allowed. */
    static Scenario slowLink() {
        return Campaign.choices(1, 7).toScenario(org.blkmig.sender.Profile.BLKMIG);
    }

    /**
     * Campaign seed 1, scenarios 87, 433, 543 and 1392: the controller planned with a measured rate
     * above the rate limit (a slice may pass its budget by a block) and stopped the guest with more
     * than the limit's worth left, at the rate the final copy is carried. blkmig's threshold now plans
     * with at most the rate limit.
     */
    @Test
    void theControllerNoLongerStopsWithMoreThanTheLimitsWorthLeft() {
        for (int k : new int[] {87, 433, 543, 1392}) {
            Judge.Outcome o = Judge.judge(Campaign.choices(1, k).toScenario(org.blkmig.sender.Profile.BLKMIG), Variant.BLKMIG,
                    false);
            Downtime.Figures d = Downtime.figures(o.facts());
            assertNotNull(d, "scenario " + k + " completes");
            assertEquals(Verdict.Status.PASS, downtime(o).status(), "scenario " + k + ": " + downtime(o) + " " + d.text());
            assertTrue(d.leftNanosAtRate() <= d.limitNanos(), "scenario " + k + ": " + d.text());
        }
    }

    @Test
    void theShippedControllerStopsWithinTheLimitAndItsSlack() {
        Judge.Outcome o = Judge.judge(slowLink(), Variant.BLKMIG, false);
        Downtime.Figures d = Downtime.figures(o.facts());
        assertNotNull(d);
        assertEquals(Verdict.Status.PASS, downtime(o).status(), downtime(o) + " " + d.text());
        // what was left at the stop fits the limit at the rate limit: the controller's part of the promise
        assertTrue(d.leftNanosAtRate() <= d.limitNanos(), d.text());
        assertTrue(d.downtimeNanos() > 0 && d.queuedNanos() > 0, d.text());
    }

    @Test
    void stoppingWithTwiceTheLimitsWorthLeftOverrunsIt() {
        Judge.Outcome o = Judge.judge(slowLink(), Variant.of(Mutant.STOP_WITH_TWICE_THE_LIMIT), false);
        Verdict v = downtime(o);
        assertEquals(Verdict.Status.FAIL, v.status(), v.toString());
        assertEquals(Cause.DOWNTIME_OVER_LIMIT, v.cause());
        assertEquals("too-much-left", v.subject());
        Downtime.Figures d = Downtime.figures(o.facts());
        assertTrue(d.overrunNanos() > 0 && d.leftNanosAtRate() > d.limitNanos(), d.text());
        assertEquals(o.facts().history().guestStoppedNanos(), v.instantsNanos().get(0));
        assertTrue(v.evidence().contains("more than the limit's worth was left"), v.evidence());
    }

    @Test
    void aRunThatDidNotCompleteHasNoDowntime() {
        Scenario s = slowLink();
        Judge.Outcome o = Judge.judge(org.blkmig.model.sim.ScenarioRunner.run(s, Variant.BLKMIG,
                new org.blkmig.model.sim.ScenarioRunner.RunFaults(100_000_000L, -1, -1)));
        assertEquals(Verdict.Status.NOT_APPLICABLE, downtime(o).status());
        assertEquals(DowntimeHistogram.empty(), DowntimeHistogram.empty().plus(Downtime.figures(o.facts())));
    }

    @Test
    void theHistogramBinsDowntimeAgainstTheLimit() {
        Downtime.Figures within = new Downtime.Figures(100, 300, 0, 0, 0, 0, 0, 0, 0, 0);
        Downtime.Figures atLimit = new Downtime.Figures(300, 300, 0, 0, 0, 0, 0, 0, 0, 0);
        Downtime.Figures far = new Downtime.Figures(3_000, 300, 0, 0, 0, 0, 0, 0, 0, 0);
        DowntimeHistogram h = DowntimeHistogram.empty().plus(within).plus(atLimit).plus(far);
        assertEquals("[0, 1, 0, 0, 1, 0, 0, 1]", h.toString());
        assertEquals(2, h.overLimit());
        assertEquals(6, h.plus(h).total());
        assertTrue(h.lines().get(0).contains("3 completed runs (2 at or over the limit)"), h.lines().get(0));
    }
}
