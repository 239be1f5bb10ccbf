// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;

/** A memory disk the receiver's tests watch: subclasses override the calls they observe or hold. */
abstract class WrappedDisk implements Disk {
    final SparseMemoryDisk disk;

    WrappedDisk(SparseMemoryDisk disk) {
        this.disk = disk;
    }

    @Override
    public String name() {
        return disk.name();
    }

    @Override
    public long sizeBytes() {
        return disk.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        disk.read(sector, dst);
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        disk.write(sector, src);
    }

    @Override
    public void writeZeros(long sector, long sectorCount) throws IOException {
        disk.writeZeros(sector, sectorCount);
    }
}
