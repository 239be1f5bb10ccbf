// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.receiver.ReceiverPolicies.ZeroWrite;
import org.blkmig.simdisk.SimScheduler;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

/**
 * The pipeline in virtual time on its own: the writeback's forces, failures reported at the next
 * call, the busy-buffer figure. (Written from the receiver's PIT survivors after #16.)
 */
class VirtualPipelineTest {
    static final int CHUNK = 64 * 1024;
    static final long SECTORS = CHUNK / 512;

    /** Records when it was forced; fails its forces once told to. */
    static final class ForcedDisk extends WrappedDisk {
        final SimScheduler time;
        final List<Long> forcedAtNanos = new ArrayList<>();
        boolean failForce;

        ForcedDisk(String name, SimScheduler time) {
            super(new SparseMemoryDisk(name, 16L * CHUNK));
            this.time = time;
        }

        @Override
        public void force() throws IOException {
            if (failForce) {
                throw new IOException("disk full");
            }
            forcedAtNanos.add(time.nowNanos());
        }
    }

    private static void write(Pipeline p, ForcedDisk d, long chunk) throws IOException {
        ByteBuffer b = p.takeFree();
        b.clear();
        p.submit(d, chunk * SECTORS, SECTORS, b, chunk * CHUNK);
    }

    @Test
    void everyWritebackIntervalForcesTheTargetsWrittenSinceTheLast() throws IOException {
        SimScheduler time = new SimScheduler(1);
        ForcedDisk a = new ForcedDisk("a", time);
        ForcedDisk b = new ForcedDisk("b", time);
        try (Pipeline p = Pipeline.Factory.virtual(time, 1000, 2L * CHUNK).create(4, CHUNK, ZeroWrite.WRITE_ZEROS)) {
            write(p, a, 0);
            write(p, a, 1); // 2 chunks: a is forced when this write is done, at 2 us
            write(p, b, 2);
            write(p, b, 3); // 2 more: only b was written since
            write(p, a, 4); // 1 chunk short of the next interval
            p.submit(a, 5 * SECTORS, SECTORS, null, 5L * CHUNK); // a zero write counts no bytes
            p.drain();
        }
        assertEquals(List.of(2000L), a.forcedAtNanos, "a: once, right after its second chunk landed");
        assertEquals(List.of(4000L), b.forcedAtNanos, "b: once, after the fourth chunk; a not again");
    }

    @Test
    void aTargetWrittenOnlyWithZerosIsForcedByTheNextWriteback() throws IOException {
        SimScheduler time = new SimScheduler(3);
        ForcedDisk a = new ForcedDisk("a", time);
        ForcedDisk b = new ForcedDisk("b", time);
        try (Pipeline p = Pipeline.Factory.virtual(time, 1000, 2L * CHUNK).create(4, CHUNK, ZeroWrite.WRITE_ZEROS)) {
            p.submit(a, 0, SECTORS, null, 0); // zeros: in the page cache as much as data
            write(p, b, 1);
            write(p, b, 2); // ends the interval at 3 us
            p.drain();
        }
        while (time.runNext(Long.MAX_VALUE)) {
            // the writeback: an event of its own, at the same instant
        }
        assertEquals(List.of(3000L), a.forcedAtNanos);
        assertEquals(List.of(3000L), b.forcedAtNanos);
    }

    @Test
    void theWrongTargetMutantForcesOnlyTheTargetThatEndedTheInterval() throws IOException {
        SimScheduler time = new SimScheduler(4);
        ForcedDisk a = new ForcedDisk("a", time);
        ForcedDisk b = new ForcedDisk("b", time);
        ReceiverPolicies wrong = ReceiverPolicies.of(java.util.Set.of(ReceiverMutant.WRITEBACK_FORCES_WRONG_TARGET));
        try (Pipeline p = Pipeline.Factory.virtual(time, 1000, 2L * CHUNK).create(4, CHUNK, wrong)) {
            write(p, a, 0);
            write(p, b, 1); // ends the interval: b alone is forced
            p.drain();
        }
        while (time.runNext(Long.MAX_VALUE)) {
            // the writeback
        }
        assertEquals(List.of(), a.forcedAtNanos, "a's write stays in the page cache");
        assertEquals(List.of(2000L), b.forcedAtNanos);
    }

    @Test
    void zeroWritesNeverBringAWriteback() throws IOException {
        SimScheduler time = new SimScheduler(2);
        ForcedDisk a = new ForcedDisk("a", time);
        try (Pipeline p = Pipeline.Factory.virtual(time, 1000, CHUNK).create(2, CHUNK, ZeroWrite.WRITE_ZEROS)) {
            for (int i = 0; i < 4; i++) {
                p.submit(a, i * SECTORS, SECTORS, null, (long) i * CHUNK);
            }
            p.drain();
        }
        assertEquals(List.of(), a.forcedAtNanos);
    }

    @Test
    void aFailedForceIsReportedByTheNextCall() throws IOException {
        SimScheduler time = new SimScheduler(3);
        ForcedDisk a = new ForcedDisk("a", time);
        a.failForce = true;
        Pipeline p = Pipeline.Factory.virtual(time, 1000, CHUNK).create(2, CHUNK, ZeroWrite.WRITE_ZEROS);
        write(p, a, 0);
        p.drain(); // the write landed; its writeback is an event of its own, in the background
        while (time.runNext(Long.MAX_VALUE)) {
            // the writeback
        }
        WritePipeline.WriteFailed f = assertThrows(WritePipeline.WriteFailed.class, p::takeFree);
        assertEquals("flushing 'a' failed: disk full", f.getMessage());
        assertThrows(WritePipeline.WriteFailed.class, p::drain);
        p.close();
    }

    @Test
    void aWriteThatFailsWhileWaitingForABufferEndsTheWait() throws IOException {
        SimScheduler time = new SimScheduler(4);
        SparseMemoryDisk small = new SparseMemoryDisk("s", CHUNK);
        Pipeline p = Pipeline.Factory.virtual(time, 1000, CHUNK).create(1, CHUNK, ZeroWrite.WRITE_ZEROS);
        ByteBuffer only = p.takeFree();
        p.submit(small, SECTORS, SECTORS, only, 99); // past the end: fails when written
        // the one buffer comes back with the failure: takeFree reports it instead of lending the buffer
        WritePipeline.WriteFailed f = assertThrows(WritePipeline.WriteFailed.class, p::takeFree);
        assertEquals(99, f.offsetBytes);
        // and a block handed over after a failure is refused, not queued behind it
        assertThrows(WritePipeline.WriteFailed.class, () -> p.submit(small, 0, SECTORS, null, 100));
        p.close();
        assertEquals(1000, time.nowNanos(), "nothing was written after the failed write");
    }

    @Test
    void writesAfterAFailureAreNotMade() throws IOException {
        SimScheduler time = new SimScheduler(5);
        SparseMemoryDisk small = new SparseMemoryDisk("s", 2L * CHUNK);
        Pipeline p = Pipeline.Factory.virtual(time, 1000, CHUNK).create(3, CHUNK, ZeroWrite.WRITE_ZEROS);
        ByteBuffer bad = p.takeFree();
        p.submit(small, 2 * SECTORS, SECTORS, bad, 1); // past the end
        ByteBuffer good = p.takeFree();
        good.clear().put(0, (byte) 9);
        p.submit(small, 0, SECTORS, good, 2); // queued before the failure happened
        assertThrows(WritePipeline.WriteFailed.class, p::drain);
        p.close(); // runs the jobs handed over: after a failure they are dropped, not written
        ByteBuffer first = ByteBuffer.allocate(512);
        small.read(0, first);
        assertEquals(0, first.get(0), "the block queued behind the failed one was not written");
    }

    @Test
    void thePeakOfBusyBuffersIsKept() throws IOException {
        SimScheduler time = new SimScheduler(6);
        ForcedDisk a = new ForcedDisk("a", time);
        Pipeline p = Pipeline.Factory.virtual(time, 1000, 64L * CHUNK).create(3, CHUNK, ZeroWrite.WRITE_ZEROS);
        assertEquals(0, p.peakBusyBuffers());
        ByteBuffer x = p.takeFree();
        ByteBuffer y = p.takeFree();
        assertEquals(2, p.peakBusyBuffers(), "two of three lent");
        p.submit(a, 0, SECTORS, x, 0);
        p.submit(a, SECTORS, SECTORS, y, CHUNK);
        p.drain();
        assertEquals(2, p.peakBusyBuffers(), "the peak stays once the buffers are back");
        write(p, a, 2);
        p.drain();
        assertEquals(2, p.peakBusyBuffers());
        p.close();
        assertTrue(time.nowNanos() >= 3000);
    }

    /** Its counts are checked where they change: a block handed over in no buffer it lent breaks them at once. */
    @Test
    void aBlockInABufferItNeverLentBreaksItsCounts() throws IOException {
        SimScheduler time = new SimScheduler(1);
        ForcedDisk a = new ForcedDisk("a", time);
        Pipeline p = Pipeline.Factory.virtual(time, 1000, 2L * CHUNK).create(2, CHUNK, ZeroWrite.WRITE_ZEROS);
        org.blkmig.simdisk.Invariant.Violation v = assertThrows(org.blkmig.simdisk.Invariant.Violation.class,
                () -> p.submit(a, 0, SECTORS, ByteBuffer.allocate(CHUNK), 0));
        assertTrue(v.getMessage().contains("-1 lent"), v.getMessage());
    }

    /** One lent buffer handed over twice: the second hand-over breaks the counts. */
    @Test
    void aBufferHandedOverTwiceBreaksItsCounts() throws IOException {
        SimScheduler time = new SimScheduler(1);
        ForcedDisk a = new ForcedDisk("a", time);
        Pipeline p = Pipeline.Factory.virtual(time, 1000, 64L * CHUNK).create(1, CHUNK, ZeroWrite.WRITE_ZEROS);
        ByteBuffer b = p.takeFree();
        p.submit(a, 0, SECTORS, b, 0);
        // lent = 0 now; handing a block over again in a buffer of the caller's leaves lent at -1
        assertThrows(org.blkmig.simdisk.Invariant.Violation.class, () -> p.submit(a, SECTORS, SECTORS, b, CHUNK));
    }
}
