// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/**
 * What a verdict is about: a promise of the migration with its name. The simulation's properties
 * ({@link Property}) and the real-QEMU harness's share this type, so both give the same verdicts.
 */
public interface Promise {
    /** The name that appears in its failures, on the command line and in reports: {@code identical}. */
    String id();

    /** What it promises, in one sentence for people. */
    String promise();
}
