// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blkmig.model.judge.ContentHash;
import org.blkmig.model.judge.Facts;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Verdict;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.World;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.WriteContent;

/**
 * A run as a space-time diagram, an SVG a browser shows without script: one row per chunk, virtual
 * time left to right; guest writes, reads from submission through their sampling instant to
 * completion, blocks sent, blocks the receiver applied, the guest's stop. For a failure, only the
 * chunks that matter, the first differing chunk and the events explaining it highlighted.
 *
 * <p>A view, not a checker: it reads the run's history, its stream (through the oracle's decoder)
 * and the targets' write logs; which block came from which read it finds by replaying the history.
 */
public final class SpaceTime {
    private SpaceTime() {}

    /** A run of at most this many chunks shows them all, failed or not. */
    static final int SMALL_RUN_CHUNKS = 16;
    /** A larger passing run shows the chunks with the most events, up to this many. */
    static final int MAX_ROWS = 24;
    /** Chunks compared source to target when looking for more that differ: a 64 GiB simulated disk is not read whole. */
    static final int MAX_SCANNED_CHUNKS = 4096;
    private static final int LABEL_PX = 190;
    private static final int PLOT_PX = 1000;
    private static final int ROW_PX = 62;
    private static final int LANE_PX = 10;
    private static final int TOP_PX = 70;

    /** A chunk of a device. */
    public record ChunkRef(String device, long chunk) implements Comparable<ChunkRef> {
        @Override
        public int compareTo(ChunkRef o) {
            int c = device.compareTo(o.device);
            return c != 0 ? c : Long.compare(chunk, o.chunk);
        }

        @Override
        public String toString() {
            return device + " chunk " + chunk;
        }
    }

    /** Where the target first differs from its source, and which writes each side carries there. */
    public record FirstDifference(ChunkRef chunk, long byteOffset, long sector, long sourceWriteId, long targetWriteId) {}

    private record Read(long id, ChunkRef chunk, long submitNanos, long sampleNanos, long completeNanos, boolean failed,
            Set<Long> sawHashes) {}

    /** {@code appliedNanos}: when the receiver's write of it reached the target, -1 if it never did. */
    private record Block(int index, ChunkRef chunk, boolean zero, long hash, long sentNanos, String payload, Read read,
            boolean applied, long appliedNanos, boolean afterFlush) {}

    /** The diagram of a judged run. */
    public static String svg(Judge.Outcome o) {
        return new Builder(o).build();
    }

    /** The first byte where a migrated target differs from its source (null: none, or the run did not complete). */
    public static FirstDifference firstDifference(ScenarioRunner.Run run) {
        if (!run.migration().completed()) {
            return null;
        }
        Scenario s = run.scenario();
        long chunkSectors = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        for (Scenario.Device d : s.devices()) {
            if (!Facts.migrated(d)) {
                continue;
            }
            long sectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
            for (long sec = 0; sec < sectors; sec += chunkSectors) {
                long n = Math.min(chunkSectors, sectors - sec);
                ByteBuffer a = World.read(run.sources().get(d.name()), sec, n);
                ByteBuffer b = World.read(run.targets().get(d.name()), sec, n);
                int at = a.mismatch(b);
                if (at >= 0) {
                    int sectorStart = at / Disk.SECTOR_SIZE_BYTES * Disk.SECTOR_SIZE_BYTES;
                    long sector = sec + at / Disk.SECTOR_SIZE_BYTES;
                    return new FirstDifference(new ChunkRef(d.name(), sec / chunkSectors), sec * Disk.SECTOR_SIZE_BYTES + at,
                            sector, WriteContent.writeIdOf(a.duplicate().position(sectorStart), sector),
                            WriteContent.writeIdOf(b.duplicate().position(sectorStart), sector));
                }
            }
        }
        return null;
    }

    /** "drive0 sector 640", "sector 640 of drive0", "drive0 differs first at byte N (sector 640": chunks evidence names. */
    private static final Pattern DEVICE_SECTOR = Pattern.compile("(\\S+) sector (\\d+)");
    private static final Pattern SECTOR_OF_DEVICE = Pattern.compile("sector (\\d+) of (\\S+)");
    private static final Pattern DIFFERS_AT = Pattern.compile("(\\S+) differs first at byte \\d+ \\(sector (\\d+)");

    static String describeWrite(long id) {
        return id == -1 ? "no write (zeros or initial data)" : id == 0 ? "initial data"
                : id == World.TOP_INITIAL_WRITE_ID ? "initial top data" : "guest write #" + id;
    }

    private static final class Builder {
        private final Judge.Outcome outcome;
        private final ScenarioRunner.Run run;
        private final Scenario s;
        private final long chunkSectors;
        private final FirstDifference diff;
        private final List<ChunkRef> rows;
        private final int totalChunks;
        private final Map<ChunkRef, List<History.GuestWrite>> writes = new HashMap<>();
        private final Map<ChunkRef, List<Read>> reads = new HashMap<>();
        private final Map<ChunkRef, List<Block>> blocks = new HashMap<>();
        private final Set<Long> explainingWrites = new LinkedHashSet<>();
        private Block explainingBlock;
        private final long endNanos;
        private final StringBuilder out = new StringBuilder();

        Builder(Judge.Outcome o) {
            outcome = o;
            run = o.run();
            s = run.scenario();
            chunkSectors = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
            diff = o.passed() ? null : firstDifference(run);
            List<ChunkRef> all = new ArrayList<>();
            for (Scenario.Device d : s.devices()) {
                if (Facts.migrated(d)) {
                    long chunks = (d.sizeBytes() + s.chunkSizeBytes() - 1) / s.chunkSizeBytes();
                    for (long c = 0; c < chunks; c++) {
                        all.add(new ChunkRef(d.name(), c));
                    }
                }
            }
            totalChunks = all.size();
            Set<ChunkRef> shown = new LinkedHashSet<>(all);
            collectEvents(shown);
            rows = pick(all);
            long end = Math.max(run.migration().endNanos(), outcome.facts().history().guestStoppedNanos());
            for (List<Block> bs : blocks.values()) {
                for (Block b : bs) {
                    end = Math.max(end, Math.max(b.sentNanos, b.appliedNanos));
                }
            }
            endNanos = Math.max(end, 1);
            explain();
        }

        /** The rows: for a failure the chunks that matter, otherwise all of a small run or the busiest. */
        private List<ChunkRef> pick(List<ChunkRef> all) {
            Set<ChunkRef> matter = new java.util.TreeSet<>();
            if (all.size() <= SMALL_RUN_CHUNKS) {
                return all;
            }
            if (!outcome.passed()) {
                if (diff != null) {
                    matter.add(diff.chunk);
                }
                for (Verdict v : outcome.verdicts()) {
                    if (!v.passed()) {
                        named(v.evidence(), matter);
                    }
                }
                // every chunk the target got wrong, a few at most
                if (run.migration().completed()) {
                    for (ChunkRef c : all.subList(0, Math.min(all.size(), MAX_SCANNED_CHUNKS))) {
                        if (matter.size() >= 8) {
                            break;
                        }
                        if (differs(c)) {
                            matter.add(c);
                        }
                    }
                }
                matter.retainAll(new LinkedHashSet<>(all));
                if (!matter.isEmpty()) {
                    return List.copyOf(matter);
                }
            }
            if (all.size() <= MAX_ROWS) {
                return all;
            }
            List<ChunkRef> busiest = new ArrayList<>(all);
            busiest.sort(Comparator.comparingInt((ChunkRef c) -> -(writes.getOrDefault(c, List.of()).size()
                    + reads.getOrDefault(c, List.of()).size() + blocks.getOrDefault(c, List.of()).size())).thenComparing(c -> c));
            List<ChunkRef> picked = new ArrayList<>(busiest.subList(0, MAX_ROWS));
            picked.sort(null);
            return picked;
        }

        private void named(String evidence, Set<ChunkRef> into) {
            Matcher m = DIFFERS_AT.matcher(evidence);
            while (m.find()) {
                into.add(new ChunkRef(m.group(1), Long.parseLong(m.group(2)) / chunkSectors));
            }
            m = DEVICE_SECTOR.matcher(evidence);
            while (m.find()) {
                into.add(new ChunkRef(m.group(1), Long.parseLong(m.group(2)) / chunkSectors));
            }
            m = SECTOR_OF_DEVICE.matcher(evidence);
            while (m.find()) {
                into.add(new ChunkRef(m.group(2), Long.parseLong(m.group(1)) / chunkSectors));
            }
        }

        private boolean differs(ChunkRef c) {
            long sectors = s.devices().stream().filter(d -> d.name().equals(c.device)).findFirst().orElseThrow().sizeBytes()
                    / Disk.SECTOR_SIZE_BYTES;
            long from = c.chunk * chunkSectors;
            long n = Math.min(chunkSectors, sectors - from);
            return n > 0 && World.read(run.sources().get(c.device), from, n).mismatch(World.read(run.targets().get(c.device), from, n)) >= 0;
        }

        /** Guest writes, reads (with what each saw, by replaying the history), blocks sent and applied, per chunk. */
        private void collectEvents(Set<ChunkRef> chunks) {
            Map<String, Disk> bases = World.bases(s);
            Map<String, Disk> shadow = new HashMap<>();
            for (Scenario.Device d : s.devices()) {
                shadow.put(d.name(), World.source(s, d, bases));
            }
            Map<Long, History.ReadSubmit> submits = new HashMap<>();
            Map<Long, long[]> times = new HashMap<>(); // read id: submit, sample, complete
            Map<Long, Set<Long>> saw = new HashMap<>();
            Map<Long, Boolean> failed = new HashMap<>();
            try {
                for (History.Entry e : run.history().entries()) {
                    if (e instanceof History.GuestWrite w) {
                        shadow.get(w.device()).write(w.sector(), WriteContent.make(w.writeId(), w.sector(), w.sectorCount()));
                        for (long c = w.sector() / chunkSectors; c <= (w.sector() + w.sectorCount() - 1) / chunkSectors; c++) {
                            ChunkRef ref = new ChunkRef(w.device(), c);
                            if (chunks.contains(ref)) {
                                writes.computeIfAbsent(ref, k -> new ArrayList<>()).add(w);
                            }
                        }
                    } else if (e instanceof History.ReadSubmit rs) {
                        submits.put(rs.readId(), rs);
                        times.put(rs.readId(), new long[] {rs.timeNanos(), -1, -1});
                    } else if (e instanceof History.ReadSample sample) {
                        History.ReadSubmit rs = submits.get(sample.readId());
                        times.get(sample.readId())[1] = sample.timeNanos();
                        ByteBuffer data = World.read(shadow.get(rs.device()), rs.sector(), rs.sectorCount());
                        Set<Long> hashes = new java.util.HashSet<>();
                        hashes.add(ContentHash.of(data));
                        if (org.blkmig.simdisk.Zeros.isZero(data)) {
                            hashes.add(0L);
                        }
                        saw.put(sample.readId(), hashes);
                    } else if (e instanceof History.ReadComplete rc) {
                        long[] t = times.get(rc.readId());
                        if (t != null) {
                            t[2] = rc.timeNanos();
                        }
                        failed.put(rc.readId(), rc.failed());
                    }
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            for (History.ReadSubmit rs : submits.values()) {
                ChunkRef ref = new ChunkRef(rs.device(), rs.sector() / chunkSectors);
                long[] t = times.get(rs.readId());
                reads.computeIfAbsent(ref, k -> new ArrayList<>()).add(new Read(rs.readId(), ref, t[0], t[1], t[2],
                        failed.getOrDefault(rs.readId(), false), saw.getOrDefault(rs.readId(), Set.of())));
            }
            reads.values().forEach(l -> l.sort(Comparator.comparingLong(Read::submitNanos)));
            // applied: the k-th data (zero) write starting a chunk is the k-th data (zero) block of that chunk
            Map<String, List<Long>> appliedAt = new HashMap<>();
            Map<String, Integer> afterFlushFrom = new HashMap<>();
            for (Map.Entry<String, GuardedDisk> t : run.targets().entrySet()) {
                int k = 0;
                for (GuardedDisk.Applied a : t.getValue().applied()) {
                    if (a.sector() % chunkSectors == 0) {
                        String key = t.getKey() + "@" + a.sector() / chunkSectors + (a.zero() ? "z" : "d");
                        List<Long> at = appliedAt.computeIfAbsent(key, x -> new ArrayList<>());
                        at.add(a.timeNanos());
                        if (run.receive().complete() && k >= t.getValue().writesAtForce()) {
                            afterFlushFrom.putIfAbsent(key, at.size() - 1);
                        }
                    }
                    k++;
                }
            }
            Map<String, Integer> seen = new HashMap<>();
            int index = 0;
            for (OracleStream.SentBlock b : outcome.facts().stream().blocks()) {
                ChunkRef ref = new ChunkRef(b.device(), b.sector() / chunkSectors);
                long sent = run.clock().timeOf(b.offsetBytes());
                String key = b.device() + "@" + b.sector() / chunkSectors + (b.zero() ? "z" : "d");
                int k = seen.merge(key, 1, Integer::sum) - 1;
                Read from = null;
                for (Read r : reads.getOrDefault(ref, List.of())) {
                    boolean matches = r.sawHashes.contains(b.zero() ? 0L : b.hash());
                    if (matches && r.sampleNanos >= 0 && (sent < 0 || r.sampleNanos <= sent)
                            && (from == null || r.sampleNanos >= from.sampleNanos)) {
                        from = r;
                    }
                }
                List<Long> at = appliedAt.getOrDefault(key, List.of());
                boolean applied = k < at.size();
                boolean afterFlush = applied && afterFlushFrom.containsKey(key) && k >= afterFlushFrom.get(key);
                blocks.computeIfAbsent(ref, x -> new ArrayList<>()).add(new Block(++index, ref, b.zero(), b.hash(), sent,
                        b.payload().name(), from, applied, applied ? at.get(k) : -1, afterFlush));
            }
        }

        /** For the first differing chunk: the last block applied to it, the read it came from, the writes it lacks. */
        private void explain() {
            if (diff == null) {
                return;
            }
            for (Block b : blocks.getOrDefault(diff.chunk, List.of())) {
                if (b.applied) {
                    explainingBlock = b;
                }
            }
            if (diff.sourceWriteId > 0) {
                explainingWrites.add(diff.sourceWriteId);
            }
            // writes the last applied block's read did not see
            long seenUpTo = explainingBlock != null && explainingBlock.read != null ? explainingBlock.read.sampleNanos : -1;
            for (History.GuestWrite w : writes.getOrDefault(diff.chunk, List.of())) {
                if (w.timeNanos() > seenUpTo && w.writeId() == diff.sourceWriteId) {
                    explainingWrites.add(w.writeId());
                }
            }
        }

        // ---- drawing ----

        /** The time axis: clusters of events drawn linearly, long quiet gaps between them cut to a fixed width. */
        private Axis axis;

        private double x(long nanos) {
            return axis.x(nanos);
        }

        private List<Long> instants() {
            List<Long> ts = new ArrayList<>();
            ts.add(run.migration().startNanos());
            ts.add(endNanos);
            if (outcome.facts().history().guestStoppedNanos() >= 0) {
                ts.add(outcome.facts().history().guestStoppedNanos());
            }
            if (run.migration().sender().bulkCompletedAtNanos >= 0) {
                ts.add(run.migration().sender().bulkCompletedAtNanos);
            }
            for (ChunkRef c : rows) {
                writes.getOrDefault(c, List.of()).forEach(w -> ts.add(w.timeNanos()));
                for (Read r : reads.getOrDefault(c, List.of())) {
                    ts.add(r.submitNanos);
                    if (r.sampleNanos >= 0) {
                        ts.add(r.sampleNanos);
                    }
                    if (r.completeNanos >= 0) {
                        ts.add(r.completeNanos);
                    }
                }
                for (Block b : blocks.getOrDefault(c, List.of())) {
                    if (b.sentNanos >= 0) {
                        ts.add(b.sentNanos);
                    }
                    if (b.appliedNanos >= 0) {
                        ts.add(b.appliedNanos);
                    }
                }
            }
            return ts;
        }

        String build() {
            axis = Axis.of(instants(), LABEL_PX, PLOT_PX);
            List<String> lines = explanation();
            layOut();
            int legendY = bottom() + 26;
            int height = legendY + 40 + lines.size() * 18 + 10;
            int width = LABEL_PX + PLOT_PX + 30;
            out.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'"
                    + " font-family='sans-serif' font-size='12' role='img' aria-label='space-time diagram'>", width, height, width, height));
            out.append("<title>space-time diagram: one row per chunk, virtual time left to right</title>");
            out.append(String.format(Locale.ROOT, "<rect width='%d' height='%d' fill='#fff'/>", width, height));
            phases();
            axisLines();
            breaks();
            for (int i = 0; i < rows.size(); i++) {
                row(rows.get(i), rowY[i]);
            }
            stopLine();
            legend(legendY, lines);
            out.append("</svg>");
            return out.toString();
        }

        private void phases() {
            long start = run.migration().startNanos();
            long bulkEnd = run.migration().sender().bulkCompletedAtNanos;
            long stop = outcome.facts().history().guestStoppedNanos();
            long end = endNanos;
            int bottom = bottom();
            band(start, bulkEnd >= 0 ? bulkEnd : stop >= 0 ? stop : end, "#eef4ff", "bulk phase", bottom);
            if (bulkEnd >= 0) {
                band(bulkEnd, stop >= 0 ? stop : end, "#f0f7e8", "dirty rounds", bottom);
            }
            if (stop >= 0) {
                band(stop, end, "#fff0e0", "guest stopped", bottom);
            }
        }

        private void band(long from, long to, String colour, String label, int bottom) {
            if (to <= from) {
                return;
            }
            double a = x(from);
            double b = x(to);
            out.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'/>", a, 14, b - a,
                    bottom - 14, colour));
            if (b - a > 70) {
                out.append(String.format(Locale.ROOT, "<text x='%.1f' y='26' fill='#555'>%s</text>", a + 4, esc(label)));
            }
        }

        private void axisLines() {
            int bottom = bottom();
            for (Axis.Tick t : axis.ticks()) {
                out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>", t.px(), TOP_PX - 8,
                        t.px(), bottom));
                out.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle' fill='#333'>%s</text>", t.px(),
                        TOP_PX - 12, t.label()));
            }
            out.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='#333' font-weight='bold'>virtual time (ms)</text>", 8,
                    TOP_PX - 12));
        }

        /** The cut gaps: grey across the rows, with how long each lasted. */
        private void breaks() {
            int bottom = bottom();
            for (Axis.Segment g : axis.segments()) {
                if (!g.cut()) {
                    continue;
                }
                out.append(String.format(Locale.ROOT, "<g><title>%s ms with no event on these rows, drawn short</title>"
                        + "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='#e8e8e8' opacity='0.85'/>"
                        + "<path d='M%.1f %d l6 -8 M%.1f %d l6 -8' stroke='#888' stroke-width='1.5'/>"
                        + "<text x='%.1f' y='%d' text-anchor='middle' fill='#666' font-size='10'>+%s</text></g>",
                        ms(g.toNanos() - g.fromNanos()), g.fromPx(), TOP_PX - 6, g.toPx() - g.fromPx(), bottom - TOP_PX + 6,
                        g.fromPx() + 6, TOP_PX - 2, g.fromPx() + 14, TOP_PX - 2, (g.fromPx() + g.toPx()) / 2, bottom + 12,
                        Axis.shortMs(g.toNanos() - g.fromNanos())));
            }
        }

        private void stopLine() {
            long stop = outcome.facts().history().guestStoppedNanos();
            if (stop < 0) {
                return;
            }
            int bottom = bottom();
            double px = x(stop);
            out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#c60' stroke-width='2'"
                    + " stroke-dasharray='6 3'><title>the guest stops at %s ms</title></line>", px, 30, px, bottom, ms(stop)));
            out.append(String.format(Locale.ROOT, "<text x='%.1f' y='40' fill='#c60' text-anchor='end'>guest stop %s ms</text>",
                    px - 3, ms(stop)));
        }

        private int[] rowY;
        private final Map<Read, Integer> readLane = new HashMap<>();
        private final Map<ChunkRef, Integer> lanes = new HashMap<>();

        /** Reads of a chunk in flight together get lanes of their own; rows grow with their lanes. */
        private void layOut() {
            rowY = new int[rows.size()];
            int y = TOP_PX;
            for (int i = 0; i < rows.size(); i++) {
                ChunkRef c = rows.get(i);
                List<Long> laneEnds = new ArrayList<>();
                for (Read r : reads.getOrDefault(c, List.of())) {
                    long end = r.completeNanos >= 0 ? r.completeNanos : Long.MAX_VALUE;
                    int lane = 0;
                    // on screen, a read that starts where another ends still touches it
                    while (lane < laneEnds.size() && x(laneEnds.get(lane)) + 2 > x(r.submitNanos)) {
                        lane++;
                    }
                    if (lane == laneEnds.size()) {
                        laneEnds.add(end);
                    } else {
                        laneEnds.set(lane, end);
                    }
                    readLane.put(r, lane);
                }
                lanes.put(c, Math.max(1, laneEnds.size()));
                rowY[i] = y;
                y += rowHeight(c);
            }
        }

        private int rowHeight(ChunkRef c) {
            return ROW_PX + LANE_PX * (lanes.getOrDefault(c, 1) - 1);
        }

        private int bottom() {
            return rows.isEmpty() ? TOP_PX : rowY[rows.size() - 1] + rowHeight(rows.get(rows.size() - 1));
        }

        /** Short labels on one lane of a row, placed left to right, those explaining the failure first. */
        private final class Labels {
            private final List<double[]> taken = new ArrayList<>(); // lane, from, to

            void put(int lane, double px, double y, String text, boolean hot, boolean force) {
                double w = text.length() * (hot ? 7.0 : 6.0);
                for (double[] t : taken) {
                    if (t[0] == lane && px < t[2] + 3 && px + w > t[1] - 3) {
                        if (!force) {
                            return;
                        }
                    }
                }
                taken.add(new double[] {lane, px, px + w});
                out.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' fill='%s' font-size='%d' paint-order='stroke'"
                        + " stroke='#fff' stroke-width='3'%s>%s</text>", px, y,
                        hot ? "#c00" : "#666", hot ? 12 : 10, hot ? " font-weight='bold'" : "", esc(text)));
            }
        }

        private void row(ChunkRef c, int y) {
            boolean differing = diff != null && diff.chunk.equals(c);
            out.append(String.format(Locale.ROOT, "<g class='chunk' data-chunk='%s'>", esc(c.toString())));
            out.append(String.format(Locale.ROOT, "<rect x='0' y='%d' width='%d' height='%d' fill='%s' stroke='#ccc'/>", y,
                    LABEL_PX + PLOT_PX + 20, rowHeight(c), differing ? "rgba(220,0,0,0.10)" : "none"));
            out.append(String.format(Locale.ROOT, "<text x='6' y='%d' font-weight='bold' fill='%s'>%s</text>", y + 22,
                    differing ? "#b00" : "#222", esc(c.toString())));
            out.append(String.format(Locale.ROOT, "<text x='6' y='%d' fill='%s' font-size='11'>%s</text>", y + 40,
                    differing ? "#b00" : "#777", differing ? "differs first here" : "sectors " + c.chunk * chunkSectors + "+"));
            int writeY = y + 3;
            int extra = LANE_PX * (lanes.getOrDefault(c, 1) - 1);
            int firstReadY = y + 27;
            int sentY = y + 44 + extra;
            int appliedY = y + 56 + extra;
            out.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#e4e4e4'/>", LABEL_PX, sentY - 7,
                    LABEL_PX + PLOT_PX, sentY - 7));
            Labels labels = new Labels();
            List<Runnable> quiet = new ArrayList<>(); // labels of events that explain nothing, placed after the others
            for (History.GuestWrite w : writes.getOrDefault(c, List.of())) {
                boolean hot = differing && explainingWrites.contains(w.writeId());
                double px = x(w.timeNanos());
                String what = "guest write #" + w.writeId() + " at " + ms(w.timeNanos()) + " ms: " + w.device() + " sectors "
                        + w.sector() + "+" + w.sectorCount();
                out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='%d'>"
                        + "<title>%s</title></line>", px, writeY, px, writeY + 17, hot ? "#d00" : "#444", hot ? 3 : 1, esc(what)));
                String label = "w#" + w.writeId();
                if (hot) {
                    labels.put(0, px + 3, writeY + 11, label + " (missing on the target)", true, true);
                } else {
                    quiet.add(() -> labels.put(0, px + 2, writeY + 10, label, false, false));
                }
            }
            for (Read r : reads.getOrDefault(c, List.of())) {
                boolean hot = differing && explainingBlock != null && explainingBlock.read == r;
                int readY = firstReadY + LANE_PX * readLane.getOrDefault(r, 0);
                double a = x(r.submitNanos);
                double b = x(r.completeNanos >= 0 ? r.completeNanos : endNanos);
                String what = "read r" + r.id + " of " + c + ": submitted " + ms(r.submitNanos) + " ms, sampled "
                        + (r.sampleNanos >= 0 ? ms(r.sampleNanos) + " ms" : "never") + ", completed "
                        + (r.completeNanos >= 0 ? ms(r.completeNanos) + " ms" : "never") + (r.failed ? " (failed)" : "");
                out.append(String.format(Locale.ROOT, "<g><title>%s</title><rect x='%.1f' y='%d' width='%.1f' height='7' fill='%s'"
                        + " stroke='%s' stroke-width='%d'/>", esc(what), a, readY - 3, Math.max(2, b - a),
                        r.failed ? "#f99" : "#8ab4e8", hot ? "#f80" : "#369", hot ? 2 : 1));
                if (r.sampleNanos >= 0) {
                    out.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='#036'/>", x(r.sampleNanos),
                            readY + 0.5));
                }
                out.append("</g>");
                String label = "r" + r.id;
                if (hot) {
                    labels.put(10 + readLane.getOrDefault(r, 0), b + 4, readY + 5, label + " sampled " + ms(r.sampleNanos)
                            + " ms", true, true);
                } else {
                    quiet.add(() -> labels.put(10 + readLane.getOrDefault(r, 0), b + 3, readY + 4, label, false, false));
                }
            }
            for (Block b : blocks.getOrDefault(c, List.of())) {
                if (b.sentNanos < 0) {
                    continue;
                }
                boolean hot = differing && b == explainingBlock;
                double px = x(b.sentNanos);
                String what = (b.zero ? "zero block" : "block") + " b" + b.index + " of " + c + " sent at " + ms(b.sentNanos)
                        + " ms in a " + b.payload + " payload, " + (b.read != null ? "data of read r" + b.read.id
                                + " (sampled " + ms(b.read.sampleNanos) + " ms)" : "data no read sampled before it")
                        + (b.applied ? "; applied by the receiver at " + ms(b.appliedNanos) + " ms"
                                + (b.afterFlush ? ", after its final flush" : "")
                                : "; NOT applied by the receiver");
                if (b.read != null && b.read.sampleNanos >= 0) {
                    int readY = firstReadY + LANE_PX * readLane.getOrDefault(b.read, 0);
                    out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='%s'"
                            + " stroke-dasharray='3 2'/>", x(b.read.sampleNanos), readY + 4, px, sentY - 6, hot ? "#f80" : "#9ab",
                            hot ? "2" : "1"));
                }
                out.append(String.format(Locale.ROOT, "<g><title>%s</title><path d='M%.1f %d l5 8 l-10 0 z' fill='%s' stroke='%s'"
                        + " stroke-width='%d'/>", esc(what), px, sentY - 6, b.zero ? "#fff" : "#2a2", hot ? "#f80" : "#161",
                        hot ? 2 : 1));
                if (b.applied) {
                    double ax = x(b.appliedNanos);
                    out.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#686'/>"
                            + "<rect x='%.1f' y='%d' width='7' height='7' fill='%s' stroke='%s' stroke-width='%d'/>", px, sentY + 2,
                            ax, appliedY - 4, ax - 3.5, appliedY - 4, b.afterFlush ? "#f0a" : "#164", hot ? "#f80" : "#000",
                            hot ? 2 : 1));
                } else {
                    out.append(String.format(Locale.ROOT, "<path d='M%.1f %d l6 6 M%.1f %d l-6 6' stroke='#d00' stroke-width='2'/>",
                            px - 3, appliedY - 4, px + 3, appliedY - 4));
                }
                out.append("</g>");
                String label = "b" + b.index;
                if (hot) {
                    labels.put(3, (b.applied ? x(b.appliedNanos) : px) + 7, appliedY + 3, label + " applied last", true, true);
                } else {
                    quiet.add(() -> labels.put(2, px + 6, sentY + 1, label, false, false));
                }
            }
            quiet.forEach(Runnable::run);
            if (differing && blocks.getOrDefault(c, List.of()).stream().noneMatch(b -> b.applied)) {
                out.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='#b00' font-weight='bold'>no block of this chunk"
                        + " was applied</text>", LABEL_PX + 6, appliedY + 2));
            }
            out.append("</g>");
        }

        /** What the diagram shows and, for a failure, what explains the first differing chunk, in words. */
        private List<String> explanation() {
            List<String> lines = new ArrayList<>();
            lines.add(rows.size() == totalChunks ? "every chunk of the run (" + totalChunks + ")"
                    : rows.size() + " of " + totalChunks + " chunks: " + (outcome.passed() ? "the busiest" : "those the failure names"));
            if (diff != null) {
                Block last = explainingBlock;
                lines.add(diff.chunk + " differs first at byte " + diff.byteOffset + " (sector " + diff.sector + "): source has "
                        + describeWrite(diff.sourceWriteId) + ", target has " + describeWrite(diff.targetWriteId));
                List<Block> sent = blocks.getOrDefault(diff.chunk, List.of());
                if (last == null) {
                    lines.add(sent.isEmpty() ? "no block of " + diff.chunk + " was sent, so none was applied"
                            : sent.size() + " block(s) of " + diff.chunk + " were sent, none applied by the receiver");
                } else {
                    lines.add("the last block applied to it: b" + last.index + " sent at " + ms(last.sentNanos) + " ms, carrying "
                            + (last.read == null ? "data no read sampled"
                                    : "read r" + last.read.id + " sampled at " + ms(last.read.sampleNanos) + " ms"));
                    for (Block earlier : sent) {
                        if (earlier.index < last.index && earlier.read != null && last.read != null
                                && earlier.read.sampleNanos > last.read.sampleNanos) {
                            lines.add("stale: b" + earlier.index + ", sent before it at " + ms(earlier.sentNanos) + " ms, carried the"
                                    + " newer read r" + earlier.read.id + " sampled at " + ms(earlier.read.sampleNanos) + " ms");
                        }
                    }
                }
                for (History.GuestWrite w : writes.getOrDefault(diff.chunk, List.of())) {
                    if (w.writeId() == diff.sourceWriteId) {
                        boolean after = last != null && last.read != null && w.timeNanos() > last.read.sampleNanos;
                        lines.add("guest write #" + w.writeId() + " at " + ms(w.timeNanos()) + " ms"
                                + (after ? ", after r" + last.read.id + " sampled the chunk" : "")
                                + (w.timeNanos() > latestSample(diff.chunk) ? "; no read of the chunk sampled after it" : ""));
                    }
                }
            } else if (!outcome.passed()) {
                outcome.firstFailure().ifPresent(v -> lines.add("property " + v.property().id() + " failed: " + v.evidence()));
            }
            if (run.migration().completed() && !outcome.passed()) {
                List<String> never = new ArrayList<>();
                List<ChunkRef> all = allChunks();
                for (ChunkRef c : all.subList(0, Math.min(all.size(), MAX_SCANNED_CHUNKS))) {
                    if (blocks.getOrDefault(c, List.of()).isEmpty() && differs(c)) {
                        never.add(c.toString());
                    }
                }
                if (!never.isEmpty()) {
                    lines.add("completed with " + never.size() + " chunk(s) never sent: " + String.join(", ",
                            never.subList(0, Math.min(8, never.size()))) + (never.size() > 8 ? ", ..." : ""));
                }
            }
            lines.add("applied: the receiver's write of the block reached the target (the same virtual time: the stream crosses"
                    + " a simulated link); hover over a mark for its times");
            return lines;
        }

        private long latestSample(ChunkRef c) {
            return reads.getOrDefault(c, List.of()).stream().mapToLong(Read::sampleNanos).max().orElse(-1);
        }

        private List<ChunkRef> allChunks() {
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

        private void legend(int y, List<String> lines) {
            int x0 = 8;
            out.append(String.format(Locale.ROOT, "<g font-size='12'><line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#444'/>"
                    + "<text x='%d' y='%d'>guest write</text>", x0, y, x0, y + 14, x0 + 8, y + 11));
            x0 += 100;
            out.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='36' height='7' fill='#8ab4e8' stroke='#369'/>"
                    + "<circle cx='%d' cy='%d' r='3.5' fill='#036'/><text x='%d' y='%d'>read: submitted, sampled (dot),"
                    + " completed</text>", x0, y + 4, x0 + 14, y + 7, x0 + 42, y + 11));
            x0 += 300;
            out.append(String.format(Locale.ROOT, "<path d='M%d %d l5 8 l-10 0 z' fill='#2a2' stroke='#161'/><text x='%d' y='%d'>"
                    + "block sent (white: zero block; dashed: the read it carries)</text>", x0 + 5, y + 3, x0 + 14, y + 11));
            x0 += 370;
            out.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='7' height='7' fill='#164'/><text x='%d' y='%d'>"
                    + "applied by the receiver</text><path d='M%d %d l6 6 M%d %d l-6 6' stroke='#d00' stroke-width='2'/>"
                    + "<text x='%d' y='%d'>not applied</text></g>", x0, y + 4, x0 + 12, y + 11, x0 + 160, y + 4, x0 + 166, y + 4,
                    x0 + 172, y + 11));
            int ty = y + 38;
            for (String l : lines) {
                boolean bad = l.contains("differs") || l.contains("failed") || l.startsWith("stale") || l.contains("never sent")
                        || l.startsWith("guest write #");
                out.append(String.format(Locale.ROOT, "<text x='8' y='%d' fill='%s'%s>%s</text>", ty, bad ? "#b00" : "#333",
                        bad ? " font-weight='bold'" : "", esc(l)));
                ty += 18;
            }
        }

        private static String ms(long nanos) {
            return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
        }
    }

    /**
     * A time axis over event instants: clusters of events (gaps under a 25th of the run) drawn
     * linearly in proportion to their span, each gap between clusters cut to {@link #CUT_PX}.
     */
    static final class Axis {
        static final double CUT_PX = 34;
        static final int MAX_CUTS = 6;

        record Segment(long fromNanos, long toNanos, double fromPx, double toPx, boolean cut) {}

        record Tick(double px, String label) {}

        private final List<Segment> segments;

        private Axis(List<Segment> segments) {
            this.segments = segments;
        }

        List<Segment> segments() {
            return segments;
        }

        static Axis of(List<Long> instants, double leftPx, double widthPx) {
            long[] ts = instants.stream().mapToLong(Long::longValue).filter(t -> t >= 0).sorted().distinct().toArray();
            if (ts.length == 0) {
                ts = new long[] {0, 1};
            }
            long total = Math.max(1, ts[ts.length - 1] - ts[0]);
            // the widest gaps over a 25th of the run, at most MAX_CUTS of them, are cut
            List<Integer> gaps = new ArrayList<>();
            for (int i = 1; i < ts.length; i++) {
                if (ts[i] - ts[i - 1] > total / 25) {
                    gaps.add(i);
                }
            }
            final long[] t = ts;
            gaps.sort(Comparator.comparingLong((Integer i) -> -(t[i] - t[i - 1])));
            Set<Integer> cutAt = new java.util.HashSet<>(gaps.subList(0, Math.min(MAX_CUTS, gaps.size())));
            List<long[]> clusters = new ArrayList<>();
            long from = ts[0];
            long cutNanos = 0;
            for (int i = 1; i < ts.length; i++) {
                if (cutAt.contains(i)) {
                    clusters.add(new long[] {from, ts[i - 1]});
                    cutNanos += ts[i] - ts[i - 1];
                    from = ts[i];
                }
            }
            clusters.add(new long[] {from, ts[ts.length - 1]});
            List<Segment> segs = new ArrayList<>();
            if (clusters.size() == 1 || cutNanos < total * 0.3) {
                segs.add(new Segment(ts[0], ts[0] + total, leftPx, leftPx + widthPx, false));
                return new Axis(segs);
            }
            double available = widthPx - CUT_PX * (clusters.size() - 1);
            long spans = clusters.stream().mapToLong(c -> c[1] - c[0]).sum();
            double[] weights = clusters.stream().mapToDouble(c -> Math.max(c[1] - c[0], Math.max(1, spans) * 0.08)).toArray();
            double sum = java.util.Arrays.stream(weights).sum();
            double px = leftPx;
            for (int i = 0; i < clusters.size(); i++) {
                double w = available * weights[i] / sum;
                long[] c = clusters.get(i);
                // a cluster's events keep a margin from the cuts on either side
                double pad = Math.min(8, w / 4);
                if (i > 0) {
                    segs.add(new Segment(clusters.get(i - 1)[1], c[0], px - CUT_PX + 0, px, true));
                }
                segs.add(new Segment(c[0], c[1], px + pad, px + w - pad, false));
                px += w + CUT_PX;
            }
            // the cut segments run from the end of one cluster's events to the start of the next's
            List<Segment> fixed = new ArrayList<>();
            for (int i = 0; i < segs.size(); i++) {
                Segment g = segs.get(i);
                if (g.cut()) {
                    Segment before = segs.get(i - 1);
                    Segment after = segs.get(i + 1);
                    fixed.add(new Segment(g.fromNanos(), g.toNanos(), before.toPx(), after.fromPx(), true));
                } else {
                    fixed.add(g);
                }
            }
            return new Axis(fixed);
        }

        double x(long nanos) {
            Segment first = segments.get(0);
            if (nanos <= first.fromNanos()) {
                return first.fromPx();
            }
            for (Segment g : segments) {
                if (nanos <= g.toNanos()) {
                    long span = g.toNanos() - g.fromNanos();
                    return span == 0 ? (g.fromPx() + g.toPx()) / 2
                            : g.fromPx() + (g.toPx() - g.fromPx()) * (nanos - g.fromNanos()) / (double) span;
                }
            }
            return segments.get(segments.size() - 1).toPx();
        }

        /** Ticks in each cluster, at 1, 2 or 5 times a power of ten, about one per 70 pixels. */
        List<Tick> ticks() {
            List<Tick> ticks = new ArrayList<>();
            for (Segment g : segments) {
                if (g.cut()) {
                    continue;
                }
                double fromMs = g.fromNanos() / 1e6;
                double toMs = g.toNanos() / 1e6;
                if (g.toNanos() == g.fromNanos()) {
                    ticks.add(new Tick(x(g.fromNanos()), shortMs(g.fromNanos())));
                    continue;
                }
                double[] ts = Ticks.nice(fromMs, toMs, Math.max(1, (int) ((g.toPx() - g.fromPx()) / 70)));
                for (double t : ts) {
                    if (t >= fromMs - 1e-9 && t <= toMs + 1e-9) {
                        ticks.add(new Tick(x(Math.round(t * 1e6)), Ticks.label(t, ts)));
                    }
                }
                if (ts.length < 2 || ticks.stream().noneMatch(t -> t.px() >= g.fromPx() && t.px() <= g.toPx())) {
                    ticks.add(new Tick(x(g.fromNanos()), shortMs(g.fromNanos())));
                }
            }
            // labels closer than 40 pixels to the one before would overlap it
            List<Tick> kept = new ArrayList<>();
            for (Tick t : ticks) {
                if (kept.isEmpty() || t.px() - kept.get(kept.size() - 1).px() >= 40) {
                    kept.add(t);
                }
            }
            return kept;
        }

        /** Milliseconds with three significant decimals at most. */
        static String shortMs(long nanos) {
            double v = nanos / 1e6;
            return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                    : String.format(Locale.ROOT, "%.2f", v);
        }
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }

    /** Axis ticks at 1, 2 or 5 times a power of ten, with labels of no more digits than they need. */
    public static final class Ticks {
        private Ticks() {}

        public static double[] nice(double from, double to, int aboutCount) {
            double range = to - from;
            if (!(range > 0)) {
                return new double[] {from};
            }
            double raw = range / Math.max(1, aboutCount);
            double power = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / power;
            double step = (f <= 1.5 ? 1 : f <= 3 ? 2 : f <= 7 ? 5 : 10) * power;
            List<Double> ts = new ArrayList<>();
            for (double t = Math.ceil(from / step) * step; t <= to + step * 1e-9; t += step) {
                ts.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return ts.stream().mapToDouble(Double::doubleValue).toArray();
        }

        /** The value with as many decimals as the step between ticks needs. */
        public static String label(double value, double[] ticks) {
            return String.format(Locale.ROOT, "%." + decimals(ticks) + "f", value);
        }

        /** Decimals that tell ticks this far apart from one another. */
        public static int decimals(double[] ticks) {
            double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(ticks[0]);
            return step <= 0 ? 0 : Math.min(9, Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9)));
        }
    }
}
