// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.Facts;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Replay;
import org.blkmig.model.judge.TargetWrites;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;

/**
 * A run's events by chunk, as the fact base has them: the guest's writes (from the typed
 * history), the reads and hole lookups (from the replay), and each block of the stream with the
 * read the replay matched it to and how it landed on its target.
 */
final class ChunkEvents {
    private final long chunkSectors;
    private final Map<ChunkRef, List<History.GuestWrite>> writes = new HashMap<>();
    private final Map<ChunkRef, List<Replay.Read>> reads = new HashMap<>();
    private final Map<ChunkRef, List<Diagram.Block>> blocks = new HashMap<>();
    private final List<Diagram.Block> all = new ArrayList<>();

    ChunkEvents(Facts f) {
        chunkSectors = f.scenario().chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        for (History.GuestWrite w : f.history().guestWrites()) {
            long last = (w.sector() + Math.max(1, w.sectorCount()) - 1) / chunkSectors;
            for (long c = w.sector() / chunkSectors; c <= last; c++) {
                writes.computeIfAbsent(new ChunkRef(w.device(), c), k -> new ArrayList<>()).add(w);
            }
        }
        for (Replay.Read r : f.replay().reads()) {
            reads.computeIfAbsent(r.chunk(), k -> new ArrayList<>()).add(r);
        }
        reads.values().forEach(l -> l.sort(Comparator.comparingLong(Replay.Read::submitNanos)));
        Map<Integer, Replay.Read> from = new HashMap<>();
        f.replay().matches().stream().filter(m -> m.read() != null).forEach(m -> from.put(m.index(), m.read()));
        List<OracleStream.SentBlock> sent = f.stream().blocks();
        TargetWrites landed = f.targetWrites();
        for (int i = 0; i < sent.size(); i++) {
            OracleStream.SentBlock b = sent.get(i);
            TargetWrites.Landing l = landed.landing(i);
            Diagram.Block block = new Diagram.Block(i, b.zero(), b.payload(), from.get(i), l);
            blocks.computeIfAbsent(l.chunk(), k -> new ArrayList<>()).add(block);
            all.add(block);
        }
    }

    long chunkSectors() {
        return chunkSectors;
    }

    List<History.GuestWrite> writes(ChunkRef c) {
        return writes.getOrDefault(c, List.of());
    }

    List<Replay.Read> reads(ChunkRef c) {
        return reads.getOrDefault(c, List.of());
    }

    /** The chunk's blocks in stream order. */
    List<Diagram.Block> blocks(ChunkRef c) {
        return blocks.getOrDefault(c, List.of());
    }

    /** Every block of the stream, in stream order. */
    List<Diagram.Block> blocks() {
        return all;
    }

    int count(ChunkRef c) {
        return writes(c).size() + reads(c).size() + blocks(c).size();
    }
}
