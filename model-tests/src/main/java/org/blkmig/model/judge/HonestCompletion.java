// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.Map;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.receiver.ReceiveResult;

/** The target is complete exactly when the migration completed, and only once every write landed and was flushed. */
final class HonestCompletion extends NamedProperty {
    @Override
    public String id() {
        return "honest-completion";
    }

    @Override
    public String promise() {
        return "the target is complete exactly when the migration completed, and only once every write landed and was"
                + " flushed";
    }

    @Override
    public Verdict judge(Facts f) {
        ReceiveResult r = f.run().receive();
        if (r.complete() != f.completed()) {
            Cause cause = crossesEnd(r) ? Cause.DESTINATION_WRITE_CROSSES_END : Cause.COMPLETION_DISAGREES;
            return Verdict.fail(this, cause, "the migration ended " + f.run().migration().outcome() + " ("
                    + f.run().migration().reason() + ") but the receiver says " + r)
                    .subject(f.run().migration().outcome() + "/" + r.failure());
        }
        if (r.complete()) {
            // complete means written and flushed: a write after the final flush landed after the claim
            for (Map.Entry<String, GuardedDisk> t : f.run().targets().entrySet()) {
                if (t.getValue().writesSinceForce() > 0) {
                    return Verdict.fail(this, Cause.WRITE_AFTER_COMPLETE, t.getValue().writesSinceForce() + " write(s) to "
                            + t.getKey() + " landed after the receiver declared the target complete and flushed it");
                }
            }
        }
        return Verdict.pass(this);
    }

    /** QEMU 7.2's destination failed a block's write past the device's end (a partial last chunk). */
    private static boolean crossesEnd(ReceiveResult r) {
        return r.failure() == ReceiveResult.Failure.WRITE_CROSSES_END;
    }
}
