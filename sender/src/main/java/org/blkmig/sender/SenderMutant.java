// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import org.blkmig.sender.SenderPolicies.Allocation;
import org.blkmig.sender.SenderPolicies.DeviceScan;
import org.blkmig.sender.SenderPolicies.DirtyClear;
import org.blkmig.sender.SenderPolicies.Drain;
import org.blkmig.sender.SenderPolicies.InFlightConflict;
import org.blkmig.sender.SenderPolicies.Pending;
import org.blkmig.sender.SenderPolicies.Tracking;
import org.blkmig.sender.SenderPolicies.WireFault;
import org.blkmig.sender.SenderPolicies.ZeroDetection;

/**
 * Seeded bugs of the sender: each is one policy swapped for a broken one, so the tests can show
 * they catch it. Never on by default.
 */
public enum SenderMutant {
    EARLY_COMPLETION("QEMU 7.2's early completion race: unread bulk chunks are never sent", Pending.RAISED_ONLY_AT_ZERO),
    CLEAR_AFTER_READ("dirty bit cleared after the read instead of before", DirtyClear.AFTER_READ),
    TWO_READS_IN_FLIGHT("two reads of one chunk in flight", InFlightConflict.IGNORE),
    ZERO_SIZE_ENDS_SCAN("a zero-size device ends the device scan", DeviceScan.EMPTY_ENDS_SCAN),
    ZERO_CLUSTERS_UNALLOCATED("zero clusters of the top layer treated as unallocated", Allocation.DATA_ONLY),
    COMPLETE_WITHOUT_DRAIN("completion without waiting for reads in flight", Drain.NONE),
    MISSING_EOS("a PART payload without its EOS", WireFault.MISSING_EOS),
    PROGRESS_BACKWARDS("progress going backwards", WireFault.PROGRESS_BACKWARDS),
    ZERO_FLAG_ON_DATA("ZERO flag on a chunk that is not all zero", ZeroDetection.FIRST_4_KIB),
    BLOCK_AFTER_END("a block after the END payload", WireFault.BLOCK_AFTER_END),
    UNALIGNED_SECTOR("a block whose sector is not chunk-aligned", WireFault.UNALIGNED_SECTOR),
    TRACKING_LEFT_ON("dirty tracking left on after the migration ended", Tracking.LEFT_ON),
    DIRTY_BIT_KEPT("the dirty phase does not clear the bit of the chunk it reads", DirtyClear.KEPT_BY_DIRTY_WALK),
    SENDER_EXCEPTION("an unchecked exception inside the sender (no fault behind it)", WireFault.THROWS_IN_DIRTY_PHASE),
    RATE_LIMIT_SUBMITTED_MINUS_DONE("the rate limit counts reads in flight minus reads done",
            SenderPolicies.Submission.SUBMITTED_MINUS_DONE),
    FINAL_COPY_SENDS_BEFORE_READ("the final copy sends a block before its read completes",
            SenderPolicies.FinalCopy.SEND_AT_ONCE),
    UNORDERED_DEVICES("the devices kept in an identity-hashed set: their order changes run to run", DeviceScan.UNORDERED),
    FINAL_COPY_DEVICES_REVERSED("the final copy walks the devices from the last to the first",
            SenderPolicies.FinalCopy.LAST_DEVICE_FIRST);

    public final String description;
    /** The broken policy this bug puts in place of the correct one. */
    public final Enum<?> policy;

    SenderMutant(String description, Enum<?> policy) {
        this.description = description;
        this.policy = policy;
    }

    /** The policies with this bug switched on. */
    public SenderPolicies apply(SenderPolicies policies) {
        return policies.with(policy);
    }
}
