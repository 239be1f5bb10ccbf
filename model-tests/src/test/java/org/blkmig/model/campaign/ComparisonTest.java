// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison's statistics on rows whose answers are known by hand. */
class ComparisonTest {
    static Comparison.Run run(int k, String strategy, boolean completed, double totalMillis) {
        return new Comparison.Run(k, strategy, "passed", "", completed ? "COMPLETED" : "DID_NOT_CONVERGE", completed,
                totalMillis, completed ? 10 : Double.NaN, 1 << 20, 0, 1, 0, 0, 1, 4);
    }

    static List<Comparison.Row> rows() {
        List<Comparison.Row> rows = new ArrayList<>();
        // b is a's total plus 100, 200, 300, 400: differences with mean 250 and sample sd 129.1
        for (int k = 0; k < 4; k++) {
            rows.add(new Comparison.Row(k, "s" + k, List.of(run(k, "a", k != 1, 1000 * k), run(k, "b", true, 1000 * k + 100 * (k + 1)))));
        }
        return rows;
    }

    @Test
    void thePairedDifferenceIsTheMeanOfTheDifferencesWithANormalInterval() {
        Comparison.Difference d = Comparison.difference(rows(), Comparison.METRICS.get(0), 1);
        assertEquals(4, d.pairs());
        assertEquals(250, d.mean(), 1e-9);
        double half = 1.96 * Math.sqrt((150.0 * 150 + 50 * 50 + 50 * 50 + 150 * 150) / 3 / 4);
        assertEquals(250 - half, d.low95(), 1e-9);
        assertEquals(250 + half, d.high95(), 1e-9);
    }

    @Test
    void undefinedFiguresLeaveTheirPairOut() {
        // downtime is NaN where the baseline did not complete (scenario 1)
        Comparison.Difference d = Comparison.difference(rows(), Comparison.METRICS.get(1), 1);
        assertEquals(3, d.pairs());
        assertEquals(0, d.mean(), 1e-9);
    }

    @Test
    void convergenceIsCountedPairedAndTheDifferingScenariosComeFirst() {
        assertEquals(0.75, Comparison.convergenceRate(rows(), 0), 1e-9);
        assertArrayEquals(new int[] {1, 0}, Comparison.completionSwaps(rows(), 1));
        List<Comparison.Row> most = Comparison.differingMost(rows(), 1, 2);
        assertEquals(1, most.get(0).index(), "the scenario only b completed");
        assertEquals(3, most.get(1).index(), "then the largest gap in total time");
        assertArrayEquals(new double[] {0, 1000, 2000, 3000}, Comparison.sorted(rows(), Comparison.METRICS.get(0), 0));
        assertEquals(2000, Comparison.quantile(Comparison.sorted(rows(), Comparison.METRICS.get(0), 0), 0.5));
    }
}
