// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.blkmig.protocol.Wire;

/**
 * Device names of realistic draws, distinct, 1 to 255 bytes of UTF-8 and none of the scenario
 * line's separators ({@code , : ; =}) or characters a shell's quotes would break on.
 */
final class DeviceNames {
    /** What names are made of: QEMU's drive id characters, and a few of 2, 3 and 4 bytes of UTF-8. */
    private static final String ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    private static final String[] WIDE = {"é", "ß", "ж", "€", "日", "\uD83D\uDCBE"};

    static final int DEFAULT = 0;
    /** Each a prefix of the next (d, d1, d10, ...), in a shuffled order. */
    static final int PREFIXES = 1;
    /** Long names sharing most of their bytes, one of them of exactly 255. */
    static final int LONG = 2;
    /** Short and long, ASCII or not, from 1 byte to 255. */
    static final int ASSORTED = 3;

    private DeviceNames() {}

    /** {@code count} names of the scheme ("" for drive0, drive1, ...), from {@code seed}. */
    static List<String> draw(int scheme, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        switch (scheme) {
            case PREFIXES -> {
                StringBuilder b = new StringBuilder(r.nextInt(4) == 0 ? randomText(r, 1 + r.nextInt(3), false) : "d");
                for (int i = 0; i < count; i++) {
                    names.add(b.toString());
                    b.append(ASCII.charAt(r.nextInt(ASCII.length())));
                }
                for (int i = count - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    names.set(i, names.set(j, names.get(i)));
                }
            }
            case LONG -> {
                String common = randomText(r, Wire.MAX_DEVICE_NAME_BYTES, r.nextBoolean());
                for (int i = 0; i < count; i++) {
                    int bytes = i == 0 ? Wire.MAX_DEVICE_NAME_BYTES : 200 + r.nextInt(Wire.MAX_DEVICE_NAME_BYTES - 200 + 1);
                    String tail = "-" + i;
                    StringBuilder name = new StringBuilder(prefixBytes(common, bytes - tail.length()));
                    while (utf8Bytes(name + tail) < bytes) {
                        name.append('x'); // where a wide character did not fit
                    }
                    names.add(unique(seen, name + tail));
                }
            }
            case ASSORTED -> {
                for (int i = 0; i < count; i++) {
                    int bytes = switch (r.nextInt(4)) {
                        case 0 -> 1;
                        case 1 -> Wire.MAX_DEVICE_NAME_BYTES;
                        default -> 1 + r.nextInt(32);
                    };
                    names.add(unique(seen, randomText(r, bytes, r.nextBoolean())));
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    names.add("");
                }
            }
        }
        return names;
    }

    /** Text of exactly {@code bytes} bytes of UTF-8; wide characters mixed in if {@code wide}. */
    static String randomText(SplittableRandom r, int bytes, boolean wide) {
        StringBuilder b = new StringBuilder();
        int left = bytes;
        while (left > 0) {
            String c = wide && left > 4 && r.nextInt(3) == 0 ? WIDE[r.nextInt(WIDE.length)]
                    : String.valueOf(ASCII.charAt(r.nextInt(ASCII.length())));
            b.append(c);
            left -= utf8Bytes(c);
        }
        return b.toString();
    }

    /** The longest prefix of {@code s} of at most {@code bytes} bytes of UTF-8, whole characters. */
    static String prefixBytes(String s, int bytes) {
        int end = 0;
        int used = 0;
        while (end < s.length()) {
            int next = s.offsetByCodePoints(end, 1);
            int n = utf8Bytes(s.substring(end, next));
            if (used + n > bytes) {
                break;
            }
            used += n;
            end = next;
        }
        return s.substring(0, end);
    }

    /** The name, or if taken, the name with its last character replaced until it is not (same length). */
    private static String unique(Set<String> seen, String name) {
        String n = name;
        for (int i = 0; !seen.add(n); i++) {
            String head = prefixBytes(n, utf8Bytes(n) - 1);
            n = head + ASCII.charAt(i % ASCII.length());
            while (utf8Bytes(n) < utf8Bytes(name)) {
                n += ASCII.charAt(i % ASCII.length());
            }
        }
        return n;
    }

    static int utf8Bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
