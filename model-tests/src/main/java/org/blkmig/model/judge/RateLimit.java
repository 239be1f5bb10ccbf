// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.List;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.StreamClock;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.History;

/**
 * In every slice the blocks sent (by the stream's bytes and their virtual times) stay within the
 * slice's budget plus one block, and reads do not run ahead of the wire past what a slice's budget holds.
 */
final class RateLimit extends NamedProperty {
    @Override
    public String id() {
        return "rate-limit";
    }

    @Override
    public String promise() {
        return "in every slice the blocks sent (by the stream's bytes and their virtual times) stay within the slice's"
                + " budget plus one block, and no read is submitted while the chunks read but not yet sent fill the"
                + " slice's budget";
    }

    @Override
    public Verdict judge(Facts f) {
        Scenario s = f.scenario();
        long budgetBytes = Math.max(1, (long) (s.bandwidthBytesPerSecond() * (s.setup().sliceNanos() / 1e9)));
        OracleStream d = f.stream();
        long oneBlock = d.largestBlockWireBytes();
        List<Long> starts = f.run().clock().sliceStartOffsets();
        long[] bytes = new long[starts.size()];
        int slice = 0;
        for (OracleStream.SentBlock b : d.blocks()) {
            while (slice + 1 < starts.size() && b.offsetBytes() >= starts.get(slice + 1)) {
                slice++;
            }
            if (b.payload() == SectionType.PART && !starts.isEmpty() && b.offsetBytes() >= starts.get(0)) {
                bytes[slice] += b.wireBytes(); // the final copy (END) runs with the guest stopped, on no budget
            }
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] > budgetBytes + oneBlock) {
                return Verdict.fail(this, Cause.SLICE_OVER_BUDGET, String.format("%d bytes of blocks in slice %d (stream"
                        + " bytes %d to %s), over its budget of %d bytes plus one block of %d", bytes[i], i, starts.get(i),
                        i + 1 < starts.size() ? String.valueOf(starts.get(i + 1)) : "its end", budgetBytes, oneBlock))
                        .at(f.run().clock().timeOf(starts.get(i)));
            }
        }
        return readAhead(f, budgetBytes);
    }

    /**
     * Reads ahead of the wire: at each read submitted while the guest runs, the chunks read (the
     * history's submissions) but not yet sent (the stream's blocks written by then) may not pass
     * what the slice's budget holds, rounded up to a whole chunk. Only up to where the stream is
     * whole: see {@link #wholeUntilNanos}.
     */
    private Verdict readAhead(Facts f, long budgetBytes) {
        ScenarioRunner.Run run = f.run();
        int chunk = f.scenario().chunkSizeBytes();
        long bound = Math.max(1, (budgetBytes + chunk - 1) / chunk);
        long stopped = f.history().guestStoppedNanos();
        stopped = Math.min(stopped >= 0 ? stopped : Long.MAX_VALUE, wholeUntilNanos(run.clock(), run.stream().length()));
        long[] sentAt = f.stream().blocks().stream().mapToLong(b -> run.clock().timeOf(b.offsetBytes())).toArray();
        int sent = 0;
        long submitted = 0;
        for (History.Entry e : f.history().entries()) {
            // a hole found by a lookup is a chunk read at once, unsent until its zero block goes
            History.ReadSubmit rs = HistoryIndex.submission(e);
            if (rs == null || rs.timeNanos() >= stopped) {
                continue;
            }
            submitted++;
            while (sent < sentAt.length && sentAt[sent] >= 0 && sentAt[sent] <= rs.timeNanos()) {
                sent++;
            }
            if (submitted - sent > bound) {
                return Verdict.fail(this, Cause.READ_AHEAD_OVER_BUDGET, String.format("at %.3f ms a read of %s sector %d"
                        + " made %d chunks read but unsent, more than the %d a slice's budget of %d bytes holds",
                        rs.timeNanos() / 1e6, rs.device(), rs.sector(), submitted - sent, bound, budgetBytes))
                        .about(new ChunkRef(rs.device(), rs.sector() * org.blkmig.simdisk.Disk.SECTOR_SIZE_BYTES / chunk))
                        .at(rs.timeNanos());
            }
        }
        return Verdict.pass(this);
    }

    /**
     * Until when the stream holds every byte the sender wrote: the time its first lost byte was
     * written, or never (Long.MAX_VALUE). A migration that fails mid-payload (a read error surfacing
     * while an iterate sends) leaves that payload unflushed, as QEMU's file does once its error is
     * set: its blocks were sent, but the stream never shows them, so reads after then are not judged.
     */
    static long wholeUntilNanos(StreamClock clock, long streamLengthBytes) {
        long lostAtNanos = clock.timeOf(streamLengthBytes);
        return lostAtNanos >= 0 ? lostAtNanos : Long.MAX_VALUE;
    }
}
