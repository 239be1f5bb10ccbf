// SPDX-License-Identifier: GPL-2.0-or-later
package org.example.strategy;

import java.util.List;
import org.blkmig.sender.SenderPolicies;
import org.blkmig.sender.strategy.GuestThrottle;
import org.blkmig.sender.strategy.Strategy;
import org.blkmig.sender.strategy.StrategyMutant;

/** blkmig's algorithm with the guest at half speed once the bulk pass is done. */
public class HalfSpeed implements Strategy {
    private final SenderPolicies policies;

    public HalfSpeed() {
        this(SenderPolicies.BLKMIG);
    }

    private HalfSpeed(SenderPolicies policies) {
        this.policies = policies;
    }

    public String name() { return "half-speed"; }

    public String description() { return "blkmig, the guest's writes at half speed after the bulk pass"; }

    public SenderPolicies policies() { return policies; }

    public GuestThrottle throttle() { return (slice, stalledSlices, current) -> slice.bulkPhase() ? current : 2; }

    public List<StrategyMutant> mutants() {
        return List.of(new StrategyMutant("half-speed-clear-after-read", "the dirty bit cleared after the read",
                new HalfSpeed(policies.with(SenderPolicies.DirtyClear.AFTER_READ))));
    }
}
