// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;

/**
 * jqwik's view of {@link Choices#draw}, the campaign's generator: jqwik generates the raw numbers
 * the draws consume, uniformly, and shrinks them towards fewer and smaller numbers, which the draws
 * read as fewer devices, fewer chunks, no partial chunk, no workload, no features.
 */
public final class ScenarioArbitraries {
    /** More raw numbers than a scenario of three devices draws. */
    private static final int MAX_DRAWS = 48;

    /** More raw numbers than a realistic scenario of eight devices draws. */
    private static final int MAX_REALISTIC_DRAWS = 96;

    private ScenarioArbitraries() {}

    public static Arbitrary<Choices> choices() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).withDistribution(RandomDistribution.uniform())
                .withoutEdgeCases().list().ofSize(MAX_DRAWS).map(raw -> Choices.draw(Draws.of(raw)));
    }

    /** The realistic draw ({@code --sizes realistic}), shrinking likewise: towards one 32 MiB device named drive0. */
    public static Arbitrary<Choices> realisticChoices() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).withDistribution(RandomDistribution.uniform())
                .withoutEdgeCases().list().ofSize(MAX_REALISTIC_DRAWS).map(raw -> Choices.drawRealistic(Draws.of(raw)));
    }
}
