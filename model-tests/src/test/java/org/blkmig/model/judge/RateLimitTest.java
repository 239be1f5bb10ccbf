// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.blkmig.model.sim.StreamClock;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.junit.jupiter.api.Test;

/** Where rate-limit's read-ahead stops judging: the first byte the sender wrote that the stream lost. */
class RateLimitTest {
    private static final int FRAME_BYTES = 5;

    /** Counts what the sender writes, as its writer does whether the bytes reach the link or not. */
    private static final class CountingSink implements PayloadSink {
        private long writtenBytes;

        @Override
        public void beginPayload(SectionType type) {
            writtenBytes += FRAME_BYTES;
        }

        @Override
        public void write(Record record) {
            writtenBytes += record.wireSizeBytes();
        }

        @Override
        public void endPayload() {
            writtenBytes += FRAME_BYTES;
        }

        @Override
        public long bytesWritten() {
            return writtenBytes;
        }
    }

    @Test
    void aStreamIsWholeUntilItsFirstLostByteWasWritten() throws IOException {
        long[] nowNanos = {1_000};
        StreamClock clock = new StreamClock();
        PayloadSink sink = clock.stamp(new CountingSink(), () -> nowNanos[0]);
        sink.beginPayload(SectionType.PART);
        sink.write(new Record.ZeroBlock(0, "drX"));
        sink.endPayload();
        long flushedBytes = sink.bytesWritten();
        // the next payload is begun at 2 us and its block written, then a read error ends the
        // migration before the payload's end flushes it
        nowNanos[0] = 2_000;
        sink.beginPayload(SectionType.PART);
        nowNanos[0] = 3_000;
        sink.write(new Record.ZeroBlock(256, "drXO"));
        long writtenBytes = sink.bytesWritten();

        assertEquals(2_000, RateLimit.wholeUntilNanos(clock, flushedBytes));
        // a link cut inside the first payload loses from its first byte not carried
        assertEquals(1_000, RateLimit.wholeUntilNanos(clock, FRAME_BYTES + 1));
        // every byte written is in the stream (a completed stream adds its EOF after the last stamp)
        assertEquals(Long.MAX_VALUE, RateLimit.wholeUntilNanos(clock, writtenBytes));
        assertEquals(Long.MAX_VALUE, RateLimit.wholeUntilNanos(clock, writtenBytes + 1));
    }
}
