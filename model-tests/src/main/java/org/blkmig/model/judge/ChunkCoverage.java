// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.HashSet;
import java.util.Set;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.simdisk.Disk;

/** Every (allocated) chunk is sent at least once. */
final class ChunkCoverage extends NamedProperty {
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
                    return Verdict.fail(this, Cause.CHUNK_NEVER_SENT, "chunk at sector " + sec + " of " + dev.name()
                            + " was never sent").about(new ChunkRef(dev.name(), sec / spc));
                }
            }
        }
        return Verdict.pass(this);
    }
}
