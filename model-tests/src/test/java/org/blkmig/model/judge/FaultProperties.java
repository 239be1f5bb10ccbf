// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.TriesBudget;
import org.blkmig.model.scenario.Choices;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.ScenarioArbitraries;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.SimLink;
import org.blkmig.model.sim.World;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.WriteContent;

/**
 * For any scenario and any fault (read errors, a cancel at any moment, the connection dropped at
 * any byte, a failing target write): the migration completes and the target is identical, or it
 * reports failure. Never a silently wrong target; always a clean source and no leaked buffers.
 */
class FaultProperties {
    enum Fault { READ_ERRORS, CANCEL, CONNECTION_DROP, TARGET_WRITE_ERROR, LINK_STALL, RECEIVER_STOPS_READING }

    @Provide
    Arbitrary<Choices> scenarios() {
        return ScenarioArbitraries.choices();
    }

    @Property(tries = 600)
    void aFaultNeverLeavesASilentlyWrongTarget(@ForAll("scenarios") Choices choices, @ForAll Fault fault,
            @ForAll @DoubleRange(min = 0, max = 1) double where) {
        Scenario s = choices.toScenario();
        ScenarioRunner.RunFaults rf = ScenarioRunner.RunFaults.NONE;
        switch (fault) {
            case READ_ERRORS -> s = new Scenario(s.devices(), s.contentSeed(), s.workload(), s.bandwidthBytesPerSecond(),
                    s.maxDowntimeNanos(), s.latency(), s.chunkSizeBytes(), s.zeroBlocks(), s.sharedBase(), s.allocatedPercent(),
                    new Faults(1 + (int) (where * 5), 0, 1), s.seed());
            case CANCEL -> rf = new ScenarioRunner.RunFaults((long) (where * 2e9), -1, -1);
            case CONNECTION_DROP -> {
                long length = ScenarioRunner.run(s, Set.of()).stream().length();
                rf = new ScenarioRunner.RunFaults(-1, (long) (where * length), -1);
            }
            case TARGET_WRITE_ERROR -> rf = new ScenarioRunner.RunFaults(-1, -1, 1 + (long) (where * 40));
            case LINK_STALL, RECEIVER_STOPS_READING -> {
                long length = ScenarioRunner.run(s, Set.of()).stream().length();
                LinkModel l = s.setup().link();
                boolean stall = fault == Fault.LINK_STALL;
                // a stall longer than the sender's idle timeout, over a window it fills
                s = s.withSetup(s.setup().withLink(new LinkModel(l.bandwidthBytesPerSecond(), l.latencyNanos(), l.jitterNanos(),
                        l.maxWriteBytes(), l.maxReadBytes(), stall ? 256 << 10 : l.windowBytes(),
                        stall ? LinkModel.Fault.STALL : LinkModel.Fault.DEAF, (long) (where * length),
                        stall ? 2 * SimLink.IDLE_TIMEOUT_NANOS : 0)));
            }
        }
        ScenarioRunner.Run run = ScenarioRunner.run(s, Variant.BLKMIG, rf);
        MigrationResult m = run.migration();
        String context = fault + " at " + where + " in " + s;

        if (run.receive().complete()) {
            assertEquals(MigrationResult.Outcome.COMPLETED, m.outcome(), "complete target without a completed migration: " + context);
            Verdict identical = Properties.IDENTICAL.judge(Facts.of(run));
            assertTrue(identical.passed(), identical + ": " + context);
        } else {
            assertFalse(run.receive().reason().isBlank(), context);
        }
        if (m.outcome() != MigrationResult.Outcome.COMPLETED) {
            assertFalse(run.receive().complete(), context);
            assertFalse(m.reason().isBlank());
        }
        Verdict untouched = Properties.SOURCE_UNTOUCHED.judge(Facts.of(run));
        assertTrue(untouched.passed(), untouched + ": " + context);
        assertEquals(0, m.sender().buffersHeldAtEnd, "buffers leaked: " + context);
        Verdict clean = Properties.CLEAN_STOP.judge(Facts.of(run));
        assertTrue(clean.passed(), clean + ": " + context);
        assertGuestWritesKept(run, context);

        Statistics.label("fault").collect(fault, m.outcome(), run.receive().complete() ? "target complete" : "target incomplete");
        if (TriesBudget.full()) {
            Statistics.label("fault").coverage(c -> {
                c.check(Fault.CANCEL, MigrationResult.Outcome.CANCELLED, "target incomplete").count(n -> n > 0);
                c.check(Fault.READ_ERRORS, MigrationResult.Outcome.FAILED, "target incomplete").count(n -> n > 0);
                // the sender's write fails on a dropped connection, as a socket's does
                c.check(Fault.CONNECTION_DROP, MigrationResult.Outcome.FAILED, "target incomplete").count(n -> n > 0);
                c.check(Fault.LINK_STALL, MigrationResult.Outcome.FAILED, "target incomplete").count(n -> n > 0);
                c.check(Fault.RECEIVER_STOPS_READING, MigrationResult.Outcome.FAILED, "target incomplete").count(n -> n > 0);
                c.check(Fault.TARGET_WRITE_ERROR, MigrationResult.Outcome.COMPLETED, "target incomplete").count(n -> n > 0);
            });
        }
    }

    /** The source holds every guest write, replayed from the history over its initial contents. */
    static void assertGuestWritesKept(ScenarioRunner.Run run, String context) {
        Scenario s = run.scenario();
        Map<String, Disk> bases = World.bases(s);
        Map<String, Disk> shadow = new HashMap<>();
        for (Scenario.Device d : s.devices()) {
            shadow.put(d.name(), World.source(s, d, bases));
        }
        try {
            for (History.Entry e : run.history().entries()) {
                if (e instanceof History.GuestWrite w) {
                    shadow.get(w.device()).write(w.sector(), WriteContent.make(w.writeId(), w.sector(), w.sectorCount()));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (Scenario.Device d : s.devices()) {
            long sectors = d.sizeBytes() / 512;
            ByteBuffer a = World.read(shadow.get(d.name()), 0, sectors);
            ByteBuffer b = World.read(run.sources().get(d.name()), 0, sectors);
            assertEquals(a, b, "guest writes lost on source " + d.name() + ": " + context);
        }
    }
}
