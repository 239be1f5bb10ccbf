// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code receive --accept qemu-7.2} answers "would a real QEMU 7.2 destination load this?" as QEMU does. */
class ReceiveAcceptTest {
    @TempDir
    Path dir;

    @Test
    void aRealStreamOfADiskWithAPartialLastChunkFailsAsQemuAndRebuildsWithBlkmigsRules() throws Exception {
        Path stream = dir.resolve("s3.bin");
        Files.write(stream, DecodeCommandTest.gunzip(DecodeCommandTest.QEMU.resolve("stream3m.bin.gz")));
        byte[] source = DecodeCommandTest.gunzip(DecodeCommandTest.QEMU.resolve("src3m.img.gz"));
        String size = "3M+1536";

        Cli blkmig = Cli.run("receive", "--input", stream.toString(), "--target", "drive0=" + dir.resolve("a.img") + ":" + size);
        assertEquals(0, blkmig.exit(), blkmig.out() + blkmig.err());
        assertArrayEquals(source, Files.readAllBytes(dir.resolve("a.img")), "blkmig's rules rebuild the disk exactly");

        Cli qemu = Cli.run("receive", "--accept", "qemu-7.2", "--input", stream.toString(), "--target",
                "drive0=" + dir.resolve("q.img") + ":" + size);
        assertEquals(1, qemu.exit(), qemu.out());
        assertTrue(qemu.out().contains("incomplete") && qemu.out().contains("crosses its end")
                && qemu.out().contains("Input/output error"), qemu.out());
        // as QEMU: the blocks that came before the failing one were written, the tail never was
        byte[] target = Files.readAllBytes(dir.resolve("q.img"));
        int written = 0;
        for (int chunk = 0; chunk < 3; chunk++) {
            byte[] want = Arrays.copyOfRange(source, chunk << 20, (chunk + 1) << 20);
            byte[] got = Arrays.copyOfRange(target, chunk << 20, (chunk + 1) << 20);
            assertTrue(Arrays.equals(want, got) || Arrays.equals(new byte[1 << 20], got), "chunk " + chunk + " half written");
            written += Arrays.equals(want, got) ? 1 : 0;
        }
        assertTrue(written >= 1 && written < 3, written + " chunks written before the load failed");
        assertArrayEquals(new byte[1536], Arrays.copyOfRange(target, 3 << 20, target.length));
    }

    @Test
    void qcow2SizedClustersWriteTheInBoundsClustersOfTheLastChunk() throws Exception {
        Path stream = dir.resolve("s3.bin");
        Files.write(stream, DecodeCommandTest.gunzip(DecodeCommandTest.QEMU.resolve("stream3m.bin.gz")));
        // a last chunk of 1536 bytes holds no whole 64 KiB cluster: the first cluster already crosses the end
        Cli qemu = Cli.run("receive", "--accept", "qemu-7.2", "--cluster-size", "64K", "--input", stream.toString(),
                "--target", "drive0=" + dir.resolve("q.img") + ":3M+1536");
        assertEquals(1, qemu.exit());
        assertTrue(qemu.out().contains("write of 65536 bytes at sector 6144"), qemu.out());
    }

    @Test
    void badRulesAreOneLine() {
        Cli c = Cli.run("receive", "--accept", "qemu-9", "--input", "x", "--target", "drive0=" + dir.resolve("x.img") + ":1M");
        assertEquals(2, c.exit());
        assertTrue(c.oneLineError() && c.err().contains("expected blkmig or qemu-7.2"), c.err());
        Cli k = Cli.run("receive", "--accept", "qemu-7.2", "--cluster-size", "3K", "--input", "x", "--target",
                "drive0=" + dir.resolve("x.img") + ":1M");
        assertEquals(2, k.exit());
        assertTrue(k.err().contains("--cluster-size must be a power of two"), k.err());
    }
}
