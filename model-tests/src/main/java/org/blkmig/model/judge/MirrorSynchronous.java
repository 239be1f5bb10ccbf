// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.simdisk.History;

/**
 * A strategy that mirrors the guest's writes (its history's GUEST_MIRRORED "on" marker) keeps the
 * promise of write-blocking: each guest write made while mirroring is on the wire before the guest's
 * next write, as a block of each chunk it touched whose read sampled the disk at or after the write.
 * Judged from the history, the oracle's blocks, the replay's matching read and the stream's clock.
 */
final class MirrorSynchronous extends NamedProperty {
    @Override
    public String id() {
        return "mirror-synchronous";
    }

    @Override
    public String promise() {
        return "while a strategy mirrors the guest's writes, each is on the wire (a block of its chunk read after it) before"
                + " the guest's next write";
    }

    /** A block of one chunk: when its read sampled the disk, and when its last byte was written to the stream. */
    private record Sent(long sampleNanos, long onWireNanos) {}

    @Override
    public Verdict judge(Facts f) {
        long onNanos = -1;
        long offNanos = Long.MAX_VALUE;
        for (History.Marker m : f.history().markers()) {
            if (m.kind() == History.Kind.GUEST_MIRRORED) {
                if (m.detail().equals("on") && onNanos < 0) {
                    onNanos = m.timeNanos();
                } else if (m.detail().equals("off")) {
                    offNanos = Math.min(offNanos, m.timeNanos());
                }
            }
        }
        if (onNanos < 0) {
            return Verdict.pass(this);
        }
        long chunkSectors = f.scenario().chunkSizeBytes() / 512;
        Map<ChunkRef, List<Sent>> sent = new HashMap<>();
        List<OracleStream.SentBlock> blocks = f.stream().blocks();
        for (Replay.Match m : f.replay().matches()) {
            if (m.cause() != Cause.NONE || m.read() == null) {
                continue;
            }
            OracleStream.SentBlock b = blocks.get(m.index());
            sent.computeIfAbsent(new ChunkRef(b.device(), b.sector() / chunkSectors), k -> new ArrayList<>())
                    .add(new Sent(m.read().sampleNanos(), f.run().clock().timeOf(b.offsetBytes() + b.wireBytes() - 1)));
        }
        long stop = f.history().guestStoppedNanos() < 0 ? Long.MAX_VALUE : f.history().guestStoppedNanos();
        List<History.GuestWrite> writes = f.history().guestWrites();
        for (int i = 0; i + 1 < writes.size(); i++) {
            History.GuestWrite w = writes.get(i);
            long next = writes.get(i + 1).timeNanos();
            if (w.timeNanos() < onNanos || next >= Math.min(stop, offNanos)) {
                continue; // before the mirror, or its next write comes after the mirror or the guest stopped
            }
            for (long c = w.sector() / chunkSectors; c <= (w.sector() + w.sectorCount() - 1) / chunkSectors; c++) {
                ChunkRef chunk = new ChunkRef(w.device(), c);
                boolean forwarded = sent.getOrDefault(chunk, List.of()).stream()
                        .anyMatch(s -> s.sampleNanos() >= w.timeNanos() && s.onWireNanos() >= 0 && s.onWireNanos() <= next);
                if (!forwarded) {
                    return Verdict.fail(this, Cause.MIRROR_WRITE_NOT_FORWARDED, "guest write " + w.writeId() + " to " + chunk
                            + " at " + w.timeNanos() / 1e6 + " ms was not on the wire when the guest's next write came, at "
                            + next / 1e6 + " ms").about(chunk).at(w.timeNanos(), next);
                }
            }
        }
        return Verdict.pass(this);
    }
}
