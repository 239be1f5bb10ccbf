// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A guest write workload: where writes land and how large they are, at a rate in bytes per
 * second. The same planner serves the simulated guest and real writer threads.
 */
public record Workload(Kind kind, long writeRateBytesPerSecond, int minWriteSectors, int maxWriteSectors) {
    public enum Kind {
        /** No writes. */
        NONE,
        /** Anywhere, uniformly. */
        UNIFORM,
        /** Zipf-like over chunks: low chunks are hot. */
        HOTSPOT,
        /** A log: each write follows the previous one, wrapping at the end. */
        SEQUENTIAL,
        /** Uniform placement, in bursts at 5x the rate one fifth of the time. */
        BURST,
        /** Uniform, plus a write into the range of about half the reads, after they sample and before they complete. */
        HAMMER
    }

    public static final Workload NONE = new Workload(Kind.NONE, 0, 8, 8);

    public Workload {
        if (writeRateBytesPerSecond < 0 || minWriteSectors < 1 || maxWriteSectors < minWriteSectors) {
            throw new IllegalArgumentException("workload needs rate >= 0 and 1 <= min <= max sectors");
        }
    }

    public static Workload of(Kind kind, long writeRateBytesPerSecond) {
        return new Workload(kind, writeRateBytesPerSecond, 8, 128);
    }

    public boolean writes() {
        return kind != Kind.NONE && writeRateBytesPerSecond > 0;
    }

    public double meanWriteBytes() {
        return (minWriteSectors + maxWriteSectors) / 2.0 * Disk.SECTOR_SIZE_BYTES;
    }

    /**
     * How fast the guest dirties chunks, in chunk bytes per second: each write marks every chunk
     * it touches, so small random writes dirty far more than they write (chunk amplification).
     * A write of w bytes at a random sector touches 1 + (w - 512) / chunk chunks on average.
     */
    public double dirtyRateBytesPerSecond(int chunkSizeBytes) {
        if (!writes()) {
            return 0;
        }
        double writesPerSecond = writeRateBytesPerSecond / meanWriteBytes();
        double chunksPerWrite = 1 + (meanWriteBytes() - Disk.SECTOR_SIZE_BYTES) / chunkSizeBytes;
        return Math.min(writesPerSecond * chunksPerWrite, Double.MAX_VALUE) * chunkSizeBytes;
    }

    /** One planned write. */
    public record Planned(int deviceIndex, long sector, long sectorCount) {}

    /** Plans writes over the given devices; keeps the sequential cursor. Not thread-safe. */
    public final class Planner {
        private final List<BlockDevice> devices;
        private final long totalSectors;
        private final long[] cursor;

        public Planner(List<BlockDevice> devices) {
            this.devices = devices;
            long total = 0;
            for (BlockDevice d : devices) {
                total += d.sizeSectors();
            }
            this.totalSectors = total;
            this.cursor = new long[devices.size()];
        }

        public boolean canWrite() {
            return totalSectors > 0;
        }

        public Planned next(SplittableRandom random) {
            int device = pickDevice(random);
            long size = devices.get(device).sizeSectors();
            long count = Math.min(size, minWriteSectors == maxWriteSectors ? minWriteSectors
                    : random.nextInt(minWriteSectors, maxWriteSectors + 1));
            long sector;
            switch (kind) {
                case HOTSPOT -> {
                    double u = random.nextDouble();
                    sector = (long) ((size - count + 1) * u * u * u * u);
                }
                case SEQUENTIAL -> {
                    if (cursor[device] + count > size) {
                        cursor[device] = 0;
                    }
                    sector = cursor[device];
                    cursor[device] += count;
                }
                default -> sector = random.nextLong(size - count + 1);
            }
            return new Planned(device, sector, count);
        }

        private int pickDevice(SplittableRandom random) {
            long pick = random.nextLong(totalSectors);
            for (int i = 0; i < devices.size(); i++) {
                pick -= devices.get(i).sizeSectors();
                if (pick < 0) {
                    return i;
                }
            }
            return devices.size() - 1;
        }
    }

    /** Prints as {@code KIND@RATE/s[SMIN-SMAX]}; rates in bytes per second. */
    public String spec() {
        return kind.name().toLowerCase(Locale.ROOT) + "@" + writeRateBytesPerSecond + "[" + minWriteSectors + "-"
                + maxWriteSectors + "]";
    }

    public static Workload parse(String spec) {
        try {
            int at = spec.indexOf('@');
            int open = spec.indexOf('[');
            int dash = spec.indexOf('-', open);
            Kind kind = Kind.valueOf(spec.substring(0, at).toUpperCase(Locale.ROOT));
            return new Workload(kind, Long.parseLong(spec.substring(at + 1, open)),
                    Integer.parseInt(spec.substring(open + 1, dash)),
                    Integer.parseInt(spec.substring(dash + 1, spec.length() - 1)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("workload '" + spec + "': expected KIND@BYTES_PER_S[MIN-MAX]");
        }
    }
}
