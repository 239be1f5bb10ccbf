// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Four shards merged are the single campaign of the same seed and size: report, JUnit cases and summary. */
class MergeCommandTest {
    @TempDir
    Path dir;

    /** report.json without what differs between equal campaigns: timing, and which shards ran. */
    static JsonNode comparable(Path reportJson) throws Exception {
        ObjectNode j = (ObjectNode) new ObjectMapper().readTree(reportJson.toFile());
        j.remove("timing");
        j.remove("shards");
        return j;
    }

    @Test
    void fourShardsMergedEqualTheSingleCampaign() throws Exception {
        String[] common = {"campaign", "--scenarios", "90", "--seed", "5", "--mutant", "early-completion"};
        Path single = dir.resolve("single");
        Cli one = Cli.run(concat(common, "--report", single.toString(), "--junit", single.resolve("junit.xml").toString(),
                "--summary", single.resolve("summary.md").toString()));
        assertEquals(1, one.exit(), one.out());
        List<String> shardDirs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path d = dir.resolve("shard-" + i);
            Cli s = Cli.run(concat(common, "--shard", i + "/4", "--report", d.toString()));
            assertTrue(s.exit() <= 1, s.out() + s.err());
            shardDirs.add(d.toString());
        }
        Path merged = dir.resolve("merged");
        List<String> args = new ArrayList<>(List.of("merge"));
        args.addAll(shardDirs);
        args.addAll(List.of("--output", merged.toString()));
        Cli m = Cli.run(args.toArray(String[]::new));
        assertEquals(1, m.exit(), "the campaign has findings: " + m.out() + m.err());
        JsonNode a = comparable(single.resolve("report.json"));
        JsonNode b = comparable(merged.resolve("report.json"));
        assertTrue(a.path("findings").size() >= 2, "several findings to merge: " + a);
        assertEquals(a, b);
        assertEquals(Files.readString(single.resolve("summary.md")), Files.readString(merged.resolve("summary.md")));
        assertEquals(GateCommandTest.junit(single.resolve("junit.xml")).toString(),
                GateCommandTest.junit(merged.resolve("junit.xml")).toString());
        // each finding's diagram came along
        for (JsonNode f : b.path("findings")) {
            String page = Files.readString(merged.resolve(f.path("dir").asText()).resolve("report.html"));
            assertTrue(page.contains("<svg"), f.toString());
        }
        assertTrue(Files.readString(merged.resolve("report.html")).contains("<svg"));
    }

    @Test
    void aMissingShardFailsAndMismatchedOnesAreRefused() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertEquals(0, Cli.run("campaign", "--scenarios", "20", "--seed", "5", "--shard", "0/2", "--report", a.toString()).exit());
        assertEquals(0, Cli.run("campaign", "--scenarios", "20", "--seed", "6", "--shard", "1/2", "--report", b.toString()).exit());
        Cli alone = Cli.run("merge", a.toString(), "--output", dir.resolve("m1").toString());
        assertEquals(1, alone.exit(), alone.out());
        assertTrue(alone.out().contains("MISSING shards 1/2"), alone.out());
        Cli mixed = Cli.run("merge", a.toString(), b.toString(), "--output", dir.resolve("m2").toString());
        assertEquals(2, mixed.exit());
        assertTrue(mixed.oneLineError() && mixed.err().contains("different campaigns"), mixed.err());
        Cli twice = Cli.run("merge", a.toString(), a.toString(), "--output", dir.resolve("m3").toString());
        assertEquals(2, twice.exit());
        Cli none = Cli.run("merge", dir.resolve("nothing").toString(), "--output", dir.resolve("m4").toString());
        assertEquals(2, none.exit());
        assertTrue(none.oneLineError(), none.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
