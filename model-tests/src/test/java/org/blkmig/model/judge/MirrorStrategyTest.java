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
import org.blkmig.simdisk.History;
import org.junit.jupiter.api.Test;

/** The write-blocking mirror (an example of the extension point): it converges where blkmig gives up, and its bug is caught. */
class MirrorStrategyTest {
    static final Profile MIRROR = Profile.parse("mirror");
    /** Scenario 13 of campaign seed 1, shrunk by mirror-acks-early: a hammering guest on one small disk. */
    static final String HAMMER = "devices=drive0:256K;content=6200834119444448676;workload=hammer@6516[8-128];bandwidth=365K;"
            + "downtime=15ms;latency=fixed:0ns;chunk=64K;zero-blocks=false;shared-base=false;alloc=32;faults=none;"
            + "seed=-3366716074929496579";

    @Test
    void theMirrorConvergesWhereBlkmigGivesUpAndTheGuestPaysInLatency() {
        Scenario s = Scenario.parse(ThrottleStrategyTest.TOO_FAST);
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, Judge.judge(s, Variant.BLKMIG).run().migration().outcome());
        Judge.Outcome o = Judge.judge(s, new Variant(MIRROR, Set.of()));
        assertEquals(MigrationResult.Outcome.COMPLETED, o.run().migration().outcome(), o.run().migration().reason());
        assertTrue(o.passed(), o::report);
        List<String> marks = o.run().history().entries().stream()
                .filter(e -> e instanceof History.Marker m && m.kind() == History.Kind.GUEST_MIRRORED)
                .map(e -> ((History.Marker) e).detail()).toList();
        assertEquals(List.of("on", "off"), marks);
    }

    @Test
    void aWriteWaitsForTheMirrorWhenItsChunkCannotBeSentAtOnce() {
        // 365 KiB/s carries 36.5 KiB a slice: a 64 KiB chunk waits for a slice with budget, and so does the guest
        Judge.Outcome o = Judge.judge(Scenario.parse(HAMMER), new Variant(MIRROR, Set.of()));
        assertTrue(o.run().guest().delayedWrites() > 0 && o.run().guest().delayMaxNanos() >= 100_000_000L, o.run().guest()::toString);
        Judge.Outcome plain = Judge.judge(Scenario.parse(HAMMER), Variant.BLKMIG);
        assertEquals(0, plain.run().guest().delayedWrites(), "without a mirror or a throttle no write waits");
    }

    @Test
    void aMirrorThatLetsWritesGoBeforeTheirBlockIsSentFailsMirrorSynchronous() {
        Judge.Outcome good = Judge.judge(Scenario.parse(HAMMER), new Variant(MIRROR, Set.of()));
        assertTrue(good.passed(), good::report);
        Judge.Outcome o = Judge.judge(Scenario.parse(HAMMER), new Variant(MIRROR.withStrategyMutant("mirror-acks-early"),
                Set.of()));
        Verdict v = o.firstFailure().orElseThrow(() -> new AssertionError("the mutant passed"));
        assertEquals("mirror-synchronous", v.property().id(), o::report);
        assertEquals(Cause.MIRROR_WRITE_NOT_FORWARDED, v.cause());
    }

    @Test
    void withoutAMirrorThePropertyHoldsVacuously() {
        Judge.Outcome o = Judge.judge(Scenario.parse(HAMMER), Variant.BLKMIG);
        assertTrue(o.verdicts().stream().filter(v -> v.property() == Properties.MIRROR_SYNCHRONOUS).allMatch(Verdict::passed));
    }
}
