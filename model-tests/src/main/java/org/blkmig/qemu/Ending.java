// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.util.Locale;

/** How one side of a real run ended: the source's migration, or a destination's load. */
public enum Ending {
    /** Not started: the run stopped before it (no stream to load, a failed setup). */
    NOT_RUN,
    /** QEMU said completed (blkmig's receiver: complete). */
    COMPLETED,
    /** QEMU reported another final status (failed, cancelled), or a destination refused the stream. */
    FAILED,
    /** Still running at its deadline: the harness killed it. */
    HUNG,
    /** The source QEMU went away mid-migration: its monitor broke, or it aborted. */
    DIED;

    /** As people read it: {@code not run}, {@code completed}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
