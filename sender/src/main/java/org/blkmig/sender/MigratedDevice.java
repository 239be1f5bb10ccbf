// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;

/** A device the migration carries, with its cursors. Migration thread only. */
final class MigratedDevice {
    /** Position in the migration's device list. */
    final int index;
    final BlockDevice device;
    final String name;
    final long totalSectors;
    final DirtyBitmap dirty;
    long bulkCursorSector;
    long completedSectors;
    boolean bulkCompleted;
    long dirtyCursorChunk;

    MigratedDevice(int index, BlockDevice device, DirtyBitmap dirty) {
        this.index = index;
        this.device = device;
        this.name = device.name();
        this.totalSectors = device.sizeSectors();
        this.dirty = dirty;
    }
}
