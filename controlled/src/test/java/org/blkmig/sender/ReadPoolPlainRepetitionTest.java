// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    static final int RUNS = Integer.getInteger("blkmig.plain.runs", 1000);

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theCleanReadPathPassesEveryPlainRun() {
        assertEquals(0, Schedules.plainFailures(RUNS, ReadPoolScheduleTest.readSendCancel(Set.of())));
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void readCountTwoSectionsUnderPlainRepetition() {
        Schedules.assertRarelyCaughtByPlainRuns("read-count-two-sections", RUNS, ReadPoolScheduleTest.readSendCancel(Set.of(ThreadMutant.READ_COUNT_TWO_SECTIONS)));
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void completionBeforeDataUnderPlainRepetition() {
        Schedules.assertRarelyCaughtByPlainRuns("completion-before-data", RUNS, ReadPoolScheduleTest.readSendCancel(Set.of(ThreadMutant.COMPLETION_BEFORE_DATA)));
    }
}
