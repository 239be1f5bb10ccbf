// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.blkmig.simdisk.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultSimulationIsVerifiedAndWritesItsReport() throws Exception {
        Cli c = Cli.run("simulate", "--report", dir.toString());
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("VERIFIED"), c.out());
        assertTrue(c.out().contains("drive1:3M+1536"), "a device with a partial last chunk by default");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertTrue(json.get("verified").asBoolean());
        assertEquals("VERIFIED", json.get("verdict").asText());
        assertTrue(Files.readString(dir.resolve("report.html")).contains("<span class='ok'>VERIFIED</span></h1>"));
        assertEquals("COMPLETED", json.get("migration").get("outcome").asText());
        assertEquals(org.blkmig.model.judge.Properties.ALL.size(), json.get("verdicts").size());
        assertTrue(Files.readString(dir.resolve("report.html")).contains("data:image/png;base64,"));
        assertTrue(Files.readAllLines(dir.resolve("slices.csv")).size() > 2);
        assertTrue(Files.readAllLines(dir.resolve("rounds.csv")).get(0).startsWith("round,"));
    }

    @Test
    void aMutantFailsWithAReplayCommandThatReproducesIt() {
        Cli c = Cli.run("simulate", "--disks", "drive0=8M", "--mutant", "early-completion");
        assertEquals(1, c.exit(), c.out());
        assertTrue(c.out().contains("property identical failed"), c.out());
        String replay = c.out().lines().filter(l -> l.contains("replay:")).findFirst().orElseThrow();
        String line = replay.substring(replay.indexOf("--scenario '") + 12, replay.lastIndexOf('\''));
        Cli again = Cli.run("simulate", "--scenario", line, "--mutant", "early-completion");
        assertEquals(1, again.exit());
        assertTrue(again.out().contains("property identical failed"));
        assertEquals(0, Cli.run("simulate", "--scenario", line).exit(), "without the mutant the same scenario passes");
    }

    @Test
    void aFailedVerdictIsDataInReportJson(@TempDir Path dir) throws Exception {
        Cli c = Cli.run("simulate", "--mutant", "early-completion", "--report", dir.toString());
        assertEquals(Main.CHECK_FAILED, c.exit(), c.err());
        JsonNode identical = null;
        for (JsonNode v : new ObjectMapper().readTree(dir.resolve("report.json").toFile()).get("verdicts")) {
            assertTrue(v.has("status") && v.has("cause") && v.has("chunks") && v.has("instantsNanos"), v.toString());
            if (v.get("property").asText().equals("identical")) {
                identical = v;
            }
        }
        assertEquals("FAIL", identical.get("status").asText());
        assertEquals("TARGET_DIFFERS", identical.get("cause").asText());
        assertEquals("drive0", identical.get("chunks").get(0).get("device").asText());
        assertEquals(4, identical.get("chunks").get(0).get("chunk").asLong(), "the first differing chunk, as data");
    }

    @Test
    void workloadNamesParseInTurkish() {
        Locale saved = Locale.getDefault();
        // Turkish upper-cases "i" to a dotted "İ": "uniform" would name no workload
        Locale.setDefault(Locale.forLanguageTag("tr"));
        try {
            assertEquals(Workload.Kind.UNIFORM, SimulateCommand.parseKind("uniform"));
            assertEquals(Workload.Kind.HOTSPOT, SimulateCommand.parseKind("hotspot"));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void optionsShapeTheScenario() {
        Cli c = Cli.run("simulate", "--disks", "a=2M,b=1M+512,c=0,d=1M:ro", "--workload", "hammer", "--write-rate", "64K",
                "--bandwidth", "8M/s", "--max-downtime", "50", "--zero-blocks", "--shared-base", "--seed", "7",
                "--chunk-size", "64K", "--latency", "uniform:100us-3ms", "--faults", "none");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("devices=a:2M,b:1M+512,c:0,d:1M:ro;content=7;workload=hammer@65536[8-128];bandwidth=8M;"
                + "downtime=50ms;latency=uniform:100us-3ms;chunk=64K;zero-blocks=true;shared-base=true"), c.out());
    }

    @Test
    void aLargeSparseDiskSimulatesWithZeroBlocks() {
        Cli c = Cli.run("simulate", "--disks", "drive0=8G", "--zero-blocks", "--workload", "none", "--bandwidth", "8G");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("VERIFIED"), c.out());
    }

    @Test
    void aMigrationThatDoesNotConvergeExits1WithoutAFailedProperty() throws Exception {
        Cli c = Cli.run("simulate", "--disks", "drive0=8M", "--workload", "uniform", "--write-rate", "8M", "--bandwidth", "4M",
                "--chunk-size", "64K", "--report", dir.toString());
        assertEquals(1, c.exit(), c.out());
        assertTrue(c.out().contains("NOT COMPLETED (DID_NOT_CONVERGE)"), c.out());
        assertTrue(!c.out().contains("FAIL "), c.out());
        // the report says what the console says: not "VERIFIED" in green for a migration that did not complete
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals("NOT COMPLETED (DID_NOT_CONVERGE)", json.get("verdict").asText());
        String page = Files.readString(dir.resolve("report.html"));
        assertTrue(page.contains("<span class='incomplete'>NOT COMPLETED (DID_NOT_CONVERGE)</span></h1>"), page.substring(0, 800));
        assertFalse(page.contains("VERIFIED"));
    }

    @Test
    void badInputIsOneLineAndExit2() {
        for (String[] args : new String[][] {
            {"simulate", "--bogus"},
            {"simulate", "--disks", "drive0=lots"},
            {"simulate", "--workload", "storm"},
            {"simulate", "--mutant", "nope"},
            {"simulate", "--mutant", "counted-before-failure"}, // real-thread kind: the simulation cannot show it
            {"simulate", "--chunk-size", "1000"},
            {"simulate", "--scenario", "devices=x:1M"},
            {"simulate", "--scenario", "garbage"},
            {"simulate", "--seed", "3", "--scenario", "x"},
            {"simulate", "--latency", "warp:1"},
            {"simulate", "--disks", "drive0=16G"},
            {"nosuchcommand"},
            {},
        }) {
            Cli c = Cli.run(args);
            assertEquals(2, c.exit(), String.join(" ", args) + ": " + c.out() + c.err());
            assertTrue(c.oneLineError(), String.join(" ", args) + " printed: " + c.err());
        }
    }

    @Test
    void aBadOptionValueIsNamedWithTheParsersReason() {
        Cli c = Cli.run("simulate", "--bandwidth", "-5");
        assertEquals(2, c.exit());
        assertTrue(c.oneLineError(), c.err());
        assertTrue(c.err().contains("Invalid value for option '--bandwidth': negative size '-5'"), c.err());
        assertFalse(c.err().contains("Exception"), c.err());
        Cli d = Cli.run("simulate", "--max-downtime", "9999999999999999m");
        assertEquals(2, d.exit());
        assertTrue(d.oneLineError() && d.err().contains("'9999999999999999m' is too large"), d.err());
    }

    @Test
    void everySubcommandHasHelp() {
        for (String sub : new String[] {"simulate", "campaign", "mutants", "fuzz", "decode", "receive", "send"}) {
            Cli c = Cli.run(sub, "--help");
            assertEquals(0, c.exit());
            assertTrue(c.out().startsWith("Usage: blkmig " + sub), c.out());
        }
    }
}
