// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.strategies;

import java.util.List;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.strategy.GuestThrottle;
import org.blkmig.sender.strategy.Strategy;
import org.blkmig.sender.strategy.StrategyMutant;

/**
 * An example research strategy, built on the public extension point only: blkmig's algorithm, and a
 * throttle in the spirit of QEMU's auto-converge for RAM (cpu-throttle-initial 20%, increment 10%,
 * at most 99%). Once the bulk pass is done, each slice that ends with pending data no lower than
 * its low for 2 slices in a row (the guest dirties about as fast as the migration carries) throttles
 * the guest 10 points more; it never loosens during the migration and ends at full speed.
 */
public final class ThrottleStrategy implements Strategy {
    static final double INITIAL_PERCENT = 20;
    static final double INCREMENT_PERCENT = 10;
    static final double MAX_PERCENT = 99;
    /** Slices without a new low of pending data before the throttle moves. */
    static final int STALLED_SLICES_TO_THROTTLE = 2;

    /** The auto-converge rule; stateless, since one strategy object serves every run. */
    static final class AutoConverge implements GuestThrottle {
        @Override
        public double slowdown(MigrationResult.SliceFigures slice, int stalledSlices, double currentSlowdown) {
            if (slice.bulkPhase() || stalledSlices < STALLED_SLICES_TO_THROTTLE) {
                return currentSlowdown;
            }
            // a vCPU throttled at p% runs (100 - p)% of the time: its writes come 100 / (100 - p) times later
            double percent = currentSlowdown == 1 ? INITIAL_PERCENT
                    : Math.min(MAX_PERCENT, 100 - 100 / currentSlowdown + INCREMENT_PERCENT);
            return 100 / (100 - percent);
        }
    }

    /** A seeded bug: the throttle is never lifted, so a guest whose migration gave up stays slowed. */
    static final class LeftOn implements GuestThrottle {
        private final GuestThrottle rule = new AutoConverge();

        @Override
        public double slowdown(MigrationResult.SliceFigures slice, int stalledSlices, double currentSlowdown) {
            return rule.slowdown(slice, stalledSlices, currentSlowdown);
        }

        @Override
        public double slowdownAtEnd(double currentSlowdown) {
            return currentSlowdown;
        }
    }

    private final GuestThrottle throttle;

    public ThrottleStrategy() {
        this(new AutoConverge());
    }

    private ThrottleStrategy(GuestThrottle throttle) {
        this.throttle = throttle;
    }

    @Override
    public String name() {
        return "throttle";
    }

    @Override
    public String description() {
        return "blkmig's algorithm, and the guest's writes slowed (20%, +10% a stalled slice, at most 99%) when they outpace it";
    }

    @Override
    public GuestThrottle throttle() {
        return throttle;
    }

    @Override
    public List<StrategyMutant> mutants() {
        return List.of(new StrategyMutant("throttle-left-on", "the guest's throttle is never lifted when the migration ends",
                new ThrottleStrategy(new LeftOn())));
    }
}
