// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.model.sim.TargetLog;
import org.blkmig.simdisk.Disk;

/**
 * The destination host may lose power at any instant; what was not forced is lost, as a page cache
 * loses it. What the receiver promised by then must survive: once a writeback has ended (the forces
 * of one instant, with no write between them), every write made before it is durable on every
 * target it wrote to; once the receiver has reported complete, every write is. Judged from the
 * targets' own log of writes and forces ({@link TargetLog}), never from the pipeline's counters.
 *
 * <p>Every crash instant is judged, not one drawn: durability only grows at a force and a promise
 * only at a writeback's end, so the instants just after each writeback (and after the run) are
 * where a loss shows first, and checking them all costs one pass over the log.
 */
public final class Durability extends NamedProperty {
    @Override
    public String id() {
        return "durability";
    }

    @Override
    public String promise() {
        return "a power loss of the destination loses no write the receiver promised: after each writeback every earlier"
                + " write is durable on every target, and after the receiver reported complete every write is";
    }

    /**
     * A write a power loss would take though it was promised: {@code write} ({@code lost} writes in
     * all at that instant), promised by the writeback at {@code promisedNanos} that forced
     * {@code forced}, or by the completion ({@code forced} empty, {@code atCompletion}).
     */
    public record Loss(TargetLog.Write write, long promisedNanos, List<String> forced, boolean atCompletion, long lost) {
        public String text() {
            TargetLog.Write w = write;
            String what = (w.zero() ? "zeros" : "data") + " written to " + w.target() + " (sectors " + w.sector() + "+"
                    + w.sectorCount() + ") at " + ms(w.timeNanos());
            String by = atCompletion ? "the receiver reported complete, but a power loss then would lose the " + what
                    + ": no force of " + w.target() + " followed it"
                    : "a power loss just after the writeback at " + ms(promisedNanos) + " (it forced " + String.join(", ", forced)
                            + ") would lose the " + what + ", made before it: " + w.target() + " was not forced since";
            return by + " (" + lost + " promised write(s) lost in all)";
        }

        private static String ms(long nanos) {
            return String.format(java.util.Locale.ROOT, "%.3f ms", nanos / 1e6);
        }
    }

    /**
     * The first promised write a power loss would take, over every crash instant of {@code log};
     * {@code complete}: the receiver reported complete once the log ended. Pure: the simulation's
     * property and the threaded pipeline's test share it.
     */
    public static Optional<Loss> firstLoss(List<TargetLog.Event> log, boolean complete) {
        // the places in the log of each target's writes not yet durable, oldest first
        Map<String, ArrayDeque<Integer>> volatileWrites = new LinkedHashMap<>();
        int i = 0;
        while (i < log.size()) {
            TargetLog.Event e = log.get(i);
            if (e instanceof TargetLog.Write) {
                volatileWrites.computeIfAbsent(e.target(), k -> new ArrayDeque<>()).add(i);
                i++;
                continue;
            }
            // a writeback: the forces of one instant in a row; it promises the writes made before its first began
            int promisedBelow = ((TargetLog.Force) e).beganAt();
            Set<String> forced = new LinkedHashSet<>();
            int j = i;
            while (j < log.size() && log.get(j) instanceof TargetLog.Force f && f.timeNanos() == e.timeNanos()) {
                ArrayDeque<Integer> q = volatileWrites.getOrDefault(f.target(), new ArrayDeque<>());
                while (!q.isEmpty() && q.peekFirst() < f.beganAt()) {
                    q.pollFirst();
                }
                promisedBelow = Math.min(promisedBelow, f.beganAt());
                forced.add(f.target());
                j++;
            }
            Optional<Loss> loss = oldestLost(log, volatileWrites, promisedBelow, e.timeNanos(), List.copyOf(forced), false);
            if (loss.isPresent()) {
                return loss;
            }
            i = j;
        }
        return complete ? oldestLost(log, volatileWrites, log.size(), -1, List.of(), true) : Optional.empty();
    }

    /** The oldest write not durable made before {@code promisedBelow}, with how many such writes there are. */
    private static Optional<Loss> oldestLost(List<TargetLog.Event> log, Map<String, ArrayDeque<Integer>> volatileWrites,
            int promisedBelow, long promisedNanos, List<String> forced, boolean atCompletion) {
        int oldest = Integer.MAX_VALUE;
        long lost = 0;
        for (ArrayDeque<Integer> q : volatileWrites.values()) {
            if (!q.isEmpty() && q.peekFirst() < promisedBelow) {
                oldest = Math.min(oldest, q.peekFirst());
                lost += q.stream().filter(at -> at < promisedBelow).count();
            }
        }
        return oldest == Integer.MAX_VALUE ? Optional.empty()
                : Optional.of(new Loss((TargetLog.Write) log.get(oldest), promisedNanos, forced, atCompletion, lost));
    }

    /**
     * How many writebacks forced two targets or more at one instant, the completing flush of a
     * receive that completed left out: where a writeback to the wrong target shows (campaign coverage).
     */
    public static long multiTargetWritebacks(List<TargetLog.Event> log, boolean complete) {
        List<Set<String>> writebacks = new ArrayList<>();
        TargetLog.Event previous = null;
        for (TargetLog.Event e : log) {
            if (e instanceof TargetLog.Force) {
                if (!(previous instanceof TargetLog.Force) || previous.timeNanos() != e.timeNanos()) {
                    writebacks.add(new LinkedHashSet<>());
                }
                writebacks.get(writebacks.size() - 1).add(e.target());
            }
            previous = e;
        }
        int judged = complete ? writebacks.size() - 1 : writebacks.size();
        return writebacks.stream().limit(Math.max(0, judged)).filter(w -> w.size() >= 2).count();
    }

    /** {@link #multiTargetWritebacks(List, boolean)} of a run. */
    public static long multiTargetWritebacks(Facts f) {
        return multiTargetWritebacks(log(f), f.run().receive().complete());
    }

    /** The log of the run's targets; empty if they kept none. */
    static List<TargetLog.Event> log(Facts f) {
        return f.run().targets().values().stream().map(GuardedDisk::targetLog).filter(java.util.Objects::nonNull)
                .findFirst().map(TargetLog::events).orElse(List.of());
    }

    @Override
    public Verdict judge(Facts f) {
        Optional<Loss> loss = firstLoss(log(f), f.run().receive().complete());
        if (loss.isEmpty()) {
            return Verdict.pass(this);
        }
        Loss l = loss.get();
        long chunkSectors = f.scenario().chunkSizeBytes() / Disk.SECTOR_SIZE_BYTES;
        Verdict v = Verdict.fail(this, l.atCompletion() ? Cause.NOT_DURABLE_AT_COMPLETION : Cause.NOT_DURABLE_AFTER_WRITEBACK,
                l.text()).about(new ChunkRef(l.write().target(), l.write().sector() / chunkSectors));
        return l.atCompletion() ? v.at(l.write().timeNanos()) : v.at(l.write().timeNanos(), l.promisedNanos());
    }
}
