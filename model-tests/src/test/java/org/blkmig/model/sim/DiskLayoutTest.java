// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.blkmig.model.scenario.Scenario;
import org.junit.jupiter.api.Test;

/** The calibration's disks in the model have the real images' layout (bench/calib_disk.py). */
class DiskLayoutTest {
    static final String LINE = "devices=drive0:64M;content=1;workload=none@0[8-128];bandwidth=128M;downtime=300ms;"
            + "latency=fixed:0us;chunk=1M;zero-blocks=true;shared-base=false;alloc=60;faults=none;seed=1;layout=";

    /** The data ranges World writes, as [first sector, sector count]. */
    static List<List<Long>> data(String layout) {
        Scenario s = Scenario.parse(LINE + layout);
        List<List<Long>> ranges = new ArrayList<>();
        World.contents(s, s.devices().get(0), new World.Contents() {
            @Override
            public void data(long sector, long sectorCount, long writeId) {
                ranges.add(List.of(sector, sectorCount));
            }

            @Override
            public void zeros(long sector, long sectorCount) {}
        });
        return ranges;
    }

    @Test
    void piecesStraddleTwoChunksAsTheRealImagesDo() {
        // 4 pieces of 1 MiB on 64 MiB: at 0.5, 16.5, 32.5 and 48.5 MiB (calib_disk.py sparse:64M:4x1M)
        assertEquals(List.of(List.of(1024L, 2048L), List.of(33792L, 2048L), List.of(66560L, 2048L), List.of(99328L, 2048L)),
                data("pieces:4x1M"));
    }

    @Test
    void randomIsDataEverywhere() {
        assertEquals(List.of(List.of(0L, 131072L)), data("random"));
    }
}
