// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.ArrayList;
import java.util.List;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;

/** The devices a migration carries, with their bulk and dirty cursors. Migration thread only. */
final class DeviceSet {
    /** The sectors QEMU asks about per allocation query in shared-base mode. */
    private static final long MAX_ALLOCATION_SEARCH_SECTORS = 65_536;

    private final List<MigratedDevice> devices = new ArrayList<>();
    private final int chunkSizeBytes;
    private final long totalSectors;

    /** Starts dirty tracking on each device. */
    DeviceSet(List<BlockDevice> selected, int chunkSizeBytes) {
        this.chunkSizeBytes = chunkSizeBytes;
        long sum = 0;
        for (BlockDevice d : selected) {
            devices.add(new MigratedDevice(devices.size(), d, d.createDirtyBitmap(chunkSizeBytes)));
            sum += d.sizeSectors();
        }
        this.totalSectors = sum;
    }

    List<MigratedDevice> all() {
        return devices;
    }

    List<BlockDevice> blockDevices() {
        return devices.stream().map(d -> d.device).toList();
    }

    long totalSectors() {
        return totalSectors;
    }

    /** The first device whose bulk pass is not done, or null. */
    MigratedDevice bulkDevice() {
        for (MigratedDevice d : devices) {
            if (!d.bulkCompleted) {
                return d;
            }
        }
        return null;
    }

    /**
     * The first sector at or after d's bulk cursor that the bulk pass must read: in shared-base
     * mode it skips what the allocation policy leaves to the base. The device's size when none.
     */
    long nextBulkSector(MigratedDevice d, boolean sharedBase, SenderPolicies.Allocation allocation) {
        long cur = d.bulkCursorSector;
        while (sharedBase && cur < d.totalSectors) {
            Disk.Allocation a = d.device.disk().allocation(cur, MAX_ALLOCATION_SEARCH_SECTORS);
            if (allocation.migrates(a.state()) || a.sectorCount() <= 0) {
                break;
            }
            cur += a.sectorCount();
        }
        return Math.min(cur, d.totalSectors);
    }

    /** Completed sectors of all devices * 100 / their total. */
    long progressPercent() {
        long completed = 0;
        for (MigratedDevice d : devices) {
            completed += d.completedSectors;
        }
        long percent = totalSectors == 0 ? 100 : completed * 100 / totalSectors;
        Invariant.check(percent >= 0 && percent <= 100, () -> "progress " + percent + "% outside 0..100");
        return percent;
    }

    /** Bytes of dirty chunks, as the bitmaps count them now. */
    long dirtyBytes() {
        long chunks = 0;
        for (MigratedDevice d : devices) {
            chunks += d.dirty.count();
        }
        return chunks * chunkSizeBytes;
    }

    /** Bytes the bulk pass has not reached yet. */
    long remainingBulkBytes() {
        long sectors = 0;
        for (MigratedDevice d : devices) {
            sectors += d.totalSectors - Math.min(d.totalSectors, d.bulkCursorSector);
        }
        return sectors * Disk.SECTOR_SIZE_BYTES;
    }

    void resetDirtyCursors() {
        for (MigratedDevice d : devices) {
            d.dirtyCursorChunk = 0;
        }
    }
}
