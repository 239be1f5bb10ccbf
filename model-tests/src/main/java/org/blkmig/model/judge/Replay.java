// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.World;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;

/**
 * The history replayed on shadow copies of the initial disks, once per run: what each read (and
 * each lookup that found a hole) saw at its sampling instant, and for each block of the stream the
 * read it can have come from. Written apart from the sender: it knows only the scenario, the
 * history and the oracle's blocks.
 */
public final class Replay {
    /**
     * A read as the history records it, with what it saw: its content hash and whether it was all
     * zero. A hole's lookup is a read with id -1 submitted, sampled and completed at one instant.
     * {@code sampleNumber}: its place among all samples of the run (-1: never sampled).
     */
    public record Read(long id, ChunkRef chunk, String device, long sector, long submitNanos, long sampleNanos,
            long completeNanos, boolean failed, long hash, boolean zero, boolean holeLookup, int sampleNumber) {}

    /**
     * Block {@code index} of the stream came from {@code read} ({@code cause} NONE), or could not
     * have: {@code cause} says why, and {@code read} is the older sample a stale block carries
     * (null for any other cause).
     */
    public record Match(int index, Read read, Cause cause) {}

    private final List<Read> reads;
    private final List<Match> matches;
    private final String replayError;

    private Replay(List<Read> reads, List<Match> matches, String replayError) {
        this.reads = reads;
        this.matches = matches;
        this.replayError = replayError;
    }

    /** Every read and hole lookup, in the order they were submitted. */
    public List<Read> reads() {
        return reads;
    }

    /** One per block of the stream, in stream order. */
    public List<Match> matches() {
        return matches;
    }

    /** Why the replay itself failed, or null. */
    public String replayError() {
        return replayError;
    }

    static Replay of(Scenario s, History history, OracleStream stream) {
        long chunkSectors = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Map<String, ContentMap> shadow = new HashMap<>();
        for (Scenario.Device dev : s.devices()) {
            ContentMap m = new ContentMap(dev.sizeBytes() / Disk.SECTOR_SIZE_BYTES);
            World.contents(s, dev, m);
            shadow.put(dev.name(), m);
        }
        Map<Long, History.ReadSubmit> submits = new HashMap<>();
        Map<Long, Integer> readIndex = new HashMap<>();
        List<Read> reads = new ArrayList<>();
        // per chunk (device and first sector), the samples in order
        Map<String, List<Read>> sampled = new HashMap<>();
        int sampleNumber = 0;
        try {
            for (History.Entry e : history.entries()) {
                if (e instanceof History.GuestWrite w) {
                    shadow.get(w.device()).data(w.sector(), w.sectorCount(), w.writeId());
                } else if (e instanceof History.ReadSubmit rs) {
                    submits.put(rs.readId(), rs);
                    readIndex.put(rs.readId(), reads.size());
                    reads.add(new Read(rs.readId(), new ChunkRef(rs.device(), rs.sector() / chunkSectors), rs.device(),
                            rs.sector(), rs.timeNanos(), -1, -1, false, 0, false, false, -1));
                } else if (e instanceof History.ReadSample || e instanceof History.KnownZero) {
                    // a lookup that found a hole samples the chunk too: what did the disk hold then?
                    History.ReadSubmit rs = e instanceof History.ReadSample sample ? submits.get(sample.readId())
                            : HistoryIndex.asRead((History.KnownZero) e);
                    ContentMap disk = shadow.get(rs.device());
                    ContentMap.Seen seen = disk.seen(rs.sector(), rs.sectorCount());
                    long hash = seen.identity();
                    boolean zero = seen.zero();
                    Read r;
                    if (e instanceof History.ReadSample) {
                        int i = readIndex.get(rs.readId());
                        Read old = reads.get(i);
                        r = new Read(old.id(), old.chunk(), old.device(), old.sector(), old.submitNanos(), e.timeNanos(), -1,
                                false, hash, zero, false, sampleNumber++);
                        reads.set(i, r);
                    } else {
                        r = new Read(-1, new ChunkRef(rs.device(), rs.sector() / chunkSectors), rs.device(), rs.sector(),
                                e.timeNanos(), e.timeNanos(), e.timeNanos(), false, hash, zero, true, sampleNumber++);
                        reads.add(r);
                    }
                    sampled.computeIfAbsent(rs.device() + "@" + rs.sector(), k -> new ArrayList<>()).add(r);
                } else if (e instanceof History.ReadComplete rc && readIndex.containsKey(rc.readId())) {
                    int i = readIndex.get(rc.readId());
                    Read old = reads.get(i);
                    reads.set(i, new Read(old.id(), old.chunk(), old.device(), old.sector(), old.submitNanos(),
                            old.sampleNanos(), rc.timeNanos(), rc.failed(), old.hash(), old.zero(), false, old.sampleNumber()));
                }
            }
        } catch (IllegalArgumentException ex) { // a read or write outside its disk
            return new Replay(List.copyOf(reads), List.of(), "replay failed: " + ex.getMessage());
        }
        // the latest state of each sampled read (a completion may have replaced the record)
        Map<Integer, Read> bySample = new HashMap<>();
        for (Read r : reads) {
            if (r.sampleNumber() >= 0) {
                bySample.put(r.sampleNumber(), r);
            }
        }
        return new Replay(List.copyOf(reads), match(stream, sampled, bySample), null);
    }

    /**
     * Each block's read: among the samples of its chunk that saw its content (all zero, for a zero
     * block), the earliest one not older than the one the chunk's previous block came from. A block
     * no read explains gets its cause, and the matching goes on past it, so the diagram can tell
     * where every block came from: a stale block with the older sample it carries.
     */
    private static List<Match> match(OracleStream stream, Map<String, List<Read>> sampled, Map<Integer, Read> bySample) {
        List<Match> out = new ArrayList<>();
        Map<String, Integer> lastSample = new HashMap<>();
        for (OracleStream.SentBlock b : stream.blocks()) {
            String key = b.device() + "@" + b.sector();
            List<Read> samples = sampled.getOrDefault(key, List.of());
            Read pick = null;
            Read older = null; // the latest sample that saw the content but is older than the previous block's
            int previous = lastSample.getOrDefault(key, -1);
            for (Read r : samples) {
                if (b.zero() ? r.zero() : r.hash() == b.hash()) {
                    if (r.sampleNumber() >= previous) {
                        pick = r;
                        break;
                    }
                    older = r;
                }
            }
            int index = out.size();
            if (pick != null) {
                lastSample.put(key, pick.sampleNumber());
                out.add(new Match(index, bySample.get(pick.sampleNumber()), Cause.NONE));
            } else if (older != null) {
                out.add(new Match(index, bySample.get(older.sampleNumber()), Cause.STALE_BLOCK));
            } else {
                out.add(new Match(index, null, samples.isEmpty() ? Cause.BLOCK_WITHOUT_READ
                        : b.zero() ? Cause.ZERO_BLOCK_NOT_ZERO : Cause.BLOCK_UNSEEN));
            }
        }
        return List.copyOf(out);
    }
}
