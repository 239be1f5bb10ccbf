// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.model.sim.ScenarioRunner;

/** The scenario run again gives the same stream (SHA-256) and the same history. */
final class Determinism extends NamedProperty {
    @Override
    public String id() {
        return "determinism";
    }

    @Override
    public String promise() {
        return "the scenario run again gives the same stream (SHA-256) and the same history";
    }

    @Override
    public Verdict judge(Facts f) {
        if (f.rerun().isEmpty()) {
            return Verdict.notApplicable(this, Cause.NOT_RERUN);
        }
        ScenarioRunner.Run first = f.run();
        ScenarioRunner.Run second = f.rerun().get();
        if (!first.stream().sameBytes(second.stream())) {
            return Verdict.fail(this, Cause.STREAM_DIFFERS, "the stream's SHA-256 was " + first.stream().sha256()
                    + " and is " + second.stream().sha256() + " on a second run");
        }
        if (!first.history().entries().equals(second.history().entries())) {
            return Verdict.fail(this, Cause.HISTORY_DIFFERS, "the same stream but another history on a second run ("
                    + first.history().entries().size() + " and " + second.history().entries().size() + " entries)");
        }
        return Verdict.pass(this);
    }
}
