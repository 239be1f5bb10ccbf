// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.blkmig.model.judge.oracle.OracleRebuild;
import org.blkmig.protocol.Wire;
import org.blkmig.qemu.QemuProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** blkmig send --qemu-splice, with guest writer threads, loaded by a real QEMU 7.2 destination. */
class QemuSpliceCliTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        boolean present = QemuProcess.available();
        if (!present && System.getenv("CI") != null) {
            fail("CI must install QEMU 7.2 (apt-get install qemu-system-x86 qemu-utils)");
        }
        Assumptions.assumeTrue(present, "QEMU 7.2 is not installed here: skipped");
    }

    @Test
    void aSplicedStreamFromSendLoadsInQemuAndItsDisksMatchThePrintedHashes() throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        byte[] data = new byte[6 << 20];
        new Random(1).nextBytes(data);
        Files.write(a, java.util.Arrays.copyOf(data, 4 << 20));
        Files.write(b, data);
        Path ta = dir.resolve("ta.img");
        Path tb = dir.resolve("tb.img");
        Files.write(ta, new byte[4 << 20]);
        Files.write(tb, new byte[6 << 20]);
        List<QemuProcess.Drive> drives = List.of(QemuProcess.Drive.raw("drive0", ta), QemuProcess.Drive.raw("drive1", tb));
        Path ramOnly = dir.resolve("ramonly.bin");
        try (QemuProcess q = QemuProcess.start(dir, drives, null)) {
            q.migrate("exec:cat > " + ramOnly, false, false);
            assertEquals("completed", q.awaitMigration(Duration.ofSeconds(60)));
        }
        Path spliced = dir.resolve("spliced.bin");
        Cli tx = Cli.run("send", "--source", "drive0=" + a, "--source", "drive1=" + b, "--output", spliced.toString(),
                "--qemu-splice", ramOnly.toString(), "--zero-blocks", "--bandwidth", "16M", "--workload", "uniform",
                "--write-rate", "1M");
        assertEquals(0, tx.exit(), tx.out() + tx.err());
        // blkmig's stream judged before QEMU is: the oracle's rebuild of it has the hashes send printed
        Map<String, Path> carried = OracleRebuild.rebuild(spliced, Map.of("drive0", 4L << 20, "drive1", 6L << 20), Map.of(),
                Wire.QEMU_CHUNK_SIZE_BYTES, Files.createDirectories(dir.resolve("oracle")));
        assertEquals(TransportTest.printedSha(tx, "drive0"), TransportTest.sha256(carried.get("drive0")), "blkmig's stream");
        assertEquals(TransportTest.printedSha(tx, "drive1"), TransportTest.sha256(carried.get("drive1")), "blkmig's stream");
        String status;
        String log;
        try (QemuProcess dst = QemuProcess.start(dir, drives, "exec:cat " + spliced)) {
            status = dst.awaitIncoming(Duration.ofSeconds(60));
            log = dst.log();
        }
        assertEquals("completed", status, "QEMU 7.2 refused blkmig's stream of whole-chunk disks, which the oracle"
                + " rebuilds exactly (blkmig's framing, not QEMU's partial-last-chunk defect): " + log);
        assertEquals(TransportTest.printedSha(tx, "drive0"), TransportTest.sha256(ta));
        assertEquals(TransportTest.printedSha(tx, "drive1"), TransportTest.sha256(tb));
        assertTrue(!tx.out().contains(" 0 guest writes"), "guest writers wrote during the migration: " + tx.out());

        Cli refused = Cli.run("send", "--source", "drive0=" + a, "--output", spliced.toString(), "--qemu-splice",
                ramOnly.toString(), "--chunk-size", "64K");
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("QEMU only speaks 1 MiB chunks"), refused.err());
    }
}
