// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A disk as the guest and the migration see it: guest writes go to the disk and then mark every
 * attached dirty bitmap. The data is written before the bits are set, so a migration that clears
 * a bit before it reads either sees the write or finds the bit set again.
 *
 * <p>Locking: the disk serialises its own requests; the bitmaps are synchronized; the list of
 * bitmaps and write observers are copy-on-write lists.
 */
public final class BlockDevice {
    /** Sees every guest write after it landed (for histories). */
    public interface WriteObserver {
        void written(BlockDevice device, long sector, long sectorCount, long writeId);
    }

    private final Disk disk;
    private final List<DirtyBitmap> bitmaps = new CopyOnWriteArrayList<>();
    private final List<WriteObserver> observers = new CopyOnWriteArrayList<>();

    public BlockDevice(Disk disk) {
        this.disk = disk;
    }

    public Disk disk() {
        return disk;
    }

    public String name() {
        return disk.name();
    }

    public long sizeBytes() {
        return disk.sizeBytes();
    }

    public long sizeSectors() {
        return disk.sizeSectors();
    }

    public boolean readOnly() {
        return disk.readOnly();
    }

    public DirtyBitmap createDirtyBitmap(int chunkSizeBytes) {
        DirtyBitmap b = new DirtyBitmap(disk.sizeBytes(), chunkSizeBytes);
        bitmaps.add(b);
        return b;
    }

    public void releaseDirtyBitmap(DirtyBitmap b) {
        bitmaps.remove(b);
    }

    /** The bitmaps attached now (a snapshot), for checkers that look at dirty state from outside. */
    public List<DirtyBitmap> dirtyBitmaps() {
        return List.copyOf(bitmaps);
    }

    public int dirtyBitmapCount() {
        return bitmaps.size();
    }

    public void addObserver(WriteObserver o) {
        observers.add(o);
    }

    public void removeObserver(WriteObserver o) {
        observers.remove(o);
    }

    /** A guest write: data first, then the dirty bits. */
    public void guestWrite(long sector, ByteBuffer data, long writeId) throws IOException {
        long sectorCount = data.remaining() / Disk.SECTOR_SIZE_BYTES;
        disk.write(sector, data);
        markDirty(sector, sectorCount, writeId);
    }

    /** A guest write of zeros (discard or write-zeroes). */
    public void guestWriteZeros(long sector, long sectorCount, long writeId) throws IOException {
        disk.writeZeros(sector, sectorCount);
        markDirty(sector, sectorCount, writeId);
    }

    private void markDirty(long sector, long sectorCount, long writeId) {
        for (DirtyBitmap b : bitmaps) {
            b.setSectors(sector, sectorCount);
        }
        for (WriteObserver o : observers) {
            o.written(this, sector, sectorCount, writeId);
        }
    }

    /** A read by the migration: never marks anything. */
    public void read(long sector, ByteBuffer dst) throws IOException {
        disk.read(sector, dst);
    }

    @Override
    public String toString() {
        return "BlockDevice[" + disk + "]";
    }
}
