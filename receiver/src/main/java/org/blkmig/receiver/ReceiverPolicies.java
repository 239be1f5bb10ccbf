// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;

/**
 * Every point where a receiver's rules can differ, as one value, as the sender's
 * {@code SenderPolicies}: a seeded bug swaps one policy for a broken one ({@link ReceiverMutant}
 * names which), and the receiver and its pipelines call these and never test a flag. The points,
 * in the order a receive meets them:
 *
 * <ol>
 *   <li>{@code lastChunk}: how much of a device's partial last chunk blkmig's rules write;
 *   <li>{@code zeroWrite}: how the write pipeline applies a zero block;
 *   <li>{@code writeback}: which targets the write pipeline forces at each writeback interval;
 *   <li>{@code completion}: when completion is declared, relative to the pipeline's drain;
 *   <li>{@code ending}: which ends of the input count as the block section's completion.
 * </ol>
 *
 * QEMU 7.2's destination ({@link Destination#qemu72}) writes at once, without the pipeline, and by
 * its own cluster rule, so only {@code ending} applies to it.
 */
public record ReceiverPolicies(LastChunk lastChunk, ZeroWrite zeroWrite, Writeback writeback, Completion completion,
        Ending ending) {

    /** PROTOCOL.md's receiver. */
    public static final ReceiverPolicies BLKMIG = new ReceiverPolicies(LastChunk.IN_BOUNDS, ZeroWrite.WRITE_ZEROS,
            Writeback.EVERY_TARGET_WRITTEN, Completion.AFTER_DRAIN, Ending.END_PAYLOAD);

    public ReceiverPolicies {
        Objects.requireNonNull(lastChunk, "lastChunk");
        Objects.requireNonNull(zeroWrite, "zeroWrite");
        Objects.requireNonNull(writeback, "writeback");
        Objects.requireNonNull(completion, "completion");
        Objects.requireNonNull(ending, "ending");
    }

    /** blkmig's policies with each seeded bug's broken policy in place: where a mutant becomes a policy. */
    public static ReceiverPolicies of(Set<ReceiverMutant> mutants) {
        ReceiverPolicies p = BLKMIG;
        for (ReceiverMutant m : mutants) {
            p = p.with(m.policy);
        }
        return p;
    }

    /** These policies with one point replaced by {@code v}. */
    public ReceiverPolicies with(Enum<?> v) {
        if (v.getDeclaringClass().getEnclosingClass() != ReceiverPolicies.class) {
            throw new IllegalArgumentException(v + " is not a receiver policy");
        }
        return new ReceiverPolicies(v instanceof LastChunk x ? x : lastChunk, v instanceof ZeroWrite x ? x : zeroWrite,
                v instanceof Writeback x ? x : writeback, v instanceof Completion x ? x : completion,
                v instanceof Ending x ? x : ending);
    }

    // ---- the variation points ----

    /** How much of a device's partial last chunk blkmig's rules write. */
    public enum LastChunk {
        /** Only the sectors inside the device. */
        IN_BOUNDS,
        /**
         * The whole chunk (QEMU >= 2.10's destination, a seeded bug here): the write past the
         * device's end fails, and the receive with it.
         */
        WHOLE_CHUNK;

        /** The sectors to write of a chunk of {@code sectorsPerChunk} that has {@code sectorsLeft} inside the device. */
        long sectorsToWrite(long sectorsPerChunk, long sectorsLeft) {
            return this == WHOLE_CHUNK ? sectorsPerChunk : Math.min(sectorsPerChunk, sectorsLeft);
        }
    }

    /** How the write pipeline applies a zero block (or a run of them). */
    public enum ZeroWrite {
        /** Zeros written over its sectors: whatever the target held there goes. */
        WRITE_ZEROS,
        /** Dropped (a seeded bug): whatever the target held there stays. */
        DROPPED;

        void apply(Disk target, long sector, long sectorCount) throws IOException {
            if (this == WRITE_ZEROS) {
                target.writeZeros(sector, sectorCount);
            }
        }
    }

    /**
     * Which targets a writeback forces, once a writeback interval's bytes are written: what a power
     * loss after it may not lose (the {@code durability} property of model-tests).
     */
    public enum Writeback {
        /** Every target written since the last writeback, data or zeros: each of their writes is durable after it. */
        EVERY_TARGET_WRITTEN,
        /**
         * Only the target whose write ended the interval (a seeded bug): the data is right, but the
         * other targets' writes stay in the page cache until the final flush.
         */
        WRONG_TARGET;

        /** The targets to force, of those written since the last writeback; {@code crossing}'s write ended the interval. */
        Collection<Disk> toForce(Collection<Disk> writtenSince, Disk crossing) {
            Invariant.check(writtenSince.contains(crossing), () -> crossing.name() + " ended the interval unrecorded");
            return this == EVERY_TARGET_WRITTEN ? writtenSince : Set.of(crossing);
        }
    }

    /** When completion is declared (and the targets flushed), relative to the write pipeline's drain. */
    public enum Completion {
        /** After every block handed to the writer has landed: the completing flush covers them all. */
        AFTER_DRAIN,
        /** Before the drain (a seeded bug): the last writes land after the flush that declared completion. */
        BEFORE_DRAIN;

        /** Called between the END payload and the completing flush. */
        void beforeFlush(Pipeline pipeline) throws IOException {
            if (this == AFTER_DRAIN) {
                pipeline.drain();
            }
        }
    }

    /** Which ends of the input count as the block section's completion. */
    public enum Ending {
        /** Only the END payload's EOS: input that stops before it is incomplete, however it stops. */
        END_PAYLOAD,
        /**
         * Also input that ends before the END payload, cleanly or inside a record (a seeded bug):
         * a stream cut short passes for complete.
         */
        ANY_END_OF_INPUT;

        /** Whether input that stopped before the END payload this way is taken for complete. */
        boolean completes(ReceiveResult.Failure how) {
            return this == ANY_END_OF_INPUT
                    && (how == ReceiveResult.Failure.NO_END_PAYLOAD || how == ReceiveResult.Failure.TRUNCATED);
        }
    }
}
