// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Runs a scenario and judges it: the one call properties, campaigns and the CLI share. */
public final class Judge {
    private Judge() {}

    public record Outcome(ScenarioRunner.Run run, List<Checks.Verdict> verdicts) {
        public boolean passed() {
            return Checks.allPassed(verdicts);
        }

        public Optional<Checks.Verdict> firstFailure() {
            return verdicts.stream().filter(v -> !v.passed()).findFirst();
        }

        /** The failure as a person reads it: property, evidence, scenario, replay command. */
        public String report() {
            Checks.Verdict f = firstFailure().orElseThrow();
            return "property " + f.property().id + " failed: " + f.evidence() + "\n  scenario: " + run.scenario()
                    + "\n  replay:   " + replayCommand(run.scenario(), run.variant());
        }
    }

    public static Outcome judge(Scenario s, Set<Mutant> mutants) {
        return judge(s, Variant.of(mutants));
    }

    public static Outcome judge(Scenario s, Variant variant) {
        ScenarioRunner.Run run = ScenarioRunner.run(s, variant, ScenarioRunner.RunFaults.NONE);
        return new Outcome(run, Checks.judge(run));
    }

    public static String replayCommand(Scenario s, Variant variant) {
        return "./blkmig simulate --scenario '" + s + "'" + variant.cliOptions();
    }

    /**
     * Greedy shrinking: keeps taking the first simpler choice that still fails the same property,
     * until none does. Returns the smallest failing outcome found.
     */
    public static Shrunk shrink(Choices failing, Variant variant, Checks.Property property, int maxRuns) {
        return shrink(failing, variant, o -> o.firstFailure().map(v -> v.property() == property).orElse(false), maxRuns);
    }

    /** Greedy shrinking while {@code sameFailure} holds of the simpler outcome. */
    public static Shrunk shrink(Choices failing, Variant variant, java.util.function.Predicate<Outcome> sameFailure,
            int maxRuns) {
        Choices current = failing;
        Outcome currentOutcome = judge(failing.toScenario(variant.profile()), variant);
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
                    current = c;
                    currentOutcome = o;
                    progress = true;
                    break;
                }
            }
        }
        return new Shrunk(current, currentOutcome, runs);
    }

    public record Shrunk(Choices choices, Outcome outcome, int runs) {}
}
