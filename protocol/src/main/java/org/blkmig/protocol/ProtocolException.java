// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;

/** Malformed input: says what was wrong and at which byte offset of the stream. */
public class ProtocolException extends IOException {
    /**
     * What kind of wrong: the input stopped short (a sender or link that stopped), or it holds
     * something the protocol does not allow. Typed, so that no caller parses the message.
     */
    public enum Kind {
        MALFORMED,
        /** The input ends inside something it began (its problem starts "truncated: "). */
        TRUNCATED
    }

    private final long offsetBytes;
    private final String problem;
    private final Kind kind;

    public ProtocolException(long offsetBytes, String problem) {
        this(offsetBytes, Kind.MALFORMED, problem);
    }

    private ProtocolException(long offsetBytes, Kind kind, String problem) {
        super("at byte " + offsetBytes + ": " + problem);
        this.offsetBytes = offsetBytes;
        this.problem = problem;
        this.kind = kind;
    }

    /** The input ends inside what {@code problem} says; the problem reads "truncated: " + problem. */
    public static ProtocolException truncated(long offsetBytes, String problem) {
        return new ProtocolException(offsetBytes, Kind.TRUNCATED, "truncated: " + problem);
    }

    public long offsetBytes() {
        return offsetBytes;
    }

    /** The problem without the offset. */
    public String problem() {
        return problem;
    }

    public Kind kind() {
        return kind;
    }
}
