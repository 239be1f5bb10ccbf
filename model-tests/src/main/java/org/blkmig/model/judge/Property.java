// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/**
 * A promise of the migration, judged from one run's facts alone: never from the sender's own
 * bookkeeping. Each property is one class, listed once in {@link Properties}.
 */
public interface Property extends Promise {
    /** Its verdict on the run these facts describe. */
    Verdict judge(Facts facts);
}
