// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/** A property that prints as its name, so assertions and logs say {@code identical}, not a class. */
public abstract class NamedProperty implements Property {
    @Override
    public String toString() {
        return id();
    }
}
