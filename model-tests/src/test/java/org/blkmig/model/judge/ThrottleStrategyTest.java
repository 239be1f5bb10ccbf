// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.Profile;
import org.blkmig.sender.strategy.Builtin;
import org.blkmig.simdisk.History;
import org.junit.jupiter.api.Test;

/** The throttle strategy (an example of the extension point): it converges where blkmig gives up, and its bug is caught. */
class ThrottleStrategyTest {
    static final Profile THROTTLE = Profile.parse("throttle");
    /** Scenario 91 of campaign seed 1: a uniform guest outpaces blkmig's dirty rounds, which give up. */
    static final String TOO_FAST = "devices=drive0:320K:ro,drive1:1472K,drive2:997K;content=-2800898308222584655;"
            + "workload=uniform@2212512[8-128];bandwidth=3098K;downtime=62ms;latency=fixed:1ms;chunk=64K;zero-blocks=true;"
            + "shared-base=false;alloc=90;faults=none;seed=6977429102365663818";

    @Test
    void theBuiltInProfilesComeThroughTheExtensionPoint() {
        List<String> names = Profile.known().stream().map(p -> p.cliName).toList();
        assertEquals(List.of("blkmig", "qemu-7.2", "throttle"), names.subList(0, 3));
        assertTrue(Profile.BLKMIG.strategy() instanceof Builtin.Blkmig);
        assertTrue(Profile.QEMU_7_2.strategy() instanceof Builtin.Qemu72);
    }

    @Test
    void theThrottleConvergesWhereBlkmigGivesUpAndEndsAtFullSpeed() {
        Scenario s = Scenario.parse(TOO_FAST);
        Judge.Outcome plain = Judge.judge(s, Variant.BLKMIG);
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, plain.run().migration().outcome());
        assertTrue(plain.passed(), plain::report); // giving up is justified: the guest outpaces the migration

        Judge.Outcome o = Judge.judge(s, new Variant(THROTTLE, Set.of()));
        assertEquals(MigrationResult.Outcome.COMPLETED, o.run().migration().outcome(), o.run().migration().reason());
        assertTrue(o.passed(), o::report);
        List<Double> slowdowns = o.run().history().entries().stream()
                .filter(e -> e instanceof History.Marker m && m.kind() == History.Kind.GUEST_THROTTLED)
                .map(e -> Double.parseDouble(((History.Marker) e).detail())).toList();
        assertEquals(1.25, slowdowns.get(0), 1e-9, "auto-converge's 20% first: " + slowdowns);
        for (int i = 1; i < slowdowns.size() - 1; i++) {
            assertTrue(slowdowns.get(i) > slowdowns.get(i - 1), "tightens only: " + slowdowns);
        }
        assertEquals(1.0, slowdowns.get(slowdowns.size() - 1), "released at the end: " + slowdowns);
    }

    @Test
    void aThrottleLeftOnIsCaughtByThrottleReleased() {
        Judge.Outcome o = Judge.judge(Scenario.parse(TOO_FAST), new Variant(THROTTLE.withStrategyMutant("throttle-left-on"),
                Set.of()));
        Verdict v = o.firstFailure().orElseThrow(() -> new AssertionError("the mutant passed"));
        assertEquals("throttle-released", v.property().id(), o::report);
        assertEquals(Cause.THROTTLE_LEFT_ON, v.cause());
    }
}
