// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import org.blkmig.receiver.ReceiverPolicies.Completion;
import org.blkmig.receiver.ReceiverPolicies.Ending;
import org.blkmig.receiver.ReceiverPolicies.LastChunk;
import org.blkmig.receiver.ReceiverPolicies.Writeback;
import org.blkmig.receiver.ReceiverPolicies.ZeroWrite;

/**
 * Seeded bugs of the receiver, for the tests to catch: each is one policy swapped for a broken one
 * (see {@link ReceiverPolicies#of}). Never on by default.
 */
public enum ReceiverMutant {
    /** QEMU >= 2.10: the whole chunk is written for a device's last partial chunk; the write past the end fails. */
    PARTIAL_CHUNK_FULL_WRITE("the whole 1 MiB written for a last partial chunk (QEMU 7.2's destination)", LastChunk.WHOLE_CHUNK),
    /** The target is declared complete when the input ends, END or not. */
    COMPLETE_AT_END_OF_INPUT("complete at the end of input without the END payload", Ending.ANY_END_OF_INPUT),
    /** The write pipeline drops ZERO_BLOCK writes: whatever the target held there stays. */
    PIPELINE_DROPS_ZERO_WRITES("the write pipeline drops ZERO_BLOCK writes", ZeroWrite.DROPPED),
    /** Completion is declared (and the targets flushed) before the pipeline has drained: the last writes land after it. */
    COMPLETE_BEFORE_DRAIN("complete and flushed before the write pipeline has drained", Completion.BEFORE_DRAIN),
    /** Each writeback forces the wrong target: only the one whose write ended the interval, not every target written. */
    WRITEBACK_FORCES_WRONG_TARGET("each writeback forces only the target whose write ended the interval, not every target"
            + " written since the last", Writeback.WRONG_TARGET);

    public final String description;
    /** The broken policy this bug puts in place of the correct one. */
    public final Enum<?> policy;

    ReceiverMutant(String description, Enum<?> policy) {
        this.description = description;
        this.policy = policy;
    }
}
