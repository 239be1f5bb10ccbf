// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blkmig.model.judge.Downtime;

/**
 * How long completed migrations stopped their guest, against each one's downtime limit (the
 * {@code downtime} property's measure, from the history): counts per bin of downtime / limit.
 */
public record DowntimeHistogram(long[] counts) {
    /** The bins' upper edges as fractions of the limit; the last bin is everything above 2x. */
    static final double[] UPPER_EDGES = {0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, Double.POSITIVE_INFINITY};
    public static final List<String> LABELS = List.of("<0.25x", "0.25-0.5x", "0.5-0.75x", "0.75-1x", "1-1.25x", "1.25-1.5x",
            "1.5-2x", ">2x");

    public DowntimeHistogram {
        if (counts.length != UPPER_EDGES.length) {
            throw new IllegalArgumentException(counts.length + " downtime bins, not " + UPPER_EDGES.length);
        }
        counts = counts.clone();
    }

    public static DowntimeHistogram empty() {
        return new DowntimeHistogram(new long[UPPER_EDGES.length]);
    }

    /** This histogram with one more run (none if the run has no downtime: it did not complete). */
    public DowntimeHistogram plus(Downtime.Figures f) {
        if (f == null) {
            return this;
        }
        double ratio = f.downtimeNanos() / (double) Math.max(1, f.limitNanos());
        long[] c = counts.clone();
        int bin = 0;
        while (ratio >= UPPER_EDGES[bin]) {
            bin++;
        }
        c[bin]++;
        return new DowntimeHistogram(c);
    }

    public DowntimeHistogram plus(DowntimeHistogram o) {
        long[] c = counts.clone();
        for (int i = 0; i < c.length; i++) {
            c[i] += o.counts[i];
        }
        return new DowntimeHistogram(c);
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }

    /** Completed runs whose guest stopped for the limit or longer (before any slack). */
    public long overLimit() {
        long n = 0;
        for (int i = 0; i < counts.length; i++) {
            n += UPPER_EDGES[i] > 1.0 ? counts[i] : 0;
        }
        return n;
    }

    /** A text histogram: one line per bin, a bar of up to 40 characters. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("downtime / limit of " + total() + " completed runs (" + overLimit() + " at or over the limit):");
        long max = Math.max(1, Arrays.stream(counts).max().orElse(1));
        for (int i = 0; i < counts.length; i++) {
            int bar = (int) Math.ceil(40.0 * counts[i] / max);
            out.add(String.format("  %-10s %7d %s", LABELS.get(i), counts[i], "#".repeat(bar)));
        }
        return out;
    }

    /** The same as an SVG bar chart, the bins at or over the limit in red. */
    public String svg() {
        int w = 60;
        int h = 120;
        long max = Math.max(1, Arrays.stream(counts).max().orElse(1));
        StringBuilder s = new StringBuilder("<svg xmlns='http://www.w3.org/2000/svg' width='" + (w * counts.length + 20)
                + "' height='" + (h + 46) + "' font-family='sans-serif' font-size='10'>");
        // bar heights on a log scale: the few runs over the limit are what a reader looks for
        double top = Math.log1p(max);
        for (int i = 0; i < counts.length; i++) {
            int bar = (int) Math.round(h * Math.log1p(counts[i]) / top);
            int x = 10 + i * w;
            s.append("<rect x='").append(x + 5).append("' y='").append(h - bar + 12).append("' width='").append(w - 10)
                    .append("' height='").append(bar).append("' fill='").append(UPPER_EDGES[i] > 1.0 ? "#c33" : "#48a")
                    .append("'/>");
            s.append("<text x='").append(x + w / 2).append("' y='10' text-anchor='middle'>").append(counts[i]).append("</text>");
            s.append("<text x='").append(x + w / 2).append("' y='").append(h + 28).append("' text-anchor='middle'>")
                    .append(LABELS.get(i).replace("<", "&lt;").replace(">", "&gt;")).append("</text>");
        }
        s.append("<text x='10' y='").append(h + 40).append("'>runs per bin (log scale); red: over the limit</text>");
        return s.append("</svg>").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DowntimeHistogram d && Arrays.equals(counts, d.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return Arrays.toString(counts);
    }
}
