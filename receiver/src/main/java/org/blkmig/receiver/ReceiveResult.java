// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

/**
 * How receiving ended. {@code complete} only when the END payload's EOS arrived and every target
 * was flushed; otherwise {@code reason} says why and {@code offsetBytes} where.
 */
public record ReceiveResult(boolean complete, String reason, long offsetBytes, long dataBlocks, long zeroBlocks,
        long lastProgress, long bytesRead, long flushNanos) {
    public ReceiveResult(boolean complete, String reason, long offsetBytes, long dataBlocks, long zeroBlocks,
            long lastProgress, long bytesRead) {
        this(complete, reason, offsetBytes, dataBlocks, zeroBlocks, lastProgress, bytesRead, 0);
    }

    @Override
    public String toString() {
        return complete ? "complete: " + dataBlocks + " data blocks, " + zeroBlocks + " zero blocks, " + bytesRead + " bytes"
                : "incomplete at byte " + offsetBytes + ": " + reason;
    }
}
