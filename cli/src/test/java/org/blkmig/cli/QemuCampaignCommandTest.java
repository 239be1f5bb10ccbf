// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.qemu.QemuProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small pinned campaign on the real QEMU 7.2 must find its early completion by itself. It fails,
 * not skips, without QEMU (the conformance tests skip outside CI): CI installs QEMU.
 */
class QemuCampaignCommandTest {
    @TempDir
    Path dir;

    /** Seed 51160: 102 MiB of random data at 962 MiB/s, then 128 MiB at 381 MiB/s, 32 MiB of RAM: QEMU 7.2 completes early. */
    static final String[] PINNED = {"qemu-campaign", "--seed", "51160", "--scenarios", "2", "--destination", "blkmig",
        "--shrink-runs", "6", "--attempts", "2", "--rate-runs", "3"};

    @Test
    void aPinnedCampaignFindsTheEarlyCompletionRaceAndShrinksIt() throws IOException {
        if (!QemuProcess.available()) {
            fail("QEMU 7.2 is needed (apt-get install qemu-system-x86 qemu-utils): this campaign cannot run");
        }
        String[] args = java.util.Arrays.copyOf(PINNED, PINNED.length + 2);
        args[PINNED.length] = "--report";
        args[PINNED.length + 1] = dir.resolve("report").toString();
        // the race is QEMU's: a campaign where QEMU happened not to race is rerun, up to 3 times
        Cli c = null;
        List<String> quiet = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            c = Cli.run(args);
            assertTrue(!c.out().matches("(?s).*(FAIL |FINDING \\d+: )receiver-matches-stream.*"),
                    "blkmig's receiver differed from QEMU's stream: " + c.out());
            if (c.exit() == 2 || c.out().contains("(early completion)")) {
                break;
            }
            quiet.add("exit " + c.exit() + ", " + c.out().lines().filter(l -> l.contains("FINDING")).toList());
            System.out.println("note: QEMU 7.2 did not race in campaign " + n + " (rerun)");
        }
        assertEquals(1, c.exit(), "QEMU 7.2's early completion did not show in 3 campaigns " + quiet + ": " + c.out() + c.err());
        assertTrue(c.out().contains("FINDING 1: identical: completed with chunks never sent (early completion)"), c.out());
        JsonNode report = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
        JsonNode early = null;
        for (JsonNode f : report.get("findings")) {
            if (f.get("finding").asText().contains("early completion")) {
                early = f;
            }
        }
        assertTrue(early != null, report.toString());
        assertEquals(3, early.get("rateRuns").asInt());
        assertTrue(early.get("failureRate").asText().matches("fails [0-3] of 3"), early.toString());
        assertTrue(early.get("replay").asText().startsWith("./blkmig qemu-campaign --scenario 'devices="), early.toString());
        assertTrue(Files.readString(dir.resolve("report/report.html")).contains("early completion"));
        System.out.println(c.out());
    }

    @Test
    void badOptionsAreOneLineUsageErrors() {
        Cli dest = Cli.run("qemu-campaign", "--destination", "nowhere");
        assertEquals(2, dest.exit());
        assertTrue(dest.oneLineError() && dest.err().contains("unknown destination 'nowhere'"), dest.err());
        Cli line = Cli.run("qemu-campaign", "--scenario", "devices=1M:random");
        assertEquals(2, line.exit());
        assertTrue(line.oneLineError() && line.err().contains("missing 'image='"), line.err());
        assertEquals(2, Cli.run("qemu-campaign", "--repeat", "0").exit());
        assertEquals(2, Cli.run("qemu-campaign", "--time-limit", "soon").exit());
    }
}
