// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.blkmig.controlled.Schedules;
import org.blkmig.simdisk.ThreadMutant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The body of {@link ReadPoolScheduleTest} repeated on real threads without Fray (a JVM of its own,
 * the product's JDK 17, no agent): what plain repetition finds, to set against the scheduler.
 */
class ReadPoolPlainRepetitionTest {
    static final int RUNS = 1000;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theCleanReadPathPassesEveryPlainRun() {
        assertEquals(0, Schedules.plainFailures(RUNS, ReadPoolScheduleTest.readSendCancel(Set.of())));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void readCountTwoSectionsUnderPlainRepetition() {
        int failed = Schedules.plainFailures(RUNS, ReadPoolScheduleTest.readSendCancel(Set.of(ThreadMutant.READ_COUNT_TWO_SECTIONS)));
        System.out.println("plain: read-count-two-sections: caught by " + failed + " of " + RUNS + " plain runs");
        // plain runs catch it now and then (TESTING.md has the rates); the scheduler, within a few schedules
        assertTrue(failed < RUNS / 10, failed + " of " + RUNS);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void completionBeforeDataUnderPlainRepetition() {
        int failed = Schedules.plainFailures(RUNS, ReadPoolScheduleTest.readSendCancel(Set.of(ThreadMutant.COMPLETION_BEFORE_DATA)));
        System.out.println("plain: completion-before-data: caught by " + failed + " of " + RUNS + " plain runs");
        // plain runs catch it now and then (TESTING.md has the rates); the scheduler, within a few schedules
        assertTrue(failed < RUNS / 10, failed + " of " + RUNS);
    }
}
