// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each latency model's mean, variance and longest draw, as the checks use them, against its own draws. */
class LatencyModelTest {
    @Test
    void meanAndVarianceMatchTheDraws() {
        for (String spec : List.of("fixed:1ms", "uniform:100us-2ms", "uniform:7ns-7ns", "longtail:500us,10%,30ms",
                "longtail:0ns,50%,1ms", "longtail:3us,0%,1ms")) {
            LatencyModel m = LatencyModel.parse(spec);
            SplittableRandom r = new SplittableRandom(7);
            int n = 400_000;
            double sum = 0;
            double sumSquares = 0;
            long maxNanos = 0;
            for (int i = 0; i < n; i++) {
                long x = m.drawNanos(r);
                maxNanos = Math.max(maxNanos, x);
                sum += x;
                sumSquares += (double) x * x;
            }
            double mean = sum / n;
            double variance = sumSquares / n - mean * mean;
            assertEquals(m.meanNanos(), mean, 0.01 * m.meanNanos() + 1, spec + " mean");
            assertEquals(m.varianceNanos2(), variance, 0.02 * m.varianceNanos2() + 1, spec + " variance");
            assertTrue(maxNanos <= m.maxNanos() && maxNanos >= 0.99 * m.maxNanos(), spec + " longest " + maxNanos);
        }
        assertEquals(0, LatencyModel.parse("fixed:1ms").varianceNanos2());
        assertEquals(3_450_000, LatencyModel.parse("longtail:500us,10%,30ms").meanNanos(), 1);
    }
}
