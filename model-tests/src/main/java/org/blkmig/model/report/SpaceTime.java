// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.report;

import org.blkmig.model.judge.Judge;

/**
 * A run as a space-time diagram, an SVG a browser shows without script: one row per chunk, virtual
 * time left to right; guest writes, reads from submission through their sampling instant to
 * completion, blocks sent, blocks the receiver applied, the guest's stop. For a failure, only the
 * chunks that matter, the first differing chunk and the events explaining it highlighted.
 *
 * <p>A view, not a checker: {@link Diagram} reads the run's fact base (the oracle's stream, the
 * typed history, the replay's reads and matches, the first differences, which blocks landed on the
 * targets) and the verdicts' typed fields; {@link DiagramSvg} draws it.
 */
public final class SpaceTime {
    private SpaceTime() {}

    /** The diagram of a judged run. */
    public static String svg(Judge.Outcome o) {
        return DiagramSvg.svg(Diagram.of(o));
    }
}
