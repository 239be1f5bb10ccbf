// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Promise;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every seeded bug is caught by the default campaign: a change that weakens a property fails here. */
class MutantKillTest {
    static final long SEED = 1;
    static final int MAX_SCENARIOS = 300;
    static final Map<Mutant, MutantMatrix.Row> ROWS = new EnumMap<>(Mutant.class);

    /**
     * A mutant's row, run by the first test that needs it: each test's time is its own, so PIT
     * (which runs one test per mutant and times it) does not take a shared setup for a hang.
     */
    static synchronized MutantMatrix.Row row(Mutant m) {
        return ROWS.computeIfAbsent(m, k -> MutantMatrix.run(org.blkmig.sender.Profile.BLKMIG, k, SEED, MAX_SCENARIOS, 40));
    }

    /** The simulation's mutants; the real-thread ones are the controlled-schedule tests' (module controlled). */
    static java.util.stream.Stream<Mutant> simulated() {
        return Mutant.simulated().stream();
    }

    @ParameterizedTest
    @MethodSource("simulated")
    void everyMutantIsKilled(Mutant m) {
        MutantMatrix.Row row = row(m);
        assertTrue(row.killed(), m + " survived " + row.scenariosNeeded() + " scenarios");
        Judge.Outcome shrunk = row.shrunk().outcome();
        assertFalse(shrunk.passed());
        // the shrunk scenario replays to the same failure: at once for a deterministic mutant; within 20
        // replays for one whose bug is nondeterminism itself (unordered-devices: any property it breaks
        // depends on the run's hash order, which differs between JVMs and between test orders)
        Promise property = shrunk.firstFailure().orElseThrow().property();
        Scenario again = Scenario.parse(shrunk.run().scenario().toString());
        int replays = property == Properties.DETERMINISM || m == Mutant.UNORDERED_DEVICES ? 20 : 1;
        boolean replayed = false;
        for (int i = 0; i < replays && !replayed; i++) {
            replayed = Judge.judge(again, Variant.of(m), true).firstFailure().map(v -> v.property() == property).orElse(false);
        }
        assertTrue(replayed, m + ": the shrunk scenario does not fail " + property.id() + " again");
        System.out.println("killed " + m.cliName() + " after " + row.scenariosNeeded() + " scenarios by " + shrunk.report());
    }

    @Test
    void everyPropertyIsShownFailingBySomeMutant() {
        Set<Promise> failed = new java.util.LinkedHashSet<>();
        for (Mutant m : Mutant.simulated()) {
            MutantMatrix.Row row = row(m);
            if (row.killed()) {
                row.shrunk().outcome().verdicts().stream().filter(v -> !v.passed()).forEach(v -> failed.add(v.property()));
                // determinism is judged on 1 scenario in 8 in a campaign: judge the shrunk one with its rerun too
                Scenario shrunk = Scenario.parse(row.shrunk().outcome().run().scenario().toString());
                Judge.judge(shrunk, Variant.of(m), true).verdicts().stream().filter(v -> !v.passed())
                        .forEach(v -> failed.add(v.property()));
                // unordered-devices changes the order from run to run (an identity hash): on a run and its
                // rerun in the same order only final-copy-order sees it; two runs in two orders fail determinism
                for (int i = 0; m == Mutant.UNORDERED_DEVICES && i < 40 && !failed.contains(Properties.DETERMINISM); i++) {
                    Judge.judge(shrunk, Variant.of(m), true).verdicts().stream().filter(v -> !v.passed())
                            .forEach(v -> failed.add(v.property()));
                }
            }
        }
        // convergence: the matrix's first kills of dirty-bit-kept and give-up-after-one-stall are on a hammering
        // guest, whose measured rate only justified-non-convergence judges; on a light uniform guest it fails too
        Judge.judge(Scenario.parse(LIGHT_UNIFORM_GUEST), Variant.of(Mutant.DIRTY_BIT_KEPT)).verdicts().stream()
                .filter(v -> !v.passed()).forEach(v -> failed.add(v.property()));
        assertEquals("VERIFIED", Judge.judge(Scenario.parse(LIGHT_UNIFORM_GUEST), Variant.BLKMIG).headline());
        // the shipped strategies' own seeded bugs (throttle-released is a strategy's property to keep)
        for (org.blkmig.sender.Profile p : org.blkmig.sender.Profile.known()) {
            for (org.blkmig.sender.strategy.StrategyMutant sm : p.strategyMutants()) {
                MutantMatrix.Kill k = MutantMatrix.kill(new Variant(p.withStrategyMutant(sm.name()), Set.of()), SEED,
                        MAX_SCENARIOS, 40, org.blkmig.model.campaign.SizeMix.SMALL);
                assertTrue(k.killed(), sm.name() + " survived " + k.scenariosNeeded() + " scenarios");
                k.shrunk().outcome().verdicts().stream().filter(v -> !v.passed()).forEach(v -> failed.add(v.property()));
            }
        }
        assertEquals(new java.util.LinkedHashSet<>(Properties.ALL), failed, "a property no mutant breaks proves nothing");
    }

    /** Campaign seed 7, scenario 121, shrunk for convergence under dirty-bit-kept: the guest re-dirties 22% of the bandwidth. */
    static final String LIGHT_UNIFORM_GUEST = "devices=drive0:1152K;content=-3452172020633183907;workload=uniform@685607[8-128];"
            + "bandwidth=3840K;downtime=91ms;latency=fixed:0ns;chunk=64K;zero-blocks=false;shared-base=false;alloc=46;"
            + "faults=none;seed=-7093143170912779111";

    @Test
    void theCatalogueHasTheKnownBugsAndProtocolBreakers() {
        assertEquals(2, Arrays.stream(Mutant.values()).filter(m -> m.origin.equals("qemu-7.2")).count());
        assertEquals(5, Arrays.stream(Mutant.values()).filter(m -> m.origin.equals("qemu-history")).count());
        assertTrue(Arrays.stream(Mutant.values()).filter(m -> m.origin.equals("protocol")).count() >= 5);
        assertEquals(Mutant.ZERO_SIZE_ENDS_SCAN, Mutant.parse("zero-size-ends-scan"));
        // the real-thread kind: one per threaded class it breaks, none of them in the simulation's matrix
        assertEquals(Set.of(Mutant.READ_COUNT_TWO_SECTIONS, Mutant.COMPLETION_BEFORE_DATA, Mutant.COUNTED_BEFORE_FAILURE),
                Mutant.of(Mutant.Kind.REAL_THREADS));
        assertTrue(Mutant.simulated().stream().allMatch(m -> m.thread == null));
        assertEquals(Mutant.values().length, Mutant.simulated().size() + Mutant.of(Mutant.Kind.REAL_THREADS).size());
    }

    @Test
    void theCleanSenderPassesTheSameCampaign() {
        Campaign.Summary s = Campaign.run(new Campaign.Settings(SEED, MAX_SCENARIOS, 0, 1, Variant.BLKMIG, 0, 10), k -> {});
        assertEquals(MAX_SCENARIOS, s.passed(), () -> s.failures().get(0).shrunk().outcome().report());
    }
}
