// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import static org.blkmig.model.report.Format.esc;
import static org.blkmig.model.report.Format.ms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.blkmig.model.judge.Replay;
import org.blkmig.simdisk.History;

/**
 * Draws a {@link Diagram} as an SVG a browser shows without script: one row per chunk, virtual
 * time left to right on an {@link Axis} that cuts long quiet gaps short; guest writes, reads from
 * submission through their sampling instant to completion, blocks sent, blocks applied, the
 * guest's stop, failed verdicts' instants; the explanation in words below.
 */
final class DiagramSvg {
    private static final int LABEL_PX = 190;
    private static final int PLOT_PX = 1000;
    private static final int ROW_PX = 62;
    private static final int LANE_PX = 10;
    private static final int TOP_PX = 70;
    /** Room above the ticks for the final flush's label, when it is drawn. */
    private static final int FLUSH_LABEL_PX = 14;
    private static final int LINE_PX = 18;
    private static final int LEGEND_ROWS = 2;

    /** Where a row's lanes lie: guest writes, the first read lane, blocks sent, blocks applied. */
    private record Lanes(int top, int writeY, int firstReadY, int sentY, int appliedY, int height) {}

    private final Diagram d;
    private final int topPx;
    private final Axis axis;
    private final StringBuilder out = new StringBuilder();
    private final List<Lanes> lanes = new ArrayList<>();
    private final Map<Replay.Read, Integer> readLane = new HashMap<>();

    private DiagramSvg(Diagram d) {
        this.d = d;
        this.topPx = TOP_PX + (d.phases().finalFlushNanos() >= 0 ? FLUSH_LABEL_PX : 0);
        this.axis = Axis.of(instants(d), LABEL_PX, PLOT_PX);
        layOut();
    }

    static String svg(Diagram d) {
        return new DiagramSvg(d).draw();
    }

    /** Every instant the diagram draws: the axis is laid out over them. */
    static List<Long> instants(Diagram d) {
        Diagram.Phases p = d.phases();
        List<Long> ts = new ArrayList<>(List.of(p.startNanos(), p.endNanos(), p.guestStopNanos(), p.bulkEndNanos(),
                p.finalFlushNanos()));
        d.runMarks().forEach(m -> ts.add(m.atNanos()));
        for (Diagram.Row r : d.rows()) {
            r.writes().forEach(w -> ts.add(w.timeNanos()));
            for (Replay.Read read : r.reads()) {
                ts.addAll(List.of(read.submitNanos(), read.sampleNanos(), read.completeNanos()));
            }
            for (Diagram.Block b : r.blocks()) {
                ts.addAll(List.of(b.sentNanos(), b.landing().appliedNanos()));
            }
            r.marks().forEach(m -> ts.add(m.atNanos()));
        }
        return ts; // the axis leaves out the -1s of instants that never were
    }

    private double x(long nanos) {
        return axis.x(nanos);
    }

    private String draw() {
        int legendY = bottom() + 26;
        int lineCount = d.lines().stream().mapToInt(l -> wrap(l.text()).size()).sum();
        int height = legendY + LEGEND_ROWS * 20 + 20 + lineCount * LINE_PX + 10;
        int width = LABEL_PX + PLOT_PX + 30;
        out.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'"
                + " font-family='sans-serif' font-size='12' role='img' aria-label='space-time diagram'>", width, height, width,
                height));
        out.append("<title>space-time diagram: one row per chunk, virtual time left to right</title>");
        out.append(String.format(Locale.ROOT, "<rect width='%d' height='%d' fill='#fff'/>", width, height));
        phases();
        axisLines();
        breaks();
        for (int i = 0; i < d.rows().size(); i++) {
            row(d.rows().get(i), lanes.get(i));
        }
        stopLine();
        flushLine();
        runMarks();
        legend(legendY);
        out.append("</svg>");
        return out.toString();
    }

    /** Reads of a chunk in flight together get lanes of their own; rows grow with their lanes. */
    private void layOut() {
        int y = topPx;
        for (Diagram.Row r : d.rows()) {
            List<Long> laneEnds = new ArrayList<>();
            for (Replay.Read read : r.reads()) {
                long end = read.completeNanos() >= 0 ? read.completeNanos() : Long.MAX_VALUE;
                int lane = 0;
                // on screen, a read that starts where another ends still touches it
                while (lane < laneEnds.size() && x(laneEnds.get(lane)) + 2 > x(read.submitNanos())) {
                    lane++;
                }
                if (lane == laneEnds.size()) {
                    laneEnds.add(end);
                } else {
                    laneEnds.set(lane, end);
                }
                readLane.put(read, lane);
            }
            int extra = LANE_PX * (Math.max(1, laneEnds.size()) - 1);
            lanes.add(new Lanes(y, y + 3, y + 27, y + 44 + extra, y + 56 + extra, ROW_PX + extra));
            y += ROW_PX + extra;
        }
    }

    private int bottom() {
        return lanes.isEmpty() ? topPx : lanes.get(lanes.size() - 1).top() + lanes.get(lanes.size() - 1).height();
    }

    private void phases() {
        Diagram.Phases p = d.phases();
        long runningEnd = p.guestStopNanos() >= 0 ? p.guestStopNanos() : p.endNanos();
        band(p.startNanos(), p.bulkEndNanos() >= 0 ? p.bulkEndNanos() : runningEnd, "#eef4ff", "bulk phase");
        if (p.bulkEndNanos() >= 0) {
            band(p.bulkEndNanos(), runningEnd, "#f0f7e8", "dirty rounds");
        }
        if (p.guestStopNanos() >= 0) {
            band(p.guestStopNanos(), p.endNanos(), "#fff0e0", "guest stopped");
        }
    }

    private void band(long from, long to, String colour, String label) {
        if (to <= from) {
            return;
        }
        double a = x(from);
        double b = x(to);
        out.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'/>", a, 14, b - a,
                bottom() - 14, colour));
        if (b - a > 70) {
            out.append(String.format(Locale.ROOT, "<text x='%.1f' y='26' fill='#555'>%s</text>", a + 4, esc(label)));
        }
    }

    private void axisLines() {
        for (Axis.Tick t : axis.ticks()) {
            out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>", t.px(), topPx - 8,
                    t.px(), bottom()));
            out.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle' fill='#333'>%s</text>", t.px(),
                    topPx - 12, t.label()));
        }
        out.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='#333' font-weight='bold'>virtual time (ms)</text>", 8,
                topPx - 12));
    }

    /** The cut gaps: grey across the rows, with how long each lasted. */
    private void breaks() {
        int bottom = bottom();
        for (Axis.Segment g : axis.segments()) {
            if (!g.cut()) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "<g><title>%s ms with no event on these rows, drawn short</title>"
                    + "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='#e8e8e8' opacity='0.85'/>"
                    + "<path d='M%.1f %d l6 -8 M%.1f %d l6 -8' stroke='#888' stroke-width='1.5'/>"
                    + "<text x='%.1f' y='%d' text-anchor='middle' fill='#666' font-size='10'>+%s</text></g>",
                    ms(g.toNanos() - g.fromNanos()), g.fromPx(), topPx - 6, g.toPx() - g.fromPx(), bottom - topPx + 6,
                    g.fromPx() + 6, topPx - 2, g.fromPx() + 14, topPx - 2, (g.fromPx() + g.toPx()) / 2, bottom + 12,
                    Axis.shortMs(g.toNanos() - g.fromNanos())));
        }
    }

    /** The guest's stop: where the migration's final copy begins. */
    private void stopLine() {
        long stop = d.phases().guestStopNanos();
        if (stop >= 0) {
            instantLine(stop, "#c60", "6 3", 30, "the guest stops at " + ms(stop) + " ms", "guest stop " + ms(stop) + " ms", true);
        }
    }

    /** The receiver's final flush, when blocks landed after it: they are not durable though it said complete. */
    private void flushLine() {
        long flush = d.phases().finalFlushNanos();
        if (flush >= 0) {
            // near the plot's end, the label stands to the line's left
            boolean left = x(flush) > LABEL_PX + PLOT_PX - 150;
            instantLine(flush, "#a0a", "2 2", 44, "the receiver flushes the targets for the last time at " + ms(flush) + " ms",
                    "final flush " + ms(flush) + " ms", left);
        }
    }

    /** A dashed line across the rows from {@code topY}, its title, and its label 10 pixels below its top. */
    private void instantLine(long nanos, String colour, String dashes, int topY, String title, String label, boolean left) {
        double px = x(nanos);
        out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='2'"
                + " stroke-dasharray='%s'><title>%s</title></line>", px, topY, px, bottom(), colour, dashes, esc(title)));
        out.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' fill='%s' text-anchor='%s'>%s</text>", left ? px - 3 : px + 3,
                topY + 10, colour, left ? "end" : "start", esc(label)));
    }

    /** Failed verdicts' instants that name no chunk: a red line across the rows. */
    private void runMarks() {
        for (Diagram.Mark m : d.runMarks()) {
            double px = x(m.atNanos());
            out.append(String.format(Locale.ROOT, "<line class='verdict' x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#d00'"
                    + " stroke-width='1.5' stroke-dasharray='2 3'><title>%s</title></line>", px, topPx - 8, px, bottom(),
                    esc(markTitle(m))));
        }
    }

    private static String markTitle(Diagram.Mark m) {
        return "property " + m.verdict().property().id() + " failed at " + ms(m.atNanos()) + " ms: " + m.verdict().cause().text;
    }

    /** Short labels on one lane of a row, placed left to right, those explaining the failure first. */
    private final class Labels {
        private final List<double[]> taken = new ArrayList<>(); // lane, from, to
        private final List<Runnable> quiet = new ArrayList<>(); // labels that explain nothing, placed after the others

        void put(int lane, double px, double y, String text, boolean hot) {
            double w = text.length() * (hot ? 7.0 : 6.0);
            if (!hot && taken.stream().anyMatch(t -> t[0] == lane && px < t[2] + 3 && px + w > t[1] - 3)) {
                return;
            }
            taken.add(new double[] {lane, px, px + w});
            out.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' fill='%s' font-size='%d' paint-order='stroke'"
                    + " stroke='#fff' stroke-width='3'%s>%s</text>", px, y,
                    hot ? "#c00" : "#666", hot ? 12 : 10, hot ? " font-weight='bold'" : "", esc(text)));
        }

        void later(int lane, double px, double y, String text) {
            quiet.add(() -> put(lane, px, y, text, false));
        }

        void placeQuiet() {
            quiet.forEach(Runnable::run);
        }
    }

    private void row(Diagram.Row r, Lanes l) {
        out.append(String.format(Locale.ROOT, "<g class='chunk' data-chunk='%s'>", esc(r.chunk().toString())));
        frame(r, l);
        Labels labels = new Labels();
        writes(r, l, labels);
        reads(r, l, labels);
        blocks(r, l, labels);
        marks(r, l);
        labels.placeQuiet();
        if (r.differing() && r.blocks().stream().noneMatch(Diagram.Block::applied)) {
            out.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='#b00' font-weight='bold'>no block of this chunk"
                    + " was applied</text>", LABEL_PX + 6, l.appliedY() + 2));
        }
        out.append("</g>");
    }

    /** The row's band and its name: red where a target first differs or a failed property names the chunk. */
    private void frame(Diagram.Row r, Lanes l) {
        boolean named = r.difference() != null || !r.namedBy().isEmpty();
        out.append(String.format(Locale.ROOT, "<rect x='0' y='%d' width='%d' height='%d' fill='%s' stroke='#ccc'/>", l.top(),
                LABEL_PX + PLOT_PX + 20, l.height(),
                r.differing() ? "rgba(220,0,0,0.10)" : named ? "rgba(220,0,0,0.04)" : "none"));
        out.append(String.format(Locale.ROOT, "<text x='6' y='%d' font-weight='bold' fill='%s'>%s</text>", l.top() + 22,
                named ? "#b00" : "#222", esc(r.chunk().toString())));
        String sub = r.difference() != null ? "differs first here" : named ? "named by " + String.join(", ", r.namedBy().stream()
                .map(v -> v.property().id()).distinct().toList()) : "sectors " + r.firstSector() + "+";
        out.append(String.format(Locale.ROOT, "<text x='6' y='%d' fill='%s' font-size='11'>%s</text>", l.top() + 40,
                named ? "#b00" : "#777", esc(sub)));
        out.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#e4e4e4'/>", LABEL_PX, l.sentY() - 7,
                LABEL_PX + PLOT_PX, l.sentY() - 7));
    }

    private void writes(Diagram.Row r, Lanes l, Labels labels) {
        for (History.GuestWrite w : r.writes()) {
            boolean hot = r.differing() && w.writeId() == d.missingWriteId();
            double px = x(w.timeNanos());
            String what = "guest write #" + w.writeId() + " at " + ms(w.timeNanos()) + " ms: " + w.device() + " sectors "
                    + w.sector() + "+" + w.sectorCount();
            out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='%d'>"
                    + "<title>%s</title></line>", px, l.writeY(), px, l.writeY() + 17, hot ? "#d00" : "#444", hot ? 3 : 1,
                    esc(what)));
            if (hot) {
                labels.put(0, px + 3, l.writeY() + 11, "w#" + w.writeId() + " (missing on the target)", true);
            } else {
                labels.later(0, px + 2, l.writeY() + 10, "w#" + w.writeId());
            }
        }
    }

    private void reads(Diagram.Row r, Lanes l, Labels labels) {
        Diagram.Block explaining = d.explainingBlock();
        for (Replay.Read read : r.reads()) {
            boolean hot = r.differing() && explaining != null && read.equals(explaining.read());
            int lane = readLane.getOrDefault(read, 0);
            int y = l.firstReadY() + LANE_PX * lane;
            if (read.holeLookup()) {
                out.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='#fff' stroke='%s'"
                        + " stroke-width='%d'>"
                        + "<title>a lookup of %s at %s ms found a hole: the chunk read as zeros</title></circle>",
                        x(read.sampleNanos()), y + 0.5, hot ? "#f80" : "#036", hot ? 2 : 1, esc(r.chunk().toString()),
                        ms(read.sampleNanos())));
                continue;
            }
            double a = x(read.submitNanos());
            double b = x(read.completeNanos() >= 0 ? read.completeNanos() : d.phases().endNanos());
            out.append(String.format(Locale.ROOT, "<g><title>%s</title><rect x='%.1f' y='%d' width='%.1f' height='7' fill='%s'"
                    + " stroke='%s' stroke-width='%d'/>", esc(readTitle(r, read)), a, y - 3, Math.max(2, b - a),
                    read.failed() ? "#f99" : "#8ab4e8", hot ? "#f80" : "#369", hot ? 2 : 1));
            if (read.sampleNanos() >= 0) {
                out.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='#036'/>", x(read.sampleNanos()),
                        y + 0.5));
            }
            out.append("</g>");
            if (hot) {
                labels.put(10 + lane, b + 4, y + 5, "r" + read.id() + " sampled " + ms(read.sampleNanos()) + " ms", true);
            } else {
                labels.later(10 + lane, b + 3, y + 4, "r" + read.id());
            }
        }
    }

    private static String readTitle(Diagram.Row r, Replay.Read read) {
        return "read r" + read.id() + " of " + r.chunk() + ": submitted " + ms(read.submitNanos()) + " ms, sampled "
                + (read.sampleNanos() >= 0 ? ms(read.sampleNanos()) + " ms" : "never") + ", completed "
                + (read.completeNanos() >= 0 ? ms(read.completeNanos()) + " ms" : "never") + (read.failed() ? " (failed)" : "");
    }

    private void blocks(Diagram.Row r, Lanes l, Labels labels) {
        for (Diagram.Block b : r.blocks()) {
            if (b.sentNanos() < 0) {
                continue;
            }
            boolean hot = r.differing() && b == d.explainingBlock();
            double px = x(b.sentNanos());
            if (b.read() != null && b.read().sampleNanos() >= 0) {
                int readY = l.firstReadY() + LANE_PX * readLane.getOrDefault(b.read(), 0);
                out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='%s'"
                        + " stroke-dasharray='3 2'/>", x(b.read().sampleNanos()), readY + 4, px, l.sentY() - 6,
                        hot ? "#f80" : "#9ab", hot ? "2" : "1"));
            }
            out.append(String.format(Locale.ROOT, "<g class='block' data-block='%d' data-applied='%b'><title>%s</title>"
                    + "<path d='M%.1f %d l5 8 l-10 0 z' fill='%s' stroke='%s' stroke-width='%d'/>", b.number(), b.applied(),
                    esc(blockTitle(r, b)), px, l.sentY() - 6, b.zero() ? "#fff" : "#2a2", hot ? "#f80" : "#161", hot ? 2 : 1));
            landing(b, px, l, hot);
            out.append("</g>");
            if (hot) {
                labels.put(3, (b.applied() ? x(b.landing().appliedNanos()) : px) + 7, l.appliedY() + 3,
                        "b" + b.number() + " applied last", true);
            } else {
                labels.later(2, px + 6, l.sentY() + 1, "b" + b.number());
            }
        }
    }

    /** Applied: a square where its last write landed (pink after the receiver's final flush); not applied: a red cross. */
    private void landing(Diagram.Block b, double px, Lanes l, boolean hot) {
        if (b.applied()) {
            double ax = x(b.landing().appliedNanos());
            out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#686'/>"
                    + "<rect x='%.1f' y='%d' width='7' height='7' fill='%s' stroke='%s' stroke-width='%d'/>", px, l.sentY() + 2,
                    ax, l.appliedY() - 4, ax - 3.5, l.appliedY() - 4, b.landing().afterFinalFlush() ? "#f0a" : "#164",
                    hot ? "#f80" : "#000", hot ? 2 : 1));
        } else {
            out.append(String.format(Locale.ROOT, "<path d='M%.1f %d l6 6 M%.1f %d l-6 6' stroke='#d00' stroke-width='2'/>",
                    px - 3, l.appliedY() - 4, px + 3, l.appliedY() - 4));
        }
    }

    private static String blockTitle(Diagram.Row r, Diagram.Block b) {
        Replay.Read read = b.read();
        String data = read == null ? "data no read the replay matched"
                : read.holeLookup() ? "zeros of the hole a lookup found at " + ms(read.sampleNanos()) + " ms"
                : "data of read r" + read.id() + " (sampled " + ms(read.sampleNanos()) + " ms)";
        String landed = !b.applied() ? "NOT applied by the receiver"
                : "applied by the receiver at " + ms(b.landing().appliedNanos()) + " ms"
                        + (b.landing().afterFinalFlush() ? ", after its final flush" : "");
        return (b.zero() ? "zero block" : "block") + " b" + b.number() + " of " + r.chunk() + " sent at " + ms(b.sentNanos())
                + " ms in a " + b.payload() + " payload, " + data + "; " + landed;
    }

    /** A failed verdict's instants on a chunk it names: red rings around what was sent then. */
    private void marks(Diagram.Row r, Lanes l) {
        for (Diagram.Mark m : r.marks()) {
            out.append(String.format(Locale.ROOT, "<circle class='verdict' cx='%.1f' cy='%d' r='9' fill='none' stroke='#d00'"
                    + " stroke-width='2'><title>%s</title></circle>", x(m.atNanos()), l.sentY() - 2, esc(markTitle(m))));
        }
    }

    /** A key of the legend: its mark, drawn at the origin, and what it means, {@code textPx} to its right. */
    private record Key(String mark, int textPx, String means) {}

    private static final List<Key> KEYS = List.of(
            new Key("<line x1='0' y1='-11' x2='0' y2='3' stroke='#444'/>", 8, "guest write"),
            new Key("<rect x='0' y='-7' width='36' height='7' fill='#8ab4e8' stroke='#369'/>"
                    + "<circle cx='14' cy='-3.5' r='3.5' fill='#036'/>", 42, "read: submitted, sampled (dot), completed"),
            new Key("<circle cx='4' cy='-3.5' r='3.5' fill='#fff' stroke='#036'/>", 14, "a lookup that found a hole"),
            new Key("<path d='M5 -8 l5 8 l-10 0 z' fill='#2a2' stroke='#161'/>", 14,
                    "block sent (white: zero block; dashed: its read)"),
            new Key("<rect x='0' y='-7' width='7' height='7' fill='#164' stroke='#000'/>", 12, "applied by the receiver"),
            new Key("<rect x='0' y='-7' width='7' height='7' fill='#f0a' stroke='#000'/>", 12,
                    "applied after the receiver's final flush"),
            new Key("<path d='M0 -7 l6 6 M6 -7 l-6 6' stroke='#d00' stroke-width='2'/>", 12, "not applied"),
            new Key("<circle cx='5' cy='-4' r='6' fill='none' stroke='#d00' stroke-width='2'/>", 16,
                    "a failed property's instant"));

    /** At most this many characters on a line of the explanation: the plot's width in 12-pixel text. */
    static final int LINE_CHARS = 170;

    private void legend(int y) {
        int perRow = (KEYS.size() + LEGEND_ROWS - 1) / LEGEND_ROWS;
        out.append("<g font-size='12'>");
        for (int i = 0; i < KEYS.size(); i++) {
            Key k = KEYS.get(i);
            out.append(String.format(Locale.ROOT, "<g transform='translate(%d %d)'>%s<text x='%d' y='0'>%s</text></g>",
                    8 + (i % perRow) * 305, y + 11 + (i / perRow) * 20, k.mark(), k.textPx(), esc(k.means())));
        }
        out.append("</g>");
        int ty = y + LEGEND_ROWS * 20 + 18;
        for (Diagram.Line line : d.lines()) {
            for (String part : wrap(line.text())) {
                out.append(String.format(Locale.ROOT, "<text class='%s' x='8' y='%d' fill='%s'%s>%s</text>",
                        line.emphasis() ? "why" : "note", ty, line.emphasis() ? "#b00" : "#333",
                        line.emphasis() ? " font-weight='bold'" : "", esc(part)));
                ty += LINE_PX;
            }
        }
    }

    /** A line cut at spaces into parts of at most LINE_CHARS characters (a longer word where the line ends). */
    static List<String> wrap(String text) {
        List<String> parts = new ArrayList<>();
        String rest = text;
        while (rest.length() > LINE_CHARS) {
            int cut = rest.lastIndexOf(' ', LINE_CHARS);
            cut = cut > 0 ? cut : LINE_CHARS;
            parts.add(rest.substring(0, cut));
            rest = rest.substring(cut).stripLeading();
        }
        parts.add(rest);
        return parts;
    }
}
