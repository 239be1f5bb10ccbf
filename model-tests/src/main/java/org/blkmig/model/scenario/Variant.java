// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.EnumSet;
import java.util.Set;
import org.blkmig.receiver.Destination;
import org.blkmig.receiver.ReceiverMutant;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.Profile;
import org.blkmig.sender.SenderOptions;

/** The code under test: a profile of the algorithm, with the seeded bugs switched on in it. */
public record Variant(Profile profile, Set<Mutant> mutants) {
    /** blkmig's algorithm, no seeded bug: the default. */
    public static final Variant BLKMIG = new Variant(Profile.BLKMIG, Set.of());

    public Variant {
        mutants = mutants.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(mutants));
    }

    /** The default profile with these bugs switched on. */
    public static Variant of(Set<Mutant> mutants) {
        return new Variant(Profile.BLKMIG, mutants);
    }

    public static Variant of(Mutant m) {
        return of(Set.of(m));
    }

    /** The sender's options for a run with this seed: the profile's policies, each sender bug in place. */
    public SenderOptions sender(SenderOptions options, long runSeed) {
        return profile.sender(options, runSeed).withMutants(Mutant.senderMutants(mutants));
    }

    /** The controller's options with the profile's threshold rule and each controller bug in place. */
    public ControllerOptions controller(ControllerOptions options) {
        return profile.controller(options).withMutants(Mutant.controllerMutants(mutants));
    }

    /**
     * The destination of a run with this seed: blkmig's rules, or under the qemu-7.2 profile QEMU's
     * destination over images of a cluster size the seed picks (1 MiB as raw images, 64 KiB as qcow2).
     */
    public Destination destination(long runSeed) {
        if (profile != Profile.QEMU_7_2) {
            return Destination.BLKMIG;
        }
        return Destination.qemu72(new java.util.SplittableRandom(runSeed ^ 0xC1057E5L).nextBoolean() ? 64 << 10 : 1 << 20);
    }

    public Set<ReceiverMutant> receiverMutants() {
        return Mutant.receiverMutants(mutants);
    }

    /** The command-line options that select it: {@code --profile} unless the default, then each {@code --mutant}. */
    public String cliOptions() {
        StringBuilder b = new StringBuilder();
        if (!profile.cliName.equals(Profile.BLKMIG.cliName)) {
            b.append(" --profile ").append(profile.cliName);
        }
        if (profile.strategyMutant() != null) {
            b.append(" --mutant ").append(profile.strategyMutant().name());
        }
        mutants.stream().sorted().forEach(m -> b.append(" --mutant ").append(m.cliName()));
        return b.toString();
    }

    /** For reports: the profile, and the bugs if any. */
    @Override
    public String toString() {
        return profile + (mutants.isEmpty() ? "" : " with " + mutants.stream().sorted().map(Mutant::cliName).toList());
    }
}
