// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender.strategy;

import java.util.List;
import java.util.Set;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.SenderOptions;
import org.blkmig.sender.SenderPolicies;

/**
 * A named block migration algorithm: the extension point through which a strategy from outside the
 * project (a jar on the class path, or one given to {@code --strategy-jar}) and the built-in
 * profiles {@code blkmig} and {@code qemu-7.2} alike are found, by {@link java.util.ServiceLoader}.
 *
 * <p>A jar adds strategies by listing its implementations (public, with a public no-argument
 * constructor) in {@code META-INF/services/org.blkmig.sender.strategy.Strategy}. Then {@code
 * --profile NAME} runs it under every command ({@code simulate}, {@code campaign}, {@code mutants},
 * {@code compare}, ...).
 *
 * <p>A strategy chooses, and may only choose:
 * <ul>
 *   <li>{@link #policies()}: one policy per point where block migration algorithms differ (the
 *       sender's phase machine asks them: which chunks to read, when a dirty bit is cleared, when
 *       pending data allows completion, ...; see {@link SenderPolicies});
 *   <li>its limits: reads in flight and buffered chunks;
 *   <li>{@link #threshold()}: the bandwidth the controller's completion threshold is computed from;
 *   <li>{@link #throttle()}: how the controller slows the guest's writes, slice by slice;
 *   <li>{@link #sender(SenderOptions, long)}: per-run details drawn from the run's seed.
 * </ul>
 *
 * <p>A strategy cannot weaken what is judged: every property of the judge applies to its runs,
 * judged from what the run measurably did (its stream, its history, its images). It may declare
 * only the liveness properties of {@link #LIVENESS_PROPERTIES} not applicable ({@link
 * #notApplicable()}), because their model assumes the controller's loop (iterate until the pending
 * data fits the downtime limit, give up when it stops shrinking); a strategy that completes by
 * another rule may have no such notion. Safety (the target equals the source, the stream is valid,
 * nothing is lost or written out of bounds) is never negotiable.
 */
public interface Strategy {
    /** The properties a strategy may declare not applicable: liveness, never safety. */
    Set<String> LIVENESS_PROPERTIES = Set.of("convergence", "justified-non-convergence", "promptness");

    /** The name {@code --profile} takes: lower case, digits, dots and dashes. */
    String name();

    /** One line for people: what the algorithm does differently. */
    String description();

    /** One policy per point of the sender's phase machine. */
    default SenderPolicies policies() {
        return SenderPolicies.BLKMIG;
    }

    default int maxReadsInFlight() {
        return SenderOptions.DEFAULT_MAX_READS_IN_FLIGHT;
    }

    default int maxBufferedChunks() {
        return SenderOptions.DEFAULT_MAX_BUFFERED_CHUNKS;
    }

    /** The bandwidth the completion threshold (bandwidth x downtime limit) is computed from. */
    default ControllerOptions.Threshold threshold() {
        return ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT;
    }

    /** How the controller slows the guest's writes after each slice; none by default. */
    default GuestThrottle throttle() {
        return GuestThrottle.NONE;
    }

    /** The sender's options for a run with this seed, given the ones with this strategy's policies and limits. */
    default SenderOptions sender(SenderOptions options, long runSeed) {
        return options;
    }

    /** Ids of properties of {@link #LIVENESS_PROPERTIES} this strategy's runs are not judged by. */
    default Set<String> notApplicable() {
        return Set.of();
    }

    /** This strategy's own seeded bugs, which the kill matrix ({@code blkmig mutants --profile NAME}) must catch. */
    default List<StrategyMutant> mutants() {
        return List.of();
    }
}
