// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.blkmig.model.QemuRun;
import org.blkmig.model.QemuScenario;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single runs of the QEMU campaign on the real QEMU 7.2. Unlike the conformance tests these fail,
 * not skip, without QEMU: the campaign is how QEMU's defects are found.
 */
class QemuRunTest {
    @TempDir
    Path root;

    @BeforeAll
    static void needsQemu() {
        if (!QemuProcess.available()) {
            fail("QEMU 7.2 is needed (apt-get install qemu-system-x86 qemu-utils): the QEMU campaign's tests fail without it");
        }
    }

    /** Every run leaves no QEMU running and nothing in its directory. */
    @AfterEach
    void nothingLeftBehind() throws IOException {
        List<String> qemus = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().command().orElse("")).filter(c -> c.contains("qemu")).toList();
        assertEquals(List.of(), qemus, "QEMU processes left running");
        try (var files = Files.list(root)) {
            assertEquals(List.of(), files.toList(), "files left behind");
        }
    }

    @Test
    void aHangIsAFindingOfItsOwnAndItsQemuIsKilled() throws IOException {
        // 16 MiB at 8 MiB/s takes 2 s: a 300 ms deadline makes it a hang
        QemuScenario s = QemuScenario.parse("devices=16M:random image=raw zero-blocks=off bandwidth=8M ram=32M writes=none seed=1");
        QemuRun.Outcome o = QemuRun.run(s, QemuRun.Destination.BOTH, root, Duration.ofMillis(300));
        assertFalse(o.passed());
        assertEquals("no-hang: the source's migration hung", o.key(), o.verdicts().toString());
        assertEquals("hung", o.facts().sourceStatus());
        assertTrue(o.facts().blkmigVerdict().startsWith("incomplete"), o.facts().toString());
    }

    @Test
    void aCleanRunPassesEveryProperty() throws IOException {
        QemuScenario s = QemuScenario.parse("devices=3M:random,2M:sparse image=qcow2 zero-blocks=on bandwidth=32M ram=32M"
                + " writes=none seed=4");
        QemuRun.Outcome o = QemuRun.run(s, QemuRun.Destination.BOTH, root);
        assertTrue(o.passed(), o.verdicts().toString() + o.facts());
        assertEquals("completed", o.facts().qemuVerdict());
        assertTrue(o.facts().chunksNeeded() < 5, "a qcow2 top holds only some chunks: " + o.facts());
    }

    @Test
    void theDestinationQemuFailsOnAPartialLastChunkWhereBlkmigSucceeds() throws IOException {
        QemuScenario s = QemuScenario.parse("devices=1M+512:random image=raw zero-blocks=off bandwidth=32M ram=32M writes=none seed=2");
        QemuRun.Outcome o = QemuRun.run(s, QemuRun.Destination.BOTH, root);
        assertEquals("honest-completion: the destination qemu failed where the source completed:"
                + " error while loading state section id #(block)", o.key(), o.verdicts().toString());
        assertEquals("complete", o.facts().blkmigVerdict());
        assertTrue(o.verdicts().stream().filter(v -> v.property() == QemuRun.Property.IDENTICAL).allMatch(QemuRun.Verdict::passed),
                "blkmig's target is identical: " + o.verdicts());
    }
}
