// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/** Durations as text: {@code 250ns}, {@code 40us}, {@code 3ms}, {@code 2s}. */
public final class Durations {
    private Durations() {}

    public static final long MICRO = 1_000L;
    public static final long MILLI = 1_000_000L;
    public static final long SECOND = 1_000_000_000L;

    public static long parse(String text) {
        String t = text.trim();
        long unit;
        String digits;
        if (t.endsWith("ns")) {
            unit = 1;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            unit = MICRO;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("ms")) {
            unit = MILLI;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unit = SECOND;
            digits = t.substring(0, t.length() - 1);
        } else {
            throw new IllegalArgumentException("duration '" + text + "' needs a unit: ns, us, ms or s");
        }
        try {
            long v = Long.parseLong(digits);
            if (v < 0) {
                throw new IllegalArgumentException("negative duration '" + text + "'");
            }
            return Math.multiplyExact(v, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("bad duration '" + text + "'");
        }
    }

    public static String format(long nanos) {
        if (nanos != 0 && nanos % SECOND == 0) {
            return nanos / SECOND + "s";
        }
        if (nanos != 0 && nanos % MILLI == 0) {
            return nanos / MILLI + "ms";
        }
        if (nanos != 0 && nanos % MICRO == 0) {
            return nanos / MICRO + "us";
        }
        return nanos + "ns";
    }
}
