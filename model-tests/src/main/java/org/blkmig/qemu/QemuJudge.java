// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blkmig.model.judge.Cause;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Promise;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.receiver.ReceiveResult;

/**
 * Judges a real run from what it showed: the images (the source's as QEMU left it, each target),
 * the stream (the oracle's decoder and StreamChecker) and how each side ended; never from the
 * receiver's bookkeeping. Its verdicts are the simulation's {@link Verdict}s with typed causes,
 * protocol and progress straight from {@link Properties}.
 */
final class QemuJudge {
    /**
     * What one run showed. {@code streamVsSource} and {@code blkmigVsStream} are null when the
     * oracle did not rebuild the stream (it rejects it, or the migration did not complete);
     * {@code blkmig} and {@code qemu} null when that destination was not in the run; the
     * comparisons with the source are empty where not made.
     */
    record Observed(Duration deadline, QemuMigration.Source source, OracleStream stream, Set<ChunkRef> needed,
            List<QemuImages.Difference> streamVsSource, ReceiveResult blkmig, List<QemuImages.Difference> blkmigVsStream,
            List<QemuImages.Difference> blkmigVsSource, QemuLoad qemu, List<QemuImages.Difference> qemuVsSource) {

        boolean rebuilt() {
            return streamVsSource != null;
        }

        /** The completed stream carries every source disk as QEMU left it; false is QEMU's own defect. */
        boolean faithful() {
            return rebuilt() && streamVsSource.isEmpty();
        }
    }

    private final Observed o;
    private final boolean completed;
    private final Set<ChunkRef> sent;

    QemuJudge(Observed o) {
        this.o = o;
        this.completed = o.source().completed();
        this.sent = sent(o.stream());
    }

    /** The chunks the stream carried. */
    static Set<ChunkRef> sent(OracleStream d) {
        Set<ChunkRef> out = new HashSet<>();
        d.blocks().forEach(b -> out.add(new ChunkRef(b.device(), b.sector() / QemuImages.SECTORS_PER_CHUNK)));
        return out;
    }

    /** Every verdict, in report order: the first failure names the run's finding. */
    List<Verdict> verdicts() {
        List<Verdict> vs = new ArrayList<>();
        vs.add(Verdict.pass(QemuPromise.SETUP));
        vs.add(noHang());
        vs.add(explainedFailure(o.source()));
        vs.add(Properties.PROTOCOL.judge(o.stream(), completed));
        vs.add(Properties.PROGRESS.judge(o.stream(), completed));
        if (o.blkmig() != null) {
            vs.add(receiverMatchesStream());
        }
        vs.add(identical());
        vs.add(chunkCoverage());
        vs.add(honestCompletion());
        return List.copyOf(vs);
    }

    /** A run that could not be carried out: what failed, from its exception. */
    static Verdict setupFailed(Throwable e) {
        QemuError error = QemuError.of(e);
        return Verdict.fail(QemuPromise.SETUP, Cause.SETUP_FAILED, error.text()).subject(error.subject());
    }

    Verdict noHang() {
        if (o.qemu() != null && o.qemu().ending() == Ending.HUNG) {
            return Verdict.fail(QemuPromise.NO_HANG, Cause.DESTINATION_HUNG, "the destination QEMU was still loading after "
                    + QemuMigration.DESTINATION_TIMEOUT.toSeconds() + " s (QEMU killed)");
        }
        if (o.source().ending() == Ending.HUNG) {
            return Verdict.fail(QemuPromise.NO_HANG, Cause.SOURCE_HUNG, "the source's migration was still running after "
                    + o.deadline().toMillis() + " ms (QEMU killed)");
        }
        return Verdict.pass(QemuPromise.NO_HANG);
    }

    /** With no fault injected, the source's migration completes and its QEMU stays up. */
    static Verdict explainedFailure(QemuMigration.Source src) {
        Promise p = Properties.EXPLAINED_FAILURE;
        Cause cause = switch (src.ending()) {
            case HUNG -> Cause.MIGRATION_HUNG;
            case COMPLETED -> src.error().kind() == QemuError.Kind.NONE ? Cause.NONE : Cause.SOURCE_CRASHED;
            case FAILED -> Cause.SOURCE_FAILED;
            case DIED, NOT_RUN -> Cause.SOURCE_DIED;
        };
        if (cause == Cause.NONE) {
            return Verdict.pass(p);
        }
        if (cause == Cause.MIGRATION_HUNG) {
            return Verdict.notApplicable(p, cause);
        }
        String said = src.error().text();
        return Verdict.fail(p, cause, cause.text + (said.isEmpty() ? "" : ": " + said)).subject(src.error().subject());
    }

    Verdict receiverMatchesStream() {
        Promise p = QemuPromise.RECEIVER_MATCHES_STREAM;
        if (!o.rebuilt()) {
            return Verdict.notApplicable(p, completed ? Cause.STREAM_REJECTED : Cause.NOT_COMPLETED);
        }
        if (o.blkmigVsStream().isEmpty()) {
            return Verdict.pass(p);
        }
        QemuImages.Difference d = o.blkmigVsStream().get(0);
        return Verdict.fail(p, Cause.RECEIVER_DIFFERS_FROM_STREAM, "blkmig's target " + d.device() + " differs first at byte "
                + d.atByte() + " from the oracle's rebuild of the stream").about(d.chunk());
    }

    /** Each completed target equals its source as QEMU left it; a difference names its chunk and whether the stream carried it. */
    Verdict identical() {
        Promise p = Properties.IDENTICAL;
        if (!completed) {
            return Verdict.notApplicable(p, Cause.NOT_COMPLETED);
        }
        List<String> said = new ArrayList<>();
        QemuImages.Difference blkmig = firstDifference("blkmig's target", o.blkmigVsSource(), said);
        QemuImages.Difference qemu = firstDifference("the destination QEMU's disk", o.qemuVsSource(), said);
        QemuImages.Difference first = blkmig != null ? blkmig : qemu;
        if (first == null) {
            return Verdict.pass(p);
        }
        Cause cause = sent.contains(first.chunk()) ? Cause.TARGET_DIFFERS_SENT : Cause.TARGET_DIFFERS_UNSENT;
        Verdict v = Verdict.fail(p, cause, String.join("; ", said)).about(first.chunk());
        // QEMU's own defect, named so that a finding tells it from blkmig's
        return o.rebuilt() && !o.faithful() ? v.subject(Cause.STREAM_UNFAITHFUL.text) : v;
    }

    /** A target's first difference from its source, said in {@code said}; null if none. */
    private QemuImages.Difference firstDifference(String what, List<QemuImages.Difference> ds, List<String> said) {
        if (ds.isEmpty()) {
            return null;
        }
        QemuImages.Difference d = ds.get(0);
        said.add(what + " " + d.device() + " differs first at byte " + d.atByte() + " (chunk " + d.chunk().chunk() + ", "
                + (sent.contains(d.chunk()) ? "which the stream carried" : "which the stream never carried") + ")");
        return d;
    }

    /** A completed stream carried every chunk the bulk pass must send (of a qcow2 top: every chunk the top held). */
    Verdict chunkCoverage() {
        Promise p = Properties.CHUNK_COVERAGE;
        if (!completed) {
            return Verdict.notApplicable(p, Cause.NOT_COMPLETED);
        }
        List<ChunkRef> unsent = o.needed().stream().filter(c -> !sent.contains(c)).toList();
        if (unsent.isEmpty()) {
            return Verdict.pass(p);
        }
        ChunkRef c = unsent.get(0);
        return Verdict.fail(p, Cause.CHUNK_NEVER_SENT, unsent.size() + " of " + o.needed().size() + " chunks were never sent,"
                + " the first " + c.device() + " at sector " + c.chunk() * QemuImages.SECTORS_PER_CHUNK)
                .about(unsent.toArray(ChunkRef[]::new));
    }

    /** Each destination's own ending is a success exactly when the source QEMU said completed. */
    Verdict honestCompletion() {
        List<String> said = new ArrayList<>();
        Cause cause = Cause.NONE;
        String subject = "";
        String source = o.source().ending().word();
        if (o.blkmig() != null && o.blkmig().complete() != completed) {
            said.add("the source QEMU said " + source + " but blkmig's receiver says " + receiverWord(o.blkmig()));
            cause = completed ? Cause.RECEIVER_INCOMPLETE : Cause.RECEIVER_COMPLETE_UNFINISHED;
            // the receiver's own kind of failure (typed where it built its result), or how the source ended
            subject = completed ? o.blkmig().failure().name() : o.source().ending().name();
        }
        if (o.qemu() != null && o.qemu().completed() != completed) {
            said.add("the source QEMU said " + source + " but the destination QEMU says " + o.qemu());
            if (cause == Cause.NONE) {
                cause = completed ? Cause.DESTINATION_NOT_COMPLETED : Cause.DESTINATION_COMPLETED_UNFINISHED;
                subject = completed ? o.qemu().subject() : o.source().ending().name();
            }
        }
        return cause == Cause.NONE ? Verdict.pass(Properties.HONEST_COMPLETION)
                : Verdict.fail(Properties.HONEST_COMPLETION, cause, String.join("; ", said)).subject(subject);
    }

    /** blkmig's receiver's ending as people read it. */
    static String receiverWord(ReceiveResult r) {
        return r.complete() ? "complete" : "incomplete: " + r.reason();
    }
}
