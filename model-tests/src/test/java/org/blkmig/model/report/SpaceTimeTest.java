// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.blkmig.model.judge.FirstDifference;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.simdisk.History;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** The SVG a person reads: the differing chunk named, the events that explain it, in words and marks. */
class SpaceTimeTest {
    static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
    }

    /** Every text element of the SVG, in order. */
    static List<String> texts(Document d) {
        NodeList n = d.getElementsByTagName("text");
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < n.getLength(); i++) {
            out.add(n.item(i).getTextContent());
        }
        return out;
    }

    /** The row drawn for a chunk: its group, found by the chunk's name. */
    static Element row(Document d, String chunk) {
        NodeList gs = d.getElementsByTagName("g");
        for (int i = 0; i < gs.getLength(); i++) {
            Element g = (Element) gs.item(i);
            if (chunk.equals(g.getAttribute("data-chunk"))) {
                return g;
            }
        }
        return null;
    }

    @Test
    void twoReadsInFlightShowTheStaleBlockItsReadAndTheLostWrite() throws Exception {
        Judge.Outcome o = DiagramTest.shrunkDifference(Mutant.TWO_READS_IN_FLIGHT);
        FirstDifference diff = o.facts().firstDifference().orElseThrow();
        String svg = SpaceTime.svg(o);
        assertFalse(svg.contains("<script"), "a picture, no script");
        Document d = parse(svg);
        List<String> texts = texts(d);
        String chunk = diff.chunk().toString();
        Element row = row(d, chunk);
        assertNotNull(row, "a row for " + chunk + ": " + texts);
        String rowText = row.getTextContent();
        assertTrue(rowText.contains("differs first here"), rowText);
        assertTrue(rowText.contains("w#" + diff.sourceWriteId() + " (missing on the target)"), rowText);
        assertTrue(texts.contains(diff.sentence()), texts.toString());
        // the explanation's events, checked against the history itself
        String stale = texts.stream().filter(t -> t.startsWith("stale: b")).findFirst().orElseThrow(() -> new AssertionError(texts));
        String last = texts.stream().filter(t -> t.startsWith("the last block applied to it: b")).findFirst().orElseThrow();
        long lastRead = number(last, "carrying read r(\\d+)");
        long newerRead = number(stale, "newer read r(\\d+)");
        String lost = texts.stream().filter(t -> t.startsWith("guest write #" + diff.sourceWriteId() + " at ")).findFirst().orElseThrow();
        assertTrue(lost.contains("after read r" + lastRead + " sampled the chunk"), lost);
        long writeAt = time(o, e -> e instanceof History.GuestWrite w && w.writeId() == diff.sourceWriteId());
        long lastSample = time(o, e -> e instanceof History.ReadSample s && s.readId() == lastRead);
        long newerSample = time(o, e -> e instanceof History.ReadSample s && s.readId() == newerRead);
        assertTrue(lastSample < writeAt && writeAt < newerSample, "the applied read sampled before the write, the newer after it: "
                + lastSample + " " + writeAt + " " + newerSample);
        assertTrue(rowText.contains("r" + lastRead + " sampled ") && rowText.contains("applied last"), rowText);
    }

    @Test
    void earlyCompletionShowsTheChunksNeverSent() throws Exception {
        Judge.Outcome o = DiagramTest.shrunkDifference(Mutant.EARLY_COMPLETION);
        FirstDifference diff = o.facts().firstDifference().orElseThrow();
        Document d = parse(SpaceTime.svg(o));
        List<String> texts = texts(d);
        String chunk = diff.chunk().toString();
        Element row = row(d, chunk);
        assertNotNull(row, texts.toString());
        assertTrue(row.getTextContent().contains("no block of this chunk was applied"), row.getTextContent());
        assertTrue(texts.contains("no block of " + chunk + " was sent, so none was applied"), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("property chunk-coverage failed: ")), texts.toString());
        // the guest stop is drawn, and it is where the migration completed
        long stop = o.run().migration().guestStoppedNanos();
        assertTrue(texts.contains(String.format(java.util.Locale.ROOT, "guest stop %.3f ms", stop / 1e6)), texts.toString());
    }

    @Test
    void aPassingRunDrawsNoCrossAndNoFailure() throws Exception {
        Judge.Outcome o = Judge.judge(Scenario.defaults(), Variant.BLKMIG, false);
        Document d = parse(SpaceTime.svg(o));
        NodeList gs = d.getElementsByTagName("g");
        int blocks = 0;
        for (int i = 0; i < gs.getLength(); i++) {
            Element g = (Element) gs.item(i);
            if (g.hasAttribute("data-block")) {
                blocks++;
                assertEquals("true", g.getAttribute("data-applied"), g.getTextContent());
            }
        }
        assertTrue(blocks > 0);
        for (String tag : List.of("text", "path", "line")) {
            NodeList n = d.getElementsByTagName(tag);
            for (int i = 0; i < n.getLength(); i++) {
                String cls = ((Element) n.item(i)).getAttribute("class");
                assertFalse(cls.equals("why") || cls.equals("verdict"), "drawn as a failure: " + n.item(i).getTextContent());
            }
        }
    }

    @Test
    void aPassingSmallRunShowsEveryChunk() throws Exception {
        Scenario s = Scenario.parse("devices=drive0:402K+512;content=7;workload=uniform@65536[8-128];bandwidth=1341K;downtime=41ms;"
                + "latency=fixed:100us;chunk=64K;zero-blocks=false;shared-base=false;alloc=75;faults=none;seed=3");
        Judge.Outcome o = Judge.judge(s, Variant.BLKMIG, false);
        assertTrue(o.passed(), o::toString);
        Document d = parse(SpaceTime.svg(o));
        for (int c = 0; c < 7; c++) {
            assertNotNull(row(d, "drive0 chunk " + c), "chunk " + c);
        }
        assertTrue(texts(d).contains("every chunk of the run (7)"));
    }

    @Test
    void ticksAreRoundNumbersWithTheDigitsTheyNeed() {
        double[] t = Ticks.nice(0, 0.0625448226928, 8);
        assertEquals(0.0, t[0]);
        for (double v : t) {
            String label = Ticks.label(v, t);
            assertTrue(label.matches("0\\.0\\d\\d?"), label);
        }
        double[] ms = Ticks.nice(3.2, 1728.4, 8);
        assertEquals(List.of("200", "400", "600", "800", "1000", "1200", "1400", "1600"),
                java.util.Arrays.stream(ms).mapToObj(v -> Ticks.label(v, ms)).toList());
    }

    @Test
    void aClusterOfAFewNanosecondsDoesNotTakeThePlot() {
        long ms = 1_000_000;
        // an early completion: its reads in the first 2 ms, the END payload 450 ns after the guest stops at 100 ms
        Axis a = Axis.of(List.of(0L, 2 * ms, 100 * ms, 100 * ms + 450), 0, 1000);
        Axis.Segment last = a.segments().get(a.segments().size() - 1);
        assertTrue(a.segments().stream().anyMatch(Axis.Segment::cut), "the quiet 98 ms are cut");
        assertTrue(last.toPx() - last.fromPx() < 200, "450 ns drawn over " + (last.toPx() - last.fromPx()) + " px");
        assertTrue(a.x(2 * ms) > 600, "the first 2 ms take the room: " + a.x(2 * ms) + " px");
        // instants and no span: a cut would give 450 ns most of the plot, a linear axis shows them as they are
        Axis points = Axis.of(List.of(0L, 100 * ms, 100 * ms + 450), 0, 1000);
        assertFalse(points.segments().stream().anyMatch(Axis.Segment::cut), points.segments().toString());
        assertTrue(points.x(100 * ms) > 990, "100 ms at " + points.x(100 * ms) + " px");
    }

    @Test
    void longLinesWrapAtSpaces() {
        String line = "word ".repeat(60).trim();
        List<String> parts = DiagramSvg.wrap(line);
        assertTrue(parts.size() > 1 && parts.stream().allMatch(p -> p.length() <= DiagramSvg.LINE_CHARS), parts.toString());
        assertEquals(line, String.join(" ", parts));
    }

    static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), text + " has no " + regex);
        return Long.parseLong(m.group(1));
    }

    static long time(Judge.Outcome o, java.util.function.Predicate<History.Entry> which) {
        return o.run().history().entries().stream().filter(which).mapToLong(History.Entry::timeNanos).findFirst()
                .orElseThrow(() -> new AssertionError("not in the history"));
    }
}
