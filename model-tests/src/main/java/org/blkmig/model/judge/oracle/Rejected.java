// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

/**
 * The oracle's verdict on bad input: why, at which byte, and whether the input merely stopped
 * early (truncated: a run that did not complete) or is wrong (malformed).
 */
public final class Rejected extends Exception {
    private final long offsetBytes;
    private final String reason;
    private final boolean truncated;

    private Rejected(long offsetBytes, String reason, boolean truncated) {
        super((truncated ? "truncated" : "malformed") + " at byte " + offsetBytes + ": " + reason);
        this.offsetBytes = offsetBytes;
        this.reason = reason;
        this.truncated = truncated;
    }

    static Rejected malformed(long offsetBytes, String reason) {
        return new Rejected(offsetBytes, reason, false);
    }

    static Rejected truncated(long offsetBytes, String reason) {
        return new Rejected(offsetBytes, reason, true);
    }

    public long offsetBytes() {
        return offsetBytes;
    }

    public String reason() {
        return reason;
    }

    /** True when the input ended early; false when a byte that is there is wrong. */
    public boolean truncated() {
        return truncated;
    }
}
