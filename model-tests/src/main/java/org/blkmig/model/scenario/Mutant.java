// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.blkmig.receiver.ReceiverMutant;
import org.blkmig.sender.ControllerMutant;
import org.blkmig.sender.SenderMutant;
import org.blkmig.simdisk.ThreadMutant;

/** The catalogue of seeded bugs the testbed must catch, with where each comes from. */
public enum Mutant {
    EARLY_COMPLETION("qemu-7.2", SenderMutant.EARLY_COMPLETION),
    PARTIAL_CHUNK_FULL_WRITE("qemu-7.2", ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE),
    CLEAR_AFTER_READ("qemu-history", SenderMutant.CLEAR_AFTER_READ),
    TWO_READS_IN_FLIGHT("qemu-history", SenderMutant.TWO_READS_IN_FLIGHT),
    ZERO_SIZE_ENDS_SCAN("qemu-history", SenderMutant.ZERO_SIZE_ENDS_SCAN),
    ZERO_CLUSTERS_UNALLOCATED("qemu-history", SenderMutant.ZERO_CLUSTERS_UNALLOCATED),
    COMPLETE_WITHOUT_DRAIN("qemu-history", SenderMutant.COMPLETE_WITHOUT_DRAIN),
    MISSING_EOS("protocol", SenderMutant.MISSING_EOS),
    PROGRESS_BACKWARDS("protocol", SenderMutant.PROGRESS_BACKWARDS),
    ZERO_FLAG_ON_DATA("protocol", SenderMutant.ZERO_FLAG_ON_DATA),
    BLOCK_AFTER_END("protocol", SenderMutant.BLOCK_AFTER_END),
    UNALIGNED_SECTOR("protocol", SenderMutant.UNALIGNED_SECTOR),
    COMPLETE_AT_END_OF_INPUT("blkmig", ReceiverMutant.COMPLETE_AT_END_OF_INPUT),
    TRACKING_LEFT_ON("blkmig", SenderMutant.TRACKING_LEFT_ON),
    DIRTY_BIT_KEPT("blkmig", SenderMutant.DIRTY_BIT_KEPT),
    GUEST_NOT_STOPPED("blkmig", ControllerMutant.GUEST_NOT_STOPPED),
    GIVE_UP_AFTER_ONE_STALL("blkmig", ControllerMutant.GIVE_UP_AFTER_ONE_STALL),
    COMPLETE_WHEN_STALLED("blkmig", ControllerMutant.COMPLETE_WHEN_STALLED),
    SENDER_EXCEPTION("blkmig", SenderMutant.SENDER_EXCEPTION),
    RATE_LIMIT_SUBMITTED_MINUS_DONE("blkmig", SenderMutant.RATE_LIMIT_SUBMITTED_MINUS_DONE),
    FINAL_COPY_SENDS_BEFORE_READ("blkmig", SenderMutant.FINAL_COPY_SENDS_BEFORE_READ),
    UNORDERED_DEVICES("blkmig", SenderMutant.UNORDERED_DEVICES),
    PIPELINE_DROPS_ZERO_WRITES("blkmig", ReceiverMutant.PIPELINE_DROPS_ZERO_WRITES),
    COMPLETE_BEFORE_DRAIN("blkmig", ReceiverMutant.COMPLETE_BEFORE_DRAIN),
    FINAL_COPY_DEVICES_REVERSED("blkmig", SenderMutant.FINAL_COPY_DEVICES_REVERSED),
    STOP_WITH_TWICE_THE_LIMIT("blkmig", ControllerMutant.STOP_WITH_TWICE_THE_LIMIT),
    WRITEBACK_FORCES_WRONG_TARGET("blkmig", ReceiverMutant.WRITEBACK_FORCES_WRONG_TARGET),
    // real-thread bugs: their own kind, killed by the controlled-schedule tests, not by the simulation
    READ_COUNT_TWO_SECTIONS("blkmig", ThreadMutant.READ_COUNT_TWO_SECTIONS),
    COMPLETION_BEFORE_DATA("blkmig", ThreadMutant.COMPLETION_BEFORE_DATA),
    COUNTED_BEFORE_FAILURE("blkmig", ThreadMutant.COUNTED_BEFORE_FAILURE);

    /** Who can catch a mutant. */
    public enum Kind {
        /** Seen by a simulated run: the kill matrix ({@code blkmig mutants}, MutantKillTest) must catch it. */
        SIMULATED,
        /**
         * Seen only on real threads (the simulation runs every part on one thread): caught by the
         * controlled-schedule tests under Fray (module controlled, TESTING.md); the kill matrix skips it.
         */
        REAL_THREADS
    }

    public final String origin;
    /** The part it breaks; the others are null. */
    public final SenderMutant sender;
    public final ReceiverMutant receiver;
    public final ControllerMutant controller;
    public final ThreadMutant thread;

    Mutant(String origin, SenderMutant sender) {
        this(origin, sender, null, null, null);
    }

    Mutant(String origin, ReceiverMutant receiver) {
        this(origin, null, receiver, null, null);
    }

    Mutant(String origin, ControllerMutant controller) {
        this(origin, null, null, controller, null);
    }

    Mutant(String origin, ThreadMutant thread) {
        this(origin, null, null, null, thread);
    }

    private Mutant(String origin, SenderMutant sender, ReceiverMutant receiver, ControllerMutant controller,
            ThreadMutant thread) {
        this.origin = origin;
        this.sender = sender;
        this.receiver = receiver;
        this.controller = controller;
        this.thread = thread;
    }

    public Kind kind() {
        return thread != null ? Kind.REAL_THREADS : Kind.SIMULATED;
    }

    /** The mutants of one kind, in catalogue order. */
    public static Set<Mutant> of(Kind kind) {
        Set<Mutant> s = EnumSet.noneOf(Mutant.class);
        for (Mutant m : values()) {
            if (m.kind() == kind) {
                s.add(m);
            }
        }
        return s;
    }

    /** The mutants the simulation must kill: the kill matrix's. */
    public static Set<Mutant> simulated() {
        return of(Kind.SIMULATED);
    }

    public String description() {
        return sender != null ? sender.description : receiver != null ? receiver.description
                : controller != null ? controller.description : thread.description;
    }

    /** The command-line name: lower case with dashes. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Mutant parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown mutant '" + name + "'; known: "
                    + Arrays.stream(values()).map(Mutant::cliName).collect(Collectors.joining(", ")));
        }
    }

    public static Set<SenderMutant> senderMutants(Set<Mutant> ms) {
        return parts(ms, SenderMutant.class, m -> m.sender);
    }

    public static Set<ControllerMutant> controllerMutants(Set<Mutant> ms) {
        return parts(ms, ControllerMutant.class, m -> m.controller);
    }

    public static Set<ThreadMutant> threadMutants(Set<Mutant> ms) {
        return parts(ms, ThreadMutant.class, m -> m.thread);
    }

    public static Set<ReceiverMutant> receiverMutants(Set<Mutant> ms) {
        return parts(ms, ReceiverMutant.class, m -> m.receiver);
    }

    /** The bugs these mutants switch on in one part of the system. */
    private static <T extends Enum<T>> Set<T> parts(Set<Mutant> ms, Class<T> type, Function<Mutant, T> part) {
        Set<T> s = EnumSet.noneOf(type);
        for (Mutant m : ms) {
            T p = part.apply(m);
            if (p != null) {
                s.add(p);
            }
        }
        return s;
    }
}
