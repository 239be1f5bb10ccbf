// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.util.SplittableRandom;

/** How long a read takes, drawn from the run's random source. Prints and parses as one token. */
public sealed interface LatencyModel {
    long drawNanos(SplittableRandom random);

    String spec();

    /** The mean of the drawn latencies, in nanoseconds. */
    double meanNanos();

    /** Their variance, in square nanoseconds. */
    double varianceNanos2();

    /** The longest latency it draws, in nanoseconds. */
    long maxNanos();

    record Fixed(long nanos) implements LatencyModel {
        @Override
        public long drawNanos(SplittableRandom random) {
            return nanos;
        }

        @Override
        public String spec() {
            return "fixed:" + Durations.format(nanos);
        }

        @Override
        public double meanNanos() {
            return nanos;
        }

        @Override
        public double varianceNanos2() {
            return 0;
        }

        @Override
        public long maxNanos() {
            return nanos;
        }
    }

    record Uniform(long minNanos, long maxNanos) implements LatencyModel {
        public Uniform {
            if (minNanos < 0 || maxNanos < minNanos) {
                throw new IllegalArgumentException("uniform latency needs 0 <= min <= max");
            }
        }

        @Override
        public long drawNanos(SplittableRandom random) {
            return minNanos == maxNanos ? minNanos : random.nextLong(minNanos, maxNanos + 1);
        }

        @Override
        public String spec() {
            return "uniform:" + Durations.format(minNanos) + "-" + Durations.format(maxNanos);
        }

        @Override
        public double meanNanos() {
            return (minNanos + maxNanos) / 2.0;
        }

        @Override
        public double varianceNanos2() {
            double n = maxNanos - minNanos + 1.0; // whole nanoseconds, each as likely
            return (n * n - 1) / 12;
        }

        @Override
        public long maxNanos() {
            return maxNanos;
        }
    }

    /** Mostly {@code baseNanos} (±50%), and with probability {@code tailPercent}% a long {@code tailNanos}. */
    record LongTail(long baseNanos, int tailPercent, long tailNanos) implements LatencyModel {
        public LongTail {
            if (baseNanos < 0 || tailNanos < 0 || tailPercent < 0 || tailPercent > 100) {
                throw new IllegalArgumentException("longtail latency needs base, tail >= 0 and percent 0..100");
            }
        }

        @Override
        public long drawNanos(SplittableRandom random) {
            if (random.nextInt(100) < tailPercent) {
                return tailNanos;
            }
            return baseNanos / 2 + (baseNanos == 0 ? 0 : random.nextLong(baseNanos + 1));
        }

        @Override
        public String spec() {
            return "longtail:" + Durations.format(baseNanos) + "," + tailPercent + "%," + Durations.format(tailNanos);
        }

        @Override
        public double meanNanos() {
            double p = tailPercent / 100.0;
            return (1 - p) * baseMeanNanos() + p * tailNanos;
        }

        @Override
        public double varianceNanos2() {
            double p = tailPercent / 100.0;
            double n = baseNanos + 1.0; // the base's whole nanoseconds from base/2, each as likely
            double baseSquare = baseNanos == 0 ? 0 : (n * n - 1) / 12 + baseMeanNanos() * baseMeanNanos();
            double mean = meanNanos();
            return (1 - p) * baseSquare + p * (double) tailNanos * tailNanos - mean * mean;
        }

        @Override
        public long maxNanos() {
            return Math.max(tailPercent > 0 ? tailNanos : 0, tailPercent < 100 ? baseNanos / 2 + baseNanos : 0);
        }

        private double baseMeanNanos() {
            return baseNanos == 0 ? 0 : baseNanos / 2 + baseNanos / 2.0;
        }
    }

    /** Parses {@code fixed:1ms}, {@code uniform:100us-2ms}, {@code longtail:500us,5%,20ms}. */
    static LatencyModel parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("latency model '" + spec + "': expected fixed:, uniform: or longtail:");
        }
        String kind = spec.substring(0, colon);
        String args = spec.substring(colon + 1);
        switch (kind) {
            case "fixed":
                return new Fixed(Durations.parse(args));
            case "uniform": {
                String[] p = args.split("-", 2);
                if (p.length != 2) {
                    throw new IllegalArgumentException("uniform latency '" + spec + "': expected uniform:MIN-MAX");
                }
                return new Uniform(Durations.parse(p[0]), Durations.parse(p[1]));
            }
            case "longtail": {
                String[] p = args.split(",", 3);
                if (p.length != 3 || !p[1].endsWith("%")) {
                    throw new IllegalArgumentException("longtail latency '" + spec + "': expected longtail:BASE,P%,TAIL");
                }
                return new LongTail(Durations.parse(p[0]), Integer.parseInt(p[1].substring(0, p[1].length() - 1)),
                        Durations.parse(p[2]));
            }
            default:
                throw new IllegalArgumentException("unknown latency model '" + kind + "'");
        }
    }
}
