// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/** What the controller may do to the guest: stop it for the final copy, slow its writes (a strategy's throttle). */
@FunctionalInterface
public interface GuestControl {
    void stop();

    /** The guest's writes come {@code slowdown} (>= 1) times later than its workload issues them; 1 is full speed. */
    default void throttle(double slowdown) {}

    /** Each guest write waits until {@code released} is true (a write-blocking mirror); null ends that. */
    default void mirror(java.util.function.BooleanSupplier released) {}

    GuestControl NONE = () -> {};
}
