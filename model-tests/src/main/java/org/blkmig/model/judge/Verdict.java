// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.List;

/**
 * A property's verdict on one run, as data: its status and cause, the chunks and virtual instants
 * it concerns, a {@code subject} that names what broke when the cause has several kinds (the
 * protocol rule, say), and {@link #evidence()}, the sentence for people built from those. Code
 * reads the typed fields; only people read the sentence.
 */
public record Verdict(Promise property, Status status, Cause cause, List<ChunkRef> chunks, List<Long> instantsNanos,
        String subject, String evidence) {

    public enum Status {
        PASS,
        FAIL,
        /** The property does not apply to this run (a migration that did not complete has no target to compare). */
        NOT_APPLICABLE,
        /** The run cannot decide it: the harness itself stopped the run (its data limit), not the migration. */
        INCONCLUSIVE
    }

    public Verdict {
        chunks = List.copyOf(chunks);
        instantsNanos = List.copyOf(instantsNanos);
        if (cause == Cause.NONE && status != Status.PASS) {
            throw new IllegalArgumentException("only a plain pass has no cause: " + status);
        }
    }

    public static Verdict pass(Promise p) {
        return new Verdict(p, Status.PASS, Cause.NONE, List.of(), List.of(), "", "");
    }

    /** A pass with a note: an excuse the property accepted, with its figures in the sentence. */
    public static Verdict pass(Promise p, Cause note, String evidence) {
        return new Verdict(p, Status.PASS, note, List.of(), List.of(), "", evidence);
    }

    public static Verdict notApplicable(Promise p, Cause why) {
        return new Verdict(p, Status.NOT_APPLICABLE, why, List.of(), List.of(), "", why.text);
    }

    public static Verdict inconclusive(Promise p, Cause why, String evidence) {
        return new Verdict(p, Status.INCONCLUSIVE, why, List.of(), List.of(), "", evidence);
    }

    public static Verdict fail(Promise p, Cause cause, String evidence) {
        return new Verdict(p, Status.FAIL, cause, List.of(), List.of(), "", evidence);
    }

    /** The same verdict about these chunks. */
    public Verdict about(ChunkRef... cs) {
        return new Verdict(property, status, cause, List.of(cs), instantsNanos, subject, evidence);
    }

    /** The same verdict at these virtual instants. */
    public Verdict at(long... nanos) {
        return new Verdict(property, status, cause, chunks, java.util.Arrays.stream(nanos).boxed().toList(), subject, evidence);
    }

    /** The same verdict naming what broke (a rule, an outcome): findings tell its kinds apart by it. */
    public Verdict subject(String what) {
        return new Verdict(property, status, cause, chunks, instantsNanos, what, evidence);
    }

    /** Everything but a failure: a pass, a pass with a note, not applicable, inconclusive. */
    public boolean passed() {
        return status != Status.FAIL;
    }

    @Override
    public String toString() {
        String word = switch (status) {
            case PASS -> "PASS ";
            case FAIL -> "FAIL ";
            case NOT_APPLICABLE -> "N/A  ";
            case INCONCLUSIVE -> "INCONCLUSIVE ";
        };
        return word + property.id() + (evidence.isEmpty() ? "" : ": " + evidence);
    }
}
