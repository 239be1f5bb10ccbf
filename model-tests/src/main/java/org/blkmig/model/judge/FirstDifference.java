// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.nio.ByteBuffer;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.model.sim.World;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;

/**
 * Where a target first differs from its source, and which write each side carries there (by the
 * write ids the simulated contents encode; 0: initial data, {@link World#TOP_INITIAL_WRITE_ID}:
 * the top layer's initial data, -1: no write, zeros).
 */
public record FirstDifference(ChunkRef chunk, long byteOffset, long sector, long sourceWriteId, long targetWriteId) {
    /** Compared a MiB at a time. */
    private static final int COMPARE_BYTES = 1 << 20;
    /** The two buffers of a comparison, kept by each judging thread: zeroing two fresh MiB per device cost more than comparing. */
    private static final ThreadLocal<ByteBuffer[]> BUFFERS = ThreadLocal.withInitial(
            () -> new ByteBuffer[] {ByteBuffer.allocate(COMPARE_BYTES), ByteBuffer.allocate(COMPARE_BYTES)});

    /** The first difference of one migrated device's target from its source, or null if they are equal. */
    static FirstDifference of(Scenario.Device d, Disk source, Disk target, int chunkSizeBytes) {
        if (memory(source) != null && memory(target) != null && source.sizeBytes() == d.sizeBytes()
                && target.sizeBytes() == d.sizeBytes()) {
            return ofPages(d, source, target, chunkSizeBytes);
        }
        long chunkSectors = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
        long sectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
        long step = COMPARE_BYTES / Disk.SECTOR_SIZE_BYTES;
        ByteBuffer[] buffers = BUFFERS.get();
        ByteBuffer sourceBuffer = buffers[0];
        ByteBuffer targetBuffer = buffers[1];
        for (long sec = 0; sec < sectors; sec += step) {
            long n = Math.min(step, sectors - sec);
            ByteBuffer a = read(source, sec, n, sourceBuffer);
            ByteBuffer b = read(target, sec, n, targetBuffer);
            int at = a.mismatch(b);
            if (at >= 0) {
                long sector = sec + at / Disk.SECTOR_SIZE_BYTES;
                int sectorStart = at / Disk.SECTOR_SIZE_BYTES * Disk.SECTOR_SIZE_BYTES;
                return new FirstDifference(new ChunkRef(d.name(), sector / chunkSectors),
                        sec * Disk.SECTOR_SIZE_BYTES + at, sector,
                        WriteContent.writeIdOf(a.duplicate().position(sectorStart), sector),
                        WriteContent.writeIdOf(b.duplicate().position(sectorStart), sector));
            }
        }
        return null;
    }

    /** Two in-memory images compared page by page where they hold pages; the differing sector read from each. */
    private static FirstDifference ofPages(Scenario.Device d, Disk source, Disk target, int chunkSizeBytes) {
        long at = memory(source).firstMismatch(memory(target));
        if (at < 0) {
            return null;
        }
        long sector = at / Disk.SECTOR_SIZE_BYTES;
        ByteBuffer a = read(source, sector, 1, ByteBuffer.allocate(Disk.SECTOR_SIZE_BYTES));
        ByteBuffer b = read(target, sector, 1, ByteBuffer.allocate(Disk.SECTOR_SIZE_BYTES));
        return new FirstDifference(new ChunkRef(d.name(), sector / (chunkSizeBytes / Disk.SECTOR_SIZE_BYTES)), at, sector,
                WriteContent.writeIdOf(a, sector), WriteContent.writeIdOf(b, sector));
    }

    /** The in-memory disk under the checks' instrumentation, or null. */
    private static SparseMemoryDisk memory(Disk d) {
        Disk inner = d instanceof GuardedDisk g ? g.delegate() : d;
        return inner instanceof SparseMemoryDisk m ? m : null;
    }

    private static ByteBuffer read(Disk d, long sector, long sectorCount, ByteBuffer into) {
        into.clear().limit((int) (sectorCount * Disk.SECTOR_SIZE_BYTES));
        try {
            d.read(sector, into);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return into.flip();
    }

    /** Whether the source holds a guest write there that the target lacks. */
    public boolean guestWriteMissing() {
        return sourceWriteId > 0;
    }

    /** A write id as a person reads it. */
    public static String describeWrite(long id) {
        if (id == -1) {
            return "no write (zeros or initial data)";
        }
        return id == 0 ? "initial data" : id == World.TOP_INITIAL_WRITE_ID ? "initial top data" : "guest write #" + id;
    }

    /** The sentence the identical property prints. */
    public String sentence() {
        return chunk.device() + " differs first at byte " + byteOffset + " (sector " + sector + ", chunk " + chunk.chunk()
                + "): source has " + describeWrite(sourceWriteId) + ", target has " + describeWrite(targetWriteId);
    }
}
