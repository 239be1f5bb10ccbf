// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.simdisk.History;

/**
 * A guest that a strategy slowed (its history's GUEST_THROTTLED markers) runs at full speed again
 * once the migration ended: a migration that gave up must not leave its guest crippled, as QEMU's
 * auto-converge stops its CPU throttle at the end of every migration.
 */
final class ThrottleReleased extends NamedProperty {
    @Override
    public String id() {
        return "throttle-released";
    }

    @Override
    public String promise() {
        return "a guest the strategy slowed runs at full speed again once the migration ended";
    }

    @Override
    public Verdict judge(Facts f) {
        History.Marker last = null;
        for (History.Marker m : f.history().markers()) {
            if (m.kind() == History.Kind.GUEST_THROTTLED) {
                last = m;
            }
        }
        if (last == null) {
            return Verdict.pass(this);
        }
        double slowdown = Double.parseDouble(last.detail());
        if (slowdown != 1) {
            return Verdict.fail(this, Cause.THROTTLE_LEFT_ON, "the guest was left slowed " + last.detail()
                    + " times from " + last.timeNanos() / 1e6 + " ms on, after the migration ended").at(last.timeNanos());
        }
        return Verdict.pass(this);
    }
}
