// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeCommandTest {
    static final Path QEMU = Path.of("../protocol/src/test/resources/qemu72");

    @TempDir
    Path dir;

    static byte[] gunzip(Path p) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }

    @Test
    void aRealQemuStreamListsTheBlocksQemuSent() {
        Cli c = Cli.run("decode", "--device", "drive0=8M", QEMU.resolve("stream8m.bin.gz").toString());
        assertEquals(0, c.exit(), c.out());
        List<String> blocks = c.out().lines().filter(l -> l.trim().startsWith("BLOCK")).map(String::trim).toList();
        assertEquals(List.of("BLOCK drive0 0 data", "BLOCK drive0 2048 data", "BLOCK drive0 4096 data",
                "BLOCK drive0 6144 data", "BLOCK drive0 8192 data", "BLOCK drive0 10240 data", "BLOCK drive0 12288 data",
                "BLOCK drive0 14336 data"), blocks);
        assertTrue(c.out().contains("SECTION START ram"));
        assertTrue(c.out().contains("VMDESCRIPTION"));
        assertTrue(c.out().contains("checker: OK"));
    }

    @Test
    void aViolationOrACorruptStreamExits1() throws Exception {
        Cli small = Cli.run("decode", "--device", "drive0=1M", QEMU.resolve("stream8m.bin.gz").toString());
        assertEquals(1, small.exit());
        assertTrue(small.out().contains("[sector-in-device]"), small.out());
        byte[] s = gunzip(QEMU.resolve("stream8m.bin.gz"));
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(s, 5000));
        Cli c = Cli.run("decode", cut.toString());
        assertEquals(1, c.exit());
        assertTrue(c.out().contains("malformed stream at byte"), c.out());
    }

    @Test
    void aBareRecordListDecodes() throws Exception {
        Path bare = dir.resolve("bare.bin");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * 4);
        b.putLong(2).putLong((100L << 9) | 4).putLong(2); // EOS | PROGRESS 100, EOS
        Files.write(bare, Arrays.copyOf(b.array(), 24));
        Cli c = Cli.run("decode", bare.toString());
        assertEquals(0, c.exit(), c.out());
        assertTrue(c.out().contains("PROGRESS 100"));
    }

    @Test
    void aBareListIsCheckedAsItStreams() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.blkmig.protocol.RecordWriter w = new org.blkmig.protocol.RecordWriter(bytes, 4096);
        org.blkmig.protocol.Record eos = org.blkmig.protocol.Record.EndOfSection.INSTANCE;
        w.write(eos);
        w.write(new org.blkmig.protocol.Record.Progress(50));
        w.write(new org.blkmig.protocol.Record.DeviceBlock(8, "d0", java.nio.ByteBuffer.allocate(4096)));
        w.write(eos);
        w.write(new org.blkmig.protocol.Record.Progress(100));
        w.write(eos);
        Path ok = dir.resolve("ok.bin");
        Files.write(ok, bytes.toByteArray());
        Cli c = Cli.run("decode", "--chunk-size", "4K", "--device", "d0=64K", ok.toString());
        assertEquals(0, c.exit(), c.out());
        assertTrue(c.out().contains("BLOCK d0 8 data"), c.out());
        w.write(new org.blkmig.protocol.Record.Progress(20)); // after END: progress back and a payload after END
        w.write(eos);
        Path bad = dir.resolve("bad.bin");
        Files.write(bad, bytes.toByteArray());
        Cli b = Cli.run("decode", "--chunk-size", "4K", "--device", "d0=64K", bad.toString());
        assertEquals(1, b.exit(), b.out());
        assertTrue(b.out().contains("[progress-monotonic]"), b.out());
    }

    @Test
    void aMissingFileIsAnInputError() {
        Cli c = Cli.run("decode", dir.resolve("nope.bin").toString());
        assertEquals(2, c.exit());
        assertTrue(c.oneLineError() && c.err().contains("no such file"), c.err());
    }
}
