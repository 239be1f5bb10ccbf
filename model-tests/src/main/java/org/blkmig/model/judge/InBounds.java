// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.GuardedDisk;

/** Nothing is written outside a target, nor to a device that is not migrated. */
final class InBounds extends NamedProperty {
    @Override
    public String id() {
        return "in-bounds";
    }

    @Override
    public String promise() {
        return "nothing is written outside a target, nor to a device that is not migrated";
    }

    @Override
    public Verdict judge(Facts f) {
        for (Scenario.Device d : f.scenario().devices()) {
            GuardedDisk t = f.run().targets().get(d.name());
            if (t.outOfBoundsAttempts() > 0) {
                return Verdict.fail(this, Cause.WRITE_OUTSIDE_TARGET, "write outside the target: " + t.firstOutOfBounds());
            }
            if (!Facts.migrated(d) && t.writes() > 0) {
                return Verdict.fail(this, Cause.WRITE_TO_UNMIGRATED, t.writes() + " writes to " + d.name() + ", which is "
                        + (d.readOnly() ? "read-only" : "empty") + " and not migrated");
            }
        }
        return Verdict.pass(this);
    }
}
