// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.FileDisk;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Targets stay sparse: zero blocks and the zero runs of data blocks punch holes in an existing
 * image and leave the never-written parts of a created one alone, written directly or through the
 * write pipeline. Allocation is read by {@code stat}, apart from the code under test.
 */
class SparseTargetTest {
    static final int MIB = 1 << 20;
    static final long SPC = MIB / 512;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "existing {0}, pipelined {1}")
    @CsvSource({"true, false", "true, true", "false, false", "false, true"})
    void zerosOnTheWireBecomeHoles(boolean existing, boolean pipelined) throws Exception {
        Path p = dir.resolve("t.img");
        byte[] want = new byte[8 * MIB];
        if (existing) {
            Arrays.fill(want, (byte) 3);
            Files.write(p, want); // every block allocated
        }
        byte[] half = new byte[MIB];
        Arrays.fill(half, 0, MIB / 2, (byte) 7); // data, then 512 KiB of zeros
        try (FileDisk t = existing ? FileDisk.open("d", p, true) : FileDisk.create("d", p, 8L * MIB)) {
            Applier apply = pipelined ? new Piped() : (d, sector, data) -> Destination.BLKMIG.write(d, "d", sector, data, MIB);
            apply.block(t, 1 * SPC, null); // a zero block
            apply.block(t, 2 * SPC, ByteBuffer.allocate(MIB)); // a data block of zeros
            apply.block(t, 3 * SPC, ByteBuffer.wrap(half));
            byte[] full = new byte[MIB];
            Arrays.fill(full, (byte) 5);
            apply.block(t, 5 * SPC, ByteBuffer.wrap(full));
            apply.done();
            t.force();
        }
        Arrays.fill(want, MIB, 3 * MIB, (byte) 0);
        System.arraycopy(half, 0, want, 3 * MIB, MIB);
        Arrays.fill(want, 5 * MIB, 6 * MIB, (byte) 5);
        assertArrayEquals(want, Files.readAllBytes(p));
        long allocated = allocatedBytes(p);
        // existing: 8 MiB less the 2.5 MiB of zeros; created: the 1.5 MiB of data only
        long expected = existing ? 8L * MIB - 5L * MIB / 2 : 3L * MIB / 2;
        assertTrue(allocated >= expected && allocated <= expected + 64 * 1024,
                "allocated " + allocated + " bytes, expected " + expected);
    }

    @FunctionalInterface
    interface Applier {
        void block(Disk target, long sector, ByteBuffer data) throws IOException;

        default void done() throws IOException {}
    }

    /** Through the shipped write pipeline: buffers copied in, drained at the end. */
    static final class Piped implements Applier {
        final WritePipeline pipeline = new WritePipeline(2, MIB);

        @Override
        public void block(Disk target, long sector, ByteBuffer data) throws IOException {
            ByteBuffer b = null;
            if (data != null) {
                b = pipeline.takeFree();
                b.clear().put(data.duplicate()).flip();
            }
            pipeline.submit(target, sector, SPC, b, 0);
        }

        @Override
        public void done() throws IOException {
            pipeline.drain();
            pipeline.close();
        }
    }

    static long allocatedBytes(Path p) throws IOException {
        Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        return Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim()) * 512;
    }

    @org.junit.jupiter.api.Test
    void aQemuDestinationWritesDataAsItComes() throws Exception {
        Path p = dir.resolve("q.img");
        try (FileDisk t = FileDisk.create("d", p, 2L * MIB)) {
            Destination.qemu72(MIB).write(t, "d", 0, ByteBuffer.allocate(MIB), MIB);
            t.force();
        }
        assertEquals(MIB, allocatedBytes(p), "QEMU 7.2 writes a data block of zeros as data (no detect-zeroes)");
    }
}
