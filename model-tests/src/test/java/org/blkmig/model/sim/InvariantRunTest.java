// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.receiver.Pipeline;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.junit.jupiter.api.Test;
import org.mockito.AdditionalAnswers;
import org.mockito.Mockito;
import org.mockito.stubbing.Answer;

/** A broken invariant is a failed run, judged and printed with its scenario: never a silent pass, never a crash. */
class InvariantRunTest {
    @Test
    void aViolationMidRunEndsTheRunFailedAndNamesTheInvariant() {
        PayloadSink breaksAtTheTenthRecord = new PayloadSink() {
            private int records;

            @Override
            public void beginPayload(SectionType type) {}

            @Override
            public void write(Record record) {
                Invariant.check(++records < 10, "the test sink's own check, at record 10");
            }

            @Override
            public void endPayload() {}
        };
        ScenarioRunner.Source src = ScenarioRunner.simulateSource(Scenario.defaults(), Variant.BLKMIG, breaksAtTheTenthRecord);
        assertEquals(MigrationResult.Outcome.FAILED, src.migration().outcome());
        assertEquals("invariant violated: the test sink's own check, at record 10", src.brokenInvariant());
    }

    @Test
    void theInvariantsPropertyFailsFirstAndTheReportReplaysIt() {
        ScenarioRunner.Run clean = ScenarioRunner.run(Scenario.defaults(), Variant.BLKMIG, ScenarioRunner.RunFaults.NONE);
        assertNull(clean.brokenInvariant());
        assertTrue(Judge.judge(clean).verdicts().get(0).passed());
        ScenarioRunner.Run broken = new ScenarioRunner.Run(clean.scenario(), clean.variant(), clean.migration(),
                clean.receive(), clean.stream(), clean.history(), clean.sources(), clean.sourceDevices(), clean.targets(),
                clean.bases(), clean.guestWrites(), clean.eventsRun(), "invariant violated: 2 reads of drive0 chunk 3 in flight",
                clean.faults(), clean.clock(), clean.ends(), clean.guest());
        List<Verdict> vs = Judge.judge(broken).verdicts();
        assertEquals(Properties.INVARIANTS, vs.get(0).property());
        assertFalse(vs.get(0).passed());
        String report = Judge.judge(broken).report();
        assertTrue(report.startsWith("property invariants failed: invariant violated: 2 reads of drive0 chunk 3"), report);
        assertTrue(report.contains("replay:   ./blkmig simulate --scenario '" + Scenario.defaults() + "'"), report);
    }

    /** Pipelines whose target writes count, the n-th breaking an invariant in whichever thread runs it. */
    private static final class BreaksTargetWrite {
        private final int breakingWrite;
        private final Map<Disk, Disk> counting = new IdentityHashMap<>();
        private int writes;
        private Thread breakingThread;

        BreaksTargetWrite(int breakingWrite) {
            this.breakingWrite = breakingWrite;
        }

        /** The virtual pipelines, each handed-over block's target counting its writes: the rest delegated. */
        Pipeline.Factory wrap(Pipeline.Factory virtual) {
            return (buffers, chunkBytes, mutants) -> {
                Pipeline inner = virtual.create(buffers, chunkBytes, mutants);
                Answer<Object> delegate = AdditionalAnswers.delegatesTo(inner);
                return Mockito.mock(Pipeline.class, call -> {
                    if (call.getMethod().getName().equals("submit")) {
                        Disk target = counting.computeIfAbsent(call.getArgument(0), this::counting);
                        inner.submit(target, call.getArgument(1), call.getArgument(2), call.getArgument(3),
                                call.getArgument(4));
                        return null;
                    }
                    return delegate.answer(call);
                });
            };
        }

        private Disk counting(Disk target) {
            Answer<Object> delegate = AdditionalAnswers.delegatesTo(target);
            return Mockito.mock(Disk.class, call -> {
                if (call.getMethod().getName().startsWith("write") && ++writes == breakingWrite) {
                    breakingThread = Thread.currentThread();
                    throw new Invariant.Violation("the test's target write " + breakingWrite);
                }
                return delegate.answer(call);
            });
        }
    }

    /**
     * The receiver's writes are events of the run's scheduler: they run on the receiver's thread
     * while it waits for its pipeline, else on the simulation's, during the migration or after the
     * sender ended. Wherever a target write breaks an invariant, the run is judged failed by
     * invariants: never a crash of the judge, never a null receive.
     */
    @Test
    void aTargetWriteThatBreaksAnInvariantFailsTheRunWhereverItRuns() {
        // a link slower than the migration, its window the whole stream: the sender ends first, the writes follow
        Scenario slowLink = Scenario.parse("devices=drive0:4M,drive1:1M+1536;content=1;workload=uniform@262144[8-128];"
                + "bandwidth=32M;downtime=300ms;latency=uniform:100us-2ms;chunk=1M;zero-blocks=false;shared-base=false;"
                + "alloc=60;faults=none;seed=1;link=8M/s:50ms~0ns:w0:r0:win64M");
        Thread simulation = Thread.currentThread();
        Set<String> where = new TreeSet<>();
        for (int k = 1;; k++) {
            BreaksTargetWrite breaks = new BreaksTargetWrite(k);
            ScenarioRunner.Run run = ScenarioRunner.run(slowLink, Variant.BLKMIG, ScenarioRunner.RunFaults.NONE,
                    breaks::wrap);
            if (breaks.writes < k) {
                break; // the run wrote fewer: each of its writes has broken once
            }
            String expected = "invariant violated: the test's target write " + k;
            assertEquals(expected, run.brokenInvariant(), "write " + k);
            assertFalse(run.receive().complete(), "write " + k);
            Verdict first = Judge.judge(run).verdicts().get(0);
            assertEquals(Properties.INVARIANTS, first.property());
            assertFalse(first.passed(), "write " + k);
            assertTrue(first.evidence().contains(expected), first.evidence());
            if (breaks.breakingThread != simulation) {
                // the receiver's own thread: it returned, its result says why
                assertEquals(expected, run.receive().reason());
                assertTrue(run.ends().receiverReturned());
                assertFalse(run.ends().receiverThreadAlive());
                where.add("the receiver's thread");
            } else {
                where.add("the simulation's thread, the migration " + (run.migration().completed() ? "ended" : "running"));
            }
        }
        assertEquals(Set.of("the receiver's thread", "the simulation's thread, the migration ended"), where);
    }
}
