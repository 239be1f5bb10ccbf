// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A named choice of the algorithm's policies and limits: which block migration the model runs. */
public enum Profile {
    /** docs/PROTOCOL.md's corrected algorithm: the default. */
    BLKMIG("blkmig", SenderPolicies.BLKMIG, SenderOptions.DEFAULT_MAX_READS_IN_FLIGHT,
            SenderOptions.DEFAULT_MAX_BUFFERED_CHUNKS),
    /** QEMU 7.2 as Debian ships it (docs/PROTOCOL.md, "QEMU 7.2 exactly"): 16 reads in flight, 512 buffers. */
    QEMU_7_2("qemu-7.2", SenderPolicies.QEMU_7_2, 16, 512);

    public final String cliName;
    public final SenderPolicies policies;
    public final int maxReadsInFlight;
    public final int maxBufferedChunks;

    Profile(String cliName, SenderPolicies policies, int maxReadsInFlight, int maxBufferedChunks) {
        this.cliName = cliName;
        this.policies = policies;
        this.maxReadsInFlight = maxReadsInFlight;
        this.maxBufferedChunks = maxBufferedChunks;
    }

    /**
     * The options with this profile's policies and limits for a run with this seed. QEMU's buffer
     * past a device's end is uninitialised memory: zeros when fresh from the kernel, stale data
     * when reused, so the run's seed picks one.
     */
    public SenderOptions sender(SenderOptions options, long runSeed) {
        SenderOptions o = options.withPolicies(policies).withBuffers(maxReadsInFlight, maxBufferedChunks);
        if (this == QEMU_7_2) {
            o = o.withUndefinedTailByte(new java.util.SplittableRandom(runSeed ^ 0x7A11L).nextBoolean() ? 0 : (byte) 0xA5);
        }
        return o;
    }

    /** The controller's options with this profile's threshold rule: QEMU 7.2 plans with the measured bandwidth. */
    public ControllerOptions controller(ControllerOptions options) {
        return options.withThreshold(this == QEMU_7_2 ? ControllerOptions.Threshold.MEASURED
                : ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT);
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
