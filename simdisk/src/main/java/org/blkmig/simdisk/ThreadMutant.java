// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/**
 * Seeded bugs that only real threads show: the simulation runs the sender, the receiver and the
 * guest on one thread, so it cannot catch them; the controlled-schedule tests (module controlled,
 * Fray) must. Each class they break picks its behaviour from the set it is given; never on by
 * default.
 */
public enum ThreadMutant {
    /** sender ReadTracker: a completion's counts are read in one critical section and written back in its next. */
    READ_COUNT_TWO_SECTIONS("a read completion takes the counts of reads in flight in one critical section and writes them"
            + " back, one less, in the next: a submission or completion in between is lost"),
    /** simdisk ThreadPoolIoContext: the completion callback runs before the read's last sector is copied. */
    COMPLETION_BEFORE_DATA("a reader thread reports its read done before it copies the read's last sector"),
    /** receiver WritePipeline: a failed job counts as done before its failure is published. */
    COUNTED_BEFORE_FAILURE("the target writer counts a failed block done before publishing its failure:"
            + " a drain between the two returns as if every block were written");

    public final String description;

    ThreadMutant(String description) {
        this.description = description;
    }
}
