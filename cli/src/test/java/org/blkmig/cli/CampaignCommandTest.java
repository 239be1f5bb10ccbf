// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CampaignCommandTest {
    @TempDir
    Path dir;

    @Test
    void aCleanCampaignPasses() {
        Cli c = Cli.run("campaign", "--scenarios", "40", "--seed", "3", "--report", dir.toString());
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("40 run, 40 passed, 0 failed"), c.out());
        assertTrue(Files.exists(dir.resolve("report.html")));
    }

    @Test
    void shardsSplitTheCampaign() {
        Cli a = Cli.run("campaign", "--scenarios", "21", "--seed", "3", "--shard", "0/2");
        Cli b = Cli.run("campaign", "--scenarios", "21", "--seed", "3", "--shard", "1/2");
        assertTrue(a.out().contains("11 run"), a.out());
        assertTrue(b.out().contains("10 run"), b.out());
    }

    @Test
    void aMutantCampaignFailsWithTheShrunkScenarioAndReplay() {
        Cli c = Cli.run("campaign", "--scenarios", "50", "--mutant", "missing-eos");
        assertEquals(1, c.exit());
        assertTrue(c.out().contains("property protocol failed"), c.out());
        assertTrue(c.out().contains("replay:   ./blkmig simulate --scenario '"), c.out());
    }

    @Test
    void badShardsAndLimits() {
        assertEquals(2, Cli.run("campaign", "--shard", "2/2").exit());
        assertEquals(2, Cli.run("campaign", "--shard", "x").exit());
        assertEquals(2, Cli.run("campaign", "--time-limit", "soon").exit());
        Cli limited = Cli.run("campaign", "--scenarios", "100000", "--time-limit", "1s");
        assertEquals(0, limited.exit());
        assertTrue(limited.out().contains("(time limit reached)"), limited.out());
    }

    @Test
    void theMemoryBenchmarkMigratesThroughALoopbackSocket() {
        Cli c = Cli.run("bench", "memory", "--size", "64M", "--runs", "1");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("memory median:") && c.out().contains("GB/s"), c.out());
        assertEquals(2, Cli.run("bench").exit(), "a benchmark must be named");
    }

    @Test
    void aShortFuzzRunFindsNothing() throws Exception {
        Path xml = dir.resolve("fuzz.xml");
        Cli c = Cli.run("fuzz", "--inputs", "500", "--seed", "9", "--junit", xml.toString());
        assertEquals(0, c.exit(), c.out());
        assertEquals("500 inputs from seed 9", GateCommandTest.junit(xml).get(0).name());
        assertTrue(c.out().contains("500 inputs from seed 9") && c.out().contains("0 findings"), c.out());
        assertEquals(2, Cli.run("fuzz", "--inputs", "-1").exit());
    }

    @Test
    void theKillMatrixKillsEveryMutant() throws Exception {
        Path xml = dir.resolve("mutants.xml");
        Path md = dir.resolve("mutants.md");
        Cli c = Cli.run("mutants", "--junit", xml.toString(), "--summary", md.toString());
        assertEquals(0, c.exit(), c.out());
        var cases = GateCommandTest.junit(xml);
        assertEquals(org.blkmig.model.scenario.Mutant.values().length, cases.size(), "one case per mutant");
        assertTrue(cases.stream().allMatch(x -> x.failure() == null && x.classname().equals("blkmig.mutants")), cases.toString());
        assertTrue(Files.readString(md).startsWith("## blkmig mutants: PASSED"));
        assertTrue(c.out().contains("all " + org.blkmig.model.scenario.Mutant.values().length + " mutants killed"), c.out());
        assertTrue(c.out().contains("two-reads-in-flight"));
        Path fewXml = dir.resolve("few.xml");
        Cli few = Cli.run("mutants", "--scenarios", "1", "--junit", fewXml.toString());
        assertTrue(GateCommandTest.junit(fewXml).stream().anyMatch(x -> x.failure() != null && x.failure().startsWith("survived")),
                "a survivor is a failed case");
        assertEquals(1, few.exit(), "one scenario cannot kill them all");
        assertTrue(few.out().contains("survived"));
    }
}
