// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Sizes;
import picocli.CommandLine;

/** Option value converters: sizes (3M+1536), rates (32M or 32M/s), durations, NAME=VALUE lists. */
final class Converters {
    private Converters() {}

    /** A parser's complaint becomes picocli's own: "Invalid value for option '--x': <complaint>". */
    private static long converted(String text, java.util.function.LongSupplier parse) {
        try {
            return parse.getAsLong();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        } catch (ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large");
        }
    }

    static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            return converted(v, () -> Sizes.parse(v));
        }
    }

    static final class Rate implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            String t = v.endsWith("/s") ? v.substring(0, v.length() - 2) : v;
            return converted(v, () -> Sizes.parse(t));
        }
    }

    /** A campaign's size mix: small, realistic or mixed. */
    static final class SizeMixes implements CommandLine.ITypeConverter<SizeMix> {
        @Override
        public SizeMix convert(String v) {
            try {
                return SizeMix.parse(v);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Milliseconds, or a duration with a unit (500ms, 2s, 10m). */
    static final class Millis implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            return converted(v, () -> parseNanos(v, Durations.MILLI));
        }
    }

    /** A duration with a unit; a bare number is seconds. */
    static final class Seconds implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            return converted(v, () -> parseNanos(v, Durations.SECOND));
        }
    }

    static long parseNanos(String v, long bareUnit) {
        String t = v.trim();
        if (t.matches("\\d+")) {
            return Math.multiplyExact(Long.parseLong(t), bareUnit);
        }
        if (t.matches("\\d+m")) {
            return Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 60 * Durations.SECOND);
        }
        return Durations.parse(t);
    }

    /** Splits NAME=VALUE; names must be distinct. */
    static Map<String, String> pairs(java.util.List<String> items, String what) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : items) {
            for (String one : item.split(",")) {
                int eq = one.indexOf('=');
                if (eq <= 0 || eq == one.length() - 1) {
                    throw new UserError(what + " '" + one + "': expected NAME=VALUE");
                }
                if (out.put(one.substring(0, eq), one.substring(eq + 1)) != null) {
                    throw new UserError(what + ": '" + one.substring(0, eq) + "' given twice");
                }
            }
        }
        return out;
    }
}
