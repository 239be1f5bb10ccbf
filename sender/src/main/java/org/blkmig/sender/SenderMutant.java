// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/**
 * Seeded bugs of the sender: each switches one known-bad behaviour on, for a run, so the tests
 * can show they catch it. Never on by default.
 */
public enum SenderMutant {
    /** QEMU 7.2 (Nov 2022): bulk-phase pending is raised only when exactly 0, so the controller can complete early. */
    EARLY_COMPLETION("QEMU 7.2's early completion race: unread bulk chunks are never sent"),
    /** The dirty bit is cleared after the read completes: a write between the read and the clear is lost. */
    CLEAR_AFTER_READ("dirty bit cleared after the read instead of before"),
    /** The dirty phase does not wait for a read in flight of the same chunk: stale data can complete last. */
    TWO_READS_IN_FLIGHT("two reads of one chunk in flight"),
    /** A zero-size device ends the device scan: later disks are silently not migrated. */
    ZERO_SIZE_ENDS_SCAN("a zero-size device ends the device scan"),
    /** Shared-base mode treats zero clusters of the top layer as unallocated: the base shows through. */
    ZERO_CLUSTERS_UNALLOCATED("zero clusters of the top layer treated as unallocated"),
    /** Completion does not wait for reads in flight: their blocks are lost. */
    COMPLETE_WITHOUT_DRAIN("completion without waiting for reads in flight"),
    /** Iterate payloads of the dirty phase lose their EOS. */
    MISSING_EOS("a PART payload without its EOS"),
    /** Progress goes back once the bulk phase is done. */
    PROGRESS_BACKWARDS("progress going backwards"),
    /** Zero detection looks at the first 4 KiB only, so a chunk with data further in is sent as ZERO. */
    ZERO_FLAG_ON_DATA("ZERO flag on a chunk that is not all zero"),
    /** One more block is sent in a payload after END. */
    BLOCK_AFTER_END("a block after the END payload"),
    /** Dirty-phase blocks carry their sector plus one. */
    UNALIGNED_SECTOR("a block whose sector is not chunk-aligned"),
    /** The dirty bitmaps are not released when the migration ends: the guest pays for tracking for ever. */
    TRACKING_LEFT_ON("dirty tracking left on after the migration ended"),
    /** The dirty phase reads a chunk but leaves its bit set: resent for ever, the dirty set only grows. */
    DIRTY_BIT_KEPT("the dirty phase does not clear the bit of the chunk it reads");

    public final String description;

    SenderMutant(String description) {
        this.description = description;
    }
}
