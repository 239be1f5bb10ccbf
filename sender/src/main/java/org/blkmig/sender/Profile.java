// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;
import org.blkmig.sender.strategy.Strategy;
import org.blkmig.sender.strategy.StrategyMutant;

/**
 * A named choice of the algorithm's policies and limits: which block migration the model runs. Each
 * is a {@link Strategy} found by {@link ServiceLoader}: the built-in ones ({@code blkmig}, {@code
 * qemu-7.2}), any on the class path, and those of jars given to {@link #loadJar}. A profile may
 * carry one of its strategy's own seeded bugs ({@link #withStrategyMutant}).
 */
public final class Profile {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]*");
    // registration order: the built-ins first, then the class path's, then each jar's
    private static final Map<String, Profile> KNOWN = new LinkedHashMap<>();
    // jars loaded so far: a second --strategy-jar of the same file (or a second command in one process) adds nothing
    private static final Map<Path, List<String>> JARS = new java.util.HashMap<>();

    static {
        register(ServiceLoader.load(Strategy.class, Profile.class.getClassLoader()), "the class path");
    }

    /** docs/PROTOCOL.md's corrected algorithm: the default. */
    public static final Profile BLKMIG = KNOWN.get("blkmig");
    /** QEMU 7.2 as Debian ships it (docs/PROTOCOL.md, "QEMU 7.2 exactly"): 16 reads in flight, 512 buffers. */
    public static final Profile QEMU_7_2 = KNOWN.get("qemu-7.2");

    public final String cliName;
    public final SenderPolicies policies;
    public final int maxReadsInFlight;
    public final int maxBufferedChunks;
    private final Strategy strategy;
    /** The strategy's seeded bug switched on, or null. */
    private final StrategyMutant mutant;

    private Profile(Strategy strategy, StrategyMutant mutant) {
        Strategy s = mutant == null ? strategy : mutant.broken();
        this.cliName = strategy.name();
        this.policies = Objects.requireNonNull(s.policies(), "policies");
        this.maxReadsInFlight = s.maxReadsInFlight();
        this.maxBufferedChunks = s.maxBufferedChunks();
        this.strategy = s;
        this.mutant = mutant;
    }

    /** The strategy this profile runs (with its seeded bug in place, if any). */
    public Strategy strategy() {
        return strategy;
    }

    /** The strategy's seeded bug switched on in this profile, or null. */
    public StrategyMutant strategyMutant() {
        return mutant;
    }

    /** The options with this profile's policies and limits for a run with this seed. */
    public SenderOptions sender(SenderOptions options, long runSeed) {
        return strategy.sender(options.withPolicies(policies).withBuffers(maxReadsInFlight, maxBufferedChunks), runSeed);
    }

    /** The controller's options with this profile's threshold rule and guest throttle. */
    public ControllerOptions controller(ControllerOptions options) {
        return options.withThreshold(strategy.threshold()).withThrottle(strategy.throttle());
    }

    /** The ids of the liveness properties this profile's runs are not judged by (its strategy's declaration). */
    public Set<String> notApplicable() {
        return strategy.notApplicable();
    }

    /** The strategy's own seeded bugs, in its order. */
    public List<StrategyMutant> strategyMutants() {
        return registered(cliName).strategy.mutants();
    }

    /** This profile with its strategy's seeded bug {@code name} switched on. */
    public Profile withStrategyMutant(String name) {
        for (StrategyMutant m : strategyMutants()) {
            if (m.name().equals(name)) {
                return new Profile(registered(cliName).strategy, m);
            }
        }
        throw new IllegalArgumentException("profile '" + cliName + "' has no seeded bug '" + name + "'");
    }

    /** The profile without its strategy's seeded bug. */
    public Profile withoutStrategyMutant() {
        return registered(cliName);
    }

    // a jar may be loaded while another thread looks a name up
    private static synchronized Profile registered(String name) {
        return KNOWN.get(name);
    }

    public static Profile parse(String name) {
        Profile p = registered(name.trim());
        if (p == null) {
            throw new IllegalArgumentException("unknown profile '" + name + "'; known: "
                    + String.join(", ", known().stream().map(k -> k.cliName).toList())
                    + " (a strategy from a jar: --strategy-jar FILE)");
        }
        return p;
    }

    /** Every known profile, in registration order. */
    public static synchronized List<Profile> known() {
        return List.copyOf(KNOWN.values());
    }

    /**
     * Adds the strategies a jar lists in META-INF/services/org.blkmig.sender.strategy.Strategy; returns
     * their names. A jar that cannot be read, lists none, or whose strategies are broken is refused
     * with one clear message.
     */
    public static synchronized List<String> loadJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("strategy jar '" + jar + "' does not exist");
        }
        Path key = jar.toAbsolutePath().normalize();
        if (JARS.containsKey(key)) {
            return JARS.get(key);
        }
        URL url;
        try {
            url = jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("strategy jar '" + jar + "': " + e.getMessage());
        }
        // the loader stays open: the strategy's classes are used for the rest of the process
        URLClassLoader loader = new URLClassLoader(new URL[] {url}, Profile.class.getClassLoader());
        List<String> added = register(ServiceLoader.load(Strategy.class, loader), "'" + jar + "'");
        if (added.isEmpty()) {
            throw new IllegalArgumentException("strategy jar '" + jar + "' lists no new strategy in META-INF/services/"
                    + Strategy.class.getName());
        }
        JARS.put(key, List.copyOf(added));
        return added;
    }

    private static List<String> register(ServiceLoader<Strategy> loader, String where) {
        List<String> added = new ArrayList<>();
        try {
            for (Strategy s : loader) {
                Profile known = KNOWN.get(s.name());
                if (known != null && known.strategy.getClass() == s.getClass()) {
                    continue; // the parent loader's, found again
                }
                check(s, known, where);
                KNOWN.put(s.name(), new Profile(s, null));
                added.add(s.name());
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("strategy from " + where + " cannot be loaded: " + e.getMessage());
        }
        return added;
    }

    /** A strategy's declarations, checked before it runs: a name, no clash, liveness properties only. */
    private static void check(Strategy s, Profile known, String where) {
        String name = s.name();
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("strategy " + s.getClass().getName() + " from " + where + " has a bad name '"
                    + name + "': lower case letters, digits, dots and dashes");
        }
        if (known != null) {
            throw new IllegalArgumentException("strategy '" + name + "' from " + where + " clashes with "
                    + known.strategy.getClass().getName());
        }
        for (String id : s.notApplicable()) {
            if (!Strategy.LIVENESS_PROPERTIES.contains(id)) {
                throw new IllegalArgumentException("strategy '" + name + "' declares '" + id + "' not applicable; a strategy"
                        + " may declare only " + String.join(", ", new java.util.TreeSet<>(Strategy.LIVENESS_PROPERTIES)));
            }
        }
        Set<String> mutantNames = new java.util.HashSet<>();
        for (StrategyMutant m : s.mutants()) {
            if (!NAME.matcher(m.name()).matches() || !mutantNames.add(m.name()) || !m.broken().name().equals(name)) {
                throw new IllegalArgumentException("strategy '" + name + "' has a bad seeded bug '" + m.name()
                        + "': names lower case with dashes, distinct, and the broken strategy keeps the strategy's name");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Profile p && p.cliName.equals(cliName) && Objects.equals(p.mutantName(), mutantName());
    }

    @Override
    public int hashCode() {
        return Objects.hash(cliName, mutantName());
    }

    private String mutantName() {
        return mutant == null ? null : mutant.name();
    }

    @Override
    public String toString() {
        return cliName + (mutant == null ? "" : " with " + mutant.name());
    }
}
