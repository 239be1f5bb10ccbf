// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.MutantMatrix;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.FirstDifference;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.TargetWrites;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/** The diagram's model tells the truth: what it draws applied landed, what it highlights is what failed. */
class DiagramTest {
    /** Campaign scenarios sampled: enough for zero blocks and sparse contents to come up many times. */
    static final int SAMPLED_SCENARIOS = 48;

    static List<Diagram.Block> drawnBlocks(Diagram d) {
        return d.rows().stream().flatMap(r -> r.blocks().stream()).toList();
    }

    /** Every block of a verified run landed: the model draws each applied, durable, none after the final flush. */
    static void assertEveryBlockApplied(Judge.Outcome o, String name) {
        assertEquals("VERIFIED", o.headline(), name);
        Diagram d = Diagram.of(o);
        for (Diagram.Block b : drawnBlocks(d)) {
            assertTrue(b.applied(), name + ": b" + b.number() + (b.zero() ? " (zero)" : "") + " drawn not applied");
            assertTrue(b.landing().durable() && !b.landing().afterFinalFlush(), name + ": b" + b.number());
        }
        // nothing the receiver wrote is left over: each write belongs to a block
        assertEquals(0, o.facts().targetWrites().unexplainedWrites(), name);
    }

    @Test
    void theDefaultRunDrawsEveryBlockApplied() {
        Judge.Outcome o = Judge.judge(Scenario.defaults(), Variant.BLKMIG, false);
        assertEveryBlockApplied(o, "default");
        Diagram d = Diagram.of(o);
        assertEquals(RowPicker.MAX_ROWS, d.rows().size());
        assertTrue(drawnBlocks(d).size() >= RowPicker.MAX_ROWS, "each busiest chunk was sent at least once");
    }

    @Test
    void sampledCampaignRunsDrawEveryBlockApplied() {
        int verified = 0;
        int withZeroBlocks = 0;
        int withZeroRuns = 0; // a data block written in part as zeros: what the old guess drew as never applied
        for (int k = 0; k < SAMPLED_SCENARIOS; k++) {
            Scenario s = Campaign.choices(7, k).toScenario(Profile.BLKMIG);
            Judge.Outcome o = Judge.judge(s, Variant.BLKMIG, false);
            if (!o.headline().equals("VERIFIED")) {
                continue;
            }
            assertEveryBlockApplied(o, "scenario " + k + ": " + s);
            verified++;
            withZeroBlocks += o.facts().stream().blocks().stream().anyMatch(b -> b.zero()) ? 1 : 0;
            withZeroRuns += o.run().targets().values().stream().flatMap(t -> t.applied().stream())
                    .anyMatch(GuardedDisk.Applied::zero) ? 1 : 0;
        }
        // the sample is worth something only if it holds the runs the old guess got wrong
        assertTrue(verified >= SAMPLED_SCENARIOS / 2, "verified " + verified);
        assertTrue(withZeroBlocks >= 5 && withZeroRuns >= 10, withZeroBlocks + " with zero blocks, " + withZeroRuns
                + " with zero writes");
    }

    /** The first shrunk failure of the mutant over campaign seeds 1..4 that passes {@code wanted}. */
    static Judge.Outcome shrunkFailure(Mutant m, java.util.function.Predicate<Judge.Outcome> wanted) {
        for (long seed = 1; seed <= 4; seed++) {
            MutantMatrix.Row r = MutantMatrix.run(Profile.BLKMIG, m, seed, 300, 60);
            assertTrue(r.killed(), m + " must be caught to be drawn");
            if (wanted.test(r.shrunk().outcome())) {
                return r.shrunk().outcome();
            }
        }
        throw new AssertionError(m + ": no shrunk failure of campaign seeds 1..4 is of the kind wanted");
    }

    static Judge.Outcome shrunkDifference(Mutant m) {
        return shrunkFailure(m, o -> o.facts().firstDifference().isPresent());
    }

    static Diagram.Row row(Diagram d, ChunkRef c) {
        return d.rows().stream().filter(r -> r.chunk().equals(c)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + c + ": " + d.rows().stream().map(Diagram.Row::chunk).toList()));
    }

    @Test
    void earlyCompletionHighlightsTheFirstDifferenceAndTheChunksNeverSent() {
        Judge.Outcome o = shrunkDifference(Mutant.EARLY_COMPLETION);
        Diagram d = Diagram.of(o);
        FirstDifference diff = o.facts().firstDifference().orElseThrow();
        assertEquals(diff, d.difference());
        Diagram.Row differing = row(d, diff.chunk());
        assertTrue(differing.differing());
        assertTrue(differing.blocks().isEmpty(), "never sent, so nothing to draw applied or not");
        assertTrue(d.rows().stream().filter(Diagram.Row::differing).count() == 1, "one row differs first");
        Verdict coverage = o.verdicts().stream().filter(v -> v.property() == Properties.CHUNK_COVERAGE).findFirst().orElseThrow();
        assertFalse(coverage.passed());
        for (ChunkRef c : coverage.chunks()) {
            Diagram.Row r = row(d, c);
            assertTrue(r.blocks().isEmpty() && r.namedBy().contains(coverage), c.toString());
        }
        // what was sent landed: the bug is the sender's, not the receiver's
        assertTrue(drawnBlocks(d).stream().allMatch(Diagram.Block::applied));
    }

    @Test
    void pipelineDroppingZeroWritesShowsItsZeroBlocksNotApplied() {
        Judge.Outcome o = shrunkDifference(Mutant.PIPELINE_DROPS_ZERO_WRITES);
        Diagram d = Diagram.of(o);
        FirstDifference diff = o.facts().firstDifference().orElseThrow();
        Diagram.Row differing = row(d, diff.chunk());
        assertTrue(differing.differing());
        assertTrue(differing.blocks().stream().anyMatch(b -> b.zero() && !b.applied()), differing.blocks().toString());
        // exactly the zero blocks are not applied, every one of them: the mutant drops each zero write
        for (TargetWrites.Landing l : o.facts().targetWrites().landings()) {
            boolean zero = o.facts().stream().blocks().get(l.index()).zero();
            assertEquals(!zero, l.applied(), "block " + l.index() + (zero ? " (zero)" : ""));
        }
        Diagram.Block last = d.explainingBlock();
        assertTrue(last == null || last.applied() && !last.zero(), "the last block applied is a data block");
    }

    @Test
    void completeBeforeDrainShowsTheBlocksLandedAfterTheFinalFlush() {
        Judge.Outcome o = shrunkFailure(Mutant.COMPLETE_BEFORE_DRAIN, x -> x.verdicts().stream()
                .anyMatch(v -> v.property() == Properties.HONEST_COMPLETION && !v.passed()));
        Diagram d = Diagram.of(o);
        List<TargetWrites.Landing> late = o.facts().targetWrites().landings().stream()
                .filter(TargetWrites.Landing::afterFinalFlush).toList();
        // the receiver's own count of writes after its last flush, read apart from the write log
        long writesAfterFlush = o.run().targets().values().stream().mapToLong(GuardedDisk::writesSinceForce).sum();
        assertEquals(writesAfterFlush, late.stream().mapToLong(TargetWrites.Landing::writes).sum(), late.toString());
        assertFalse(late.isEmpty());
        assertEquals(o.facts().stream().blocks().size() - 1, late.get(late.size() - 1).index(), "the stream's last block lands last");
        Set<ChunkRef> drawn = d.rows().stream().map(Diagram.Row::chunk).collect(Collectors.toSet());
        assertTrue(drawn.contains(late.get(0).chunk()), late.get(0).chunk() + " has a late block: it is drawn");
        assertTrue(drawnBlocks(d).stream().filter(b -> b.landing().afterFinalFlush()).count() > 0);
        // drawn where they are: each late block's last write after the flush line, every other block's before it
        long flush = d.phases().finalFlushNanos();
        assertTrue(flush >= 0, "the final flush is drawn");
        for (TargetWrites.Landing l : o.facts().targetWrites().landings()) {
            assertEquals(l.afterFinalFlush(), l.appliedNanos() > flush, l + " against the flush at " + flush);
        }
        assertTrue(drawnBlocks(d).stream().allMatch(Diagram.Block::applied), "late, but applied");
    }

    @Test
    void twoReadsInFlightExplainTheDifferenceWithTheLastBlockAppliedAndItsRead() {
        Judge.Outcome o = shrunkDifference(Mutant.TWO_READS_IN_FLIGHT);
        Diagram d = Diagram.of(o);
        FirstDifference diff = o.facts().firstDifference().orElseThrow();
        assertTrue(diff.guestWriteMissing());
        assertEquals(diff.sourceWriteId(), d.missingWriteId());
        Diagram.Block last = d.explainingBlock();
        assertNotNull(last);
        assertEquals(diff.chunk(), last.landing().chunk());
        // the last block of the chunk that landed, in stream order, carries a read the replay matched
        List<Diagram.Block> sent = row(d, diff.chunk()).blocks();
        assertEquals(last, sent.stream().filter(Diagram.Block::applied).reduce((a, b) -> b).orElseThrow());
        // the replay matched every block, past the stale one read-history fails on
        assertEquals(o.facts().stream().blocks().size(), o.facts().replay().matches().size());
        assertEquals(last.read(), o.facts().replay().matches().get(last.index()).read());
        assertNotNull(last.read(), "the last block applied carries a read the replay found");
    }
}
