// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/**
 * The calibration's world (FIDELITY.md): with QEMU 7.2's measured timing the profile's early
 * completion depends on the seed, as the real QEMU's does from run to run; without it, it does not.
 */
class Qemu72TimingTest {
    static final Variant QEMU = new Variant(Profile.QEMU_7_2, Set.of());
    // 32 MiB of random data at 128 MiB/s: the first window's race decides (FIDELITY.md, "What the real QEMU decides")
    static final String LINE = "devices=drive0:32M;content=1;workload=none@0[8-128];bandwidth=128M;downtime=300ms;"
            + "latency=uniform:200us-850us;chunk=1M;zero-blocks=false;shared-base=false;alloc=60;faults=none;seed=1;"
            + "ram=33288K:2%:0;layout=random";

    /** How many of seeds 1..n lose data (property identical fails). */
    static int lost(String line, int n) {
        int lost = 0;
        for (long seed = 1; seed <= n; seed++) {
            Judge.Outcome o = Judge.judge(Scenario.parse(line).withSeed(seed), QEMU);
            lost += o.verdicts().stream().anyMatch(v -> v.property() == Properties.IDENTICAL && !v.passed()) ? 1 : 0;
        }
        return lost;
    }

    @Test
    void withQemusTimingTheOutcomeVariesWithTheSeed() {
        int lost = lost(LINE + ";timing=qemu-measured", 12);
        assertTrue(lost > 0 && lost < 12, "some seeds complete early, some do not: " + lost + " of 12");
    }

    @Test
    void withoutItEverySeedEndsAlike() {
        assertEquals(0, lost(LINE, 4));
    }

    @Test
    void theLayoutAndTheTimingKeysRoundTrip() {
        Scenario s = Scenario.parse(LINE.replace("layout=random", "layout=pieces:4x1M") + ";timing=qemu-measured");
        assertEquals(s, Scenario.parse(s.toString()));
        assertTrue(s.toString().endsWith(";layout=pieces:4x1M;timing=qemu-measured"), s.toString());
        assertTrue(!Scenario.parse(LINE.replace(";layout=random", "")).toString().contains("layout"), "World's layout is not written");
    }

    @Test
    void aScenarioWithZeroBlocksTakesTheRunsMeasuredOnHolesAndOneWithoutThoseOnData() {
        Scenario data = Scenario.parse(LINE + ";timing=qemu-measured");
        Scenario holes = Scenario.parse(LINE.replace("zero-blocks=false", "zero-blocks=true") + ";timing=qemu-measured");
        assertEquals(org.blkmig.simdisk.QemuTiming.DATA_RUNS, data.qemuTiming().runs());
        assertEquals(org.blkmig.simdisk.QemuTiming.HOLES_RUNS, holes.qemuTiming().runs());
    }
}
