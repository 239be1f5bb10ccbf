// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.blkmig.controlled.Schedules;
import org.blkmig.simdisk.ThreadMutant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The body of {@link WritePipelineScheduleTest} repeated on real threads without Fray (a JVM of its
 * own, the product's JDK 17, no agent): what plain repetition finds, to set against the scheduler.
 */
class WritePipelinePlainRepetitionTest {
    static final int RUNS = Integer.getInteger("blkmig.plain.runs", 1000);

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theCleanPipelinePassesEveryPlainRun() {
        assertEquals(0, Schedules.plainFailures(RUNS, WritePipelineScheduleTest.receive(Set.of())));
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void countedBeforeFailureUnderPlainRepetition() {
        // plain runs catch it now and then (TESTING.md has the rates); the scheduler, within a few schedules
        Schedules.assertRarelyCaughtByPlainRuns("counted-before-failure", RUNS,
                WritePipelineScheduleTest.receive(Set.of(ThreadMutant.COUNTED_BEFORE_FAILURE)));
    }
}
