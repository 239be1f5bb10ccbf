// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.List;
import java.util.Optional;
import org.blkmig.model.sim.StreamClock;
import org.blkmig.sender.MigrationResult;

/**
 * A migration stops its guest soon after completing fitted the downtime limit, by the liveness
 * model that {@link Convergence} shares: from the first slice at whose start what was still to
 * send fitted ({@link Liveness#completionFits}), the guest may run for the slices that sending it
 * takes at the model's rate, and 1 s of grace (rounded up to whole slices), no longer. A run that
 * did not complete is judged the same way: it could have completed long before it ended (giving up
 * is {@code convergence}'s and {@code justified-non-convergence}'s to judge); one the harness's
 * data limit ended before it was late is inconclusive. Faults (of reads or of the link) make what
 * the migration carries unknown: the property does not apply.
 *
 * <p>Both profiles are judged by the same rule. QEMU 7.2's pending rule leaves the bulk pass's
 * remainder out, so it completes early (chunk-coverage's finding), never later; what it may wait
 * for that the stream does not show, its guest RAM, counts at its bound ({@link Liveness#ramBoundBytes()}).
 */
final class Promptness extends NamedProperty {
    /**
     * The grace, in virtual time. In 10,000 campaign runs of blkmig (seed 7) and 2,000 of qemu-7.2
     * (seed 1), a run where completing fitted stopped its guest at most 3 slices after the fit and
     * at most 1 past sending what remained; 1 s is 10 slices of the shipped 100 ms (5 of the
     * longest drawn, 200 ms), while waiting half the stall limit (1.5 s, the seeded bug
     * complete-when-stalled) is late.
     */
    static final long GRACE_NANOS = 1_000_000_000L;

    /** Slice {@code slice} began when the stream held {@code offsetBytes}; at {@code atNanos}, {@code remaining} was still to send. */
    record Fit(int slice, long offsetBytes, long atNanos, Liveness.Remaining remaining) {}

    @Override
    public String id() {
        return "promptness";
    }

    @Override
    public String promise() {
        return "once what the migration still had to send (by the history and the stream) fitted 1/" + Liveness.FIT_SHARE
                + " of what one downtime limit carries, with a budget of " + Liveness.MARGIN + "+ chunks and no faults,"
                + " the guest stops within the slices sending it takes at that rate and " + GRACE_NANOS / 1_000_000_000 + " s more";
    }

    /**
     * The first slice at whose start, with the guest running, completing fitted. A slice that sent
     * nothing is judged at the first byte sent after it, as the last of the slices that share that
     * stream offset (the state then is that slice's).
     */
    static Optional<Fit> firstFit(Facts f) {
        Liveness l = f.liveness();
        StreamClock clock = f.run().clock();
        List<Long> starts = clock.sliceStartOffsets();
        long stopped = f.history().guestStoppedNanos();
        for (int i = 0; i < starts.size(); i++) {
            long offset = starts.get(i);
            if (i + 1 < starts.size() && starts.get(i + 1) == offset) {
                continue;
            }
            long at = clock.timeOf(offset);
            if (at < 0 || stopped >= 0 && at >= stopped) {
                break; // nothing sent after it, or the guest had stopped: the final copy is not a slice
            }
            Liveness.Remaining r = l.remaining(offset, at);
            if (l.completionFits(r)) {
                return Optional.of(new Fit(i, offset, at, r));
            }
        }
        return Optional.empty();
    }

    /** The slices the guest may run on from a fit: sending what remained at the model's rate, and the grace. */
    static int allowedSlices(Facts f, Fit fit) {
        long sliceNanos = f.scenario().setup().sliceNanos();
        long grace = (GRACE_NANOS + sliceNanos - 1) / sliceNanos;
        return (int) (grace + Math.ceil(fit.remaining().bytes() / Math.max(1, f.liveness().sliceCarriedBytes())));
    }

    @Override
    public Verdict judge(Facts f) {
        Liveness l = f.liveness();
        if (l.faults()) {
            return Verdict.notApplicable(this, Cause.FAULT_STRUCK);
        }
        MigrationResult m = f.run().migration();
        Optional<Fit> first = firstFit(f);
        // the guest stops, or the migration gives up, in the last slice the controller began
        int last = f.run().clock().sliceStartOffsets().size() - 1;
        if (first.isEmpty() || last - first.get().slice() <= allowedSlices(f, first.get())) {
            // the harness's data limit may have ended the run before completing fitted, or before it was late
            return !m.completed() && l.inconclusive() ? Verdict.inconclusive(this, Cause.DATA_LIMIT_REACHED,
                    "the harness's data or time limit ended the run: " + l.figures()) : Verdict.pass(this);
        }
        Fit fit = first.get();
        int allowed = allowedSlices(f, fit);
        long stopped = f.history().guestStoppedNanos();
        long end = stopped >= 0 ? stopped : m.endNanos();
        Liveness.Remaining r = fit.remaining();
        String what = String.format("at the start of slice %d (%.3f ms) %d bytes were still to send (%d of chunks never sent,"
                + " %d of guest RAM at most), within 1/%d of the %.0f bytes one downtime limit carries at %.0f B/s; ",
                fit.slice(), fit.atNanos() / 1e6, r.bytes(), r.neverSentBytes(), r.ramBytes(), Liveness.FIT_SHARE,
                l.downtimeCarriedBytes(), l.effectiveBytesPerSecond());
        String late = String.format("%d slices later, %d allowed (%.3f ms)", last - fit.slice(), allowed, end / 1e6);
        Verdict v = m.completed()
                ? Verdict.fail(this, Cause.COMPLETED_LATE, what + "the guest stopped " + late)
                : Verdict.fail(this, Cause.NOT_COMPLETED_THOUGH_FITTED, what + "the migration ended " + m.outcome() + " ("
                        + m.reason() + ") " + late).subject(m.outcome().name());
        return v.at(fit.atNanos(), end);
    }
}
