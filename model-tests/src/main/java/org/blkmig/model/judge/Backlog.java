// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.World;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;

/**
 * What the migration still had to send at a point of the run, from the history, the stream and
 * the replay alone (never the sender's bitmaps): a chunk counts, once, at the wire size of a data
 * block, if no block of it was sent yet (and the target does not share it with a base), if the
 * guest wrote it at or after the sample of the read whose block last carried it, or if a read of
 * it was submitted and its block not sent yet.
 */
final class Backlog {
    private final long[] wireBytes;
    /** Per chunk: the instants of the guest's writes to it, sorted. */
    private final long[][] writeNanos;
    /** Per chunk: its blocks' stream offsets in order, and the sample instant of the read each came from. */
    private final long[][] blockOffsets;
    private final long[][] blockSampleNanos;
    /** Per chunk: its reads (and hole lookups) that did not fail, as submitted, with their block's offset (-1: none). */
    private final long[][] readSubmitNanos;
    private final long[][] readBlockOffsets;
    private final long[][] readCompleteNanos;
    /** Whether the target must get a block of the chunk before anything is written (not left to a shared base). */
    private final boolean[] needed;

    /** A sample before every write: a block whose read is unknown, or a chunk the shared base held, is stale at any write. */
    private static final long ANY_WRITE = Long.MIN_VALUE;

    private Backlog(Facts f) {
        Scenario s = f.scenario();
        int chunkBytes = s.chunkSizeBytes();
        long spc = chunkBytes / Disk.SECTOR_SIZE_BYTES;
        Map<String, Integer> firstChunk = new HashMap<>();
        List<Long> wire = new ArrayList<>();
        List<Boolean> need = new ArrayList<>();
        for (Scenario.Device dev : s.devices()) {
            if (!Facts.migrated(dev)) {
                continue;
            }
            firstChunk.put(dev.name(), wire.size());
            for (boolean shared : World.leftToBase(s, dev, spc)) { // as Liveness counts it
                wire.add(OracleStream.headBytes(dev.name()) + chunkBytes);
                need.add(!shared);
            }
        }
        int chunks = wire.size();
        wireBytes = wire.stream().mapToLong(Long::longValue).toArray();
        needed = new boolean[chunks];
        for (int i = 0; i < chunks; i++) {
            needed[i] = need.get(i);
        }
        List<List<Long>> writes = lists(chunks);
        for (History.GuestWrite w : f.history().guestWrites()) {
            Integer first = firstChunk.get(w.device());
            if (first == null) {
                continue;
            }
            for (long c = w.sector() / spc; c <= (w.sector() + w.sectorCount() - 1) / spc; c++) {
                if (first + c < chunks) {
                    writes.get((int) (first + c)).add(w.timeNanos());
                }
            }
        }
        writeNanos = sorted(writes);
        // each block's read, by the replay; a block past the first one no read explains has none
        List<OracleStream.SentBlock> blocks = f.stream().blocks();
        Replay replay = f.replay();
        Map<Integer, Long> blockOfSample = new HashMap<>();
        long[] sampleOfBlock = new long[blocks.size()];
        Arrays.fill(sampleOfBlock, ANY_WRITE);
        for (Replay.Match m : replay.matches()) {
            if (m.read() != null) {
                sampleOfBlock[m.index()] = m.read().sampleNanos();
                blockOfSample.putIfAbsent(m.read().sampleNumber(), blocks.get(m.index()).offsetBytes());
            }
        }
        List<List<long[]>> perChunkBlocks = lists(chunks);
        for (int i = 0; i < blocks.size(); i++) {
            OracleStream.SentBlock b = blocks.get(i);
            int c = index(firstChunk, b.device(), b.sector() / spc, chunks);
            if (c >= 0) {
                perChunkBlocks.get(c).add(new long[] {b.offsetBytes(), sampleOfBlock[i]});
            }
        }
        blockOffsets = column(perChunkBlocks, 0);
        blockSampleNanos = column(perChunkBlocks, 1);
        List<List<long[]>> perChunkReads = lists(chunks);
        for (Replay.Read r : replay.reads()) {
            int c = index(firstChunk, r.device(), r.sector() / spc, chunks);
            if (c >= 0 && !r.failed()) {
                Long block = r.sampleNumber() < 0 ? null : blockOfSample.get(r.sampleNumber());
                perChunkReads.get(c).add(new long[] {r.submitNanos(), block == null ? -1 : block, r.completeNanos()});
            }
        }
        readSubmitNanos = column(perChunkReads, 0);
        readBlockOffsets = column(perChunkReads, 1);
        readCompleteNanos = column(perChunkReads, 2);
    }

    static Backlog of(Facts f) {
        return new Backlog(f);
    }

    /** What was still to send at a point of the run: bytes in all, and of chunks no block had carried yet. */
    record Bytes(long bytes, long neverSentBytes) {}

    /**
     * The bytes still to send when the stream held {@code offsetBytes} bytes, at {@code nanos}: each
     * chunk that still had to go, at a data block's size on the wire. A write at the very instant of
     * a sample counts as after it, so the figure errs towards more.
     */
    Bytes at(long offsetBytes, long nanos) {
        long bytes = 0;
        long neverSent = 0;
        for (int c = 0; c < wireBytes.length; c++) {
            int sent = firstAtOrAfter(blockOffsets[c], offsetBytes); // its blocks before the offset
            if (sent == 0 && needed[c]) {
                neverSent += wireBytes[c];
                bytes += wireBytes[c];
            } else if (writtenSince(c, sent == 0 ? ANY_WRITE : blockSampleNanos[c][sent - 1], nanos)
                    || readNotSent(c, offsetBytes, nanos)) {
                bytes += wireBytes[c];
            }
        }
        return new Bytes(bytes, neverSent);
    }

    /** Whether the guest wrote chunk {@code c} from {@code sampledNanos} (what the target holds) to {@code nanos}. */
    private boolean writtenSince(int c, long sampledNanos, long nanos) {
        int w = firstAtOrAfter(writeNanos[c], sampledNanos);
        return w < writeNanos[c].length && writeNanos[c][w] <= nanos;
    }

    /** Whether a read of chunk {@code c} submitted by {@code nanos} had its block still unsent at {@code offsetBytes}. */
    private boolean readNotSent(int c, long offsetBytes, long nanos) {
        // the latest reads first: one whose block was sent already ends the search (blocks go in sample order)
        for (int r = firstAfter(readSubmitNanos[c], nanos) - 1; r >= 0; r--) {
            long block = readBlockOffsets[c][r];
            long complete = readCompleteNanos[c][r];
            if (block >= offsetBytes || block < 0 && (complete < 0 || complete > nanos)) {
                return true;
            }
            if (block >= 0) {
                return false;
            }
        }
        return false;
    }

    /** The index of the first value at or after {@code v} in a sorted array (its length if none). */
    private static int firstAtOrAfter(long[] sorted, long v) {
        int i = Arrays.binarySearch(sorted, v);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && sorted[i - 1] == v) {
            i--;
        }
        return i;
    }

    /** The index of the first value after {@code v} in a sorted array (its length if none). */
    private static int firstAfter(long[] sorted, long v) {
        return v == Long.MAX_VALUE ? sorted.length : firstAtOrAfter(sorted, v + 1);
    }

    private static int index(Map<String, Integer> firstChunk, String device, long chunk, int chunks) {
        Integer first = firstChunk.get(device);
        return first == null || chunk < 0 || first + chunk >= chunks ? -1 : (int) (first + chunk);
    }

    private static <T> List<List<T>> lists(int n) {
        List<List<T>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new ArrayList<>());
        }
        return out;
    }

    private static long[][] sorted(List<List<Long>> values) {
        long[][] out = new long[values.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
        }
        return out;
    }

    private static long[][] column(List<List<long[]>> rows, int col) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).stream().mapToLong(r -> r[col]).toArray();
        }
        return out;
    }
}
