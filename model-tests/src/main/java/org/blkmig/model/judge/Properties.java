// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.List;
import java.util.Optional;

/**
 * The registry: every property a simulated run is judged by, in the order verdicts are reported
 * (the first failure names a run's finding). Adding a property is its class, one line here and
 * its test.
 */
public final class Properties {
    private Properties() {}

    public static final Property INVARIANTS = new Invariants();
    public static final Property IDENTICAL = new Identical();
    public static final ProtocolRules PROTOCOL = new ProtocolRules();
    public static final ProtocolRules.Progress PROGRESS = new ProtocolRules.Progress();
    public static final Property CHUNK_COVERAGE = new ChunkCoverage();
    public static final Property READ_HISTORY = new ReadHistory();
    public static final Property FINAL_COPY_ORDER = new FinalCopyOrder();
    public static final Property SOURCE_UNTOUCHED = new SourceUntouched();
    public static final Property IN_BOUNDS = new InBounds();
    public static final Property CONVERGENCE = new Convergence();
    public static final Property HONEST_COMPLETION = new HonestCompletion();
    public static final Property DURABILITY = new Durability();
    public static final Property EXPLAINED_FAILURE = new ExplainedFailure();
    public static final Property JUSTIFIED_NON_CONVERGENCE = new JustifiedNonConvergence();
    public static final Property PROMPTNESS = new Promptness();
    public static final Property DOWNTIME = new Downtime();
    public static final Property RATE_LIMIT = new RateLimit();
    public static final Property CLEAN_STOP = new CleanStop();
    public static final Property THROTTLE_RELEASED = new ThrottleReleased();
    public static final Property MIRROR_SYNCHRONOUS = new MirrorSynchronous();
    public static final Property DETERMINISM = new Determinism();

    /** Every property, in report order. */
    public static final List<Property> ALL = List.of(INVARIANTS, IDENTICAL, PROTOCOL, PROGRESS, CHUNK_COVERAGE,
            READ_HISTORY, FINAL_COPY_ORDER, SOURCE_UNTOUCHED, IN_BOUNDS, CONVERGENCE, HONEST_COMPLETION, DURABILITY, EXPLAINED_FAILURE,
            JUSTIFIED_NON_CONVERGENCE, PROMPTNESS, DOWNTIME, RATE_LIMIT, CLEAN_STOP, THROTTLE_RELEASED, MIRROR_SYNCHRONOUS,
            DETERMINISM);

    /**
     * The properties a strategy may declare not applicable (its own list, the judge's): liveness, whose
     * model assumes the controller's iterate-until-the-threshold loop; never a safety property.
     */
    static final java.util.Set<String> DECLARABLE = java.util.Set.of("convergence", "justified-non-convergence", "promptness");

    /** Every property's verdict on the run these facts describe, in report order. */
    public static List<Verdict> judge(Facts f) {
        java.util.Set<String> declared = f.run().variant().profile().notApplicable();
        return ALL.stream().map(p -> declared.contains(p.id()) && DECLARABLE.contains(p.id())
                ? Verdict.notApplicable(p, Cause.STRATEGY_DECLARED) : p.judge(f)).toList();
    }

    public static Optional<Property> byId(String id) {
        return ALL.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    public static boolean allPassed(List<Verdict> vs) {
        return vs.stream().allMatch(Verdict::passed);
    }
}
