// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.Facts;
import org.blkmig.model.judge.FirstDifference;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Replay;
import org.blkmig.model.judge.TargetWrites;
import org.blkmig.model.judge.Verdict;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.History;

/**
 * What the space-time diagram shows of a judged run, read from its fact base and its verdicts'
 * typed fields only: the rows (chunks) and their events, the run's phases, and for a failure the
 * first difference with the block, read and guest write that explain it, the failed verdicts'
 * instants on the chunks they name, and the explanation in words. {@link DiagramSvg} draws it.
 */
record Diagram(List<Row> rows, int totalChunks, RowPicker.Selection selection, Phases phases, FirstDifference difference,
        Block explainingBlock, List<Mark> runMarks, List<Line> lines) {
    /** A target that differs is a failure only of a migration that completed: an incomplete one differs by design. */
    static List<FirstDifference> differences(Judge.Outcome o) {
        return !o.passed() && o.facts().completed()
                ? o.facts().differences().values().stream().flatMap(Optional::stream).toList() : List.of();
    }


    /** A block of the stream on its chunk's row: the read it came from (null: none matched) and how it landed. */
    record Block(int index, boolean zero, SectionType payload, Replay.Read read, TargetWrites.Landing landing) {
        /** Its place in the stream, counting from 1, as the diagram labels it. */
        int number() {
            return index + 1;
        }

        long sentNanos() {
            return landing.sentNanos();
        }

        boolean applied() {
            return landing.applied();
        }
    }

    /** A failed verdict at one of its instants: on the row of a chunk it names, or on the run's axis. */
    record Mark(long atNanos, Verdict verdict) {}

    /**
     * A chunk's row: the guest's writes to it, its reads (and lookups that found a hole), its
     * blocks in stream order, the failed verdicts naming it and their marks; {@code difference}:
     * its target first differs here (null: not here), {@code differing}: the first of the run's.
     */
    record Row(ChunkRef chunk, long firstSector, List<History.GuestWrite> writes, List<Replay.Read> reads, List<Block> blocks,
            List<Verdict> namedBy, List<Mark> marks, FirstDifference difference, boolean differing) {}

    /** A line of the explanation under the diagram; {@code emphasis}: it tells what went wrong. */
    record Line(String text, boolean emphasis) {}

    /**
     * The migration's start, the end of its bulk pass (-1: none), the guest's stop (-1: never), the
     * last instant drawn, and the receiver's final flush, drawn when a block landed after it (-1: not drawn).
     */
    record Phases(long startNanos, long bulkEndNanos, long guestStopNanos, long endNanos, long finalFlushNanos) {}

    Optional<FirstDifference> firstDifference() {
        return Optional.ofNullable(difference);
    }

    /** The guest write the target lacks where it first differs, or -1. */
    long missingWriteId() {
        return difference != null && difference.guestWriteMissing() ? difference.sourceWriteId() : -1;
    }

    /** The diagram of a judged run. */
    static Diagram of(Judge.Outcome o) {
        Facts f = o.facts();
        ChunkEvents events = new ChunkEvents(f);
        List<FirstDifference> differences = differences(o);
        FirstDifference diff = differences.isEmpty() ? null : differences.get(0);
        RowPicker.Picked picked = RowPicker.pick(f, o, events);
        List<Verdict> failed = o.verdicts().stream().filter(v -> v.status() == Verdict.Status.FAIL).toList();
        List<Row> rows = new ArrayList<>();
        for (ChunkRef c : picked.rows()) {
            List<Verdict> naming = failed.stream().filter(v -> v.chunks().contains(c)).toList();
            List<Mark> marks = naming.stream().flatMap(v -> v.instantsNanos().stream().map(t -> new Mark(t, v))).toList();
            FirstDifference here = differences.stream().filter(x -> x.chunk().equals(c)).findFirst().orElse(null);
            rows.add(new Row(c, c.chunk() * events.chunkSectors(), events.writes(c), events.reads(c), events.blocks(c), naming,
                    marks, here, here != null && here == diff));
        }
        List<Mark> runMarks = failed.stream().filter(v -> v.chunks().isEmpty())
                .flatMap(v -> v.instantsNanos().stream().map(t -> new Mark(t, v))).toList();
        Block explaining = diff == null ? null
                : events.blocks(diff.chunk()).stream().filter(Block::applied).reduce((a, b) -> b).orElse(null);
        Phases phases = phases(f, failed);
        List<Line> lines = Explanation.lines(o, picked, events, differences, explaining);
        return new Diagram(List.copyOf(rows), picked.totalChunks(), picked.selection(), phases, diff, explaining, runMarks,
                lines);
    }

    /** The run's phases; it is drawn to its last event: a block sent or applied, a failed verdict's instant. */
    private static Phases phases(Facts f, List<Verdict> failed) {
        long stop = f.history().guestStoppedNanos();
        long end = Math.max(f.run().migration().endNanos(), stop);
        for (TargetWrites.Landing l : f.targetWrites().landings()) {
            end = Math.max(end, Math.max(l.sentNanos(), l.appliedNanos()));
        }
        for (Verdict v : failed) {
            end = Math.max(end, v.instantsNanos().stream().mapToLong(Long::longValue).max().orElse(end));
        }
        TargetWrites landed = f.targetWrites();
        boolean late = landed.landings().stream().anyMatch(TargetWrites.Landing::afterFinalFlush);
        return new Phases(f.run().migration().startNanos(), f.run().migration().sender().bulkCompletedAtNanos, stop,
                Math.max(end, 1), late ? landed.finalFlushNanos() : -1);
    }
}
