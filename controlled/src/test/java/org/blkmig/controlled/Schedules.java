// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.controlled;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import kotlin.Unit;
import org.pastalab.fray.core.command.Configuration;
import org.pastalab.fray.core.TestRunner;
import org.pastalab.fray.core.command.ExecutionInfo;
import org.pastalab.fray.core.command.LambdaExecutor;
import org.pastalab.fray.core.command.NetworkDelegateType;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.core.randomness.ControlledRandom;
import org.pastalab.fray.core.randomness.RandomnessProvider;
import org.pastalab.fray.core.scheduler.POSScheduler;
import org.pastalab.fray.junit.Common;
import org.pastalab.fray.junit.plain.FrayInTestLauncher;

/**
 * Runs a test body on real threads under Fray's scheduler: each iteration is one schedule (POS,
 * partial order sampling) of the body's threads, chosen at every lock, volatile access, park and
 * thread start. A failing schedule is saved under {@code target/fray/replays/NAME} and replayed by
 * running the same test with {@code -Dblkmig.fray.replay=NAME} (TESTING.md).
 */
public final class Schedules {
    /** Where failing schedules are kept, one directory per test body. */
    public static final Path REPLAYS = Path.of("target", "fray", "replays");
    private static final int TIMEOUT_SECONDS = 120;
    /** The scheduler's seed unless a test gives one: the figures in TESTING.md are for it. */
    public static final long SEED = 1;

    /** What a search found: the 1-based schedule that failed and its error, or none in {@code schedules}. */
    public record Result(String name, int schedules, int failedAt, Throwable error, Path replay) {
        public boolean found() {
            return error != null;
        }

        @Override
        public String toString() {
            return found() ? name + ": failed at schedule " + failedAt + " of " + schedules + ": " + error
                    + " (replay: -Dblkmig.fray.replay=" + name + ", from " + replay + ")"
                    : name + ": no failure in " + schedules + " schedules";
        }
    }

    private Schedules() {}

    /**
     * Explores up to {@code schedules} schedules of {@code body}, stopping at the first that fails
     * (an exception or assertion on any thread, or a deadlock). With {@code -Dblkmig.fray.replay=NAME}
     * the saved schedule of this name is replayed instead.
     */
    public static Result explore(String name, int schedules, Runnable body) {
        return explore(name, schedules, SEED, body);
    }

    /** As {@link #explore(String, int, Runnable)}, from another seed of the scheduler's choices. */
    public static Result explore(String name, int schedules, long seed, Runnable body) {
        return explore(name, schedules, seed, false, body);
    }

    /**
     * As {@link #explore(String, int, long, Runnable)}; with {@code virtualTime}, the clock is
     * Fray's: every read of it advances it by 100 us, so code paced by the clock (slices, a guest's
     * write rate) moves on although Fray runs timed waits at once.
     */
    public static Result explore(String name, int schedules, long seed, boolean virtualTime, Runnable body) {
        if (name.equals(System.getProperty("blkmig.fray.replay"))) {
            return replay(name, body);
        }
        // seeded: Fray's own provider draws from an unseeded Random, so its figures would differ run to run
        Random choices = new Random(seed);
        RandomnessProvider provider = () -> new ControlledRandom(new ArrayList<>(), new ArrayList<>(), choices);
        // FrayInTestLauncher.launchFray's settings, but for the clock
        Configuration c = new Configuration(new ExecutionInfo(new LambdaExecutor(() -> {
            body.run();
            return Unit.INSTANCE;
        }), false, false, -1), Common.INSTANCE.getWORK_DIR(), schedules, TIMEOUT_SECONDS,
                new POSScheduler(provider.getRandomness()), provider, true, false, true, false, false, false,
                NetworkDelegateType.PROACTIVE, virtualTime ? SystemTimeDelegateType.MOCK : SystemTimeDelegateType.NONE,
                100_000L, true, true, true, false, false, false, null);
        Throwable error;
        try {
            error = new TestRunner(c).run();
        } catch (Throwable t) {
            error = t;
        }
        if (error == null) {
            Result r = new Result(name, schedules, -1, null, null);
            System.out.println("fray: " + r);
            return r;
        }
        Path saved = save(name, c.getReport());
        Result r = new Result(name, schedules, c.getCurrentIteration() + 1, error, saved);
        System.out.println("fray: " + r);
        return r;
    }

    /**
     * A seeded bug searched for from each of {@code seeds} seeds (1, 2, ...): the schedule that
     * failed in each search, 0 where none of {@code schedules} did. Prints the figures TESTING.md keeps.
     */
    public static int[] schedulesToKill(String name, int seeds, int schedules, Runnable body) {
        int[] needed = new int[seeds];
        for (int i = 0; i < seeds; i++) {
            Result r = explore(name, schedules, i + 1, body);
            needed[i] = r.found() ? r.failedAt() : 0;
        }
        int[] sorted = needed.clone();
        java.util.Arrays.sort(sorted);
        System.out.println("fray figures: " + name + ": schedules to kill from seeds 1-" + seeds + ": "
                + java.util.Arrays.toString(needed) + ", median " + sorted[seeds / 2] + ", max " + sorted[seeds - 1]);
        return needed;
    }

    /** Replays the schedule saved for {@code name}: the same interleaving, so the same failure. */
    public static Result replay(String name, Runnable body) {
        Path dir = REPLAYS.resolve(name).toAbsolutePath();
        Throwable error = null;
        try {
            FrayInTestLauncher.INSTANCE.launchFrayReplay(body, dir.toString());
        } catch (Throwable t) {
            error = t;
        }
        Result r = new Result(name, 1, error == null ? -1 : 1, error, dir);
        System.out.println("fray replay: " + r);
        return r;
    }

    /** Keeps the recording of the failing schedule (Fray's report directory is shared by every search). */
    private static Path save(String name, Path report) {
        Path from = report.resolve("recording");
        Path to = REPLAYS.resolve(name);
        try {
            Files.createDirectories(to);
            if (Files.isDirectory(from)) {
                try (Stream<Path> files = Files.list(from)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return to.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A seeded bug's body repeated {@code runs} times on real threads with no scheduler: prints how
     * many runs caught it and requires at most 1 in 500 (the scheduler needs a few schedules).
     */
    public static void assertRarelyCaughtByPlainRuns(String name, int runs, Runnable body) {
        Map<String, Integer> failures = plainFailureMessages(runs, body);
        int failed = failures.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("plain: " + name + ": caught by " + failed + " of " + runs + " plain runs" + (failed == 0 ? "" : ": " + failures));
        // measured on JDK 17, 2 cores: 0 to 2 in 50,000 runs (TESTING.md); 3 in 1,000 means the window widened
        if (failed > runs / 500) {
            throw new AssertionError(name + ": plain runs caught it " + failed + " times in " + runs);
        }
    }

    /**
     * Runs {@code body} {@code runs} times on real threads with no scheduler: what plain repetition
     * finds. Returns how many runs failed.
     */
    public static int plainFailures(int runs, Runnable body) {
        return plainFailureMessages(runs, body).values().stream().mapToInt(Integer::intValue).sum();
    }

    /** As {@link #plainFailures}, by the first line of each failure's message. */
    public static Map<String, Integer> plainFailureMessages(int runs, Runnable body) {
        Map<String, Integer> failures = new java.util.TreeMap<>();
        for (int i = 0; i < runs; i++) {
            try {
                body.run();
            } catch (Throwable t) {
                String m = String.valueOf(t.getMessage()).lines().findFirst().orElse("");
                failures.merge(t.getClass().getSimpleName() + ": " + m, 1, Integer::sum);
            }
        }
        return failures;
    }
}
