// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

/** Seeded bugs of the receiver, for the tests to catch. Never on by default. */
public enum ReceiverMutant {
    /** QEMU >= 2.10: the whole chunk is written for a device's last partial chunk; the write past the end fails. */
    PARTIAL_CHUNK_FULL_WRITE("the whole 1 MiB written for a last partial chunk (QEMU 7.2's destination)"),
    /** The target is declared complete when the input ends, END or not. */
    COMPLETE_AT_END_OF_INPUT("complete at the end of input without the END payload"),
    /** The write pipeline drops ZERO_BLOCK writes: whatever the target held there stays. */
    PIPELINE_DROPS_ZERO_WRITES("the write pipeline drops ZERO_BLOCK writes"),
    /** Completion is declared (and the targets flushed) before the pipeline has drained: the last writes land after it. */
    COMPLETE_BEFORE_DRAIN("complete and flushed before the write pipeline has drained");

    public final String description;

    ReceiverMutant(String description) {
        this.description = description;
    }
}
