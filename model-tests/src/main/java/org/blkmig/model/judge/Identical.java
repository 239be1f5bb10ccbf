// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.Optional;

/** Every target equals its source as the guest left it. */
final class Identical extends NamedProperty {
    @Override
    public String id() {
        return "identical";
    }

    @Override
    public String promise() {
        return "every target equals its source as the guest left it";
    }

    @Override
    public Verdict judge(Facts f) {
        if (!f.completed()) {
            return Verdict.notApplicable(this, Cause.NOT_COMPLETED);
        }
        Optional<FirstDifference> d = f.firstDifference();
        if (d.isEmpty()) {
            return Verdict.pass(this);
        }
        FirstDifference x = d.get();
        return Verdict.fail(this, x.guestWriteMissing() ? Cause.GUEST_WRITE_MISSING : Cause.TARGET_DIFFERS, x.sentence())
                .about(x.chunk());
    }
}
