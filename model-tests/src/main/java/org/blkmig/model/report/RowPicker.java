// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.Facts;
import org.blkmig.model.judge.FirstDifference;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;

/**
 * Which chunks the diagram draws: all of a small run; for a failure the chunks it names (first
 * differences, the chunks failed verdicts name, those with a block the receiver did not apply or
 * applied after its final flush), with the busiest beside them when those show no event at all;
 * otherwise the busiest.
 */
final class RowPicker {
    private RowPicker() {}

    /** A run of at most this many chunks shows them all, failed or not. */
    static final int SMALL_RUN_CHUNKS = 16;
    /** A larger passing run shows the chunks with the most events, up to this many. */
    static final int MAX_ROWS = 24;
    /** A failure shows at most this many of the chunks it names. */
    static final int MAX_NAMED = 8;
    /** Rows of the busiest chunks beside named ones that show nothing happening. */
    static final int CONTEXT_ROWS = 4;

    /** Why the rows are these. */
    enum Selection {
        EVERY, BUSIEST, NAMED, NAMED_AND_BUSIEST
    }

    record Picked(List<ChunkRef> rows, int totalChunks, Selection selection) {}

    static Picked pick(Facts f, Judge.Outcome o, ChunkEvents events) {
        List<ChunkRef> all = migratedChunks(f.scenario());
        if (all.size() <= SMALL_RUN_CHUNKS) {
            return new Picked(all, all.size(), Selection.EVERY);
        }
        if (!o.passed()) {
            Set<ChunkRef> named = named(f, o, events, new HashSet<>(all));
            if (!named.isEmpty()) {
                List<ChunkRef> rows = new ArrayList<>(named);
                boolean quiet = rows.stream().allMatch(c -> events.count(c) == 0);
                if (quiet) {
                    busiest(all, events, CONTEXT_ROWS).stream().filter(c -> events.count(c) > 0 && !named.contains(c))
                            .forEach(rows::add);
                }
                rows.sort(null);
                return new Picked(List.copyOf(rows), all.size(), rows.size() > named.size() ? Selection.NAMED_AND_BUSIEST
                        : Selection.NAMED);
            }
        }
        if (all.size() <= MAX_ROWS) {
            return new Picked(all, all.size(), Selection.EVERY);
        }
        List<ChunkRef> rows = new ArrayList<>(busiest(all, events, MAX_ROWS));
        rows.sort(null);
        return new Picked(List.copyOf(rows), all.size(), Selection.BUSIEST);
    }

    /**
     * The chunks a failure names, MAX_NAMED at most, first those that explain the most: where each
     * target first differs, the chunks of failed verdicts, then blocks that did not land as they should.
     */
    private static Set<ChunkRef> named(Facts f, Judge.Outcome o, ChunkEvents events, Set<ChunkRef> drawable) {
        Set<ChunkRef> named = new LinkedHashSet<>();
        Diagram.differences(o).stream().map(FirstDifference::chunk).forEach(named::add);
        o.verdicts().stream().filter(v -> v.status() == Verdict.Status.FAIL).forEach(v -> named.addAll(v.chunks()));
        for (Diagram.Block b : events.blocks()) {
            if (!b.applied() || b.landing().afterFinalFlush()) {
                named.add(b.landing().chunk());
            }
        }
        named.retainAll(drawable);
        return named.stream().limit(MAX_NAMED).collect(java.util.stream.Collectors.toCollection(LinkedHashSet::new));
    }

    private static List<ChunkRef> busiest(List<ChunkRef> all, ChunkEvents events, int n) {
        return all.stream().sorted(Comparator.comparingInt((ChunkRef c) -> -events.count(c)).thenComparing(c -> c)).limit(n)
                .toList();
    }

    /** Every chunk of the devices the migration carries, in device order. */
    static List<ChunkRef> migratedChunks(Scenario s) {
        List<ChunkRef> all = new ArrayList<>();
        for (Scenario.Device d : s.devices()) {
            if (Facts.migrated(d)) {
                for (long c = 0; c < (d.sizeBytes() + s.chunkSizeBytes() - 1) / s.chunkSizeBytes(); c++) {
                    all.add(new ChunkRef(d.name(), c));
                }
            }
        }
        return all;
    }
}
