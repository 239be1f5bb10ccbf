// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.List;
import org.blkmig.model.judge.FirstDifference;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Replay;
import org.blkmig.model.judge.TargetWrites;
import org.blkmig.model.judge.Verdict;
import org.blkmig.simdisk.History;

/**
 * The diagram's explanation in words: which rows it shows, and for a failure where the target
 * first differs, the last block applied there and the read it carried, the stale blocks sent
 * before it, the guest write the target lacks, each failed verdict's sentence and the blocks that
 * did not land as they should. Built from the same facts as the picture.
 */
final class Explanation {
    private Explanation() {}

    /**
     * {@code differences}: where each target first differs, the run's first one first;
     * {@code explaining}: the last block applied where the run's first difference is.
     */
    static List<Diagram.Line> lines(Judge.Outcome o, RowPicker.Picked picked, ChunkEvents events,
            List<FirstDifference> differences, Diagram.Block explaining) {
        List<Diagram.Line> lines = new ArrayList<>();
        lines.add(plain(selection(picked)));
        FirstDifference diff = differences.isEmpty() ? null : differences.get(0);
        if (diff != null) {
            lines.add(bad(diff.sentence()));
            lastApplied(lines, events, diff, explaining);
            missingWrite(lines, events, diff, explaining);
            differences.subList(1, differences.size()).forEach(x -> lines.add(bad(x.sentence())));
        }
        for (Verdict v : o.verdicts()) {
            // the identical property's sentence is the first difference, told above
            if (v.status() == Verdict.Status.FAIL && !(diff != null && v.property() == Properties.IDENTICAL)) {
                lines.add(bad("property " + v.property().id() + " failed: " + v.evidence()));
            }
        }
        landings(lines, events, !o.passed());
        lines.add(plain("applied: the receiver's writes made once the block was sent cover its sectors (one virtual time:"
                + " the stream crosses a simulated link); hover over a mark for its times"));
        return List.copyOf(lines);
    }

    private static String selection(RowPicker.Picked p) {
        int n = p.rows().size();
        return switch (p.selection()) {
            case EVERY -> "every chunk of the run (" + p.totalChunks() + ")";
            case BUSIEST -> n + " of " + p.totalChunks() + " chunks: the busiest";
            case NAMED -> n + " of " + p.totalChunks() + " chunks: those the failure names";
            case NAMED_AND_BUSIEST -> n + " of " + p.totalChunks() + " chunks: those the failure names, and the busiest"
                    + " beside them";
        };
    }

    /** The last block applied where the target differs, the read it carried, and the newer reads of blocks sent before it. */
    private static void lastApplied(List<Diagram.Line> lines, ChunkEvents events, FirstDifference diff, Diagram.Block last) {
        List<Diagram.Block> sent = events.blocks(diff.chunk());
        if (last == null) {
            lines.add(plain(sent.isEmpty() ? "no block of " + diff.chunk() + " was sent, so none was applied"
                    : sent.size() + " block(s) of " + diff.chunk() + " were sent, none applied by the receiver"));
            return;
        }
        lines.add(plain("the last block applied to it: b" + last.number() + " sent at " + Format.ms(last.sentNanos())
                + " ms, carrying " + (last.read() == null ? "data no read sampled" : readName(last.read()) + " sampled at "
                        + Format.ms(last.read().sampleNanos()) + " ms")));
        for (Diagram.Block earlier : sent) {
            if (earlier.index() < last.index() && earlier.read() != null && last.read() != null
                    && earlier.read().sampleNanos() > last.read().sampleNanos()) {
                lines.add(bad("stale: b" + earlier.number() + ", sent before it at " + Format.ms(earlier.sentNanos())
                        + " ms, carried the newer " + readName(earlier.read()) + " sampled at "
                        + Format.ms(earlier.read().sampleNanos()) + " ms"));
            }
        }
    }

    /** The guest write the target lacks, and whether any read of the chunk sampled after it. */
    private static void missingWrite(List<Diagram.Line> lines, ChunkEvents events, FirstDifference diff, Diagram.Block last) {
        if (!diff.guestWriteMissing()) {
            return;
        }
        long latestSample = events.reads(diff.chunk()).stream().mapToLong(Replay.Read::sampleNanos).max().orElse(-1);
        for (History.GuestWrite w : events.writes(diff.chunk())) {
            if (w.writeId() == diff.sourceWriteId()) {
                boolean after = last != null && last.read() != null && w.timeNanos() > last.read().sampleNanos();
                lines.add(bad("guest write #" + w.writeId() + " at " + Format.ms(w.timeNanos()) + " ms"
                        + (after ? ", after " + readName(last.read()) + " sampled the chunk" : "")
                        + (w.timeNanos() > latestSample ? "; no read of the chunk sampled after it" : "")));
            }
        }
    }

    /** How many blocks never landed, or landed after the receiver's final flush. */
    private static void landings(List<Diagram.Line> lines, ChunkEvents events, boolean failed) {
        long notApplied = events.blocks().stream().filter(b -> !b.applied()).count();
        long late = events.blocks().stream().map(Diagram.Block::landing).filter(TargetWrites.Landing::afterFinalFlush).count();
        if (notApplied > 0) {
            lines.add(new Diagram.Line(notApplied + " of " + events.blocks().size() + " block(s) sent were never applied by"
                    + " the receiver (red cross)", failed));
        }
        if (late > 0) {
            lines.add(new Diagram.Line(late + " block(s) landed after the receiver's final flush (pink)", failed));
        }
    }

    /** A read as the diagram names it: "read r7", or the lookup that found a hole. */
    static String readName(Replay.Read r) {
        return r.holeLookup() ? "the hole lookup" : "read r" + r.id();
    }

    private static Diagram.Line plain(String text) {
        return new Diagram.Line(text, false);
    }

    private static Diagram.Line bad(String text) {
        return new Diagram.Line(text, true);
    }
}
