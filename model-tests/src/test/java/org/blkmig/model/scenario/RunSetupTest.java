// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blkmig.simdisk.Durations;
import org.junit.jupiter.api.Test;

/** The run's setup on the scenario line, its draws and its shrinking. */
class RunSetupTest {
    @Test
    void aLineWithoutTheSetupsKeysRunsTheShippedSetup() {
        Scenario s = Scenario.defaults();
        assertEquals(RunSetup.SHIPPED, s.setup());
        assertFalse(s.toString().contains("link="), "a shipped setup adds nothing to the line");
        assertEquals(s, Scenario.parse(s.toString()));
    }

    @Test
    void everySetupChoicePrintsAndParsesBack() {
        RunSetup r = new RunSetup(new LinkModel(1 << 20, Durations.MILLI, 0, 4096, 512, 1 << 20, LinkModel.Fault.STALL, 99,
                500 * Durations.MILLI), true, 1, 4, 2, 256 << 10, 50 * Durations.MILLI);
        Scenario s = Scenario.defaults().withSetup(r);
        String line = s.toString();
        for (String key : List.of(";link=1M/s:1ms~0ns:w4K:r512:win1M:stall@99+500ms", ";data-path=zero-copy",
                ";sender-limits=1:4", ";pipeline=2:256K", ";slice=50ms")) {
            assertTrue(line.contains(key), line);
        }
        assertEquals(s, Scenario.parse(line));
    }

    @Test
    void badSetupValuesAreOneClearError() {
        String base = Scenario.defaults().toString();
        for (String[] bad : new String[][] {{";data-path=splice", "data-path 'splice'"}, {";pipeline=4", "pipeline"},
            {";sender-limits=8:4", "reads in flight"}, {";link=fast", "link 'fast'"}, {";sender-limits=x:4", "bad number"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scenario.parse(base + bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void zeroDrawsAreTheShippedSetupAndShrinkingEndsThere() {
        assertEquals(SetupChoice.SHIPPED, SetupChoice.draw(Draws.of(List.of())));
        assertEquals(RunSetup.SHIPPED, SetupChoice.SHIPPED.toSetup(org.blkmig.sender.Profile.BLKMIG, 1 << 20, 1 << 20));
        // raw numbers past each first weight: varied, a shaped link cut at 50%, zero copy, every knob off its shipped value
        SetupChoice varied = SetupChoice.draw(Draws.of(List.of(1, 50, 50, 50, 60, 60, 60, 50, 83, 500, 50, 1, 70, 60, 60, 80)));
        assertNotEquals(SetupChoice.SHIPPED, varied);
        assertEquals(SetupChoice.SHIPPED, varied.simpler().get(0), "the shipped setup is tried first");
        assertTrue(SetupChoice.SHIPPED.simpler().isEmpty());
        RunSetup r = varied.toSetup(org.blkmig.sender.Profile.BLKMIG, 1 << 20, 1 << 20);
        assertTrue(r.link().hasFault() && r.zeroCopy() && r.link().maxWriteBytes() > 0 && r.readsInFlight() == 1
                && r.pipelineBuffers() == 1 && r.sliceNanos() != RunSetup.SHIPPED.sliceNanos(), r.toString());
        // QEMU 7.2 keeps its own sender and destination: only the link varies
        RunSetup q = varied.toSetup(org.blkmig.sender.Profile.QEMU_7_2, 1 << 20, 1 << 20);
        assertEquals(RunSetup.SHIPPED.withLink(r.link()), q);
    }
}
