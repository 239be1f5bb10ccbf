// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Promise;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;

/** The kill matrix: for each mutant, the campaign scenarios it takes to catch it. */
public final class MutantMatrix {
    public record Row(Mutant mutant, boolean killed, Promise property, int scenariosNeeded,
            Judge.Shrunk shrunk) {}

    private MutantMatrix() {}

    public static List<Row> run(Profile profile, long seed, int maxScenarios, int shrinkRuns) {
        List<Row> rows = new ArrayList<>();
        for (Mutant m : Mutant.simulated()) { // the real-thread kind is the controlled tests' (TESTING.md)
            rows.add(run(profile, m, seed, maxScenarios, shrinkRuns));
        }
        return rows;
    }

    /** The campaign with {@code m} switched on in the profile, until the first failure. */
    public static Row run(Profile profile, Mutant m, long seed, int maxScenarios, int shrinkRuns) {
        return run(profile, m, seed, maxScenarios, shrinkRuns, SizeMix.SMALL);
    }

    /** As {@link #run(Profile, Mutant, long, int, int)}, the campaign of these sizes. */
    public static Row run(Profile profile, Mutant m, long seed, int maxScenarios, int shrinkRuns, SizeMix sizes) {
        Kill k = kill(new Variant(profile, Set.of(m)), seed, maxScenarios, shrinkRuns, sizes);
        return new Row(m, k.killed(), k.property(), k.scenariosNeeded(), k.shrunk());
    }

    /** Whether the campaign kills a variant (a catalogue mutant, or a strategy's own seeded bug), and how. */
    public record Kill(boolean killed, Promise property, int scenariosNeeded, Judge.Shrunk shrunk) {}

    /** The campaign of {@code v} until its first failure. */
    public static Kill kill(Variant v, long seed, int maxScenarios, int shrinkRuns, SizeMix sizes) {
        Campaign.Summary s = Campaign.run(new Campaign.Settings(seed, maxScenarios, 0, 1, v, 0, shrinkRuns, false, sizes),
                k -> {});
        if (s.failures().isEmpty()) {
            return new Kill(false, null, s.run(), null);
        }
        Campaign.Failure f = s.failures().get(0);
        return new Kill(true, f.shrunk().outcome().firstFailure().orElseThrow().property(), s.run(), f.shrunk());
    }
}
