// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** How a real run's outcome is classified and named, without running QEMU. */
class QemuOutcomeTest {
    static final QemuScenario SMALL = QemuScenario.parse("devices=1M:random image=raw zero-blocks=off bandwidth=8M ram=32M"
            + " writes=none seed=1");

    /** A closed channel's exception has no message: the setup verdict names its class instead. */
    @Test
    void aSetupFailureWithoutAMessageNamesTheExceptionsClass() {
        QemuRun.Outcome o = QemuRun.setupFailed(SMALL, QemuRun.Destination.BOTH, new ClosedChannelException());
        assertFalse(o.passed());
        assertTrue(o.key().startsWith("setup: "), o.key());
        assertTrue(o.firstFailure().evidence().contains("ClosedChannelException"), o.firstFailure().toString());
        assertTrue(QemuRun.setupFailed(SMALL, QemuRun.Destination.BOTH, new IOException((String) null)).key().contains("ioexception"));
    }
}
