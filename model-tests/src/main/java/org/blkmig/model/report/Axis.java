// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A time axis over event instants: clusters of events (gaps under a 25th of the run) drawn
 * linearly in proportion to their span, each gap between clusters cut to {@link #CUT_PX}.
 */
final class Axis {
    static final double CUT_PX = 34;
    static final int MAX_CUTS = 6;
    /** The least share of the run's time a cluster is drawn over, so that one of a few nanoseconds keeps to its size. */
    static final double LEAST_SHARE = 0.003;

    record Segment(long fromNanos, long toNanos, double fromPx, double toPx, boolean cut) {}

    record Tick(double px, String label) {}

    private final List<Segment> segments;

    private Axis(List<Segment> segments) {
        this.segments = segments;
    }

    List<Segment> segments() {
        return segments;
    }

    static Axis of(List<Long> instants, double leftPx, double widthPx) {
        long[] ts = instants.stream().mapToLong(Long::longValue).filter(t -> t >= 0).sorted().distinct().toArray();
        if (ts.length == 0) {
            ts = new long[] {0, 1};
        }
        long total = Math.max(1, ts[ts.length - 1] - ts[0]);
        List<long[]> clusters = clusters(ts, total);
        long spans = clusters.stream().mapToLong(c -> c[1] - c[0]).sum();
        // cut only where it frees room for clusters with a span to show: clusters of a few instants each are drawn as they are
        if (clusters.size() == 1 || total - spans < total * 0.3 || spans < total * LEAST_SHARE) {
            return new Axis(List.of(new Segment(ts[0], ts[0] + total, leftPx, leftPx + widthPx, false)));
        }
        return new Axis(layOut(clusters, total, leftPx, widthPx));
    }

    /** The instants split at the widest gaps over a 25th of the run, at most MAX_CUTS of them: [from, to] each. */
    private static List<long[]> clusters(long[] ts, long total) {
        List<Integer> gaps = new ArrayList<>();
        for (int i = 1; i < ts.length; i++) {
            if (ts[i] - ts[i - 1] > total / 25) {
                gaps.add(i);
            }
        }
        gaps.sort(Comparator.comparingLong((Integer i) -> -(ts[i] - ts[i - 1])));
        Set<Integer> cutAt = new java.util.HashSet<>(gaps.subList(0, Math.min(MAX_CUTS, gaps.size())));
        List<long[]> clusters = new ArrayList<>();
        long from = ts[0];
        for (int i = 1; i < ts.length; i++) {
            if (cutAt.contains(i)) {
                clusters.add(new long[] {from, ts[i - 1]});
                from = ts[i];
            }
        }
        clusters.add(new long[] {from, ts[ts.length - 1]});
        return clusters;
    }

    /**
     * Each cluster drawn linearly over a width in proportion to its span, and at least a share of
     * the run's so that a cluster of a few nanoseconds does not take the whole plot; the cuts
     * between them run from the end of one cluster's events to the start of the next's.
     */
    private static List<Segment> layOut(List<long[]> clusters, long total, double leftPx, double widthPx) {
        double available = widthPx - CUT_PX * (clusters.size() - 1);
        long spans = clusters.stream().mapToLong(c -> c[1] - c[0]).sum();
        double least = Math.max(Math.max(1, spans) * 0.08, total * LEAST_SHARE);
        double[] weights = clusters.stream().mapToDouble(c -> Math.max(c[1] - c[0], least)).toArray();
        double sum = java.util.Arrays.stream(weights).sum();
        List<Segment> drawn = new ArrayList<>();
        double px = leftPx;
        for (int i = 0; i < clusters.size(); i++) {
            double w = available * weights[i] / sum;
            // a cluster's events keep a margin from the cuts on either side
            double pad = Math.min(8, w / 4);
            drawn.add(new Segment(clusters.get(i)[0], clusters.get(i)[1], px + pad, px + w - pad, false));
            px += w + CUT_PX;
        }
        List<Segment> segs = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            if (i > 0) {
                Segment before = drawn.get(i - 1);
                segs.add(new Segment(before.toNanos(), drawn.get(i).fromNanos(), before.toPx(), drawn.get(i).fromPx(), true));
            }
            segs.add(drawn.get(i));
        }
        return segs;
    }

    double x(long nanos) {
        Segment first = segments.get(0);
        if (nanos <= first.fromNanos()) {
            return first.fromPx();
        }
        for (Segment g : segments) {
            if (nanos <= g.toNanos()) {
                long span = g.toNanos() - g.fromNanos();
                return span == 0 ? (g.fromPx() + g.toPx()) / 2
                        : g.fromPx() + (g.toPx() - g.fromPx()) * (nanos - g.fromNanos()) / (double) span;
            }
        }
        return segments.get(segments.size() - 1).toPx();
    }

    /** Ticks in each cluster, at 1, 2 or 5 times a power of ten, about one per 70 pixels. */
    List<Tick> ticks() {
        List<Tick> ticks = new ArrayList<>();
        for (Segment g : segments) {
            if (g.cut()) {
                continue;
            }
            double fromMs = g.fromNanos() / 1e6;
            double toMs = g.toNanos() / 1e6;
            if (g.toNanos() == g.fromNanos()) {
                ticks.add(new Tick(x(g.fromNanos()), shortMs(g.fromNanos())));
                continue;
            }
            double[] ts = Ticks.nice(fromMs, toMs, Math.max(1, (int) ((g.toPx() - g.fromPx()) / 70)));
            for (double t : ts) {
                if (t >= fromMs - 1e-9 && t <= toMs + 1e-9) {
                    ticks.add(new Tick(x(Math.round(t * 1e6)), Ticks.label(t, ts)));
                }
            }
            if (ts.length < 2 || ticks.stream().noneMatch(t -> t.px() >= g.fromPx() && t.px() <= g.toPx())) {
                ticks.add(new Tick(x(g.fromNanos()), shortMs(g.fromNanos())));
            }
        }
        // labels closer than 40 pixels to the one before would overlap it
        List<Tick> kept = new ArrayList<>();
        for (Tick t : ticks) {
            if (kept.isEmpty() || t.px() - kept.get(kept.size() - 1).px() >= 40) {
                kept.add(t);
            }
        }
        return kept;
    }

    /** Milliseconds with three significant decimals at most. */
    static String shortMs(long nanos) {
        double v = nanos / 1e6;
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }
}
