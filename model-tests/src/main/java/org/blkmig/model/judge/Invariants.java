// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/** The run broke no invariant asserted in blkmig's main code. */
final class Invariants extends NamedProperty {
    @Override
    public String id() {
        return "invariants";
    }

    @Override
    public String promise() {
        return "the run broke no invariant asserted in blkmig's main code";
    }

    @Override
    public Verdict judge(Facts f) {
        String broken = f.run().brokenInvariant();
        return broken == null ? Verdict.pass(this) : Verdict.fail(this, Cause.INVARIANT_BROKEN, broken);
    }
}
