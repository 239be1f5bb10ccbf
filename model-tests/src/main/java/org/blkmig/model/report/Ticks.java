// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Axis ticks at 1, 2 or 5 times a power of ten, with labels of no more digits than they need. */
public final class Ticks {
    private Ticks() {}

    public static double[] nice(double from, double to, int aboutCount) {
        double range = to - from;
        if (!(range > 0)) {
            return new double[] {from};
        }
        double raw = range / Math.max(1, aboutCount);
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / power;
        double step = (f <= 1.5 ? 1 : f <= 3 ? 2 : f <= 7 ? 5 : 10) * power;
        List<Double> ts = new ArrayList<>();
        for (double t = Math.ceil(from / step) * step; t <= to + step * 1e-9; t += step) {
            ts.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        }
        return ts.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The value with as many decimals as the step between ticks needs. */
    public static String label(double value, double[] ticks) {
        return String.format(Locale.ROOT, "%." + decimals(ticks) + "f", value);
    }

    /** Decimals that tell ticks this far apart from one another. */
    public static int decimals(double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(ticks[0]);
        return step <= 0 ? 0 : Math.min(9, Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9)));
    }
}
