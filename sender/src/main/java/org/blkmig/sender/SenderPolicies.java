// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.Disk;

/**
 * Every point where block migration algorithms differ, as one value. A profile picks one policy
 * per point; a seeded bug swaps one policy for a broken one. The sender's phase machine calls
 * these and never tests a flag. The points, in the order a migration meets them:
 *
 * <ol>
 *   <li>{@code deviceScan}: which devices are migrated (setup);
 *   <li>{@code allocation}: which top-layer sectors the bulk pass skips in shared-base mode, and
 *       whether a chunk in a hole is known zero without a read;
 *   <li>{@code dirtyClear}: when a chunk's dirty bit is cleared, relative to its read;
 *   <li>{@code inFlightMarking}: which reads mark their chunk "in flight";
 *   <li>{@code submission}: whether an iterate call may submit one more read;
 *   <li>{@code budgetCharge}: what the slice's transfer budget is charged with;
 *   <li>{@code inFlightConflict}: what the dirty walk does at a chunk marked in flight;
 *   <li>{@code pending}: the bytes reported to the controller, which decide completion;
 *   <li>{@code drain}: whether completion waits for the reads in flight;
 *   <li>{@code finalCopy}: whether the final copy's blocks wait for their reads, and its order of devices;
 *   <li>{@code zeroDetection}: which bytes of a chunk must be zero for a ZERO_BLOCK;
 *   <li>{@code tracking}: whether dirty tracking stops when the migration ends;
 *   <li>{@code wireFaults}: records broken on their way out (protocol mutants only).
 * </ol>
 */
public record SenderPolicies(DeviceScan deviceScan, Allocation allocation, DirtyClear dirtyClear,
        InFlightMarking inFlightMarking, Submission submission, BudgetCharge budgetCharge, InFlightConflict inFlightConflict,
        Pending pending, Drain drain, FinalCopy finalCopy, ZeroDetection zeroDetection, Tracking tracking,
        Set<WireFault> wireFaults) {

    /** blkmig's algorithm: docs/PROTOCOL.md's corrected sender. */
    public static final SenderPolicies BLKMIG = new SenderPolicies(DeviceScan.SKIP_EMPTY, Allocation.HOLES_KNOWN_ZERO,
            DirtyClear.BEFORE_READ, InFlightMarking.EVERY_READ, Submission.BUDGETED, BudgetCharge.BLOCKS_AND_EOS,
            InFlightConflict.WAIT_FOR_READ, Pending.BULK_ABOVE_THRESHOLD, Drain.WAIT_FOR_READS, FinalCopy.AWAIT_READ,
            ZeroDetection.IN_BOUNDS, Tracking.RELEASED_AT_END, Set.of());

    /**
     * QEMU 7.2 as it is (docs/PROTOCOL.md, "QEMU 7.2 exactly"): bulk reads unmarked, its submission rule,
     * a budget charged with every byte, a drain of the device at a marked chunk, pending raised only
     * at zero during the bulk pass, zero detection over the whole buffer, every chunk read (holes too). With Debian's 7.2.11
     * update, an empty drive no longer ends the scan.
     */
    public static final SenderPolicies QEMU_7_2 = new SenderPolicies(DeviceScan.SKIP_EMPTY, Allocation.DATA_OR_ZERO,
            DirtyClear.BEFORE_READ, InFlightMarking.DIRTY_READS_ONLY, Submission.QEMU_7_2, BudgetCharge.EVERY_BYTE,
            InFlightConflict.DRAIN_DEVICE, Pending.RAISED_ONLY_AT_ZERO, Drain.WAIT_FOR_READS, FinalCopy.AWAIT_READ,
            ZeroDetection.WHOLE_BUFFER, Tracking.RELEASED_AT_END, Set.of());

    public SenderPolicies {
        wireFaults = wireFaults.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(wireFaults));
    }

    /**
     * Whether these policies keep one read per chunk in flight at most: every read marks its chunk
     * and the dirty walk never reads a marked chunk. The read tracker asserts it when they do.
     */
    public boolean oneReadPerChunk() {
        return inFlightMarking == InFlightMarking.EVERY_READ && inFlightConflict != InFlightConflict.IGNORE;
    }

    /** The policies with each point that differs from blkmig's named, e.g. "dirtyClear=AFTER_READ". */
    public List<String> differencesFrom(SenderPolicies base) {
        List<String> out = new ArrayList<>();
        Object[] mine = {deviceScan, allocation, dirtyClear, inFlightMarking, submission, budgetCharge, inFlightConflict,
            pending, drain, finalCopy, zeroDetection, tracking, wireFaults};
        Object[] theirs = {base.deviceScan, base.allocation, base.dirtyClear, base.inFlightMarking, base.submission,
            base.budgetCharge, base.inFlightConflict, base.pending, base.drain, base.finalCopy, base.zeroDetection,
            base.tracking, base.wireFaults};
        String[] names = {"deviceScan", "allocation", "dirtyClear", "inFlightMarking", "submission", "budgetCharge",
            "inFlightConflict", "pending", "drain", "finalCopy", "zeroDetection", "tracking", "wireFaults"};
        for (int i = 0; i < names.length; i++) {
            if (!mine[i].equals(theirs[i])) {
                out.add(names[i] + "=" + mine[i]);
            }
        }
        return out;
    }

    // ---- the variation points ----

    /** Which candidate devices the migration takes. */
    public enum DeviceScan {
        /** Every writable device with a size; an empty drive is skipped and the scan goes on. */
        SKIP_EMPTY(false),
        /** A zero-size device ends the scan (QEMU before 7.2.11): later disks are silently not migrated. */
        EMPTY_ENDS_SCAN(true),
        /**
         * The devices kept in a hash set of identity-hashed objects (a blkmig mutant): their order,
         * and so the stream, changes from one run of a scenario to the next.
         */
        UNORDERED(false);

        private final boolean emptyEndsScan;

        DeviceScan(boolean emptyEndsScan) {
            this.emptyEndsScan = emptyEndsScan;
        }

        List<BlockDevice> select(List<BlockDevice> candidates) {
            java.util.Collection<BlockDevice> out = this == UNORDERED ? new java.util.HashSet<>() : new ArrayList<>();
            for (BlockDevice d : candidates) {
                if (d.sizeSectors() <= 0) {
                    if (emptyEndsScan) {
                        break;
                    }
                    continue; // an empty drive: nothing to migrate
                }
                if (!d.readOnly()) {
                    out.add(d);
                }
            }
            return List.copyOf(out);
        }
    }

    /**
     * What the sender makes of the disk's allocation: in shared-base mode, which parts of the top
     * layer the bulk pass reads; and whether a chunk the disk reports wholly ZERO (a hole of a
     * sparse file, a zero cluster) is sent as zeros without being read.
     */
    public enum Allocation {
        /**
         * blkmig: data and zero clusters of the top in shared-base mode; a chunk in a hole is known
         * zero from the lookup made after its dirty bit was cleared, so the work is the data's.
         */
        HOLES_KNOWN_ZERO(true, true),
        /** Data and zero clusters of the top: a zero cluster hides the base, so it must be sent. Every chunk is read (QEMU 7.2). */
        DATA_OR_ZERO(true, false),
        /** Zero clusters taken for unallocated (an old QEMU bug): the base shows through on the target. */
        DATA_ONLY(false, false);

        private final boolean zeroMigrated;
        private final boolean holesKnownZero;

        Allocation(boolean zeroMigrated, boolean holesKnownZero) {
            this.zeroMigrated = zeroMigrated;
            this.holesKnownZero = holesKnownZero;
        }

        boolean migrates(Disk.State state) {
            return state == Disk.State.DATA || (zeroMigrated && state == Disk.State.ZERO);
        }

        /** Whether a chunk the disk reports wholly ZERO is sent without a read. */
        boolean holesKnownZero() {
            return holesKnownZero;
        }
    }

    /** When a chunk's dirty bit is cleared, relative to the read that sends it. */
    public enum DirtyClear {
        /** Before the read can sample the data: a later guest write sets it again. */
        BEFORE_READ,
        /** After the read completes (an old QEMU bug): a write between the sample and the clear is lost. */
        AFTER_READ,
        /** The dirty phase's reads leave the bit set: the chunk is resent for ever, the dirty set only grows. */
        KEPT_BY_DIRTY_WALK;

        void beforeRead(DirtyBitmap dirty, long chunk) {
            if (this != AFTER_READ) {
                dirty.clear(chunk);
            }
        }

        void afterReadDone(DirtyBitmap dirty, long chunk) {
            if (this == AFTER_READ) {
                dirty.clear(chunk);
            }
        }

        /** After the dirty phase submitted an asynchronous read of the chunk. */
        void afterDirtyWalkSubmit(DirtyBitmap dirty, long chunk) {
            if (this == KEPT_BY_DIRTY_WALK) {
                dirty.set(chunk);
            }
        }
    }

    /** Which reads set their chunk's in-flight mark, the one the dirty walk looks at. */
    public enum InFlightMarking {
        /** Every read, bulk or dirty. */
        EVERY_READ,
        /** Dirty-phase reads only (QEMU 7.2): a bulk read still in flight is invisible to the dirty walk. */
        DIRTY_READS_ONLY;

        boolean marks(boolean dirtyPhaseRead) {
            return this == EVERY_READ || dirtyPhaseRead;
        }
    }

    /** Whether an iterate call may submit one more read, given what is in flight and buffered. */
    public enum Submission {
        /**
         * While reads in flight plus blocks not yet sent fit in what is left of the slice's budget,
         * within the limits of reads in flight and of buffered chunks.
         */
        BUDGETED {
            @Override
            boolean maySubmit(Counts c, SliceBudget budget, int chunkSizeBytes, SenderOptions limits) {
                long bufferedBytes = (long) (c.submitted() + c.readDone()) * chunkSizeBytes;
                return bufferedBytes < budget.remainingBytes() && c.submitted() < limits.maxReadsInFlight()
                        && c.chunksHeld() < limits.maxBufferedChunks();
            }
        },
        /**
         * QEMU 7.2's {@code block_save_iterate}: while the blocks done but unsent fit the whole slice's
         * budget (what was already sent does not count), within the reads in flight and the buffers.
         */
        QEMU_7_2 {
            @Override
            boolean maySubmit(Counts c, SliceBudget budget, int chunkSizeBytes, SenderOptions limits) {
                return (long) c.readDone() * chunkSizeBytes < budget.limitBytes() && c.submitted() < limits.maxReadsInFlight()
                        && c.submitted() + c.readDone() < limits.maxBufferedChunks();
            }
        },
        /** Reads in flight minus blocks done (a seeded bug): the more blocks wait to be sent, the more it reads. */
        SUBMITTED_MINUS_DONE {
            @Override
            boolean maySubmit(Counts c, SliceBudget budget, int chunkSizeBytes, SenderOptions limits) {
                long bufferedBytes = (long) (c.submitted() - c.readDone()) * chunkSizeBytes;
                return bufferedBytes < budget.remainingBytes() && c.submitted() < limits.maxReadsInFlight()
                        && c.chunksHeld() < limits.maxBufferedChunks();
            }
        };

        /** Reads in flight, blocks done but unsent, and chunks held (buffers plus queued zero-copy blocks). */
        record Counts(int submitted, int readDone, int chunksHeld) {}

        abstract boolean maySubmit(Counts c, SliceBudget budget, int chunkSizeBytes, SenderOptions limits);
    }

    /** What a slice's transfer budget is charged with. */
    public enum BudgetCharge {
        /** The blocks and the iterate payload's EOS, at their record size. */
        BLOCKS_AND_EOS,
        /** Every byte the stream carries while the slice lasts: records, progress, section framing (QEMU's rate limiter). */
        EVERY_BYTE
    }

    /** What the dirty walk does at a dirty chunk whose chunk is marked in flight. */
    public enum InFlightConflict {
        /** Waits for that read: never two reads of one chunk, so stale data cannot complete last. */
        WAIT_FOR_READ,
        /** Reads it again at once (an old QEMU bug): the older read can complete last with stale data. */
        IGNORE,
        /** Drains every read of the device (QEMU 7.2's {@code blk_drain}). */
        DRAIN_DEVICE;

        /**
         * The condition to wait for before reading {@code chunk}, having walked past the clean chunks
         * from {@code fromChunk}, or null to read at once. QEMU drains at any marked chunk it visits.
         */
        BooleanSupplier settled(ReadTracker reads, MigratedDevice d, long fromChunk, long chunk) {
            return switch (this) {
                case IGNORE -> null;
                case WAIT_FOR_READ -> reads.marked(d, chunk) ? () -> !reads.marked(d, chunk) : null;
                case DRAIN_DEVICE -> reads.anyMarked(d, fromChunk, chunk) ? () -> reads.inFlight(d) == 0 : null;
            };
        }

        /** The condition to wait for when the walk passed the device's last chunks, none dirty, or null. */
        BooleanSupplier settledAtEnd(ReadTracker reads, MigratedDevice d, long fromChunk) {
            return this == DRAIN_DEVICE && reads.anyMarked(d, fromChunk, d.dirty.chunkCount() - 1)
                    ? () -> reads.inFlight(d) == 0 : null;
        }
    }

    /** The bytes the sender reports as still to send, against which the controller decides to complete. */
    public enum Pending {
        /** While the bulk pass runs, the rest of the disk counts and the total stays above the threshold. */
        BULK_ABOVE_THRESHOLD(true) {
            @Override
            long pendingBytes(long bufferedBytes, long dirtyBytes, long remainingBulkBytes, boolean bulkCompleted,
                    long thresholdBytes, int chunkSizeBytes) {
                long pending = bufferedBytes + dirtyBytes;
                if (!bulkCompleted) {
                    pending += remainingBulkBytes;
                    if (pending <= thresholdBytes) {
                        pending = thresholdBytes + chunkSizeBytes;
                    }
                }
                return pending;
            }
        },
        /**
         * QEMU 7.2 (Nov 2022): during the bulk pass pending is raised only when it is exactly 0, so a
         * controller can complete early and the unread bulk chunks are never sent.
         */
        RAISED_ONLY_AT_ZERO(false) {
            @Override
            long pendingBytes(long bufferedBytes, long dirtyBytes, long remainingBulkBytes, boolean bulkCompleted,
                    long thresholdBytes, int chunkSizeBytes) {
                long pending = bufferedBytes + dirtyBytes;
                return !bulkCompleted && pending == 0 ? chunkSizeBytes : pending;
            }
        };

        private final boolean guardsBulkPass;

        Pending(boolean guardsBulkPass) {
            this.guardsBulkPass = guardsBulkPass;
        }

        /** Whether this rule promises no completion before every chunk was read once. */
        boolean guardsBulkPass() {
            return guardsBulkPass;
        }

        abstract long pendingBytes(long bufferedBytes, long dirtyBytes, long remainingBulkBytes, boolean bulkCompleted,
                long thresholdBytes, int chunkSizeBytes);
    }

    /** Whether the final copy waits for the reads still in flight. */
    public enum Drain {
        /** Waits, and sends what they read, before reading the chunks still dirty. */
        WAIT_FOR_READS,
        /** Does not wait (an old QEMU bug): the blocks of those reads are lost. */
        NONE;

        void beforeFinalCopy(IoStep waitAndSend) throws java.io.IOException {
            if (this == WAIT_FOR_READS) {
                waitAndSend.run();
            }
        }

        /** A step of the final copy that may fail with an I/O error. */
        @FunctionalInterface
        interface IoStep {
            void run() throws java.io.IOException;
        }
    }

    /**
     * How the final copy walks the dirty chunks: whether a block waits for its read, and the order
     * of the devices (QEMU's block_save_complete walks its device list from the first).
     */
    public enum FinalCopy {
        AWAIT_READ,
        /** Sends the block before its read completes (a seeded bug): whatever the buffer held goes out. */
        SEND_AT_ONCE,
        /** Walks the devices from the last to the first (a seeded bug): the stop-and-copy's order is not the list's. */
        LAST_DEVICE_FIRST;

        void beforeSend(Drain.IoStep awaitRead) throws java.io.IOException {
            if (this != SEND_AT_ONCE) {
                awaitRead.run();
            }
        }

        /** The devices in the order the final copy walks them. */
        <T> List<T> walkOrder(List<T> devices) {
            if (this != LAST_DEVICE_FIRST) {
                return devices;
            }
            List<T> reversed = new ArrayList<>(devices);
            java.util.Collections.reverse(reversed);
            return reversed;
        }
    }

    /** With the zero-blocks option, which bytes of a read chunk must be zero to send a ZERO_BLOCK. */
    public enum ZeroDetection {
        /** The chunk's bytes inside the device. */
        IN_BOUNDS {
            @Override
            int probeBytes(int inBoundsBytes, int chunkSizeBytes) {
                return inBoundsBytes;
            }
        },
        /** The first 4 KiB only (a protocol mutant): a chunk with data further in is sent as zeros. */
        FIRST_4_KIB {
            @Override
            int probeBytes(int inBoundsBytes, int chunkSizeBytes) {
                return Math.min(4096, inBoundsBytes);
            }
        },
        /** The whole buffer, also the unread tail of a partial last chunk (QEMU 7.2's {@code buffer_is_zero}). */
        WHOLE_BUFFER {
            @Override
            int probeBytes(int inBoundsBytes, int chunkSizeBytes) {
                return chunkSizeBytes;
            }
        };

        abstract int probeBytes(int inBoundsBytes, int chunkSizeBytes);
    }

    /** Whether dirty tracking stops when the migration ends. */
    public enum Tracking {
        RELEASED_AT_END,
        /** Left on (a blkmig mutant): the guest pays for tracking for ever. */
        LEFT_ON;

        void end(BlockDevice device, DirtyBitmap dirty) {
            if (this == RELEASED_AT_END) {
                device.releaseDirtyBitmap(dirty);
            }
        }
    }

    /** A broken record on its way out: each a decorator of the sender's output. */
    public enum WireFault {
        /** Iterate payloads of the dirty phase lose their EOS. */
        MISSING_EOS,
        /** Progress goes back once the bulk phase is done. */
        PROGRESS_BACKWARDS,
        /** One more block is sent in a payload after END. */
        BLOCK_AFTER_END,
        /** Dirty-phase blocks carry their sector plus one. */
        UNALIGNED_SECTOR,
        /** The first block of the dirty phase throws an unchecked exception: a bug of the sender itself. */
        THROWS_IN_DIRTY_PHASE;

        RecordOutput wrap(RecordOutput out, RecordOutput.SenderView sender) {
            return switch (this) {
                case MISSING_EOS -> new WireFaults.MissingEos(out, sender);
                case PROGRESS_BACKWARDS -> new WireFaults.ProgressBackwards(out, sender);
                case BLOCK_AFTER_END -> new WireFaults.BlockAfterEnd(out, sender);
                case UNALIGNED_SECTOR -> new WireFaults.UnalignedSector(out, sender);
                case THROWS_IN_DIRTY_PHASE -> new WireFaults.ThrowsInDirtyPhase(out, sender);
            };
        }
    }

    // ---- changing one point ----

    /** These policies with one point replaced by {@code v} (a wire fault is added to the others). */
    public SenderPolicies with(Enum<?> v) {
        if (v.getDeclaringClass().getEnclosingClass() != SenderPolicies.class) {
            throw new IllegalArgumentException(v + " is not a sender policy");
        }
        Set<WireFault> faults = EnumSet.noneOf(WireFault.class);
        faults.addAll(wireFaults);
        if (v instanceof WireFault f) {
            faults.add(f);
        }
        return new SenderPolicies(v instanceof DeviceScan x ? x : deviceScan, v instanceof Allocation x ? x : allocation,
                v instanceof DirtyClear x ? x : dirtyClear, v instanceof InFlightMarking x ? x : inFlightMarking,
                v instanceof Submission x ? x : submission, v instanceof BudgetCharge x ? x : budgetCharge,
                v instanceof InFlightConflict x ? x : inFlightConflict,
                v instanceof Pending x ? x : pending, v instanceof Drain x ? x : drain,
                v instanceof FinalCopy x ? x : finalCopy,
                v instanceof ZeroDetection x ? x : zeroDetection, v instanceof Tracking x ? x : tracking, faults);
    }
}
