// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A top layer over a shared read-only base, like a qcow2 overlay: the top allocates 64 KiB
 * clusters on write (copying the base's data in for a partial write), keeps zero clusters that
 * read as zeros without the base showing through, and reads unallocated clusters from the base.
 * Synchronized: one request at a time.
 */
public final class LayeredDisk extends BaseDisk {
    public static final int CLUSTER_BYTES = 64 * 1024;
    public static final int CLUSTER_SECTORS = CLUSTER_BYTES / SECTOR_SIZE_BYTES;

    private final Disk base;
    private final SparseMemoryDisk top;
    private final byte[] state; // State.ordinal() per cluster

    public LayeredDisk(String name, Disk base) {
        super(name, base.sizeBytes(), false);
        if (base.sizeBytes() > (long) Integer.MAX_VALUE * CLUSTER_BYTES) {
            throw new IllegalArgumentException("base too large: " + base.sizeBytes());
        }
        this.base = base;
        this.top = new SparseMemoryDisk(name + ".top", base.sizeBytes());
        this.state = new byte[(int) ((base.sizeSectors() + CLUSTER_SECTORS - 1) / CLUSTER_SECTORS)];
    }

    /** Gives the top's pages to later disks (the base is not this disk's to release). */
    public void release() {
        top.release();
    }

    public Disk base() {
        return base;
    }

    private State stateOf(long cluster) {
        return State.values()[state[(int) cluster]];
    }

    @Override
    public synchronized void read(long sector, ByteBuffer dst) throws IOException {
        long count = Disk.checkRange(this, sector, dst.remaining());
        Segments.forEach(sector, count, CLUSTER_SECTORS, (cluster, in, n) -> {
            long first = cluster * CLUSTER_SECTORS + in;
            ByteBuffer part = dst.slice(dst.position(), n * SECTOR_SIZE_BYTES);
            switch (stateOf(cluster)) {
                case UNALLOCATED -> base.read(first, part);
                case DATA -> top.read(first, part);
                case ZERO -> Zeros.fill(part);
            }
            dst.position(dst.position() + n * SECTOR_SIZE_BYTES);
        });
    }

    @Override
    public synchronized void write(long sector, ByteBuffer src) throws IOException {
        long count = Disk.checkRange(this, sector, src.remaining());
        Segments.forEach(sector, count, CLUSTER_SECTORS, (cluster, in, n) -> {
            allocateForPartialWrite(cluster, n);
            top.write(cluster * CLUSTER_SECTORS + in, src.slice(src.position(), n * SECTOR_SIZE_BYTES));
            src.position(src.position() + n * SECTOR_SIZE_BYTES);
            state[(int) cluster] = (byte) State.DATA.ordinal();
        });
    }

    /** Before a write of part of a cluster, the cluster takes what it read as until now. */
    private void allocateForPartialWrite(long cluster, int sectorsWritten) throws IOException {
        long first = cluster * CLUSTER_SECTORS;
        int clusterSectors = (int) Math.min(CLUSTER_SECTORS, sizeSectors() - first);
        State st = stateOf(cluster);
        if (sectorsWritten == clusterSectors || st == State.DATA) {
            return;
        }
        if (st == State.ZERO) {
            top.writeZeros(first, clusterSectors);
        } else {
            ByteBuffer copy = ByteBuffer.allocate(clusterSectors * SECTOR_SIZE_BYTES);
            base.read(first, copy);
            top.write(first, copy.flip());
        }
    }

    /** Zeros: whole clusters become zero clusters (allocated, reading zeros); partial ones are written. */
    @Override
    public synchronized void writeZeros(long sector, long sectorCount) throws IOException {
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        Segments.forEach(sector, sectorCount, CLUSTER_SECTORS, (cluster, in, n) -> {
            long first = cluster * CLUSTER_SECTORS;
            int clusterSectors = (int) Math.min(CLUSTER_SECTORS, sizeSectors() - first);
            if (n == clusterSectors) {
                top.writeZeros(first, clusterSectors);
                state[(int) cluster] = (byte) State.ZERO.ordinal();
            } else {
                allocateForPartialWrite(cluster, n);
                top.writeZeros(first + in, n);
                state[(int) cluster] = (byte) State.DATA.ordinal();
            }
        });
    }

    @Override
    public synchronized Allocation allocation(long sector, long maxSectors) {
        long limit = Math.min(sizeSectors(), sector + maxSectors);
        if (sector >= limit) {
            return new Allocation(State.UNALLOCATED, 0);
        }
        State first = stateOf(sector / CLUSTER_SECTORS);
        long s = sector;
        while (s < limit && stateOf(s / CLUSTER_SECTORS) == first) {
            s = (s / CLUSTER_SECTORS + 1) * CLUSTER_SECTORS;
        }
        return new Allocation(first, Math.min(s, limit) - sector);
    }

    @Override
    public String toString() {
        return "LayeredDisk[" + name() + " over " + base.name() + "]";
    }
}
