// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Where the random choices of a scenario come from. {@link Choices#draw} is written once against
 * this; the campaign draws from a seeded random source, the property tests from a list of raw
 * numbers that jqwik generates and shrinks (towards shorter lists and zeros: the simplest choice
 * of every draw). So the weights live in one place.
 */
public interface Draws {
    /** An index into {@code weights}, each with its weight's share. Index 0 is the simplest. */
    int pick(int... weights);

    /** A number in {@code min..max}; {@code min} is the simplest. */
    int between(int min, int max);

    /** True with probability {@code numerator/denominator}; false is the simplest. */
    boolean chance(int numerator, int denominator);

    /** A fair coin; false is the simplest. */
    boolean coin();

    /** Any long (a seed). */
    long anyLong();

    /** The campaign's source: these calls, in this order, keep its scenarios what they have been. */
    static Draws of(SplittableRandom r) {
        return new Draws() {
            @Override
            public int pick(int... weights) {
                return Draws.index(r.nextInt(total(weights)), weights);
            }

            @Override
            public int between(int min, int max) {
                return min + r.nextInt(max - min + 1);
            }

            @Override
            public boolean chance(int numerator, int denominator) {
                return r.nextInt(denominator) < numerator;
            }

            @Override
            public boolean coin() {
                return r.nextBoolean();
            }

            @Override
            public long anyLong() {
                return r.nextLong();
            }
        };
    }

    /**
     * Draws from a list of non-negative raw numbers, one per draw, 0 once the list is used up.
     * Every draw maps a raw 0 to its simplest value, so shrinking the numbers simplifies.
     */
    static Draws of(List<Integer> raw) {
        return new Draws() {
            private int next;

            private int nextRaw() {
                return next < raw.size() ? raw.get(next++) : 0;
            }

            @Override
            public int pick(int... weights) {
                return Draws.index(nextRaw() % total(weights), weights);
            }

            @Override
            public int between(int min, int max) {
                return min + nextRaw() % (max - min + 1);
            }

            @Override
            public boolean chance(int numerator, int denominator) {
                return nextRaw() % denominator >= denominator - numerator;
            }

            @Override
            public boolean coin() {
                return nextRaw() % 2 == 1;
            }

            @Override
            public long anyLong() {
                return nextRaw();
            }
        };
    }

    private static int total(int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        return total;
    }

    /** The index whose cumulative weight first passes x (0 <= x < total). */
    private static int index(int x, int... weights) {
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
