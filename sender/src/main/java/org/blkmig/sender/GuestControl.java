// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/** What the controller may do to the guest: stop it for the final copy. */
@FunctionalInterface
public interface GuestControl {
    void stop();

    GuestControl NONE = () -> {};
}
