// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The gate passes on the code as it is, and fails naming the case when a mutant is on or a corpus stream changed. */
class GateCommandTest {
    static final Path CORPUS = Path.of("..", "corpus");

    @TempDir
    Path dir;

    /** A test case of a JUnit file: its class, name and failure message (null: passed). */
    record JunitCase(String classname, String name, String failure, boolean skipped) {}

    static List<JunitCase> junit(Path xml) throws Exception {
        NodeList n = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getElementsByTagName("testcase");
        List<JunitCase> out = new ArrayList<>();
        for (int i = 0; i < n.getLength(); i++) {
            Element e = (Element) n.item(i);
            NodeList f = e.getElementsByTagName("failure");
            out.add(new JunitCase(e.getAttribute("classname"), e.getAttribute("name"),
                    f.getLength() == 0 ? null : ((Element) f.item(0)).getAttribute("message"),
                    e.getElementsByTagName("skipped").getLength() > 0));
        }
        return out;
    }

    @Test
    void theGatePassesOnTheCodeAsItIs() throws Exception {
        Path xml = dir.resolve("gate.xml");
        Path md = dir.resolve("summary.md");
        Cli c = Cli.run("gate", "--budget", "20s", "--corpus", CORPUS.toString(), "--junit", xml.toString(), "--summary",
                md.toString(), "--report", dir.resolve("report").toString());
        assertEquals(0, c.exit(), c.out() + c.err());
        List<JunitCase> cases = junit(xml);
        assertTrue(cases.stream().noneMatch(x -> x.failure() != null), cases.toString());
        for (String suite : List.of("corpus", "mutants", "fuzz", "qemu", "campaign")) {
            assertTrue(cases.stream().anyMatch(x -> x.classname().equals("blkmig." + suite)), suite + " ran: " + cases);
        }
        assertEquals(org.blkmig.model.scenario.Mutant.simulated().size(),
                cases.stream().filter(x -> x.classname().equals("blkmig.mutants")).count(), "one case per mutant");
        assertTrue(cases.stream().anyMatch(x -> x.name().equals("qemu72-8m")), "one case per corpus entry");
        // QEMU either ran or says plainly that it did not
        assertTrue(c.out().contains("qemu qemu-7.2 source to blkmig receiver") || c.out().contains("qemu: SKIPPED: QEMU 7.2 is not"
                + " installed"), c.out());
        assertTrue(Files.readString(md).startsWith("## blkmig gate: PASSED"));
        assertTrue(Files.exists(dir.resolve("report/report.html")) && Files.exists(dir.resolve("report/campaign/report.json")));
    }

    @Test
    void aMutantSwitchedOnFailsTheGateAndTheXmlNamesIt() throws Exception {
        Path xml = dir.resolve("gate.xml");
        // a mutant the campaign kills within its first scenarios, in a campaign no slow machine cuts short
        // (two-reads-in-flight needs ~180 scenarios: under load the 5 s campaign ran 103)
        Cli c = Cli.run("gate", "--budget", "20s", "--scenarios", "50", "--corpus", CORPUS.toString(), "--mutant",
                "early-completion", "--junit", xml.toString());
        assertEquals(1, c.exit(), c.out() + c.err());
        List<JunitCase> failed = junit(xml).stream().filter(x -> x.failure() != null).toList();
        assertTrue(failed.stream().anyMatch(x -> x.classname().equals("blkmig.campaign")
                && x.name().endsWith("[mutant early-completion]") && x.failure().contains("--mutant early-completion")),
                failed.toString());
        // each finding names the campaign's scenario it came from, as a command that reruns it alone
        assertTrue(java.util.regex.Pattern.compile("(?m)^  first:    \\./blkmig campaign --seed \\d+ --scenarios (\\d+) --shard "
                + "\\d+/\\1 --mutant early-completion$").matcher(c.out()).find(), c.out());
    }

    @Test
    void aCorpusStreamAlteredByOneByteFailsTheGate() throws Exception {
        Path corpus = dir.resolve("corpus");
        Files.createDirectories(corpus);
        try (var s = Files.list(CORPUS)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, corpus.resolve(p.getFileName()));
            }
        }
        // one byte of the decompressed stream, written back as a valid gzip: only the content changed
        Path stream = corpus.resolve("qemu72-3m-partial.stream.gz");
        byte[] raw;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(stream))) {
            raw = in.readAllBytes();
        }
        raw[raw.length / 2] ^= 0x01;
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(stream))) {
            out.write(raw);
        }
        Path xml = dir.resolve("gate.xml");
        Cli c = Cli.run("gate", "--budget", "12s", "--corpus", corpus.toString(), "--junit", xml.toString());
        assertEquals(1, c.exit(), c.out() + c.err());
        List<JunitCase> failed = junit(xml).stream().filter(x -> x.failure() != null).toList();
        assertEquals(1, failed.size(), failed.toString());
        assertEquals("blkmig.corpus", failed.get(0).classname());
        assertEquals("qemu72-3m-partial", failed.get(0).name());
        assertTrue(failed.get(0).failure().contains("changed: SHA-256"), failed.get(0).failure());
    }

    @Test
    void usageErrors() {
        assertEquals(2, Cli.run("gate", "--budget", "soon").exit());
        assertEquals(2, Cli.run("gate", "--mutant", "no-such-bug", "--corpus", CORPUS.toString()).exit());
        Cli noCorpus = Cli.run("gate", "--corpus", dir.toString());
        assertEquals(2, noCorpus.exit());
        assertTrue(noCorpus.oneLineError(), noCorpus.err());
    }
}
