// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A named choice of the algorithm's policies: which block migration the model runs. */
public enum Profile {
    /** PROTOCOL.md's corrected algorithm: the default. */
    BLKMIG("blkmig", SenderPolicies.BLKMIG);

    public final String cliName;
    public final SenderPolicies policies;

    Profile(String cliName, SenderPolicies policies) {
        this.cliName = cliName;
        this.policies = policies;
    }

    public static Profile parse(String name) {
        for (Profile p : values()) {
            if (p.cliName.equals(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "'; known: "
                + Arrays.stream(values()).map(p -> p.cliName).collect(Collectors.joining(", ")));
    }
}
