// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.util.SplittableRandom;

/**
 * Fault points, each switched on per run and then firing by probability (FoundationDB's
 * BUGGIFY). Percentages are per read.
 */
public record Faults(int readErrorPercent, int slowReadPercent, int slowReadFactor) {
    public static final Faults NONE = new Faults(0, 0, 1);

    public Faults {
        if (readErrorPercent < 0 || readErrorPercent > 100 || slowReadPercent < 0 || slowReadPercent > 100
                || slowReadFactor < 1) {
            throw new IllegalArgumentException("fault percentages must be 0..100 and the slow factor >= 1");
        }
    }

    public boolean readFails(SplittableRandom random) {
        return readErrorPercent > 0 && random.nextInt(100) < readErrorPercent;
    }

    public long latency(long nanos, SplittableRandom random) {
        return slowReadPercent > 0 && random.nextInt(100) < slowReadPercent ? nanos * slowReadFactor : nanos;
    }

    /** Each fault point on or off by the seed, BUGGIFY style. */
    public static Faults buggify(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean errors = r.nextBoolean();
        boolean slow = r.nextBoolean();
        return new Faults(errors ? 1 + r.nextInt(3) : 0, slow ? 5 + r.nextInt(20) : 0, slow ? 2 + r.nextInt(20) : 1);
    }

    public String spec() {
        return readErrorPercent + "%err," + slowReadPercent + "%slow*" + slowReadFactor;
    }

    public static Faults parse(String spec) {
        if (spec.equals("none")) {
            return NONE;
        }
        try {
            String[] p = spec.split(",", 2);
            String slow = p[1];
            int star = slow.indexOf("%slow*");
            return new Faults(Integer.parseInt(p[0].substring(0, p[0].indexOf("%err"))),
                    Integer.parseInt(slow.substring(0, star)), Integer.parseInt(slow.substring(star + 6)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("faults '" + spec + "': expected none or E%err,S%slow*F");
        }
    }

    @Override
    public String toString() {
        return equals(NONE) ? "none" : spec();
    }
}
