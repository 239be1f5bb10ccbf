// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.blkmig.simdisk.Workload;
import org.junit.jupiter.api.Test;

/** The one scenario generator, read by the campaign and by jqwik. */
class DrawsTest {
    @Test
    void rawZerosAreTheSimplestScenario() {
        Choices c = Choices.draw(Draws.of(Collections.nCopies(48, 0)));
        assertEquals(0, c.chunkIndex());
        assertEquals(List.of(new Choices.DeviceChoice(1, 0, false)), c.devices());
        assertEquals(Workload.Kind.NONE, c.workload());
        assertEquals(0, c.dirtyPercent());
        assertFalse(c.zeroBlocks() || c.sharedBase() || c.faults());
        // and an empty list reads as zeros
        assertEquals(c, Choices.draw(Draws.of(List.of())));
    }

    @Test
    void bothSourcesFollowTheSameWeights() {
        // raw numbers uniform over a multiple of 100: the chunk-size pick must come out 60/15/10/15 either way
        SplittableRandom r = new SplittableRandom(5);
        int[] fromRaw = new int[4];
        int[] fromRandom = new int[4];
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            List<Integer> raw = new ArrayList<>();
            for (int j = 0; j < 48; j++) {
                raw.add(r.nextInt(1_000_000));
            }
            fromRaw[Choices.draw(Draws.of(raw)).chunkIndex()]++;
            fromRandom[Choices.random(r.split()).chunkIndex()]++;
        }
        int[] weights = {60, 15, 10, 15};
        for (int i = 0; i < 4; i++) {
            assertTrue(Math.abs(fromRaw[i] * 100.0 / n - weights[i]) < 2, "raw draws, chunk size " + i + ": " + fromRaw[i]);
            assertTrue(Math.abs(fromRandom[i] * 100.0 / n - weights[i]) < 2, "random draws, chunk size " + i + ": " + fromRandom[i]);
        }
    }
}
