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

    /** {@code --strategy-jar}: strategies from outside the project, by the extension point {@code Strategy}. */
    static final class StrategyJars {
        @Option(names = "--strategy-jar", paramLabel = "FILE",
                description = "A jar of strategies (META-INF/services/org.blkmig.sender.strategy.Strategy) whose names"
                        + " --profile then takes (repeatable); see STRATEGIES.md.")
        List<Path> jars = new ArrayList<>();

        void load() {
            jars.forEach(Profile::loadJar);
        }
    }

    /** {@code --profile}: which algorithm the model runs. */
    static final class ProfileOption {
        @Option(names = "--profile", paramLabel = "NAME", defaultValue = "blkmig",
                description = "The algorithm the model runs: blkmig, the corrected one (default ${DEFAULT-VALUE}), qemu-7.2,"
                        + " throttle, mirror, or a strategy of a --strategy-jar (STRATEGIES.md).")
        String name;

        @picocli.CommandLine.Mixin
        StrategyJars jars;

        Profile profile() {
            jars.load();
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
        return variant(profile.profile(), mutants);
    }

    /**
     * The profile with the mutants switched on: a name of the catalogue ({@code Mutant}), or one of the
     * profile's strategy's own seeded bugs (one at most).
     */
    static Variant variant(Profile profile, Mutants mutants) {
        Mutants catalogue = new Mutants();
        Profile p = profile;
        for (String n : mutants.names) {
            boolean own = profile.strategyMutants().stream().anyMatch(m -> m.name().equals(n.trim()));
            if (!own) {
                catalogue.names.add(n);
            } else if (p.strategyMutant() != null) {
                throw new IllegalArgumentException("one seeded bug of strategy '" + profile.cliName + "' at a time");
            } else {
                p = p.withStrategyMutant(n.trim());
            }
        }
        try {
            return new Variant(p, catalogue.parse());
        } catch (IllegalArgumentException e) {
            List<String> own = profile.strategyMutants().stream().map(m -> m.name()).toList();
            throw own.isEmpty() ? e : new IllegalArgumentException(e.getMessage() + "; of profile " + profile.cliName + ": "
                    + String.join(", ", own));
        }
    }
}
