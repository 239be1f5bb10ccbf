// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyAttributes;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Runs every property with a share of its tries when {@code -Dblkmig.tries.percent=N} is set:
 * PIT reruns the properties once per mutant, and whole simulated migrations at full budget made
 * the sender's run take 90 minutes. Under a budget the seed is fixed (a score must be rerunnable)
 * and a falsified property is not shrunk (PIT needs the failure, not the smallest example).
 * Registered for every property through META-INF/services; without the property it does nothing.
 */
public final class TriesBudget implements AroundPropertyHook {
    static final String PERCENT = "blkmig.tries.percent";
    static final String SEED = "4242";

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String percent = System.getProperty(PERCENT);
        if (percent != null) {
            PropertyAttributes a = context.attributes();
            int tries = a.tries().orElse(1000);
            a.setTries(scaled(tries, Integer.parseInt(percent)));
            a.setSeed(SEED);
            a.setShrinking(ShrinkingMode.OFF);
            a.setAfterFailure(AfterFailureMode.RANDOM_SEED);
        }
        return property.execute();
    }

    /** False under a budget: a share of the tries cannot promise the coverage the full run checks. */
    public static boolean full() {
        return System.getProperty(PERCENT) == null;
    }

    /** At least 10 tries (or all of them when fewer): a property must still meet its cases. */
    static int scaled(int tries, int percent) {
        return Math.max(Math.min(tries, 10), (int) ((long) tries * percent / 100));
    }
}
