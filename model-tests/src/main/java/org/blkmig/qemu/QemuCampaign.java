// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random migrations on the real QEMU 7.2 from one seed (scenario k depends only on the seed and k),
 * each judged by {@link QemuRun}. Each distinct way of failing (a finding) is shrunk on the real
 * system, where runs are not deterministic: a simpler candidate is run up to {@code attempts} times
 * and kept if one run fails the same way; the shrunk scenario is then run {@code rateRuns} more
 * times and its failure rate reported.
 */
public final class QemuCampaign {
    private QemuCampaign() {}

    /** {@code shrinkRuns}: the most runs shrinking one finding may take. */
    public record Settings(long seed, int scenarios, long timeLimitNanos, QemuRun.Destination destination, int shrinkRuns,
            int attempts, int rateRuns, Path workRoot) {
        public Settings {
            if (scenarios < 0 || shrinkRuns < 0 || attempts < 1 || rateRuns < 0) {
                throw new IllegalArgumentException("need scenarios, shrink runs and rate runs >= 0, attempts >= 1");
            }
        }
    }

    /** A finding: its first scenario, how many failed so, its shrunk scenario with a failing run, and its failure rate. */
    public record Finding(FindingKey key, int firstIndex, int occurrences, QemuScenario original, QemuRun.Outcome shrunk,
            int shrinkRuns, int rateFailures, int rateRuns) {
        Finding seenAgain() {
            return new Finding(key, firstIndex, occurrences + 1, original, shrunk, shrinkRuns, rateFailures, rateRuns);
        }

        public String rate() {
            return rateRuns == 0 ? "failure rate not measured" : "fails " + rateFailures + " of " + rateRuns;
        }
    }

    public record Summary(int run, int passed, int failed, long elapsedNanos, boolean timedOut, List<Finding> findings,
            long diskBytes) {}

    /** What a campaign tells as it goes: each run (campaign, shrink or rate run) and what it gave. */
    public interface Listener {
        void scenario(String phase, int index, QemuRun.Outcome o);
    }

    public static QemuScenario scenario(long seed, int k) {
        return QemuScenario.random(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k));
    }

    public static Summary run(Settings s, Listener listener) throws IOException {
        long start = System.nanoTime();
        int run = 0;
        int passed = 0;
        int failed = 0;
        long bytes = 0;
        boolean timedOut = false;
        Map<FindingKey, Finding> byKey = new LinkedHashMap<>();
        for (int k = 0; k < s.scenarios(); k++) {
            if (s.timeLimitNanos() > 0 && System.nanoTime() - start > s.timeLimitNanos()) {
                timedOut = true;
                break;
            }
            QemuScenario sc = scenario(s.seed(), k);
            QemuRun.Outcome o = QemuRun.run(sc, s.destination(), s.workRoot());
            run++;
            bytes += sc.totalBytes();
            listener.scenario("scenario", k, o);
            if (o.passed()) {
                passed++;
                continue;
            }
            failed++;
            FindingKey key = o.key();
            Finding known = byKey.get(key);
            byKey.put(key, known != null ? known.seenAgain() : shrink(k, o, s, listener));
        }
        return new Summary(run, passed, failed, System.nanoTime() - start, timedOut, List.copyOf(byKey.values()), bytes);
    }

    /** Shrinks a failed outcome greedily, then measures how often the shrunk scenario fails the same way. */
    public static Finding shrink(int index, QemuRun.Outcome failed, Settings s, Listener listener) throws IOException {
        FindingKey key = failed.key();
        QemuRun.Outcome current = failed;
        int runs = 0;
        boolean progress = true;
        while (progress && runs < s.shrinkRuns()) {
            progress = false;
            for (QemuScenario c : current.scenario().simpler()) {
                for (int a = 0; a < s.attempts() && runs < s.shrinkRuns() && !progress; a++) {
                    QemuRun.Outcome o = QemuRun.run(c, s.destination(), s.workRoot());
                    runs++;
                    listener.scenario("shrink", index, o);
                    if (!o.passed() && o.key().equals(key)) {
                        current = o;
                        progress = true;
                    }
                }
                if (progress || runs >= s.shrinkRuns()) {
                    break;
                }
            }
        }
        int failures = 0;
        for (int i = 0; i < s.rateRuns(); i++) {
            QemuRun.Outcome o = QemuRun.run(current.scenario(), s.destination(), s.workRoot());
            listener.scenario("rate", index, o);
            if (!o.passed() && o.key().equals(key)) {
                failures++;
            }
        }
        return new Finding(key, index, 1, failed.scenario(), current, runs, failures, s.rateRuns());
    }

    /** Reruns one scenario: its outcomes, for a replay ("fails 3 of 5"). */
    public static List<QemuRun.Outcome> replay(QemuScenario sc, QemuRun.Destination d, int times, Path workRoot,
            Listener listener) throws IOException {
        List<QemuRun.Outcome> out = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            QemuRun.Outcome o = QemuRun.run(sc, d, workRoot);
            listener.scenario("replay", i, o);
            out.add(o);
        }
        return out;
    }
}
