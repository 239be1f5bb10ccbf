// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What QEMU (or a run's own tooling) reported, classified once where it is read: a {@link Kind},
 * a {@code detail} QEMU names with it (the function of a failed assertion, the state section
 * that did not load, the QMP command refused, the program that failed) and its {@code text} for
 * people. Findings are keyed by {@link #subject()}, never by the text.
 */
public record QemuError(Kind kind, String detail, String text) {

    public enum Kind {
        NONE,
        /** QEMU's own assertion failed: it aborts. */
        ASSERTION,
        ABORTED,
        /** "error while loading state section id N(NAME)": a destination refused a section of the stream. */
        LOAD_SECTION,
        /** "load of migration failed": a destination gave up loading. */
        LOAD_FAILED,
        /** Another line of QEMU's on its log. */
        OTHER_ERROR,
        /** QEMU's migration ended in a status other than completed (the detail). */
        MIGRATION_ENDED,
        NOT_STARTED,
        MONITOR_CLOSED,
        QMP_REFUSED,
        TIMED_OUT,
        /** qemu-img or qemu-io (the detail) exited with an error. */
        TOOL_FAILED,
        /** Not QEMU's: the harness's own I/O (the detail names the exception's class). */
        HARNESS
    }

    public static final QemuError NONE = new QemuError(Kind.NONE, "", "");

    private static final Pattern ASSERTION_LINE = Pattern.compile(":\\s*([A-Za-z_][A-Za-z0-9_]*): Assertion `");
    private static final Pattern SECTION_LINE = Pattern.compile("error while loading state section id \\d+\\((.*)\\)");

    public QemuError {
        if (detail == null || text == null) {
            throw new IllegalArgumentException("a detail and a text, empty if none");
        }
    }

    /** What findings tell errors apart by: the kind, and what QEMU named with it. */
    public String subject() {
        return kind == Kind.NONE ? "" : kind.name() + (detail.isEmpty() ? "" : " " + detail);
    }

    /** QEMU's error lines in its log, the first classified (NONE when it printed none). */
    public static QemuError inLog(String log) {
        List<String> lines = log.lines().filter(l -> l.contains(QemuProcess.BINARY + ":"))
                .map(l -> l.substring(l.indexOf(QemuProcess.BINARY)).strip()).toList();
        if (lines.isEmpty()) {
            return NONE;
        }
        QemuError first = line(lines.get(0));
        return new QemuError(first.kind, first.detail, String.join(" / ", lines));
    }

    /** QEMU's own report of dying (an assertion, an abort) in its log, or NONE. */
    public static QemuError crashIn(String log) {
        for (String l : log.lines().toList()) {
            QemuError e = line(l.strip());
            if (e.kind == Kind.ASSERTION || e.kind == Kind.ABORTED) {
                return e;
            }
        }
        return NONE;
    }

    /** One line of QEMU's, classified. */
    static QemuError line(String l) {
        if (l.contains("Assertion") || l.contains("assertion")) {
            Matcher m = ASSERTION_LINE.matcher(l);
            return new QemuError(Kind.ASSERTION, m.find() ? m.group(1) : "", l);
        }
        if (l.contains("Aborted") || l.contains("core dumped")) {
            return new QemuError(Kind.ABORTED, "", l);
        }
        Matcher section = SECTION_LINE.matcher(l);
        if (section.find()) {
            return new QemuError(Kind.LOAD_SECTION, section.group(1), l);
        }
        return new QemuError(l.contains("load of migration failed") ? Kind.LOAD_FAILED : Kind.OTHER_ERROR, "", l);
    }

    /**
     * An exception's error: QemuProcess's failures carry theirs; any other is the harness's own,
     * named by its class when it has no message (a closed channel's).
     */
    public static QemuError of(Throwable e) {
        if (e instanceof QemuProcess.Failure f) {
            return f.error();
        }
        String name = e.getClass().getSimpleName();
        return new QemuError(Kind.HARNESS, name, e.getMessage() == null ? name : name + ": " + e.getMessage());
    }

    @Override
    public String toString() {
        return text.isEmpty() ? kind.name() : text;
    }
}
