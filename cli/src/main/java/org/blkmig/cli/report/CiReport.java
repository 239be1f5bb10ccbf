// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.blkmig.cli.UserError;
import picocli.CommandLine.Option;

/**
 * What a command found, for a CI system: a JUnit XML file (one test case per check, per mutant,
 * per finding, so any CI shows failures natively) and a Markdown summary fit for a job summary.
 * Every command with {@code --junit}/{@code --summary} fills one of these.
 */
public final class CiReport {
    public enum Status { PASSED, FAILED, SKIPPED }

    /** One test case: {@code suite} groups them (campaign, mutants, fuzz, corpus, qemu). */
    public record Case(String suite, String name, Status status, String message, String detail, double seconds) {
        public static Case passed(String suite, String name, String message, double seconds) {
            return new Case(suite, name, Status.PASSED, message, "", seconds);
        }

        public static Case failed(String suite, String name, String message, String detail, double seconds) {
            return new Case(suite, name, Status.FAILED, message, detail, seconds);
        }

        public static Case skipped(String suite, String name, String message) {
            return new Case(suite, name, Status.SKIPPED, message, "", 0);
        }
    }

    private final String title;
    private final List<Case> cases = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public CiReport(String title) {
        this.title = title;
    }

    public CiReport add(Case c) {
        cases.add(c);
        return this;
    }

    public CiReport addAll(List<Case> cs) {
        cases.addAll(cs);
        return this;
    }

    /** A line for the summary's end (what ran, how long, what was skipped and why). */
    public CiReport note(String line) {
        notes.add(line);
        return this;
    }

    public List<Case> cases() {
        return List.copyOf(cases);
    }

    public boolean failed() {
        return cases.stream().anyMatch(c -> c.status() == Status.FAILED);
    }

    private Map<String, List<Case>> bySuite() {
        Map<String, List<Case>> m = new LinkedHashMap<>();
        for (Case c : cases) {
            m.computeIfAbsent(c.suite(), k -> new ArrayList<>()).add(c);
        }
        return m;
    }

    /** JUnit XML as surefire writes it: testsuites of testcases, a failure or skipped element where one is. */
    public void writeJunit(Path file) throws IOException {
        createParent(file);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(w);
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuites");
            x.writeAttribute("name", title);
            x.writeAttribute("tests", Integer.toString(cases.size()));
            x.writeAttribute("failures", Long.toString(count(cases, Status.FAILED)));
            x.writeAttribute("skipped", Long.toString(count(cases, Status.SKIPPED)));
            for (Map.Entry<String, List<Case>> e : bySuite().entrySet()) {
                List<Case> cs = e.getValue();
                x.writeCharacters("\n  ");
                x.writeStartElement("testsuite");
                x.writeAttribute("name", "blkmig." + e.getKey());
                x.writeAttribute("tests", Integer.toString(cs.size()));
                x.writeAttribute("failures", Long.toString(count(cs, Status.FAILED)));
                x.writeAttribute("errors", "0");
                x.writeAttribute("skipped", Long.toString(count(cs, Status.SKIPPED)));
                x.writeAttribute("time", seconds(cs.stream().mapToDouble(Case::seconds).sum()));
                for (Case c : cs) {
                    x.writeCharacters("\n    ");
                    x.writeStartElement("testcase");
                    x.writeAttribute("classname", "blkmig." + c.suite());
                    x.writeAttribute("name", c.name());
                    x.writeAttribute("time", seconds(c.seconds()));
                    if (c.status() == Status.FAILED) {
                        x.writeStartElement("failure");
                        x.writeAttribute("message", c.message());
                        x.writeAttribute("type", "blkmig." + c.suite());
                        x.writeCharacters(c.detail().isEmpty() ? c.message() : c.detail());
                        x.writeEndElement();
                    } else if (c.status() == Status.SKIPPED) {
                        x.writeStartElement("skipped");
                        x.writeAttribute("message", c.message());
                        x.writeEndElement();
                    } else if (!c.message().isEmpty()) {
                        x.writeStartElement("system-out");
                        x.writeCharacters(c.message());
                        x.writeEndElement();
                    }
                    x.writeEndElement();
                }
                x.writeCharacters("\n  ");
                x.writeEndElement();
            }
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    /** Markdown: the verdict, one table row per suite, then every failed case with its message. */
    public void writeSummary(Path file) throws IOException {
        createParent(file);
        StringBuilder b = new StringBuilder();
        b.append("## ").append(title).append(": ").append(failed() ? "FAILED" : "PASSED").append("\n\n");
        b.append("| suite | passed | failed | skipped |\n|---|---:|---:|---:|\n");
        for (Map.Entry<String, List<Case>> e : bySuite().entrySet()) {
            List<Case> cs = e.getValue();
            b.append("| ").append(e.getKey()).append(" | ").append(count(cs, Status.PASSED)).append(" | ")
                    .append(count(cs, Status.FAILED)).append(" | ").append(count(cs, Status.SKIPPED)).append(" |\n");
        }
        List<Case> failures = cases.stream().filter(c -> c.status() == Status.FAILED).toList();
        if (!failures.isEmpty()) {
            b.append("\n### Failures\n\n");
            for (Case c : failures) {
                b.append("- **").append(md(c.suite())).append(" / ").append(md(c.name())).append("**: ").append(md(c.message()))
                        .append("\n");
                if (!c.detail().isEmpty() && !c.detail().equals(c.message())) {
                    b.append("\n  ```\n  ").append(c.detail().strip().replace("\n", "\n  ")).append("\n  ```\n\n");
                }
            }
        }
        List<Case> skipped = cases.stream().filter(c -> c.status() == Status.SKIPPED).toList();
        if (!skipped.isEmpty()) {
            b.append("\n### Skipped\n\n");
            for (Case c : skipped) {
                b.append("- ").append(md(c.suite())).append(" / ").append(md(c.name())).append(": ").append(md(c.message()))
                        .append("\n");
            }
        }
        if (!notes.isEmpty()) {
            b.append("\n");
            for (String n : notes) {
                b.append(md(n)).append("  \n");
            }
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    /** The cases as data, for a report.json that {@code merge} reads back. */
    public List<Map<String, Object>> json() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Case c : cases) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("suite", c.suite());
            m.put("name", c.name());
            m.put("status", c.status().name());
            m.put("message", c.message());
            m.put("detail", c.detail());
            m.put("seconds", c.seconds());
            out.add(m);
        }
        return out;
    }

    public static List<Case> casesOf(com.fasterxml.jackson.databind.JsonNode list) {
        List<Case> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode c : list) {
            Status st;
            try {
                st = Status.valueOf(c.path("status").asText());
            } catch (IllegalArgumentException e) {
                throw new UserError("a report lists a check with status '" + c.path("status").asText() + "'");
            }
            out.add(new Case(c.path("suite").asText(), c.path("name").asText(), st, c.path("message").asText(),
                    c.path("detail").asText(), c.path("seconds").asDouble()));
        }
        return out;
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** Writes what the options ask for. */
    public void write(Outputs o) throws IOException {
        if (o.junit != null) {
            writeJunit(o.junit);
        }
        if (o.summary != null) {
            writeSummary(o.summary);
        }
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    private static long count(List<Case> cs, Status s) {
        return cs.stream().filter(c -> c.status() == s).count();
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** Table cells and list items stay on one line; pipes would split a cell. */
    private static String md(String s) {
        return s.replace("\n", " ").replace("|", "\\|");
    }

    /** {@code --junit FILE --summary FILE}: a picocli mixin every reporting command shares. */
    public static final class Outputs {
        @Option(names = "--junit", paramLabel = "FILE", description = "Write a JUnit XML file: one test case per check, mutant or finding.")
        Path junit;

        @Option(names = "--summary", paramLabel = "FILE", description = "Write a Markdown summary (for a CI job summary).")
        Path summary;

        boolean any() {
            return junit != null || summary != null;
        }
    }
}
