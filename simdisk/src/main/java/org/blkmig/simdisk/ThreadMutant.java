// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/**
 * Seeded bugs that only real threads show: the simulation runs the sender, the receiver and the
 * guest on one thread, so it cannot catch them; the controlled-schedule tests (module controlled,
 * Fray) must. Each class they break picks its behaviour from the set it is given; never on by
 * default.
 */
public enum ThreadMutant {
    /** sender ReadTracker: a completion's counts are read in its critical section and written back in a second one. */
    READ_COUNT_TWO_SECTIONS("a read completion writes the counts of reads in flight back in a second critical section:"
            + " a submission in between is lost"),
    /** simdisk ThreadPoolIoContext: the completion callback runs before the read fills the buffer. */
    COMPLETION_BEFORE_DATA("a reader thread reports its read done before it fills the buffer"),
    /** receiver WritePipeline: a job counts as done before it is written, so drain wakes early. */
    COUNTED_BEFORE_WRITTEN("the target writer counts a block done before writing it: drain returns before the last write");

    public final String description;

    ThreadMutant(String description) {
        this.description = description;
    }
}
