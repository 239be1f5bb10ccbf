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
                QemuTiming.Quantiles.fixed(100 * MICRO), 64);
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
        // the bottom half's measured delay: half the draws under its median, a tenth over its p90
        QemuTiming.Quantiles q = QemuTiming.MEASURED.bottomHalfNanos();
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int under = 0;
        int over = 0;
        int underLogMiddle = 0; // between p50 and p75 on a log scale: sqrt(1151 * 4369) us at share 0.625
        for (int i = 0; i < 10_000; i++) {
            long d = q.draw(r);
            assertTrue(d >= 20 * MICRO && d <= 500_497 * MICRO, "within min and max: " + d);
            under += d < 1_151 * MICRO ? 1 : 0;
            over += d > 11_897 * MICRO ? 1 : 0;
            underLogMiddle += d < 2_242 * MICRO ? 1 : 0;
        }
        assertTrue(Math.abs(underLogMiddle - 6_250) < 200, "log-scale interpolation: " + underLogMiddle);
        assertTrue(Math.abs(under - 5_000) < 300, "under the median: " + under);
        assertTrue(Math.abs(over - 1_000) < 150, "over p90: " + over);
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
