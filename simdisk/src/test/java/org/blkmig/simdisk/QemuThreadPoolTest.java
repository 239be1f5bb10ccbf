// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SimIoContext with QEMU's measured timing: its thread pool and its migration thread's loop. */
class QemuThreadPoolTest {
    static final long MICRO = Durations.MICRO;

    static QemuTiming timing(long spawnNanos) {
        return new QemuTiming(4 * MICRO, 3 * MICRO, 2 * MICRO, 100 * MICRO, new LatencyModel.Fixed(spawnNanos),
                QemuTiming.Quantiles.fixed(100 * MICRO), 64, QemuTiming.Quantiles.fixed(2 * MICRO), 650_000);
    }

    /** Submits three 1 MiB reads at once, each taking {@code readNanos}; each completion as (read index, time). */
    static List<long[]> threeReads(QemuTiming t, long readNanos) {
        SimScheduler s = new SimScheduler(1);
        SimIoContext io = new SimIoContext(s, new LatencyModel.Fixed(readNanos), Faults.NONE, new History(), t);
        BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 4L << 20));
        List<long[]> done = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int index = i;
            io.submitRead(dev, i * 2048L, ByteBuffer.allocate(1 << 20), e -> done.add(new long[] {index, s.nowNanos()}));
        }
        s.runUntil(() -> done.size() == 3);
        return done;
    }

    @Test
    void finishedReadsAreHandedOverByOneBottomHalfNewestFirst() {
        // workers start at once: the three reads end together and one bottom half runs them all
        List<long[]> done = threeReads(timing(0), 50 * MICRO);
        assertEquals(List.of(2L, 1L, 0L), done.stream().map(d -> d[0]).toList(), "newest submission first");
        long submitted = 3 * SimIoContext.SUBMIT_COST_NANOS;
        for (long[] d : done) {
            assertTrue(d[1] >= 250 * MICRO && d[1] <= 250 * MICRO + submitted, "bottom half, read, bottom half: " + d[1]);
        }
    }

    @Test
    void workersStartOneAfterAnother() {
        // each worker takes 1 ms to start and starts the next; reads of 5 ms: one per worker, 1 ms apart
        List<long[]> done = threeReads(timing(Durations.MILLI), 5 * Durations.MILLI);
        assertEquals(List.of(0L, 1L, 2L), done.stream().map(d -> d[0]).toList());
        assertTrue(done.get(0)[1] >= 6_200 * MICRO, "the first read waited for a worker: " + done.get(0)[1]);
        assertEquals(Durations.MILLI, done.get(1)[1] - done.get(0)[1]);
        assertEquals(Durations.MILLI, done.get(2)[1] - done.get(1)[1]);
    }

    @Test
    void aWorkerThatFinishesTakesTheNextReadBeforeTheNextWorkerStarts() {
        // reads of 40 us, workers 1 ms apart: the first worker reads all three (the last ends before
        // the bottom half the first scheduled), and that one bottom half hands them over
        List<long[]> done = threeReads(timing(Durations.MILLI), 40 * MICRO);
        assertEquals(List.of(2L, 1L, 0L), done.stream().map(d -> d[0]).toList());
    }

    @Test
    void aMeasuredDistributionIsDrawnBetweenItsQuantiles() {
        // the bottom half's measured delay: half the draws under its median, a tenth over its p90, and
        // between p50 and p75 on a log scale (their geometric mean at share 0.625)
        QemuTiming.Quantiles q = QemuTiming.MEASURED.bottomHalfNanos();
        long[] v = q.values(); // min, p10, p25, p50, p75, p90, p99, max
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int under = 0;
        int over = 0;
        int underLogMiddle = 0;
        long logMiddle = Math.round(Math.sqrt((double) v[3] * v[4]));
        for (int i = 0; i < 10_000; i++) {
            long d = q.draw(r);
            assertTrue(d >= v[0] && d <= v[7], "within min and max: " + d);
            under += d < v[3] ? 1 : 0;
            over += d > v[5] ? 1 : 0;
            underLogMiddle += d < logMiddle ? 1 : 0;
        }
        assertTrue(Math.abs(underLogMiddle - 6_250) < 200, "log-scale interpolation: " + underLogMiddle);
        assertTrue(Math.abs(under - 5_000) < 300, "under the median: " + under);
        assertTrue(Math.abs(over - 1_000) < 150, "over p90: " + over);
    }

    @Test
    void aSubmissionTakesItsMeasuredTimeAndAWriteTheTransportsTime() {
        // submissions of 30 us: reads of 10 us end within the submissions of the later ones
        QemuTiming t = new QemuTiming(4 * MICRO, 3 * MICRO, 2 * MICRO, 100 * MICRO, new LatencyModel.Fixed(0),
                QemuTiming.Quantiles.fixed(MICRO), 64, QemuTiming.Quantiles.fixed(30 * MICRO), 800 * MICRO);
        SimScheduler s = new SimScheduler(1);
        SimIoContext io = new SimIoContext(s, new LatencyModel.Fixed(10 * MICRO), Faults.NONE, new History(), t);
        BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 4L << 20));
        List<long[]> done = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int index = i;
            io.submitRead(dev, i * 2048L, ByteBuffer.allocate(1 << 20), e -> done.add(new long[] {index, s.nowNanos()}));
        }
        assertEquals(90 * MICRO, s.nowNanos(), "three submissions of 30 us");
        assertTrue(done.size() >= 1, "a read completed while later ones were submitted: " + done.size());
        long before = s.nowNanos();
        io.wrote(1 << 19);
        assertEquals(400 * MICRO, s.nowNanos() - before, "half a MiB into the pipe at 800 us a MiB");
        // without QEMU's timing the transport's constant rate
        SimIoContext ideal = new SimIoContext(s, new LatencyModel.Fixed(0), Faults.NONE, new History());
        before = s.nowNanos();
        ideal.wrote(1 << 20);
        assertEquals((long) ((1 << 20) * 1e9 / SimIoContext.TRANSPORT_BYTES_PER_SECOND), s.nowNanos() - before);
    }

    /** One measured run's timing whose reads take {@code readNanos}. */
    static QemuTiming measuredRun(long readNanos) {
        QemuTiming t = timing(0);
        return new QemuTiming(t.loopTailNanos(), t.iterateHeadNanos(), t.submitLoopNanos(), t.zeroCheckNanos(), t.spawnNanos(),
                t.bottomHalfNanos(), t.maxWorkers(), t.submitNanos(), t.sendNanosPerMiB(), QemuTiming.Quantiles.fixed(readNanos),
                List.of());
    }

    @Test
    void aRunTakesOneMeasuredRunWholeAndItsReadTimes() {
        // two measured runs, reads of 30 us or of 3 ms; the scenario's latency (50 ms) is not used
        QemuTiming t = timing(0);
        QemuTiming two = new QemuTiming(t.loopTailNanos(), t.iterateHeadNanos(), t.submitLoopNanos(), t.zeroCheckNanos(),
                t.spawnNanos(), t.bottomHalfNanos(), t.maxWorkers(), t.submitNanos(), t.sendNanosPerMiB(), null,
                List.of(measuredRun(30 * MICRO), measuredRun(3 * Durations.MILLI)));
        java.util.Set<Long> firstDone = new java.util.TreeSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            SimScheduler s = new SimScheduler(seed);
            SimIoContext io = new SimIoContext(s, new LatencyModel.Fixed(50 * Durations.MILLI), Faults.NONE, new History(), two);
            BlockDevice dev = new BlockDevice(new SparseMemoryDisk("d", 4L << 20));
            List<Long> done = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                io.submitRead(dev, i * 2048L, ByteBuffer.allocate(1 << 20), e -> done.add(s.nowNanos()));
            }
            s.runUntil(() -> done.size() == 2);
            // both reads of one run took the same run's time: bottom half and spawn (100 us), read, bottom half (100 us)
            assertEquals(done.get(0), done.get(1), "one bottom half hands both over");
            firstDone.add(done.get(0));
        }
        assertEquals(java.util.Set.of(230 * MICRO, 3_200 * MICRO), firstDone, "each run took one of the two, and both were taken");
    }

    @Test
    void theLoopTakesTimeOnlyWithQemusTiming() {
        SimScheduler s = new SimScheduler(1);
        SimIoContext ideal = new SimIoContext(s, new LatencyModel.Fixed(0), Faults.NONE, new History());
        ideal.loopStep(IoContext.LoopPhase.LOOP_TAIL);
        assertEquals(0, s.nowNanos());
        assertFalse(ideal.pollsWhenIdle());
        SimIoContext qemu = new SimIoContext(s, new LatencyModel.Fixed(0), Faults.NONE, new History(), timing(0));
        qemu.loopStep(IoContext.LoopPhase.LOOP_TAIL);
        qemu.loopStep(IoContext.LoopPhase.ZERO_CHECK);
        assertEquals(104 * MICRO, s.nowNanos());
        assertTrue(qemu.pollsWhenIdle());
    }
}
