// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import picocli.CommandLine.Option;

/** Options several commands share, as picocli mixins: one definition, one help text, one parser. */
final class SharedOptions {
    private SharedOptions() {}

    /** {@code --seed}: one seed, one run. */
    static final class Seed {
        @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
                description = "The seed every random choice of the run comes from (default ${DEFAULT-VALUE}).")
        long seed;
    }

    /** {@code --report DIR}. */
    static final class Report {
        @Option(names = "--report", paramLabel = "DIR", description = "Write report.json and report.html (and figures) here.")
        Path dir;
    }

    /** {@code --scenario LINE}: the whole scenario, as a failure prints it. */
    static final class ScenarioLine {
        @Option(names = "--scenario", paramLabel = "LINE",
                description = "A scenario line printed by a failure; other scenario options are then not allowed.")
        String line;
    }

    /** {@code --profile}: which algorithm the model runs. */
    static final class ProfileOption {
        @Option(names = "--profile", paramLabel = "NAME", defaultValue = "blkmig",
                description = "The algorithm the model runs: blkmig, the corrected one (default ${DEFAULT-VALUE}).")
        String name;

        Profile profile() {
            return Profile.parse(name);
        }
    }

    /** {@code --mutant NAME}, repeatable. */
    static final class Mutants {
        @Option(names = "--mutant", paramLabel = "NAME", description = "Switch a seeded bug on (repeatable); see: blkmig mutants.")
        List<String> names = new ArrayList<>();

        Set<Mutant> parse() {
            Set<Mutant> ms = EnumSet.noneOf(Mutant.class);
            for (String n : names) {
                Mutant m = Mutant.parse(n);
                if (m.kind() == Mutant.Kind.REAL_THREADS) {
                    throw new IllegalArgumentException("'" + m.cliName() + "' is a real-thread mutant: a simulated run has one"
                            + " thread and cannot show it; the controlled-schedule tests (module controlled) switch it on");
                }
                ms.add(m);
            }
            return ms;
        }
    }

    /** {@code --sizes}: which sizes the campaign's scenarios have. */
    static final class SizesOption {
        @Option(names = "--sizes", paramLabel = "MIX", defaultValue = SizeMix.DEFAULT_CLI_NAME, converter = Converters.SizeMixes.class,
                description = {"small (a few MiB, as ever), realistic (32 MiB to 1 GiB of disks, up to 8 devices, long and prefix"
                        + " names) or mixed (one scenario in " + SizeMix.MIXED_REALISTIC_ONE_IN + " realistic); default ${DEFAULT-VALUE}."})
        SizeMix mix;
    }

    /** The code under test: the profile with the mutants switched on. */
    static Variant variant(ProfileOption profile, Mutants mutants) {
        return new Variant(profile.profile(), mutants.parse());
    }
}
