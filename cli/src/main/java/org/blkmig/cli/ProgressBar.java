// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;

/** A one-line progress bar on standard error, redrawn only when the percent changes. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean live;
    private long lastPercent = -1;

    ProgressBar(PrintWriter err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.live = System.console() != null; // redraw only on a terminal; logs get the final line
    }

    void update(long done) {
        long percent = total <= 0 ? 100 : Math.min(100, done * 100 / total);
        if (percent == lastPercent || !live) {
            lastPercent = percent;
            return;
        }
        lastPercent = percent;
        int filled = (int) (percent * WIDTH / 100);
        err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "%");
        err.flush();
    }

    void done() {
        if (live && lastPercent >= 0) {
            err.println();
        }
    }
}
