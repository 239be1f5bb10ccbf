// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The kill matrix: for each mutant, the campaign scenarios it takes to catch it. */
public final class MutantMatrix {
    public record Row(Mutant mutant, boolean killed, Checks.Property property, int scenariosNeeded,
            Judge.Shrunk shrunk) {}

    private MutantMatrix() {}

    public static List<Row> run(long seed, int maxScenarios, int shrinkRuns) {
        List<Row> rows = new ArrayList<>();
        for (Mutant m : Mutant.values()) {
            rows.add(run(m, seed, maxScenarios, shrinkRuns));
        }
        return rows;
    }

    public static Row run(Mutant m, long seed, int maxScenarios, int shrinkRuns) {
        Campaign.Summary s = Campaign.run(new Campaign.Settings(seed, maxScenarios, 0, 1, Set.of(m), 0, shrinkRuns), k -> {});
        if (s.failures().isEmpty()) {
            return new Row(m, false, null, s.run(), null);
        }
        Campaign.Failure f = s.failures().get(0);
        return new Row(m, true, f.shrunk().outcome().firstFailure().orElseThrow().property(), s.run(), f.shrunk());
    }
}
