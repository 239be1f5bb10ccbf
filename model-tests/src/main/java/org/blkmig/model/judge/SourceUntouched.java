// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.simdisk.BlockDevice;

/** The migration writes nothing to a source and stops dirty tracking. */
final class SourceUntouched extends NamedProperty {
    @Override
    public String id() {
        return "source-untouched";
    }

    @Override
    public String promise() {
        return "the migration writes nothing to a source and stops dirty tracking";
    }

    @Override
    public Verdict judge(Facts f) {
        long guestWrites = f.history().guestWrites().size();
        long sourceWrites = f.run().sources().values().stream().mapToLong(GuardedDisk::writes).sum();
        if (sourceWrites != guestWrites) {
            return Verdict.fail(this, Cause.SOURCE_WRITTEN, sourceWrites + " writes reached the sources but the guest made "
                    + guestWrites);
        }
        for (BlockDevice dev : f.run().sourceDevices().values()) {
            if (dev.dirtyBitmapCount() != 0) {
                return Verdict.fail(this, Cause.TRACKING_LEFT_ON, "dirty tracking still on for " + dev.name()
                        + " after the migration ended").subject(dev.name());
            }
        }
        return Verdict.pass(this);
    }
}
