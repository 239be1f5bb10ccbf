// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.strategies;

import java.util.List;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.strategy.GuestThrottle;
import org.blkmig.sender.strategy.Strategy;
import org.blkmig.sender.strategy.StrategyMutant;

/**
 * An example research strategy, built on the public extension point only: blkmig's bulk pass, then
 * write mirroring in the spirit of blockdev-mirror with copy-mode=write-blocking. Once the bulk pass
 * is done, each guest write waits until every write before it was sent (its chunk read after it and
 * its block on the wire), so the dirty set holds one write's chunks at most and cannot grow; the guest
 * pays in write latency. A mirrored write travels as its whole chunk, a data block of QEMU 7.2's
 * stream: no record beyond QEMU 7.2's is needed, and StreamChecker and the oracle judge it as any block.
 */
public final class MirrorStrategy implements Strategy {
    /** Mirrors after the bulk pass; never slows the guest otherwise. */
    static class WriteBlocking implements GuestThrottle {
        @Override
        public double slowdown(MigrationResult.SliceFigures slice, int stalledSlices, double currentSlowdown) {
            return currentSlowdown;
        }

        @Override
        public boolean mirrorsWrites() {
            return true;
        }
    }

    /** A seeded bug: a write is let go once its chunk's read is submitted, before its block is sent. */
    static final class AcksEarly extends WriteBlocking {
        @Override
        public boolean mirrorReleases(long dirtyBytes, int chunksUnsent) {
            return dirtyBytes == 0;
        }
    }

    private final GuestThrottle mirror;

    public MirrorStrategy() {
        this(new WriteBlocking());
    }

    private MirrorStrategy(GuestThrottle mirror) {
        this.mirror = mirror;
    }

    @Override
    public String name() {
        return "mirror";
    }

    @Override
    public String description() {
        return "blkmig's bulk pass, then each guest write waits until the writes before it were sent (write-blocking mirror)";
    }

    @Override
    public GuestThrottle throttle() {
        return mirror;
    }

    @Override
    public List<StrategyMutant> mutants() {
        return List.of(new StrategyMutant("mirror-acks-early",
                "the mirror lets a guest write go once its chunk's read is submitted, before its block is sent",
                new MirrorStrategy(new AcksEarly())));
    }
}
