// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/** What every disk has: a name, a size in whole sectors, and whether it is a read-only drive. */
public abstract class BaseDisk implements Disk {
    private final String name;
    private final long sizeBytes;
    private final boolean readOnly;

    protected BaseDisk(String name, long sizeBytes, boolean readOnly) {
        if (sizeBytes < 0 || sizeBytes % SECTOR_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("disk size must be whole sectors: " + sizeBytes);
        }
        this.name = name;
        this.sizeBytes = sizeBytes;
        this.readOnly = readOnly;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }
}
