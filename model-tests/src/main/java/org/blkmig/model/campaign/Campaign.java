// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Choices;
import org.blkmig.model.scenario.Draws;
import org.blkmig.model.scenario.Variant;

/**
 * Random scenarios from one seed. Scenario k depends only on (seed, k), so shard i of n runs the
 * indices k with k mod n = i: shards are disjoint and together are the whole campaign.
 */
public final class Campaign {
    /**
     * {@code findings}: run every scenario and report each distinct way of failing (a finding),
     * shrunk once; otherwise stop at the first failure (the kill matrix does). {@code sizes}: which
     * sizes it draws (small where not given).
     */
    public record Settings(long seed, int scenarios, int shardIndex, int shardCount, Variant variant,
            long timeLimitNanos, int shrinkRuns, boolean findings, SizeMix sizes) {
        public Settings(long seed, int scenarios, int shardIndex, int shardCount, Variant variant, long timeLimitNanos,
                int shrinkRuns) {
            this(seed, scenarios, shardIndex, shardCount, variant, timeLimitNanos, shrinkRuns, false);
        }

        public Settings(long seed, int scenarios, int shardIndex, int shardCount, Variant variant, long timeLimitNanos,
                int shrinkRuns, boolean findings) {
            this(seed, scenarios, shardIndex, shardCount, variant, timeLimitNanos, shrinkRuns, findings, SizeMix.SMALL);
        }

        public Settings {
            if (scenarios < 0 || shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
                throw new IllegalArgumentException("need scenarios >= 0 and a shard i/n with 0 <= i < n");
            }
            java.util.Objects.requireNonNull(sizes, "sizes");
        }
    }

    /**
     * A finding: the index of the first scenario that failed this way, its shrunk form, how many
     * scenarios failed so. Only the shrunk run is kept: a campaign's memory does not grow with its findings' disks.
     */
    public record Failure(int index, Judge.Shrunk shrunk, String key, int occurrences) {}

    /**
     * {@code simulatedBytes}: the scenarios' disk sizes; {@code migratedBytes}: what their streams carried;
     * {@code multiTargetWritebackRuns}: runs with a writeback that forced two targets or more before the end.
     */
    public record Summary(int run, int passed, int failed, long elapsedNanos, boolean timedOut, List<Failure> failures,
            long simulatedBytes, long migratedBytes, DowntimeHistogram downtime, int multiTargetWritebackRuns) {
        public double scenariosPerSecond() {
            return elapsedNanos == 0 ? 0 : run * 1e9 / elapsedNanos;
        }
    }

    private Campaign() {}

    /** The choices of scenario k of the campaign with this seed, of small sizes. */
    public static Choices choices(long seed, int k) {
        return choices(seed, k, SizeMix.SMALL);
    }

    /** The choices of scenario k of the campaign with this seed and size mix; a realistic one draws from the same source. */
    public static Choices choices(long seed, int k, SizeMix sizes) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k);
        return sizes.realistic(seed, k) ? Choices.drawRealistic(Draws.of(r)) : Choices.random(r);
    }

    /** Runs the shard; stops at the first failure (shrunk), unless collecting findings, or at the time limit. */
    public static Summary run(Settings s, IntConsumer progress) {
        long start = System.nanoTime();
        int run = 0;
        int passed = 0;
        int failed = 0;
        long bytes = 0;
        long migrated = 0;
        java.util.Map<String, Failure> byKey = new java.util.LinkedHashMap<>();
        boolean timedOut = false;
        DowntimeHistogram downtime = DowntimeHistogram.empty();
        int multiTargetWritebacks = 0;
        for (int k = s.shardIndex(); k < s.scenarios(); k += s.shardCount()) {
            if (s.timeLimitNanos() > 0 && System.nanoTime() - start > s.timeLimitNanos()) {
                timedOut = true;
                break;
            }
            Choices c = choices(s.seed(), k, s.sizes());
            Judge.Outcome o = Judge.judge(c.toScenario(s.variant().profile()), s.variant());
            run++;
            bytes += o.run().scenario().totalBytes();
            migrated += o.run().migration().bytesSent();
            downtime = downtime.plus(org.blkmig.model.judge.Downtime.figures(o.facts()));
            multiTargetWritebacks += org.blkmig.model.judge.Durability.multiTargetWritebacks(o.facts()) > 0 ? 1 : 0;
            progress.accept(run);
            if (o.passed()) {
                passed++;
                o.release();
                continue;
            }
            failed++;
            String key = Findings.key(o);
            Failure known = byKey.get(key);
            if (known != null) {
                byKey.put(key, new Failure(known.index(), known.shrunk(), key, known.occurrences() + 1));
            } else {
                // shrink while it still fails the same way
                byKey.put(key, new Failure(k, Judge.shrink(c, o, s.variant(), x -> Findings.key(x).equals(key),
                        s.shrinkRuns()), key, 1));
            }
            if (!s.findings()) {
                break;
            }
        }
        return new Summary(run, passed, failed, System.nanoTime() - start, timedOut, List.copyOf(byKey.values()), bytes,
                migrated, downtime, multiTargetWritebacks);
    }
}
