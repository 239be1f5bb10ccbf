// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.simdisk.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The policies a profile or a seeded bug puts in place do what their names say, seen on the records. */
class PoliciesTest {
    static final int CHUNK = 64 * 1024;

    /** A migration of two devices with guest writes, so it has dirty rounds; returns the checker's rules broken. */
    private static Set<StreamChecker.Rule> brokenRules(SenderOptions o, long seed) throws IOException {
        World w = new World(seed);
        w.add("drive0", 24L * CHUNK, false);
        w.add("drive1", 9L * CHUNK + 1024, false);
        MigrationResult r = SenderTest.migrate(w, o.withChunkSize(CHUNK), SenderTest.bw(2L << 20),
                w.guest(Workload.of(Workload.Kind.HAMMER, 256 << 10)));
        assertTrue(r.completed(), r.reason());
        List<StreamChecker.Violation> vs = StreamChecker.check(w.sink.payloads,
                Map.of("drive0", 24L * CHUNK, "drive1", 9L * CHUNK + 1024), CHUNK);
        return vs.stream().map(StreamChecker.Violation::rule).collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void theCorrectPoliciesWriteAValidStream() throws IOException {
        assertEquals(Set.of(), brokenRules(SenderOptions.defaults(), 3));
        assertEquals(Set.of(), brokenRules(Profile.QEMU_7_2.sender(SenderOptions.defaults(), 3), 3));
    }

    @ParameterizedTest
    @EnumSource(value = SenderPolicies.WireFault.class, names = "THROWS_IN_DIRTY_PHASE", mode = EnumSource.Mode.EXCLUDE)
    void eachWireFaultBreaksItsRule(SenderPolicies.WireFault f) throws IOException {
        StreamChecker.Rule expected = switch (f) {
            case MISSING_EOS -> StreamChecker.Rule.PAYLOAD_EOS;
            case PROGRESS_BACKWARDS -> StreamChecker.Rule.PROGRESS_MONOTONIC;
            case BLOCK_AFTER_END -> StreamChecker.Rule.AFTER_END;
            case UNALIGNED_SECTOR -> StreamChecker.Rule.SECTOR_ALIGNED;
            case THROWS_IN_DIRTY_PHASE -> throw new AssertionError("excluded");
        };
        Set<StreamChecker.Rule> broken = brokenRules(SenderOptions.defaults().withPolicies(SenderPolicies.BLKMIG.with(f)), 5);
        assertTrue(broken.contains(expected), f + " broke " + broken);
    }

    @Test
    void anExceptionInTheSenderFailsTheMigrationWithItsMessage() throws IOException {
        World w = new World(5);
        w.add("drive0", 24L * CHUNK, false);
        SenderOptions o = SenderOptions.defaults().withChunkSize(CHUNK)
                .withPolicies(SenderPolicies.BLKMIG.with(SenderPolicies.WireFault.THROWS_IN_DIRTY_PHASE));
        MigrationResult r = SenderTest.migrate(w, o, SenderTest.bw(2L << 20), w.guest(Workload.of(Workload.Kind.HAMMER, 256 << 10)));
        assertEquals(MigrationResult.Outcome.FAILED, r.outcome());
        assertTrue(r.reason().contains("a seeded bug"), r.reason());
    }

    @Test
    void profilesAreNamedAndCarryTheirLimits() {
        assertEquals(Profile.QEMU_7_2, Profile.parse("qemu-7.2"));
        assertEquals(Profile.BLKMIG, Profile.parse(" blkmig "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profile.parse("qemu-9"));
        assertTrue(e.getMessage().contains("known: blkmig, qemu-7.2"), e.getMessage());
        SenderOptions q = Profile.QEMU_7_2.sender(SenderOptions.defaults(), 1);
        assertEquals(16, q.maxReadsInFlight());
        assertEquals(512, q.maxBufferedChunks());
        assertFalse(q.policies().oneReadPerChunk(), "QEMU 7.2 can read a chunk twice at once");
        assertTrue(SenderPolicies.BLKMIG.oneReadPerChunk());
        // the undefined tail is drawn per run: zeros in some runs, stale bytes in others
        Set<Byte> tails = new java.util.HashSet<>();
        for (long seed = 0; seed < 16; seed++) {
            tails.add(Profile.QEMU_7_2.sender(SenderOptions.defaults(), seed).undefinedTailByte());
        }
        assertEquals(2, tails.size(), tails.toString());
        assertEquals(SenderOptions.DEFAULT_UNDEFINED_TAIL_BYTE, Profile.BLKMIG.sender(SenderOptions.defaults(), 7)
                .undefinedTailByte());
        assertEquals(List.of("submission=QEMU_7_2", "budgetCharge=EVERY_BYTE"), SenderPolicies.BLKMIG
                .with(SenderPolicies.Submission.QEMU_7_2).with(SenderPolicies.BudgetCharge.EVERY_BYTE)
                .differencesFrom(SenderPolicies.BLKMIG));
    }

    @Test
    void theRamModelChargesTheBudgetAndReportsItsDirtyPages() {
        RamModel ram = new RamModel(new RamModel.Settings(4L << 20, 25, 0), 0);
        assertEquals(4L << 20, ram.pendingBytes(0), "every page starts dirty");
        SliceBudget budget = new SliceBudget(100_000);
        long sent = ram.send(budget, 0);
        assertTrue(budget.exhausted() && sent >= 100_000 && sent < 100_000 + RamModel.DATA_PAGE_WIRE_BYTES, "" + sent);
        long pending = ram.pendingBytes(0);
        assertTrue(pending < 4L << 20 && pending > 0);
        // the final copy sends the rest, data pages first (25% of 1024 pages), then zero pages
        long rest = ram.send(null, 0);
        assertEquals(0, ram.pendingBytes(0));
        assertEquals(256L * RamModel.DATA_PAGE_WIRE_BYTES + 768L * RamModel.ZERO_PAGE_WIRE_BYTES, sent + rest);
        // a guest that dirties 1 MiB/s dirties 256 pages a second again, data pages
        RamModel busy = new RamModel(new RamModel.Settings(4L << 20, 0, 1L << 20), 0);
        busy.send(null, 0);
        assertEquals(1L << 20, busy.pendingBytes(1_000_000_000L));
        assertEquals(256L * RamModel.DATA_PAGE_WIRE_BYTES, busy.send(null, 1_000_000_000L));
        assertThrows(IllegalArgumentException.class, () -> new RamModel.Settings(1, 101, 0));
    }

    @Test
    void ramPendingKeepsTheControllerIteratingAndItsBytesCount() throws IOException {
        World w = new World(9);
        w.add("drive0", 8L * CHUNK, false);
        ControllerOptions c = SenderTest.bw(4L << 20).withRam(new RamModel.Settings(2L << 20, 50, 0));
        MigrationResult r = SenderTest.migrate(w, SenderOptions.defaults().withChunkSize(CHUNK), c, null);
        assertTrue(r.completed(), r.reason());
        long budgetUsed = r.slices().stream().mapToLong(MigrationResult.SliceFigures::bytesSent).sum();
        // without RAM the slices carry the disk and a few hundred bytes of records; here also RAM's pages
        assertTrue(budgetUsed > 8L * CHUNK + (512L << 10), "RAM's bytes are in the slices' figures: " + budgetUsed);
    }

    @Test
    void theGuestNotStoppedMutantNeverStopsTheGuest() throws IOException {
        World w = new World(4);
        w.add("drive0", 4L * CHUNK, false);
        AtomicBoolean stopped = new AtomicBoolean();
        BlockMigrationSender s = new BlockMigrationSender(w.devices, w.io, w.sink, SenderOptions.defaults().withChunkSize(CHUNK));
        MigrationResult r = new MigrationController(SenderTest.bw(1L << 20).withMutants(Set.of(ControllerMutant.GUEST_NOT_STOPPED)),
                w.io).run(s, () -> stopped.set(true));
        assertTrue(r.completed());
        assertFalse(stopped.get());
        BlockMigrationSender s2 = new BlockMigrationSender(w.devices, w.io, new World.Collecting(),
                SenderOptions.defaults().withChunkSize(CHUNK));
        new MigrationController(SenderTest.bw(1L << 20), w.io).run(s2, () -> stopped.set(true));
        assertTrue(stopped.get());
    }
}
