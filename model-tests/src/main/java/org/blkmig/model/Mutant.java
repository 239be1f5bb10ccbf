// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.blkmig.receiver.ReceiverMutant;
import org.blkmig.sender.SenderMutant;

/** The catalogue of seeded bugs the testbed must catch, with where each comes from. */
public enum Mutant {
    EARLY_COMPLETION("qemu-7.2", SenderMutant.EARLY_COMPLETION, null),
    PARTIAL_CHUNK_FULL_WRITE("qemu-7.2", null, ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE),
    CLEAR_AFTER_READ("qemu-history", SenderMutant.CLEAR_AFTER_READ, null),
    TWO_READS_IN_FLIGHT("qemu-history", SenderMutant.TWO_READS_IN_FLIGHT, null),
    ZERO_SIZE_ENDS_SCAN("qemu-history", SenderMutant.ZERO_SIZE_ENDS_SCAN, null),
    ZERO_CLUSTERS_UNALLOCATED("qemu-history", SenderMutant.ZERO_CLUSTERS_UNALLOCATED, null),
    COMPLETE_WITHOUT_DRAIN("qemu-history", SenderMutant.COMPLETE_WITHOUT_DRAIN, null),
    MISSING_EOS("protocol", SenderMutant.MISSING_EOS, null),
    PROGRESS_BACKWARDS("protocol", SenderMutant.PROGRESS_BACKWARDS, null),
    ZERO_FLAG_ON_DATA("protocol", SenderMutant.ZERO_FLAG_ON_DATA, null),
    BLOCK_AFTER_END("protocol", SenderMutant.BLOCK_AFTER_END, null),
    UNALIGNED_SECTOR("protocol", SenderMutant.UNALIGNED_SECTOR, null),
    COMPLETE_AT_END_OF_INPUT("blkmig", null, ReceiverMutant.COMPLETE_AT_END_OF_INPUT),
    TRACKING_LEFT_ON("blkmig", SenderMutant.TRACKING_LEFT_ON, null),
    DIRTY_BIT_KEPT("blkmig", SenderMutant.DIRTY_BIT_KEPT, null);

    public final String origin;
    public final SenderMutant sender;
    public final ReceiverMutant receiver;

    Mutant(String origin, SenderMutant sender, ReceiverMutant receiver) {
        this.origin = origin;
        this.sender = sender;
        this.receiver = receiver;
    }

    public String description() {
        return sender != null ? sender.description : receiver.description;
    }

    /** The command-line name: lower case with dashes. */
    public String cliName() {
        return name().toLowerCase().replace('_', '-');
    }

    public static Mutant parse(String name) {
        String n = name.trim().toUpperCase().replace('-', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown mutant '" + name + "'; known: "
                    + Arrays.stream(values()).map(Mutant::cliName).collect(Collectors.joining(", ")));
        }
    }

    public static Set<SenderMutant> senderMutants(Set<Mutant> ms) {
        Set<SenderMutant> s = EnumSet.noneOf(SenderMutant.class);
        ms.forEach(m -> {
            if (m.sender != null) {
                s.add(m.sender);
            }
        });
        return s;
    }

    public static Set<ReceiverMutant> receiverMutants(Set<Mutant> ms) {
        Set<ReceiverMutant> s = EnumSet.noneOf(ReceiverMutant.class);
        ms.forEach(m -> {
            if (m.receiver != null) {
                s.add(m.receiver);
            }
        });
        return s;
    }
}
