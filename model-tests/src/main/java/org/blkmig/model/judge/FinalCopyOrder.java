// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.HashMap;
import java.util.Map;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.Disk;

/**
 * The stop-and-copy walks the devices in the order of the device list, each from its first chunk
 * to its last, as QEMU's block_save_complete does (docs/PROTOCOL.md, "The sender's algorithm", step
 * 8). Judged from the stream and the history alone: the END payload's blocks whose read (or hole
 * lookup) was submitted once the guest had stopped are the final walk's, and their (device's place
 * in the scenario's list, sector) must increase strictly in stream order. Blocks of reads the final
 * copy only drained were submitted while the guest ran and are not the walk's.
 */
final class FinalCopyOrder extends NamedProperty {
    @Override
    public String id() {
        return "final-copy-order";
    }

    @Override
    public String promise() {
        return "the final copy (after the guest stops) walks the devices in the order of the device list, each chunk by"
                + " chunk from its start";
    }

    @Override
    public Verdict judge(Facts f) {
        long stoppedNanos = f.history().guestStoppedNanos();
        // the harness stops the guest of a run that ended otherwise too: only a completed run had a final copy
        if (!f.completed() || stoppedNanos < 0) {
            return Verdict.notApplicable(this, Cause.NOT_COMPLETED);
        }
        Replay replay = f.replay();
        if (replay.replayError() != null) {
            return Verdict.pass(this); // read-history reports a replay that failed
        }
        Map<String, Integer> place = new HashMap<>();
        for (Scenario.Device d : f.scenario().devices()) {
            place.putIfAbsent(d.name(), place.size());
        }
        long chunkSectors = f.scenario().chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        OracleStream.SentBlock previous = null;
        for (Replay.Match m : replay.matches()) {
            OracleStream.SentBlock b = f.stream().blocks().get(m.index());
            if (b.payload() != SectionType.END || m.read() == null || m.read().submitNanos() < stoppedNanos) {
                continue; // not a block of the final walk (or one read-history reports)
            }
            if (previous != null && compare(place, previous, b) >= 0) {
                ChunkRef before = new ChunkRef(previous.device(), previous.sector() / chunkSectors);
                ChunkRef after = new ChunkRef(b.device(), b.sector() / chunkSectors);
                String why = previous.device().equals(b.device()) ? "the walk went back within " + b.device()
                        : b.device() + " comes before " + previous.device() + " in the device list";
                return Verdict.fail(this, Cause.FINAL_COPY_OUT_OF_ORDER, "the final copy sent " + after + " (stream offset "
                        + b.offsetBytes() + ") after " + before + " (offset " + previous.offsetBytes() + "): " + why)
                        .about(before, after).at(f.run().clock().timeOf(previous.offsetBytes()),
                                f.run().clock().timeOf(b.offsetBytes()));
            }
            previous = b;
        }
        return Verdict.pass(this);
    }

    /** The walk's order: the device's place in the list, then the sector. */
    private static int compare(Map<String, Integer> place, OracleStream.SentBlock a, OracleStream.SentBlock b) {
        int c = Integer.compare(place.getOrDefault(a.device(), Integer.MAX_VALUE), place.getOrDefault(b.device(),
                Integer.MAX_VALUE));
        return c != 0 ? c : Long.compare(a.sector(), b.sector());
    }
}
