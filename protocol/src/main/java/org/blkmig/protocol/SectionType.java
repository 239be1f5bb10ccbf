// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

/** The kinds of section that carry a payload; the codes are QEMU's section type bytes. */
public enum SectionType {
    START(0x01),
    PART(0x02),
    END(0x03),
    FULL(0x04);

    public final int code;

    SectionType(int code) {
        this.code = code;
    }

    /** The type of a section byte, or null if it is none of these. */
    public static SectionType of(int code) {
        for (SectionType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
