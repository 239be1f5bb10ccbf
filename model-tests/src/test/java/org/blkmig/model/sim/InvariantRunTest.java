// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.blkmig.receiver.Pipeline;
import org.blkmig.simdisk.Disk;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.Invariant;
import org.junit.jupiter.api.Test;

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
                clean.faults(), clean.clock(), clean.ends());
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
        private int writes;
        private Thread breakingThread;

        BreaksTargetWrite(int breakingWrite) {
            this.breakingWrite = breakingWrite;
        }

        Pipeline.Factory wrap(Pipeline.Factory virtual) {
            return (buffers, chunkBytes, mutants) -> {
                Pipeline inner = virtual.create(buffers, chunkBytes, mutants);
                return new Pipeline() {
                    @Override
                    public ByteBuffer takeFree() throws IOException {
                        return inner.takeFree();
                    }

                    @Override
                    public void submit(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes)
                            throws IOException {
                        inner.submit(breaking(target), sector, sectorCount, data, offsetBytes);
                    }

                    @Override
                    public void drain() throws IOException {
                        inner.drain();
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            };
        }

        private Disk breaking(Disk target) {
            return new Disk() {
                @Override
                public String name() {
                    return target.name();
                }

                @Override
                public long sizeBytes() {
                    return target.sizeBytes();
                }

                @Override
                public boolean readOnly() {
                    return target.readOnly();
                }

                @Override
                public void read(long sector, ByteBuffer dst) throws IOException {
                    target.read(sector, dst);
                }

                @Override
                public void write(long sector, ByteBuffer src) throws IOException {
                    count();
                    target.write(sector, src);
                }

                @Override
                public void writeZeros(long sector, long sectorCount) throws IOException {
                    count();
                    target.writeZeros(sector, sectorCount);
                }

                @Override
                public void force() throws IOException {
                    target.force();
                }
            };
        }

        private void count() {
            if (++writes == breakingWrite) {
                breakingThread = Thread.currentThread();
                throw new Invariant.Violation("the test's target write " + breakingWrite);
            }
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
        java.util.Set<String> where = new java.util.TreeSet<>();
        for (int k = 1;; k++) {
            BreaksTargetWrite breaks = new BreaksTargetWrite(k);
            ScenarioRunner.Run run = ScenarioRunner.run(slowLink, Variant.BLKMIG, ScenarioRunner.RunFaults.NONE, breaks::wrap);
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
        assertEquals(java.util.Set.of("the receiver's thread", "the simulation's thread, the migration ended"), where);
    }
}
