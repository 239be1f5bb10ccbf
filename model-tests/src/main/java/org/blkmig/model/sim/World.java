// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.blkmig.model.scenario.DiskLayout;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.LayeredDisk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;

/**
 * Builds a scenario's disks with their initial contents, deterministically from the content
 * seed: the source, and again for the checkers' shadow copies.
 */
public final class World {
    private World() {}

    /** Write id of the top layer's initial data in shared-base mode. */
    public static final long TOP_INITIAL_WRITE_ID = -1;
    private static final int REGION_BYTES = 64 * 1024;
    private static final int REGION_SECTORS = REGION_BYTES / Disk.SECTOR_SIZE_BYTES;

    /** The shared bases of a scenario (shared-base mode only): name to base disk. */
    public static Map<String, Disk> bases(Scenario s) {
        Map<String, Disk> bases = new LinkedHashMap<>();
        if (s.sharedBase()) {
            for (Scenario.Device d : s.devices()) {
                SparseMemoryDisk base = new SparseMemoryDisk(d.name() + ".base", d.sizeBytes(), true);
                fill(Contents.of(base), base.sizeSectors(), new SplittableRandom(s.contentSeed() ^ d.name().hashCode()), 0);
                bases.put(d.name(), base);
            }
        }
        return bases;
    }

    /** A source disk as the guest left it before the migration. */
    public static Disk source(Scenario s, Scenario.Device d, Map<String, Disk> bases) {
        if (s.sharedBase()) {
            LayeredDisk top = new LayeredDisk(d.name(), bases.get(d.name()));
            fillTop(s, d, Contents.of(top));
            return top;
        }
        SparseMemoryDisk disk = new SparseMemoryDisk(d.name(), d.sizeBytes());
        fill(s, d, Contents.of(disk));
        return disk;
    }

    /**
     * Where the initial contents go: a disk's bytes, or a shadow that keeps only write ids. Every
     * sector the world writes is {@link WriteContent}'s, so a write id and a range say it all.
     */
    public interface Contents {
        void data(long sector, long sectorCount, long writeId) throws IOException;

        void zeros(long sector, long sectorCount) throws IOException;

        static Contents of(Disk disk) {
            if (disk instanceof SparseMemoryDisk memory) {
                return new Contents() {
                    @Override
                    public void data(long sector, long sectorCount, long writeId) {
                        memory.writeContent(sector, sectorCount, writeId);
                    }

                    @Override
                    public void zeros(long sector, long sectorCount) {
                        memory.writeZeros(sector, sectorCount);
                    }
                };
            }
            return new Contents() {
                private ByteBuffer scratch = ByteBuffer.allocate(0);

                @Override
                public void data(long sector, long sectorCount, long writeId) throws IOException {
                    int bytes = (int) (sectorCount * Disk.SECTOR_SIZE_BYTES);
                    if (scratch.capacity() < bytes) {
                        scratch = ByteBuffer.allocate(bytes);
                    }
                    WriteContent.fill(scratch.clear().limit(bytes), writeId, sector, sectorCount);
                    disk.write(sector, scratch.flip()); // the disk copies what it keeps
                }

                @Override
                public void zeros(long sector, long sectorCount) throws IOException {
                    disk.writeZeros(sector, sectorCount);
                }
            };
        }
    }

    /**
     * A source disk's initial contents as {@link #source} makes them, told to {@code out} in the same
     * order: with a shared base, the base's, then the top's over them.
     */
    public static void contents(Scenario s, Scenario.Device d, Contents out) {
        if (s.sharedBase()) {
            fill(out, d.sizeBytes() / Disk.SECTOR_SIZE_BYTES, new SplittableRandom(s.contentSeed() ^ d.name().hashCode()), 0);
            fillTop(s, d, out);
        } else {
            fill(s, d, out);
        }
    }

    /**
     * Per chunk of {@code chunkSectors}: whether the top layer leaves all of it to the shared base
     * before the migration (no cluster of it allocated, as {@link LayeredDisk#allocation} would say),
     * from the draws alone. All false without a shared base.
     */
    public static boolean[] leftToBase(Scenario s, Scenario.Device d, long chunkSectors) {
        long sizeSectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
        boolean[] left = new boolean[(int) ((sizeSectors + chunkSectors - 1) / chunkSectors)];
        if (!s.sharedBase()) {
            return left;
        }
        java.util.Arrays.fill(left, true);
        Contents touched = new Contents() { // any write to the top allocates the clusters it touches
            @Override
            public void data(long sector, long sectorCount, long writeId) {
                zeros(sector, sectorCount);
            }

            @Override
            public void zeros(long sector, long sectorCount) {
                for (long c = sector / chunkSectors; c <= (sector + sectorCount - 1) / chunkSectors; c++) {
                    left[(int) c] = false;
                }
            }
        };
        fillTop(s, d, touched);
        return left;
    }

    private static void fill(Scenario s, Scenario.Device d, Contents out) {
        DiskLayout layout = s.layout();
        long sizeSectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
        try {
            switch (layout.kind()) {
                case WORLD -> fill(out, sizeSectors, new SplittableRandom(s.contentSeed() ^ d.name().hashCode()), 0);
                case RANDOM -> out.data(0, sizeSectors, 0);
                case PIECES -> {
                    for (int i = 0; i < layout.pieceCount(); i++) {
                        long from = layout.pieceOffsetBytes(d.sizeBytes(), i) / Disk.SECTOR_SIZE_BYTES;
                        long count = Math.min(layout.pieceBytes() / Disk.SECTOR_SIZE_BYTES, sizeSectors - from);
                        if (count > 0) {
                            out.data(from, count, 0);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fillTop(Scenario s, Scenario.Device d, Contents out) {
        // the top's contents come from a stream apart from the base's
        fillTop(out, d.sizeBytes() / Disk.SECTOR_SIZE_BYTES, new SplittableRandom(~(s.contentSeed() ^ d.name().hashCode())),
                s.allocatedPercent());
    }

    /** An empty target: blank, or over the same shared base. */
    public static Disk target(Scenario s, Scenario.Device d, Map<String, Disk> bases) {
        return s.sharedBase() ? new LayeredDisk(d.name(), bases.get(d.name())) : new SparseMemoryDisk(d.name(), d.sizeBytes());
    }

    /** Initial data at most (in 64 KiB regions, each maybe in its own chunk): a 64 GiB simulated disk stays sparse. */
    static final long MAX_INITIAL_DATA_BYTES = 8L << 20;

    /**
     * Per 64 KiB region: zeros (4 in 10), data (4 in 10), or data in its second half only (2 in 10);
     * on a disk larger than 13 MiB, proportionally fewer data regions, so at most 8 MiB of data.
     */
    private static void fill(Contents disk, long sizeSectors, SplittableRandom r, long writeId) {
        long regions = (sizeSectors + REGION_SECTORS - 1) / REGION_SECTORS;
        double dataShare = Math.min(0.6, (double) MAX_INITIAL_DATA_BYTES / REGION_BYTES / Math.max(1, regions));
        try {
            for (long s = 0; s < sizeSectors; s += REGION_SECTORS) {
                long n = Math.min(REGION_SECTORS, sizeSectors - s);
                if (dataShare < 0.6 && r.nextDouble() >= dataShare) {
                    continue;
                }
                int pick = r.nextInt(10);
                if (pick < 4 && dataShare >= 0.6) {
                    continue;
                }
                long from = pick < 8 ? s : s + n / 2;
                long count = s + n - from;
                if (count > 0) {
                    disk.data(from, count, writeId);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Allocates about {@code percent}% of the top's clusters: most with data, some as zero clusters. */
    private static void fillTop(Contents top, long sizeSectors, SplittableRandom r, int percent) {
        try {
            int clusterSectors = LayeredDisk.CLUSTER_SECTORS;
            for (long s = 0; s < sizeSectors; s += clusterSectors) {
                long n = Math.min(clusterSectors, sizeSectors - s);
                if (r.nextInt(100) >= percent) {
                    continue;
                }
                if (r.nextInt(10) < 3) {
                    top.zeros(s, n);
                } else {
                    long count = 1 + r.nextLong(n);
                    top.data(s, count, TOP_INITIAL_WRITE_ID);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a whole range into a new buffer. */
    public static ByteBuffer read(Disk d, long sector, long sectorCount) {
        ByteBuffer b = ByteBuffer.allocate((int) (sectorCount * Disk.SECTOR_SIZE_BYTES));
        try {
            d.read(sector, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.flip();
    }
}
