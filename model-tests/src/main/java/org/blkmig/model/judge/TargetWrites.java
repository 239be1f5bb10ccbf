// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.simdisk.Disk;

/**
 * Which blocks of the stream the receiver applied, from what it wrote: the targets' write logs
 * (data writes, zero writes, holes punched), never the receiver's own counts. A block is applied
 * when writes made at or after it was sent tile its in-bounds sectors from its first one, each
 * starting where the one before ended; the writes of a chunk are matched to its blocks in stream
 * order, since the receiver writes blocks in the order they come. A zero block is written as
 * zeros only; a data block as any mix of data and zero runs (a sparse target keeps its holes),
 * with at least one data write unless the read it came from saw all zeros, so a dropped zero block
 * is not credited with the next data block's writes.
 */
public final class TargetWrites {
    /**
     * Block {@code index} of the stream on its target: {@code sentNanos} when the sender wrote it,
     * {@code appliedNanos} when the write that completed it landed (-1: never), {@code writes} how
     * many writes made it, {@code durable} whether a flush made them all durable, and
     * {@code afterFinalFlush} whether one landed after the flush of a receiver that declared the
     * target complete.
     */
    public record Landing(int index, ChunkRef chunk, long sentNanos, long appliedNanos, int writes, boolean durable,
            boolean afterFinalFlush) {
        public boolean applied() {
            return appliedNanos >= 0;
        }
    }

    /** What the matching needs of a block: where it is, its in-bounds sectors, what its writes may be. */
    record Block(String device, long sector, long sectorCount, boolean zero, boolean allZeroData, long sentNanos) {}

    private final List<Landing> landings;
    private final long unexplainedWrites;
    private final long finalFlushNanos;

    private TargetWrites(List<Landing> landings, long unexplainedWrites, long finalFlushNanos) {
        this.landings = landings;
        this.unexplainedWrites = unexplainedWrites;
        this.finalFlushNanos = finalFlushNanos;
    }

    /** When the receiver that declared the targets complete last flushed them; -1 if it did not declare them complete. */
    public long finalFlushNanos() {
        return finalFlushNanos;
    }

    /** One per block of the stream, in stream order. */
    public List<Landing> landings() {
        return landings;
    }

    public Landing landing(int blockIndex) {
        return landings.get(blockIndex);
    }

    /** Writes no block explains (a write over several chunks counts once per chunk). */
    public long unexplainedWrites() {
        return unexplainedWrites;
    }

    static TargetWrites of(Facts f) {
        Scenario s = f.scenario();
        long chunkSectors = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Map<String, Long> deviceSectors = new HashMap<>();
        s.devices().forEach(d -> deviceSectors.put(d.name(), d.sizeBytes() / Disk.SECTOR_SIZE_BYTES));
        Map<Integer, Boolean> readZero = new HashMap<>();
        f.replay().matches().stream().filter(m -> m.read() != null).forEach(m -> readZero.put(m.index(), m.read().zero()));
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        for (OracleStream.SentBlock b : f.stream().blocks()) {
            long sectors = deviceSectors.getOrDefault(b.device(), 0L);
            long inBounds = b.sector() >= sectors ? 0 : Math.min(chunkSectors, sectors - b.sector());
            blocks.add(new Block(b.device(), b.sector(), inBounds, b.zero(), readZero.getOrDefault(i++, true),
                    f.run().clock().timeOf(b.offsetBytes())));
        }
        Map<String, List<GuardedDisk.Applied>> logs = new HashMap<>();
        Map<String, Long> writesAtForce = new HashMap<>();
        f.run().targets().forEach((name, t) -> {
            logs.put(name, t.applied());
            writesAtForce.put(name, t.writesAtForce());
        });
        boolean complete = f.run().receive().complete();
        TargetWrites t = match(blocks, logs, writesAtForce, complete, chunkSectors);
        long flushed = f.run().targets().values().stream().mapToLong(GuardedDisk::forcedAtNanos).max().orElse(-1);
        return new TargetWrites(t.landings, t.unexplainedWrites, complete ? flushed : -1);
    }

    /**
     * Matches each target's writes to the blocks, chunk by chunk in stream order; {@code finalFlush}:
     * the receiver declared the targets complete, so their last force was its final flush.
     */
    static TargetWrites match(List<Block> blocks, Map<String, List<GuardedDisk.Applied>> logs, Map<String, Long> writesAtForce,
            boolean finalFlush, long chunkSectors) {
        Map<ChunkRef, List<GuardedDisk.Applied>> byChunk = byChunk(logs, chunkSectors);
        long total = byChunk.values().stream().mapToLong(List::size).sum();
        Map<ChunkRef, Integer> cursor = new HashMap<>();
        List<Landing> out = new ArrayList<>();
        long explained = 0;
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            ChunkRef chunk = new ChunkRef(b.device(), b.sector() / chunkSectors);
            List<GuardedDisk.Applied> writes = byChunk.getOrDefault(chunk, List.of());
            int from = cursor.getOrDefault(chunk, 0);
            // writes made before the block was sent are an earlier block's, never this one's nor a later one's
            while (from < writes.size() && writes.get(from).timeNanos() < b.sentNanos()) {
                from++;
            }
            int to = tiling(b, writes, from);
            cursor.put(chunk, to < 0 ? from : to);
            if (to < 0) {
                out.add(new Landing(i, chunk, b.sentNanos(), -1, 0, false, false));
                continue;
            }
            explained += to - from;
            long forced = writesAtForce.getOrDefault(b.device(), 0L);
            boolean durable = writes.subList(from, to).stream().allMatch(w -> w.number() <= forced);
            out.add(new Landing(i, chunk, b.sentNanos(), writes.get(to - 1).timeNanos(), to - from, durable,
                    finalFlush && !durable));
        }
        return new TargetWrites(List.copyOf(out), total - explained, -1);
    }

    /**
     * Each write cut at chunk boundaries, per chunk in the order written: the receiver gathers zero
     * blocks that follow one another into one zero write over their chunks.
     */
    private static Map<ChunkRef, List<GuardedDisk.Applied>> byChunk(Map<String, List<GuardedDisk.Applied>> logs,
            long chunkSectors) {
        Map<ChunkRef, List<GuardedDisk.Applied>> byChunk = new HashMap<>();
        for (Map.Entry<String, List<GuardedDisk.Applied>> log : logs.entrySet()) {
            for (GuardedDisk.Applied w : log.getValue()) {
                long end = w.sector() + w.sectorCount();
                long at = w.sector();
                do {
                    long piece = Math.min(end, (at / chunkSectors + 1) * chunkSectors) - at;
                    byChunk.computeIfAbsent(new ChunkRef(log.getKey(), at / chunkSectors), k -> new ArrayList<>())
                            .add(new GuardedDisk.Applied(at, piece, w.zero(), w.timeNanos(), w.number()));
                    at += piece;
                } while (at < end);
            }
        }
        return byChunk;
    }

    /**
     * The end (exclusive) of the writes from {@code from} that tile the block's in-bounds sectors, or
     * -1 if they do not: they start at its first sector, each where the one before ended, and end at
     * its last; zeros only for a zero block; some data for a data block whose data is not all zero.
     */
    private static int tiling(Block b, List<GuardedDisk.Applied> writes, int from) {
        long end = b.sector() + b.sectorCount();
        long at = b.sector();
        boolean data = false;
        int i = from;
        while (b.sectorCount() > 0 && at < end && i < writes.size()) {
            GuardedDisk.Applied w = writes.get(i);
            if (w.sector() != at || w.sector() + w.sectorCount() > end || b.zero() && !w.zero()) {
                return -1;
            }
            data |= !w.zero();
            at += w.sectorCount();
            i++;
        }
        boolean covered = b.sectorCount() > 0 && at == end;
        return covered && (b.zero() || b.allZeroData() || data) ? i : -1;
    }
}
