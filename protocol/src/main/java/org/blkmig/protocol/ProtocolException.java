// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;

/** Malformed input: says what was wrong and at which byte offset of the stream. */
public class ProtocolException extends IOException {
    private final long offsetBytes;
    private final String problem;

    public ProtocolException(long offsetBytes, String problem) {
        super("at byte " + offsetBytes + ": " + problem);
        this.offsetBytes = offsetBytes;
        this.problem = problem;
    }

    public long offsetBytes() {
        return offsetBytes;
    }

    /** The problem without the offset. */
    public String problem() {
        return problem;
    }
}
