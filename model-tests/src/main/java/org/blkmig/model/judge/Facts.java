// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.sender.MigrationResult;

/**
 * The fact base of one run, built once and shared by every property and the space-time diagram:
 * the stream as the oracle decoded it, the history indexed by type, the history's replay (what
 * each read saw, which read each block came from), the first difference of each target, and the
 * liveness model. Each part is computed on first use and kept, so nothing is decoded or replayed
 * twice. Nothing here reads the sender's bookkeeping beyond how the migration ended.
 */
public final class Facts {
    private final ScenarioRunner.Run run;
    private final ScenarioRunner.Run rerun;
    private OracleStream stream;
    private HistoryIndex history;
    private Replay replay;
    private Map<String, Optional<FirstDifference>> differences;
    private Liveness liveness;
    private TargetWrites targetWrites;

    private Facts(ScenarioRunner.Run run, ScenarioRunner.Run rerun) {
        this.run = run;
        this.rerun = rerun;
    }

    public static Facts of(ScenarioRunner.Run run) {
        return new Facts(run, null);
    }

    /** The facts of a run and of the same scenario run again (for determinism). */
    public static Facts of(ScenarioRunner.Run run, ScenarioRunner.Run rerun) {
        return new Facts(run, rerun);
    }

    public ScenarioRunner.Run run() {
        return run;
    }

    public Optional<ScenarioRunner.Run> rerun() {
        return Optional.ofNullable(rerun);
    }

    public Scenario scenario() {
        return run.scenario();
    }

    /** Whether the sender reported the migration completed. */
    public boolean completed() {
        return run.migration().outcome() == MigrationResult.Outcome.COMPLETED;
    }

    public OracleStream stream() {
        if (stream == null) {
            Scenario s = run.scenario();
            Map<String, Long> sizes = new LinkedHashMap<>();
            s.devices().forEach(d -> sizes.put(d.name(), d.sizeBytes()));
            stream = OracleStream.decode(run.stream()::open, sizes, s.chunkSizeBytes(), completed());
        }
        return stream;
    }

    public HistoryIndex history() {
        if (history == null) {
            history = new HistoryIndex(run.history());
        }
        return history;
    }

    public Replay replay() {
        if (replay == null) {
            replay = Replay.of(run.scenario(), run.history(), stream());
        }
        return replay;
    }

    /** Where each migrated device's target first differs from its source (empty: equal), in device order. */
    public Map<String, Optional<FirstDifference>> differences() {
        if (differences == null) {
            Map<String, Optional<FirstDifference>> m = new LinkedHashMap<>();
            for (Scenario.Device d : run.scenario().devices()) {
                if (migrated(d)) {
                    m.put(d.name(), Optional.ofNullable(FirstDifference.of(d, run.sources().get(d.name()),
                            run.targets().get(d.name()), run.scenario().chunkSizeBytes())));
                }
            }
            differences = m;
        }
        return differences;
    }

    /** The first difference over the targets in device order, if any. */
    public Optional<FirstDifference> firstDifference() {
        return differences().values().stream().flatMap(Optional::stream).findFirst();
    }

    /** Which blocks the receiver applied, and when, from the targets' write logs. */
    public TargetWrites targetWrites() {
        if (targetWrites == null) {
            targetWrites = TargetWrites.of(this);
        }
        return targetWrites;
    }

    public Liveness liveness() {
        if (liveness == null) {
            liveness = Liveness.of(this);
        }
        return liveness;
    }

    /** Devices the migration must carry: writable with a size. */
    public static boolean migrated(Scenario.Device d) {
        return d.migrated();
    }
}
