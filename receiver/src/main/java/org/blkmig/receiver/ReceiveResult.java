// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.util.Objects;

/**
 * How receiving ended. {@link #complete()} only when the END payload's EOS arrived and every
 * target was flushed; otherwise {@code failure} says what kind of failure, {@code reason} says it
 * in words and {@code offsetBytes} where.
 */
public record ReceiveResult(Failure failure, String reason, long offsetBytes, long dataBlocks, long zeroBlocks,
        long lastProgress, long bytesRead, long flushNanos) {

    /** What ended a receive; a closed set, so that callers read the kind and never parse the reason. */
    public enum Failure {
        /** Complete: the END payload arrived and every target was flushed. */
        NONE,
        /** The input breaks the protocol (bad framing, flags, names, values). */
        PROTOCOL_ERROR,
        /** The input ends inside a record, a section or the header: the sender or the link stopped. */
        TRUNCATED,
        /** The block section's END payload came without its START payload. */
        NO_START_PAYLOAD,
        /** The input ended cleanly without the block section's END payload. */
        NO_END_PAYLOAD,
        /** A block for a device that is not one of the targets: the stream itself may be fine. */
        UNKNOWN_DEVICE,
        /** The destination's rules refuse the block: not chunk-aligned, or outside its device. */
        BLOCK_REFUSED,
        /**
         * QEMU 7.2's destination wrote a data block cluster by cluster and the cluster across the
         * device's end failed (EIO): the load fails, after the clusters before it were written.
         */
        WRITE_CROSSES_END,
        /** A target failed a write or a flush. */
        TARGET_FAILED,
        /** Reading the input failed (the connection, not its content). */
        INPUT_FAILED,
        /** Made outside the receiver (a harness that stopped it, a stub): only the reason tells. */
        UNCLASSIFIED
    }

    public ReceiveResult {
        Objects.requireNonNull(failure, "failure");
    }

    /**
     * A result made outside the receiver (a harness, a stub): incomplete ones are
     * {@link Failure#UNCLASSIFIED}, their reason says why.
     */
    public ReceiveResult(boolean complete, String reason, long offsetBytes, long dataBlocks, long zeroBlocks,
            long lastProgress, long bytesRead) {
        this(complete ? Failure.NONE : Failure.UNCLASSIFIED, reason, offsetBytes, dataBlocks, zeroBlocks, lastProgress,
                bytesRead, 0);
    }

    /** Whether the END payload's EOS arrived and every target was flushed. */
    public boolean complete() {
        return failure == Failure.NONE;
    }

    @Override
    public String toString() {
        return complete() ? "complete: " + dataBlocks + " data blocks, " + zeroBlocks + " zero blocks, " + bytesRead + " bytes"
                : "incomplete at byte " + offsetBytes + ": " + reason;
    }
}
