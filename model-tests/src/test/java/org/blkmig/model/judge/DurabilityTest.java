// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.model.sim.TargetLog;
import org.blkmig.receiver.Pipeline;
import org.blkmig.receiver.ReceiverMutant;
import org.blkmig.receiver.ReceiverPolicies;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

/** {@code durability}: a power loss of the destination loses no write the receiver promised durable. */
class DurabilityTest {
    static final int CHUNK = 4096;
    static final long CHUNK_SECTORS = CHUNK / 512;

    static Verdict durability(Judge.Outcome o) {
        return o.verdicts().stream().filter(v -> v.property() == Properties.DURABILITY).findFirst().orElseThrow();
    }

    private static TargetLog.Write write(String target, long atNanos) {
        return new TargetLog.Write(target, 0, CHUNK_SECTORS, false, atNanos);
    }

    // ---- the judge on hand-made logs ----

    @Test
    void aWritebackThatForcesEveryTargetWrittenKeepsItsPromise() {
        List<TargetLog.Event> log = List.of(write("a", 1), write("b", 2), new TargetLog.Force("a", 3, 2),
                new TargetLog.Force("b", 3, 3), write("a", 4));
        assertEquals(Optional.empty(), Durability.firstLoss(log, false), "the write after the writeback was never promised");
        assertEquals(1, Durability.multiTargetWritebacks(log, false));
    }

    @Test
    void aWritebackThatLeavesATargetUnforcedLosesItsWrites() {
        List<TargetLog.Event> log = List.of(write("a", 1), write("b", 2), new TargetLog.Force("b", 3, 2), write("a", 4),
                new TargetLog.Force("a", 5, 4));
        Durability.Loss l = Durability.firstLoss(log, false).orElseThrow();
        assertEquals(log.get(0), l.write(), "a's write before the writeback at 3");
        assertEquals(3, l.promisedNanos());
        assertEquals(List.of("b"), l.forced());
        assertEquals(1, l.lost());
        assertTrue(l.text().contains("would lose the data written to a (sectors 0+8)"), l.text());
    }

    @Test
    void aForceCoversOnlyTheWritesLoggedBeforeItBegan() {
        // a's second write landed while its force ran: the next writeback must cover it
        List<TargetLog.Event> log = List.of(write("a", 1), write("a", 2), new TargetLog.Force("a", 3, 1),
                new TargetLog.Force("b", 4, 3));
        Durability.Loss l = Durability.firstLoss(log, false).orElseThrow();
        assertEquals(log.get(1), l.write());
        assertEquals(4, l.promisedNanos());
    }

    @Test
    void completeMeansEveryWriteDurable() {
        List<TargetLog.Event> flushed = List.of(write("a", 1), new TargetLog.Force("a", 2, 1), new TargetLog.Force("b", 2, 1));
        assertEquals(Optional.empty(), Durability.firstLoss(flushed, true));
        assertEquals(0, Durability.multiTargetWritebacks(flushed, true), "the completing flush is no writeback");
        List<TargetLog.Event> late = List.of(write("a", 1), new TargetLog.Force("a", 2, 1), write("b", 3));
        assertEquals(Optional.empty(), Durability.firstLoss(late, false), "nothing promised b's write");
        Durability.Loss l = Durability.firstLoss(late, true).orElseThrow();
        assertTrue(l.atCompletion());
        assertEquals(late.get(2), l.write());
    }

    // ---- simulated runs ----

    /** The kill matrix's shrunk scenario (seed 1, #24): two targets, forced every 256 KiB, one pipeline buffer. */
    static final String TWO_TARGETS_SMALL_WRITEBACK = "devices=drive0:64K,drive1:192K;content=8788961022252318145;"
            + "workload=none@0[8-128];bandwidth=853K;downtime=33ms;latency=fixed:0ns;chunk=64K;zero-blocks=false;"
            + "shared-base=false;alloc=42;faults=none;seed=-1039589840895893088;pipeline=1:256K";

    @Test
    void theShippedPipelineForcesEveryTargetAtEachWriteback() {
        Judge.Outcome o = Judge.judge(Scenario.parse(TWO_TARGETS_SMALL_WRITEBACK), Variant.BLKMIG);
        assertEquals(Verdict.Status.PASS, durability(o).status(), durability(o).toString());
        assertTrue(Durability.multiTargetWritebacks(o.facts()) > 0, "a writeback must force both targets for the test to bite");
        assertEquals("VERIFIED", o.headline());
    }

    @Test
    void aWritebackOfTheWrongTargetFailsDurabilityAlone() {
        Judge.Outcome o = Judge.judge(Scenario.parse(TWO_TARGETS_SMALL_WRITEBACK), Variant.of(Mutant.WRITEBACK_FORCES_WRONG_TARGET));
        Verdict v = durability(o);
        assertEquals(Verdict.Status.FAIL, v.status(), v.toString());
        assertEquals(Cause.NOT_DURABLE_AFTER_WRITEBACK, v.cause());
        assertEquals("drive0", v.chunks().get(0).device(), "the target that lost the write");
        assertTrue(v.evidence().contains("(it forced drive1) would lose the data written to drive0"), v.evidence());
        assertEquals(2, v.instantsNanos().size(), "the write's instant and the writeback's");
        assertTrue(v.instantsNanos().get(0) <= v.instantsNanos().get(1));
        // the data is right: only durability gives the bug away
        assertEquals(List.of(Properties.DURABILITY), o.verdicts().stream().filter(x -> !x.passed()).map(Verdict::property)
                .toList());
    }

    /**
     * Found by durability (campaign seed 515151, #168, shrunk): the shipped pipelines added a target
     * to the writeback only on a data write, so drive2's zero block, written at 650 ms, was still
     * volatile after the writeback at 750 ms forced drive0 and drive1 (70 of 20,000 scenarios).
     */
    static final String ZEROS_ON_A_THIRD_TARGET = "devices=drive0:320K,drive1:640K,drive2:64K;content=7319097501599782291;"
            + "workload=uniform@252103[8-128];bandwidth=353K;downtime=37ms;latency=fixed:0ns;chunk=64K;zero-blocks=true;"
            + "shared-base=false;alloc=54;faults=none;seed=-9068229700010380139;link=0/s:0ns~0ns:w16K:r4K:win0;"
            + "sender-limits=32:64;pipeline=1:1M;slice=50ms";

    @Test
    void aWritebackForcesATargetWhoseOnlyWritesWereZeros() {
        Judge.Outcome o = Judge.judge(Scenario.parse(ZEROS_ON_A_THIRD_TARGET), Variant.BLKMIG);
        assertEquals(Verdict.Status.PASS, durability(o).status(), durability(o).toString());
        assertTrue(Durability.log(o.facts()).stream().anyMatch(e -> e instanceof TargetLog.Write w && w.zero()
                && w.target().equals("drive2")), "drive2 must be written with zeros for the test to bite");
    }

    // ---- the threaded pipeline, on real threads ----

    /**
     * The shipped {@code WritePipeline} on its writer and writeback threads, two targets, forced
     * every two chunks, judged by the same {@link Durability#firstLoss}: each round writes a's data
     * (or zeros) then b's, whose write ends the interval, and waits for the writeback; the log's
     * instants are the rounds, so each writeback's forces are one instant.
     */
    static Optional<Durability.Loss> threadedRounds(ReceiverPolicies policies) throws Exception {
        AtomicLong round = new AtomicLong();
        TargetLog log = new TargetLog(round::get);
        GuardedDisk a = new GuardedDisk(new SparseMemoryDisk("a", 64L * CHUNK), false);
        GuardedDisk b = new GuardedDisk(new SparseMemoryDisk("b", 64L * CHUNK), false);
        a.logTo(log);
        b.logTo(log);
        try (Pipeline p = Pipeline.Factory.threads(2L * CHUNK).create(2, CHUNK, policies)) {
            for (int r = 0; r < 3; r++) {
                round.set(r);
                long sector = r * 2L * CHUNK_SECTORS;
                if (r == 2) {
                    p.submit(a, sector, CHUNK_SECTORS, null, 0); // zeros only: a zero write ends no interval
                    submitData(p, b, sector + CHUNK_SECTORS, r);
                } else {
                    submitData(p, a, sector, r);
                }
                submitData(p, b, sector, r);
                p.drain();
                awaitForces(log, r, Set.of("a", "b"));
            }
        }
        assertEquals(0, a.outOfBoundsAttempts() + b.outOfBoundsAttempts());
        return Durability.firstLoss(log.events(), false);
    }

    private static void submitData(Pipeline p, GuardedDisk target, long sector, int fill) throws IOException {
        ByteBuffer buf = p.takeFree();
        buf.clear();
        while (buf.hasRemaining()) {
            buf.put((byte) (fill + 1));
        }
        buf.flip();
        p.submit(target, sector, CHUNK_SECTORS, buf, 0);
    }

    /**
     * Waits until {@code targets} were each forced after round {@code r}'s last write, or 1 s (a
     * pipeline that never forces one): the next round's instant must not split this writeback.
     */
    private static void awaitForces(TargetLog log, long r, Set<String> targets) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < deadline) {
            List<TargetLog.Event> events = log.events();
            int lastWrite = -1;
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i) instanceof TargetLog.Write && events.get(i).timeNanos() == r) {
                    lastWrite = i;
                }
            }
            int after = lastWrite;
            if (targets.stream().allMatch(t -> events.stream().skip(after + 1L)
                    .anyMatch(e -> e instanceof TargetLog.Force f && f.target().equals(t) && f.beganAt() > after))) {
                return;
            }
            Thread.sleep(1);
        }
    }

    @Test
    void theThreadedPipelineMakesEveryWriteBeforeAWritebackDurableOnBothTargets() throws Exception {
        // round 2 writes only zeros to a: they must be durable after b's writeback too
        assertEquals(Optional.empty(), threadedRounds(ReceiverPolicies.BLKMIG));
    }

    @Test
    void theThreadedPipelineForcingTheWrongTargetLosesTheOthersWrites() throws Exception {
        Durability.Loss l = threadedRounds(ReceiverPolicies.of(Set.of(ReceiverMutant.WRITEBACK_FORCES_WRONG_TARGET)))
                .orElseThrow();
        assertEquals("a", l.write().target(), l.text());
        assertEquals(0, l.write().timeNanos(), "the first round's write");
        assertEquals(List.of("b"), l.forced(), "the writeback forced only b, whose write ended the interval");
        assertFalse(l.atCompletion());
    }
}
