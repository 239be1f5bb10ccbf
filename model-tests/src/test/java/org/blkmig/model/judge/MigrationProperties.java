// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.TriesBudget;
import org.blkmig.model.scenario.Choices;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.ScenarioArbitraries;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.History;

/** The testbed's main property: any generated migration keeps every property of {@link Properties}. */
class MigrationProperties {

    @Provide
    Arbitrary<Choices> scenarios() {
        return ScenarioArbitraries.choices();
    }

    /**
     * The profile under test: blkmig unless {@code -Dblkmig.profile=qemu-7.2}, which makes every
     * property failure a finding about QEMU 7.2 (jqwik then shrinks it and prints its replay).
     */
    static final org.blkmig.sender.Profile PROFILE = org.blkmig.sender.Profile.parse(System.getProperty("blkmig.profile",
            "blkmig"));

    @Property(tries = 1000)
    void everyMigrationEndsIdenticalAndObeysTheProtocol(@ForAll("scenarios") Choices choices) {
        Scenario s = choices.toScenario(PROFILE);
        Judge.Outcome o = Judge.judge(s, new Variant(PROFILE, Set.of()));
        if (!o.passed()) {
            fail(o.report());
        }
        ScenarioRunner.Run run = o.run();
        boolean completed = run.migration().outcome() == MigrationResult.Outcome.COMPLETED;
        long bulkEnd = run.migration().sender().bulkCompletedAtNanos;
        Statistics.label("writes during the bulk phase").collect(run.history().entries().stream()
                .anyMatch(e -> e instanceof History.GuestWrite && (bulkEnd < 0 || e.timeNanos() < bulkEnd)));
        Statistics.label("write to a chunk with a read in flight").collect(writeDuringRead(run, s.chunkSizeBytes()));
        Statistics.label("partial last chunk").collect(s.devices().stream()
                .anyMatch(d -> Facts.migrated(d) && d.sizeBytes() % s.chunkSizeBytes() != 0));
        Statistics.label("several devices").collect(s.devices().stream().filter(Scenario.Device::migrated).count() >= 2);
        Statistics.label("zero blocks sent").collect(run.receive().zeroBlocks() > 0);
        Statistics.label("shared base").collect(s.sharedBase());
        Statistics.label("two or more dirty rounds").collect(run.migration().slices().stream()
                .filter(x -> !x.bulkPhase() && x.dirtyChunksRead() > 0).count() >= 2);
        Statistics.label("a hole sent without a read").collect(run.history().entries().stream()
                .anyMatch(e -> e instanceof History.KnownZero));
        Statistics.label("a guest write into a known hole during the bulk pass").collect(writeIntoKnownHole(run,
                s.chunkSizeBytes(), bulkEnd));
        Statistics.label("outcome").collect(run.migration().outcome());
        Statistics.label("completed").collect(completed);
        ScenarioRunner.Ends ends = run.ends();
        Statistics.label("zero-copy blocks").collect(ends.zeroCopySamples() > 0);
        Statistics.label("pipeline with more than one buffer busy").collect(ends.pipelinePeakBusy() > 1);
        Statistics.label("block split across link writes").collect(Facts.of(run).stream().blocks().stream()
                .anyMatch(b -> !b.zero() && ends.writeEndsInside(b.offsetBytes(), b.offsetBytes() + b.wireBytes())));
        Statistics.label("link fault mid-block").collect(ends.linkFaultMidBlock());
        // promptness's case: a slice start at which completing fitted the downtime limit
        Statistics.label("completing fitted at a slice start").collect(!o.facts().liveness().faults()
                && Promptness.firstFit(o.facts()).isPresent());
        // durability's case: a writeback before the end that forced two targets or more
        Statistics.label("a writeback forcing two targets").collect(Durability.multiTargetWritebacks(o.facts()) > 0);

        if (TriesBudget.full()) {
            Statistics.label("writes during the bulk phase").coverage(c -> c.check(true).percentage(p -> p >= 10));
            Statistics.label("write to a chunk with a read in flight").coverage(c -> c.check(true).percentage(p -> p >= 5));
            Statistics.label("partial last chunk").coverage(c -> c.check(true).percentage(p -> p >= 10));
            Statistics.label("several devices").coverage(c -> c.check(true).percentage(p -> p >= 12));
            Statistics.label("zero blocks sent").coverage(c -> c.check(true).percentage(p -> p >= 8));
            Statistics.label("shared base").coverage(c -> c.check(true).percentage(p -> p >= 8));
            Statistics.label("two or more dirty rounds").coverage(c -> c.check(true).percentage(p -> p >= 3));
            Statistics.label("zero-copy blocks").coverage(c -> c.check(true).percentage(p -> p >= 5));
            Statistics.label("pipeline with more than one buffer busy").coverage(c -> c.check(true).percentage(p -> p >= 10));
            Statistics.label("block split across link writes").coverage(c -> c.check(true).percentage(p -> p >= 5));
            Statistics.label("link fault mid-block").coverage(c -> c.check(true).count(n -> n >= 1));
            Statistics.label("completing fitted at a slice start").coverage(c -> c.check(true).percentage(p -> p >= 5));
            Statistics.label("a writeback forcing two targets").coverage(c -> c.check(true).percentage(p -> p >= 3));
            if (PROFILE == org.blkmig.sender.Profile.BLKMIG) { // QEMU 7.2 reads every chunk
                Statistics.label("a hole sent without a read").coverage(c -> c.check(true).percentage(p -> p >= 20));
                Statistics.label("a guest write into a known hole during the bulk pass")
                        .coverage(c -> c.check(true).percentage(p -> p >= 5));
            }
            Statistics.label("outcome").coverage(c -> c.check(MigrationResult.Outcome.DID_NOT_CONVERGE).count(n -> n >= 1));
            Statistics.label("outcome").coverage(c -> c.check(MigrationResult.Outcome.FAILED).count(n -> n >= 1));
        }
    }

    /** From the history alone: did a guest write land on a chunk while a read of it was in flight? */
    static boolean writeDuringRead(ScenarioRunner.Run run, int chunkSizeBytes) {
        long spc = chunkSizeBytes / 512;
        Map<Long, History.ReadSubmit> submits = new HashMap<>();
        Map<String, Integer> inFlight = new HashMap<>();
        for (History.Entry e : run.history().entries()) {
            if (e instanceof History.ReadSubmit rs) {
                submits.put(rs.readId(), rs);
                inFlight.merge(rs.device() + "@" + rs.sector() / spc, 1, Integer::sum);
            } else if (e instanceof History.ReadComplete rc) {
                History.ReadSubmit rs = submits.get(rc.readId());
                inFlight.merge(rs.device() + "@" + rs.sector() / spc, -1, Integer::sum);
            } else if (e instanceof History.GuestWrite w) {
                for (long c = w.sector() / spc; c <= (w.sector() + w.sectorCount() - 1) / spc; c++) {
                    if (inFlight.getOrDefault(w.device() + "@" + c, 0) > 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * From the history alone: did a guest write land, before the bulk pass ended, on a chunk a
     * lookup had found a hole (so only its dirty bit can bring the write over)?
     */
    static boolean writeIntoKnownHole(ScenarioRunner.Run run, int chunkSizeBytes, long bulkEndNanos) {
        long spc = chunkSizeBytes / 512;
        java.util.Set<String> holes = new java.util.HashSet<>();
        for (History.Entry e : run.history().entries()) {
            if (e instanceof History.KnownZero k) {
                holes.add(k.device() + "@" + k.sector() / spc);
            } else if (e instanceof History.GuestWrite w && (bulkEndNanos < 0 || w.timeNanos() < bulkEndNanos)) {
                for (long c = w.sector() / spc; c <= (w.sector() + w.sectorCount() - 1) / spc; c++) {
                    if (holes.contains(w.device() + "@" + c)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Property(tries = 200)
    void aScenarioPrintsAsOneLineAndParsesBack(@ForAll("scenarios") Choices choices) {
        Scenario s = choices.toScenario();
        String line = s.toString();
        assertEquals(-1, line.indexOf('\n'));
        assertEquals(s, Scenario.parse(line));
    }
}
