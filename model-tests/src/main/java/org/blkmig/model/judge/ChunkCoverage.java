// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.simdisk.Disk;

/** Every (allocated) chunk is sent at least once. */
final class ChunkCoverage extends NamedProperty {
    /** The verdict names the first chunks never sent, this many at most, and counts them all. */
    static final int NAMED_CHUNKS = 8;

    @Override
    public String id() {
        return "chunk-coverage";
    }

    @Override
    public String promise() {
        return "every (allocated) chunk is sent at least once";
    }

    @Override
    public Verdict judge(Facts f) {
        if (!f.completed()) {
            return Verdict.notApplicable(this, Cause.NOT_COMPLETED);
        }
        Scenario s = f.scenario();
        long spc = s.chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Set<String> sent = new HashSet<>();
        f.stream().blocks().forEach(b -> sent.add(b.device() + "@" + b.sector()));
        List<ChunkRef> never = new ArrayList<>();
        long neverCount = 0;
        for (Scenario.Device dev : s.devices()) {
            if (!Facts.migrated(dev)) {
                continue;
            }
            Disk src = f.run().sources().get(dev.name()).delegate();
            long sectors = dev.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
            for (long sec = 0; sec < sectors; sec += spc) {
                boolean needed = true;
                if (s.sharedBase()) {
                    Disk.Allocation a = src.allocation(sec, spc);
                    needed = a.state() != Disk.State.UNALLOCATED || a.sectorCount() < Math.min(spc, sectors - sec);
                }
                if (needed && !sent.contains(dev.name() + "@" + sec)) {
                    neverCount++;
                    if (never.size() < NAMED_CHUNKS) {
                        never.add(new ChunkRef(dev.name(), sec / spc));
                    }
                }
            }
        }
        if (neverCount > 0) {
            ChunkRef first = never.get(0);
            return Verdict.fail(this, Cause.CHUNK_NEVER_SENT, "chunk at sector " + first.chunk() * spc + " of " + first.device()
                    + " was never sent" + (neverCount > 1 ? " (" + neverCount + " chunks in all)" : ""))
                    .about(never.toArray(ChunkRef[]::new));
        }
        return Verdict.pass(this);
    }
}
