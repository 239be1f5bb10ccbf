// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

/** Constants of QEMU 7.2's migration stream framing (docs/PROTOCOL.md, "QEMU 7.2 outer framing"). */
public final class QemuFormat {
    private QemuFormat() {}

    public static final int FILE_MAGIC = 0x5145564d; // "QEVM"
    public static final int FILE_VERSION = 3;

    public static final int EOF = 0x00;
    public static final int SECTION_START = 0x01;
    public static final int SECTION_PART = 0x02;
    public static final int SECTION_END = 0x03;
    public static final int SECTION_FULL = 0x04;
    public static final int SUBSECTION = 0x05;
    public static final int VMDESCRIPTION = 0x06;
    public static final int CONFIGURATION = 0x07;
    public static final int COMMAND = 0x08;
    public static final int SECTION_FOOTER = 0x7e;

    public static final String BLOCK_IDSTR = "block";
    public static final int BLOCK_VERSION = 1;
    public static final String RAM_IDSTR = "ram";
    public static final String DEFAULT_MACHINE_TYPE = "pc-i440fx-7.2";

    /** x86's target page: the unit of RAM records. */
    public static final int RAM_PAGE_SIZE_BYTES = 4096;
    public static final long RAM_PAGE_MASK = ~(long) (RAM_PAGE_SIZE_BYTES - 1);
    public static final int RAM_FLAG_ZERO = 0x02;
    public static final int RAM_FLAG_MEM_SIZE = 0x04;
    public static final int RAM_FLAG_PAGE = 0x08;
    public static final int RAM_FLAG_EOS = 0x10;
    public static final int RAM_FLAG_CONTINUE = 0x20;
    public static final int RAM_FLAG_XBZRLE = 0x40;
    public static final int RAM_FLAG_HOOK = 0x80;
    public static final int RAM_FLAG_COMPRESS = 0x100;
}
