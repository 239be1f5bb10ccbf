// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.blkmig.protocol.check.StreamChecker;

/**
 * The stream decodes and StreamChecker reports nothing; and {@link Progress}, its progress rules.
 * Both judge a decoded stream alone, so the real-QEMU harness judges QEMU's streams with them too.
 */
public final class ProtocolRules extends NamedProperty {
    /** The rules whose violations the {@code progress} property reports (END_PRESENT too, for a completed run). */
    static final Set<StreamChecker.Rule> PROGRESS_RULES = EnumSet.of(StreamChecker.Rule.PROGRESS_RANGE,
            StreamChecker.Rule.PROGRESS_MONOTONIC, StreamChecker.Rule.END_PROGRESS_100, StreamChecker.Rule.PAYLOAD_EOS);

    @Override
    public String id() {
        return "protocol";
    }

    @Override
    public String promise() {
        return "the stream decodes and StreamChecker reports nothing";
    }

    @Override
    public Verdict judge(Facts f) {
        return judge(f.stream(), f.completed());
    }

    /** A decoded stream's verdict; {@code completed}: its source said the migration completed. */
    public Verdict judge(OracleStream d, boolean completed) {
        if (d.error() != null) {
            return Verdict.fail(this, Cause.STREAM_UNREADABLE, d.error());
        }
        return violations(this, d, x -> completed || x.rule() != StreamChecker.Rule.END_PRESENT);
    }

    /** The first of the violations {@code which} selects, as a failure naming its rule; a pass if none. */
    static Verdict violations(Promise p, OracleStream d, Predicate<StreamChecker.Violation> which) {
        List<StreamChecker.Violation> vs = d.violations().stream().filter(which).toList();
        if (vs.isEmpty()) {
            return Verdict.pass(p);
        }
        return Verdict.fail(p, Cause.RULE_VIOLATED, vs.get(0) + (vs.size() > 1 ? " (+" + (vs.size() - 1) + " more)" : ""))
                .subject(vs.get(0).rule().name());
    }

    /** Progress within 0..100, never decreasing, END ends with 100 then EOS, one EOS per payload. */
    public static final class Progress extends NamedProperty {
        @Override
        public String id() {
            return "progress";
        }

        @Override
        public String promise() {
            return "progress within 0..100, never decreasing, END ends with 100 then EOS, one EOS per payload";
        }

        @Override
        public Verdict judge(Facts f) {
            return judge(f.stream(), f.completed());
        }

        /** StreamChecker's violations of the progress rules; a completed run must also have its END payload. */
        public Verdict judge(OracleStream d, boolean completed) {
            return violations(this, d, x -> PROGRESS_RULES.contains(x.rule())
                    || completed && d.error() == null && x.rule() == StreamChecker.Rule.END_PRESENT);
        }
    }
}
