// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.util.function.Supplier;

/**
 * Invariants asserted in main code (TigerBeetle style). Always on, in tests, in the simulation and
 * in production: a broken invariant is a bug of blkmig, so it is an {@link Error} that no
 * {@code catch (RuntimeException)} around a migration can turn into an ordinary failure.
 */
public final class Invariant {
    private Invariant() {}

    /** Thrown when an invariant does not hold. */
    public static final class Violation extends AssertionError {
        private static final long serialVersionUID = 1L;

        public Violation(String what) {
            super("invariant violated: " + what);
        }
    }

    /** Throws {@link Violation} naming {@code what} unless {@code holds}. */
    public static void check(boolean holds, String what) {
        if (!holds) {
            throw new Violation(what);
        }
    }

    /** As {@link #check(boolean, String)}, building the message only when it fails (for hot paths). */
    public static void check(boolean holds, Supplier<String> what) {
        if (!holds) {
            throw new Violation(what.get());
        }
    }
}
