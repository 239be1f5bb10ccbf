// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender.strategy;

import java.util.SplittableRandom;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.SenderOptions;
import org.blkmig.sender.SenderPolicies;

/** The two built-in profiles, found through the same extension point as any strategy. */
public final class Builtin {
    private Builtin() {}

    /** docs/PROTOCOL.md's corrected algorithm: the default profile. */
    public static final class Blkmig implements Strategy {
        @Override
        public String name() {
            return "blkmig";
        }

        @Override
        public String description() {
            return "the corrected algorithm of docs/PROTOCOL.md (the default)";
        }
    }

    /** QEMU 7.2 as Debian ships it (docs/PROTOCOL.md, "QEMU 7.2 exactly"): 16 reads in flight, 512 buffers. */
    public static final class Qemu72 implements Strategy {
        @Override
        public String name() {
            return "qemu-7.2";
        }

        @Override
        public String description() {
            return "QEMU 7.2's block migration as it is, with its known bugs";
        }

        @Override
        public SenderPolicies policies() {
            return SenderPolicies.QEMU_7_2;
        }

        @Override
        public int maxReadsInFlight() {
            return 16;
        }

        @Override
        public int maxBufferedChunks() {
            return 512;
        }

        /** QEMU 7.2 plans with the measured bandwidth, which can pass the rate limit. */
        @Override
        public ControllerOptions.Threshold threshold() {
            return ControllerOptions.Threshold.MEASURED;
        }

        /**
         * QEMU's buffer past a device's end is uninitialised memory: zeros when fresh from the
         * kernel, stale data when reused, so the run's seed picks one.
         */
        @Override
        public SenderOptions sender(SenderOptions options, long runSeed) {
            return options.withUndefinedTailByte(new SplittableRandom(runSeed ^ 0x7A11L).nextBoolean() ? 0 : (byte) 0xA5);
        }
    }
}
