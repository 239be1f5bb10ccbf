// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
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
        // the first scenario that failed, alone and unshrunk, fails the same way
        Matcher finding = Pattern.compile("FINDING 1: (.*) \\(\\d+ scenario\\(s\\), first #(\\d+);").matcher(c.out());
        Matcher first = Pattern.compile("first:    \\./blkmig (.*)").matcher(c.out());
        assertTrue(finding.find() && first.find(), c.out());
        String[] args = first.group(1).split(" ");
        assertEquals(List.of("campaign", "--seed", "1", "--scenarios", String.valueOf(Integer.parseInt(finding.group(2)) + 1)),
                List.of(args).subList(0, 5));
        Cli again = Cli.run(args);
        assertEquals(1, again.exit(), again.out());
        assertTrue(again.out().contains("FINDING 1: " + finding.group(1) + " (1 scenario(s), first #" + finding.group(2) + ";"),
                again.out());
    }

    @Test
    void theHeaderStatesTheSizesAndABadMixIsOneLine() {
        Cli small = Cli.run("campaign", "--scenarios", "0", "--sizes", "small");
        assertTrue(small.out().startsWith("campaign seed 1, shard 0/1, sizes small: 0 run"), small.out());
        Cli mixed = Cli.run("campaign", "--scenarios", "0", "--sizes", "mixed");
        assertTrue(mixed.out().startsWith("campaign seed 1, shard 0/1, sizes mixed (90% small, 10% realistic: 32 MiB-1 GiB): 0 run"),
                mixed.out());
        Cli realistic = Cli.run("campaign", "--scenarios", "0", "--sizes", "realistic");
        assertTrue(realistic.out().startsWith("campaign seed 1, shard 0/1, sizes realistic (32 MiB-1 GiB): 0 run"), realistic.out());
        assertTrue(Cli.run("campaign", "--scenarios", "0").out().contains(SizeMix.DEFAULT.describe() + ": 0 run"));
        for (String command : List.of("campaign", "mutants", "gate")) {
            Cli bad = Cli.run(command, "--sizes", "huge");
            assertEquals(2, bad.exit(), command);
            assertTrue(bad.oneLineError() && bad.err().contains("'--sizes': unknown size mix 'huge'; known: small, realistic, mixed"),
                    command + ": " + bad.err());
        }
    }

    @Test
    void aFindingsRerunCommandNamesItsSizesUnlessTheDefault() {
        assertEquals("./blkmig campaign --seed 4242 --scenarios 18 --shard 17/18 --sizes realistic --mutant missing-eos",
                CampaignCommand.rerunCommand(4242, 17, SizeMix.REALISTIC, Variant.of(Mutant.MISSING_EOS)));
        for (SizeMix m : SizeMix.values()) {
            assertEquals(m != SizeMix.DEFAULT, CampaignCommand.rerunCommand(1, 0, m, Variant.BLKMIG).contains(" --sizes " + m.cliName),
                    m.cliName);
        }
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
        int simulated = org.blkmig.model.scenario.Mutant.simulated().size();
        assertEquals(simulated, cases.size(), "one case per mutant the simulation can see");
        assertTrue(cases.stream().allMatch(x -> x.failure() == null && x.classname().equals("blkmig.mutants")), cases.toString());
        assertTrue(Files.readString(md).startsWith("## blkmig mutants: PASSED"));
        assertTrue(c.out().contains("all " + simulated + " mutants killed"), c.out());
        // the real-thread kind is skipped, and said so
        assertTrue(c.out().contains("skipped 3 real-thread mutants (read-count-two-sections, completion-before-data,"
                + " counted-before-failure)"), c.out());
        assertTrue(c.out().contains("two-reads-in-flight"));
        Path fewXml = dir.resolve("few.xml");
        Cli few = Cli.run("mutants", "--scenarios", "1", "--junit", fewXml.toString());
        assertTrue(GateCommandTest.junit(fewXml).stream().anyMatch(x -> x.failure() != null && x.failure().startsWith("survived")),
                "a survivor is a failed case");
        assertEquals(1, few.exit(), "one scenario cannot kill them all");
        assertTrue(few.out().contains("survived"));
    }
}
