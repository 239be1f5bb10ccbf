// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

class SweepCommandTest {
    /**
     * Fails 'identical' under qemu-7.2 at every seed and passes under blkmig; no seed in it. Without RAM
     * beside the disks, nothing hides QEMU's pending rule (raised only at zero): after the first slice
     * the threshold (128 MiB/s x 300 ms) is above the reads pending, and the migration completes with
     * most chunks never sent.
     */
    static final String EARLY_COMPLETION = "devices=drive0:32M,drive1:8M;content=3;workload=none@0[8-128];"
            + "bandwidth=128M;downtime=300ms;latency=fixed:0ns;chunk=1M;zero-blocks=false;shared-base=false;alloc=60;"
            + "faults=none";
    /** A tiny scenario whose seeds differ: reads of uniform latency, a guest writing during the migration. */
    static final String TINY = "devices=drive0:4M,drive1:2M+1536;content=5;workload=uniform@262144[8-128];bandwidth=16M;"
            + "downtime=300ms;latency=uniform:100us-2ms;chunk=1M;zero-blocks=false;shared-base=false;alloc=60;faults=none";

    @Test
    void theCountsAddUp() {
        SweepCommand.Counts c = SweepCommand.sweep(SweepCommand.parse(TINY), new Variant(Profile.QEMU_7_2, Set.of()), 11, 6,
                n -> {});
        assertEquals(6, c.runs());
        assertEquals(11, c.firstSeed());
        assertEquals(6, c.outcomes().values().stream().mapToInt(Integer::intValue).sum(), c.toString());
        assertTrue(c.failedSeeds() >= 0 && c.failedSeeds() <= 6);
        for (int n : c.failedProperties().values()) {
            assertTrue(n >= 1 && n <= c.failedSeeds(), c.toString());
        }
        assertEquals(Math.min(c.failedSeeds(), SweepCommand.LISTED_FAILURES), c.firstFailingSeeds().size());
        assertEquals(6, c.migrationNanos().length);
    }

    @Test
    void aKnownQemuFailureIsCountedForEverySeedAndBlkmigPassesIt() {
        Variant qemu = new Variant(Profile.QEMU_7_2, Set.of());
        SweepCommand.Counts c = SweepCommand.sweep(SweepCommand.parse(EARLY_COMPLETION), qemu, 1, 4, n -> {});
        assertEquals(4, c.failedProperties().get(Properties.IDENTICAL), c.toString());
        assertEquals(4, c.failedSeeds());
        assertEquals(java.util.List.of(1L, 2L, 3L), c.firstFailingSeeds());

        Cli q = Cli.run("sweep", "--profile", "qemu-7.2", "--seeds", "4", "--seed", "7", "--scenario", EARLY_COMPLETION);
        assertEquals(1, q.exit(), q.out() + q.err());
        assertEquals(4, count(q.out(), "failed identical"), q.out());
        assertEquals(4, count(q.out(), "outcome COMPLETED"), q.out());
        assertTrue(q.out().contains("seeds:       4 (7..10)"), q.out());
        assertTrue(q.out().contains("failing seed 7: ./blkmig simulate --scenario '") && q.out().contains(";seed=7")
                && q.out().contains("--profile qemu-7.2"), q.out());

        Cli b = Cli.run("sweep", "--seeds", "4", "--scenario", EARLY_COMPLETION);
        assertEquals(0, b.exit(), b.out() + b.err());
        assertEquals(0, count(b.out(), "failed any"), b.out());
        assertTrue(!b.out().contains("failed identical"), b.out());
    }

    @Test
    void aSeedInTheLineIsReplacedByEachSeed() {
        Scenario s = SweepCommand.parse(EARLY_COMPLETION + ";seed=-360426019017759091");
        assertEquals(-360426019017759091L, s.seed());
        assertEquals(EARLY_COMPLETION, SweepCommand.withoutSeed(s));
        assertEquals(0, SweepCommand.parse(EARLY_COMPLETION + ";").seed());
        Cli c = Cli.run("sweep", "--profile", "qemu-7.2", "--seeds", "2", "--scenario", EARLY_COMPLETION + ";seed=99");
        assertTrue(c.out().contains("seeds:       2 (1..2)") && !c.out().contains("seed=99"), c.out());
    }

    @Test
    void badInputIsOneLine() {
        Cli few = Cli.run("sweep", "--seeds", "0", "--scenario", TINY);
        assertEquals(2, few.exit());
        assertTrue(few.oneLineError(), few.err());
        Cli bad = Cli.run("sweep", "--scenario", "devices=drive0:4M;content=x");
        assertEquals(2, bad.exit());
        assertTrue(bad.oneLineError(), bad.err());
        assertEquals(2, Cli.run("sweep").exit(), "a scenario is needed");
    }

    @Test
    void percentilesByRank() {
        long[] v = {5, 1, 4, 2, 3};
        assertEquals(1, SweepCommand.percentile(v, 0));
        assertEquals(3, SweepCommand.percentile(v, 50));
        assertEquals(5, SweepCommand.percentile(v, 100));
    }

    /** The count printed on the line that starts with the label ("LABEL N of M seeds"). */
    private static int count(String out, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s+(\\d+) of \\d+ seeds$").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
