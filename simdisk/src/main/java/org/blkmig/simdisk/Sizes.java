// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/** Sizes as text: {@code 4096}, {@code 64K}, {@code 3M+1536}, {@code 2G}; binary units. */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        int plus = t.indexOf('+');
        if (plus > 0) {
            return Math.addExact(parse(t.substring(0, plus)), parseBytes(t.substring(plus + 1), text));
        }
        char last = Character.toUpperCase(t.charAt(t.length() - 1));
        int shift = switch (last) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        long v = parseBytes(digits, text);
        if (v > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return v << shift;
    }

    private static long parseBytes(String digits, String whole) {
        try {
            long v = Long.parseLong(digits.trim());
            if (v < 0) {
                throw new IllegalArgumentException("negative size '" + whole + "'");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + whole + "': expected a number with K, M or G, and +BYTES");
        }
    }

    /** The shortest exact form: 3M+1536 rather than 3147264. */
    public static String format(long bytes) {
        for (int shift = 40; shift >= 10; shift -= 10) {
            long unit = 1L << shift;
            if (bytes >= unit) {
                String suffix = switch (shift) {
                    case 40 -> "T";
                    case 30 -> "G";
                    case 20 -> "M";
                    default -> "K";
                };
                long whole = bytes / unit;
                long rest = bytes % unit;
                if (rest == 0) {
                    return whole + suffix;
                }
                if (shift == 10 || rest % 1024 != 0) {
                    return whole + suffix + "+" + rest;
                }
            }
        }
        return Long.toString(bytes);
    }
}
