// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.blkmig.model.scenario.Choices;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;

/** Runs a scenario and judges it: the one call properties, campaigns and the CLI share. */
public final class Judge {
    private Judge() {}

    /** A judged run: the run, its fact base (which the diagram reads too) and every property's verdict. */
    public record Outcome(ScenarioRunner.Run run, List<Verdict> verdicts, Facts facts) {
        public boolean passed() {
            return Properties.allPassed(verdicts);
        }

        /** Gives the run's (and the rerun's) stream memory to the next run: this outcome is not read again. */
        public void release() {
            release(run);
            facts.rerun().ifPresent(Outcome::release);
        }

        private static void release(ScenarioRunner.Run r) {
            r.stream().release();
            releaseDisks(r);
        }

        private static void releaseDisks(ScenarioRunner.Run r) {
            r.sources().values().forEach(d -> releaseDisk(d.delegate()));
            r.targets().values().forEach(d -> releaseDisk(d.delegate()));
            r.bases().values().forEach(Outcome::releaseDisk);
        }

        private static void releaseDisk(org.blkmig.simdisk.Disk d) {
            if (d instanceof org.blkmig.simdisk.SparseMemoryDisk m) {
                m.release();
            } else if (d instanceof org.blkmig.simdisk.LayeredDisk l) {
                l.release();
                releaseDisk(l.base()); // the source's base is its own, apart from the run's (the target's) bases
            }
        }

        /**
         * The run's verdict in a word or two: VERIFIED (every property holds and the migration
         * completed), NOT COMPLETED (OUTCOME) (every property holds, the target is reported
         * incomplete), or FAILED.
         */
        public String headline() {
            if (!passed()) {
                return "FAILED";
            }
            return run.migration().completed() ? "VERIFIED" : "NOT COMPLETED (" + run.migration().outcome() + ")";
        }

        public Optional<Verdict> firstFailure() {
            return verdicts.stream().filter(v -> !v.passed()).findFirst();
        }

        /** The failure as a person reads it: property, evidence, scenario, replay command. */
        public String report() {
            Verdict f = firstFailure().orElseThrow();
            return "property " + f.property().id() + " failed: " + f.evidence() + "\n  scenario: " + run.scenario()
                    + "\n  replay:   " + replayCommand(run.scenario(), run.variant());
        }
    }

    public static Outcome judge(Scenario s, Set<Mutant> mutants) {
        return judge(s, Variant.of(mutants));
    }

    /** Runs and judges; one scenario in {@value #RERUN_ONE_IN} (by its seed) is run again for {@code determinism}. */
    public static Outcome judge(Scenario s, Variant variant) {
        return judge(s, variant, Math.floorMod(s.seed() * 0x9E3779B97F4A7C15L >>> 32, RERUN_ONE_IN) == 0);
    }

    /** Scenarios run twice to check determinism: one in eight keeps a campaign's cost within an eighth more. */
    public static final int RERUN_ONE_IN = 8;

    public static Outcome judge(Scenario s, Variant variant, boolean rerun) {
        ScenarioRunner.Run run = ScenarioRunner.run(s, variant, ScenarioRunner.RunFaults.NONE);
        if (!rerun) {
            Facts facts = Facts.of(run);
            return new Outcome(run, Properties.judge(facts), facts);
        }
        ScenarioRunner.Run second = ScenarioRunner.run(s, variant, ScenarioRunner.RunFaults.NONE);
        // determinism reads only the second run's stream and history: its disks go now, its stream once
        // judged, so a kept outcome (a finding, shrinking) holds one run's memory, not two
        Outcome.releaseDisks(second);
        Facts facts = Facts.of(run, second);
        Outcome judged = new Outcome(run, Properties.judge(facts), facts);
        second.stream().release();
        return judged;
    }

    /** A run already made (with faults of its own, say), judged by every property but determinism. */
    public static Outcome judge(ScenarioRunner.Run run) {
        Facts facts = Facts.of(run);
        return new Outcome(run, Properties.judge(facts), facts);
    }

    public static String replayCommand(Scenario s, Variant variant) {
        return "./blkmig simulate --scenario '" + s + "'" + variant.cliOptions();
    }

    /**
     * Greedy shrinking: keeps taking the first simpler choice that still fails the same property,
     * until none does. Returns the smallest failing outcome found.
     */
    public static Shrunk shrink(Choices failing, Variant variant, Property property, int maxRuns) {
        return shrink(failing, judge(failing.toScenario(variant.profile()), variant), variant,
                o -> o.firstFailure().map(v -> v.property() == property).orElse(false), maxRuns);
    }

    /**
     * Greedy shrinking from {@code failing}, whose failed outcome is {@code failed} (kept as it is: a
     * nondeterministic failure need not fail again), while {@code sameFailure} holds of the simpler outcome.
     */
    public static Shrunk shrink(Choices failing, Outcome failed, Variant variant,
            java.util.function.Predicate<Outcome> sameFailure, int maxRuns) {
        Choices current = failing;
        Outcome currentOutcome = failed;
        int runs = 1;
        boolean progress = true;
        while (progress && runs < maxRuns) {
            progress = false;
            for (Choices c : current.simpler()) {
                if (runs >= maxRuns) {
                    break;
                }
                Outcome o = judge(c.toScenario(variant.profile()), variant);
                runs++;
                if (!o.passed() && sameFailure.test(o)) {
                    if (currentOutcome != failed) {
                        currentOutcome.release(); // the caller holds failed; the others only this loop
                    }
                    current = c;
                    currentOutcome = o;
                    progress = true;
                    break;
                }
                o.release();
            }
        }
        return new Shrunk(current, currentOutcome, runs);
    }

    public record Shrunk(Choices choices, Outcome outcome, int runs) {}
}
