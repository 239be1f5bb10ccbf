// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports name only files they wrote; a one-slice run is a table, not a chart of one point; failures come with a diagram. */
class ReportsTest {
    @TempDir
    Path dir;

    static void everyNamedFigureExists(Path reportDir) throws Exception {
        String page = Files.readString(reportDir.resolve("report.html"));
        Matcher m = Pattern.compile("Figures beside this page: ([^<]*)\\.</p>").matcher(page);
        assertTrue(m.find(), "the page lists its figures");
        for (String f : m.group(1).split(", ")) {
            assertTrue(Files.exists(reportDir.resolve(f)), f + " is named and must exist in " + reportDir);
        }
    }

    @Test
    void aOneSliceRunShowsItsFiguresAsATable() throws Exception {
        Path out = dir.resolve("one");
        // no guest writes and a fast link: the bulk pass and completion fit in the first slice
        Cli c = Cli.run("simulate", "--disks", "drive0=3M", "--workload", "none", "--bandwidth", "20M", "--report", out.toString());
        assertEquals(0, c.exit(), c.out());
        assertTrue(c.out().contains(", 1 slices,"), c.out());
        String page = Files.readString(out.resolve("report.html"));
        assertTrue(page.contains("<h2>The one slice</h2>"), "a table");
        assertFalse(page.contains("<h2>Dirty data remaining</h2>"), "no chart of a single point");
        assertTrue(page.contains("<svg"), "the space-time diagram");
        everyNamedFigureExists(out);
    }

    @Test
    void aCampaignsFindingsCarryTheirDiagramsAndItsPageNamesOnlyWhatExists() throws Exception {
        Path out = dir.resolve("campaign");
        Cli c = Cli.run("campaign", "--scenarios", "10", "--mutant", "early-completion", "--report", out.toString());
        assertEquals(1, c.exit(), c.out());
        everyNamedFigureExists(out);
        assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"));
        everyNamedFigureExists(out.resolve("finding-1"));
        assertTrue(Files.readString(out.resolve("finding-1/diagram.svg")).contains("differs first here"));
        Path clean = dir.resolve("clean");
        assertEquals(0, Cli.run("campaign", "--scenarios", "5", "--report", clean.toString()).exit());
        everyNamedFigureExists(clean);
        assertFalse(Files.readString(clean.resolve("report.html")).contains("slices.csv"), "no CSV is claimed");
    }
}
