// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

/** A destination QEMU's load of a stream: how it ended, and what QEMU said (NONE when it completed). */
public record QemuLoad(Ending ending, QemuError error) {
    public static final QemuLoad NOT_RUN = new QemuLoad(Ending.NOT_RUN, QemuError.NONE);

    public boolean completed() {
        return ending == Ending.COMPLETED;
    }

    /** What findings tell a destination's failures apart by: its ending and QEMU's error. */
    public String subject() {
        return ending.name() + (error.kind() == QemuError.Kind.NONE ? "" : ", " + error.subject());
    }

    @Override
    public String toString() {
        if (ending == Ending.COMPLETED || ending == Ending.NOT_RUN) {
            return ending.word();
        }
        return ending.word() + ": " + (error.text().isEmpty() ? "(nothing in its log)" : error.text());
    }
}
