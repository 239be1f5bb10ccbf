// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.simdisk.History;

/**
 * Both ends stop by themselves: nothing the sender holds, nothing the scheduler still runs, a
 * receiver that returned by itself; and after a link drop, an incomplete target unless the sender
 * completed (a fault after the END payload's last byte costs only the EOF marker).
 */
final class CleanStop extends NamedProperty {
    @Override
    public String id() {
        return "clean-stop";
    }

    @Override
    public String promise() {
        return "both ends stop by themselves: the sender holds no chunk buffer, the receiver returns (its thread ends),"
                + " no event stays scheduled; a link fault leaves the target incomplete unless the migration completed";
    }

    @Override
    public Verdict judge(Facts f) {
        ScenarioRunner.Ends e = f.run().ends();
        if (e.senderBuffersHeld() != 0) {
            return Verdict.fail(this, Cause.BUFFERS_HELD, "the sender still holds " + e.senderBuffersHeld()
                    + " chunk buffer(s) after it ended");
        }
        if (!e.receiverReturned()) {
            return Verdict.fail(this, Cause.RECEIVER_STILL_WAITING, "the receiver was still waiting for bytes after the"
                    + " sender ended: " + f.run().receive());
        }
        if (e.receiverThreadAlive()) {
            return Verdict.fail(this, Cause.RECEIVER_THREAD_ALIVE, "the receiver's thread did not end");
        }
        if (e.eventsLeft() != 0) {
            return Verdict.fail(this, Cause.EVENTS_LEFT, e.eventsLeft() + " events still scheduled after both ends stopped"
                    + " and " + ScenarioRunner.MAX_EVENTS_AFTER_END + " more ran");
        }
        if (f.history().has(History.Kind.LINK_DROP) && !f.completed() && f.run().receive().complete()) {
            return Verdict.fail(this, Cause.COMPLETE_AFTER_DROP, "the link dropped but the receiver reports the target"
                    + " complete: " + f.run().receive());
        }
        return Verdict.pass(this);
    }
}
