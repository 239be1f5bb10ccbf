// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blkmig.protocol.RecordReader;
import org.blkmig.protocol.Wire;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Zeros;

/**
 * How a receiver reads record flags and writes blocks: blkmig's rules (docs/PROTOCOL.md's receiver), or
 * QEMU 7.2's destination's ({@code block_load}), so blkmig can answer "would a real QEMU 7.2 load
 * this stream, and what would it write?".
 */
public sealed interface Destination permits Destination.Blkmig, Destination.Qemu72 {
    Destination BLKMIG = new Blkmig(ReceiverPolicies.LastChunk.IN_BOUNDS);

    /** QEMU 7.2's destination over images of this cluster size (1 MiB for raw images, as QEMU takes it). */
    static Destination qemu72(int clusterSizeBytes) {
        return new Qemu72(clusterSizeBytes);
    }

    RecordReader.Flags flags();

    /** Whether this destination may write through the receiver's pipeline (QEMU writes in order, at once). */
    boolean pipelined();

    /** These rules with the policies' write rules in place (blkmig's rules take their {@code lastChunk}). */
    Destination withPolicies(ReceiverPolicies policies);

    /**
     * Writes one block (data null: a zero block) to the target, or throws with the reason the
     * destination refuses or fails it; what it wrote before failing stays written.
     */
    void write(Disk target, String device, long sector, ByteBuffer data, int chunkSizeBytes) throws IOException;

    /** Refused or failed: the message says why, as the destination would; {@code failure} says which kind. */
    final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        /** BLOCK_REFUSED, or WRITE_CROSSES_END for QEMU 7.2's write across the device's end. */
        final ReceiveResult.Failure failure;

        Refused(String message) {
            this(ReceiveResult.Failure.BLOCK_REFUSED, message);
        }

        Refused(ReceiveResult.Failure failure, String message) {
            super(message);
            this.failure = failure;
        }
    }

    /**
     * docs/PROTOCOL.md's receiver: a chunk-aligned sector inside the device, only the in-bounds sectors
     * written, zeros (zero blocks and all-zero data) as zero writes that keep the target sparse;
     * {@code lastChunk} says how much of a partial last chunk is written (all of it is a seeded bug).
     */
    record Blkmig(ReceiverPolicies.LastChunk lastChunk) implements Destination {
        public Blkmig {
            java.util.Objects.requireNonNull(lastChunk, "lastChunk");
        }

        @Override
        public RecordReader.Flags flags() {
            return RecordReader.Flags.STRICT;
        }

        @Override
        public boolean pipelined() {
            return true;
        }

        @Override
        public Destination withPolicies(ReceiverPolicies policies) {
            return new Blkmig(policies.lastChunk());
        }

        @Override
        public void write(Disk target, String device, long sector, ByteBuffer data, int chunkSizeBytes) throws IOException {
            long count = sectorsToWrite(target, device, sector, chunkSizeBytes);
            if (data == null) {
                target.writeZeros(sector, count);
            } else {
                writeData(target, sector, count, data);
            }
        }

        /** The unit in which a data block's zeros are told apart from its data: a file system block. */
        static final int SPARSE_UNIT_BYTES = 4096;

        /**
         * Writes a data block's first {@code count} sectors: its runs of data as writes, its runs of
         * whole zero units as zero writes, so the target stays as sparse as the source (a hole
         * kept, or punched where data was).
         */
        static void writeData(Disk target, long sector, long count, ByteBuffer data) throws IOException {
            int bytes = (int) (count * Wire.SECTOR_SIZE_BYTES);
            ByteBuffer inBounds = data.duplicate().clear().limit(bytes);
            // one pass, unit by unit, with one call of each check and write: small for the JIT
            int runStart = 0;
            boolean runZero = false;
            for (int pos = 0; ; pos = Math.min(bytes, pos + SPARSE_UNIT_BYTES)) {
                boolean last = pos >= bytes;
                boolean zero = !last && zeroUnit(inBounds, pos);
                if (pos > runStart && (last || zero != runZero)) {
                    writeRun(target, sector + runStart / Wire.SECTOR_SIZE_BYTES, inBounds, runStart, pos, runZero);
                    runStart = pos;
                }
                if (last) {
                    return;
                }
                runZero = zero;
            }
        }

        /** Writes bytes {@code from..to} of the block at sector {@code at}: a zero write if they are zeros. */
        private static void writeRun(Disk target, long at, ByteBuffer inBounds, int from, int to, boolean zero)
                throws IOException {
            if (zero) {
                target.writeZeros(at, (to - from) / Wire.SECTOR_SIZE_BYTES);
            } else {
                target.write(at, inBounds.slice(from, to - from));
            }
        }

        private static boolean zeroUnit(ByteBuffer b, int pos) {
            return Zeros.isZero(b.slice(pos, Math.min(SPARSE_UNIT_BYTES, b.limit() - pos)));
        }

        /** Checks the block's sector and returns how many of its sectors to write: those inside the device. */
        long sectorsToWrite(Disk target, String device, long sector, int chunkSizeBytes) throws Refused {
            long sectorsPerChunk = Wire.sectorsPerChunk(chunkSizeBytes);
            if (sector % sectorsPerChunk != 0) {
                throw new Refused("sector " + sector + " of '" + device + "' is not chunk-aligned");
            }
            if (sector >= target.sizeSectors()) {
                throw new Refused("sector " + sector + " is outside '" + device + "' (" + target.sizeSectors() + " sectors)");
            }
            return lastChunk.sectorsToWrite(sectorsPerChunk, target.sizeSectors() - sector);
        }
    }

    /**
     * QEMU 7.2: no alignment check; a zero block writes its in-bounds sectors; a data block writes
     * its whole 1 MiB cluster by cluster, so the cluster that crosses the device's end fails with
     * EIO after the clusters before it were written, and the load fails.
     */
    record Qemu72(int clusterSizeBytes) implements Destination {
        public Qemu72 {
            if (clusterSizeBytes < Wire.SECTOR_SIZE_BYTES || Integer.bitCount(clusterSizeBytes) != 1) {
                throw new IllegalArgumentException("a cluster is a power of two of at least 512 bytes: " + clusterSizeBytes);
            }
        }

        @Override
        public RecordReader.Flags flags() {
            return RecordReader.Flags.QEMU_7_2;
        }

        @Override
        public boolean pipelined() {
            return false;
        }

        /** QEMU 7.2 writes a partial last chunk by its own cluster rule, and at once: no policy of the receiver's applies. */
        @Override
        public Destination withPolicies(ReceiverPolicies policies) {
            return this;
        }

        @Override
        public void write(Disk target, String device, long sector, ByteBuffer data, int chunkSizeBytes) throws IOException {
            long totalSectors = target.sizeSectors();
            long sectorsPerChunk = Wire.sectorsPerChunk(chunkSizeBytes);
            long count = Math.min(sectorsPerChunk, totalSectors - sector);
            if (data == null) {
                if (count <= 0) {
                    throw new Refused("zero block at sector " + sector + " of '" + device + "', past its end: write_zeroes"
                            + " fails (as QEMU 7.2's destination)");
                }
                target.writeZeros(sector, count);
                return;
            }
            int cluster = Math.min(clusterSizeBytes, chunkSizeBytes);
            long clusterSectors = cluster / Wire.SECTOR_SIZE_BYTES;
            for (int i = 0; i < chunkSizeBytes / cluster; i++) {
                long at = sector + i * clusterSectors;
                if (at + clusterSectors > totalSectors) {
                    throw new Refused(ReceiveResult.Failure.WRITE_CROSSES_END, "write of " + cluster + " bytes at sector " + at
                            + " of '" + device + "' crosses its end (" + totalSectors + " sectors): Input/output error, the load"
                            + " fails (as QEMU 7.2's destination)");
                }
                target.write(at, data.duplicate().clear().position(i * cluster).limit((i + 1) * cluster));
            }
        }
    }
}
