// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.cli.report.CampaignReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentMatchers;
import org.mockito.MockedConstruction;
import org.mockito.Mockito;

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

    @Test
    void shardsOfDifferentSizeMixesAreRefused() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path c = dir.resolve("c");
        assertEquals(0, Cli.run("campaign", "--scenarios", "0", "--seed", "5", "--shard", "0/2", "--sizes", "small", "--report",
                a.toString()).exit());
        assertEquals(0, Cli.run("campaign", "--scenarios", "0", "--seed", "5", "--shard", "1/2", "--sizes", "mixed", "--report",
                b.toString()).exit());
        assertEquals(0, Cli.run("campaign", "--scenarios", "0", "--seed", "5", "--shard", "0/2", "--sizes", "mixed", "--report",
                c.toString()).exit());
        Cli m = Cli.run("merge", a.toString(), b.toString(), "--output", dir.resolve("m1").toString());
        assertEquals(2, m.exit(), m.out());
        assertEquals("blkmig: shards of different size mixes (--sizes small and --sizes mixed): merge the shards of one campaign",
                m.err().strip());
        Cli same = Cli.run("merge", c.toString(), b.toString(), "--output", dir.resolve("m2").toString());
        assertEquals(0, same.exit(), same.out() + same.err());
        assertTrue(same.out().contains("sizes mixed"), same.out());
        assertEquals("mixed", new ObjectMapper().readTree(dir.resolve("m2").resolve("report.json").toFile()).path("sizes").asText());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** JSON readers made meanwhile (on this thread) fail with an IOException that has no message, as an I/O error may. */
    private static MockedConstruction<ObjectMapper> readersFailWithoutAMessage() {
        return Mockito.mockConstruction(ObjectMapper.class, (mapper, context) ->
                Mockito.when(mapper.readTree(ArgumentMatchers.any(File.class))).thenThrow(new IOException()));
    }

    private Path shardWithReport() throws IOException {
        Path shard = Files.createDirectories(dir.resolve("shard"));
        Files.writeString(shard.resolve("report.json"), "{\"kind\": \"campaign\"}");
        return shard;
    }

    @Test
    void aReportUnreadableWithoutAMessageIsNamedByTheErrorsClass() throws IOException {
        Path shard = shardWithReport();
        Cli c;
        try (MockedConstruction<ObjectMapper> readers = readersFailWithoutAMessage()) {
            c = Cli.run("merge", shard.toString(), "--output", dir.resolve("merged").toString());
        }
        assertEquals(Main.USAGE, c.exit(), c.err());
        assertEquals("blkmig: cannot read " + shard.resolve("report.json") + ": IOException", c.err().strip());
    }

    @Test
    void aCampaignReportUnreadableWithoutAMessageIsNamedByTheErrorsClass() throws IOException {
        Path json = shardWithReport().resolve("report.json");
        try (MockedConstruction<ObjectMapper> readers = readersFailWithoutAMessage()) {
            UserError e = assertThrows(UserError.class, () -> CampaignReport.read(json));
            assertEquals("cannot read " + json + ": IOException", e.getMessage());
        }
    }
}
