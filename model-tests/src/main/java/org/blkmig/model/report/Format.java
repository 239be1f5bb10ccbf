// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.Locale;

/** How the diagram writes instants and text. */
final class Format {
    private Format() {}

    /** Nanoseconds as milliseconds with three decimals. */
    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** Text safe inside an SVG element or a single-quoted attribute. */
    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
