// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.function.LongSupplier;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;

/**
 * When each byte of a simulated stream was written, in virtual time: the sink records, after each
 * record and each payload's end, how long the stream was and what time it was. The checkers read
 * it with the stream, never with the sender's counters.
 */
public final class StreamClock {
    private final java.util.List<Long> sliceStartOffsets = new java.util.ArrayList<>();
    private PayloadSink stamped;
    private long[] offsetBytes = new long[256];
    private long[] timeNanos = new long[256];
    private int size;

    /** A sink that writes to {@code out} (which counts its bytes) and stamps every record with {@code now}. */
    public PayloadSink stamp(PayloadSink out, LongSupplier now) {
        stamped = out;
        return new PayloadSink() {
            @Override
            public void beginPayload(SectionType type) throws IOException {
                out.beginPayload(type);
                add(out.bytesWritten(), now.getAsLong());
            }

            @Override
            public void write(Record record) throws IOException {
                out.write(record);
                add(out.bytesWritten(), now.getAsLong());
            }

            @Override
            public void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes,
                    int chunkSizeBytes) throws IOException {
                out.writeFileBlock(sector, device, file, position, lengthBytes, chunkSizeBytes);
                add(out.bytesWritten(), now.getAsLong());
            }

            @Override
            public void endPayload() throws IOException {
                out.endPayload();
                add(out.bytesWritten(), now.getAsLong());
            }

            @Override
            public long bytesWritten() {
                return out.bytesWritten();
            }
        };
    }

    private void add(long streamLengthBytes, long nanos) {
        if (size == offsetBytes.length) {
            offsetBytes = Arrays.copyOf(offsetBytes, size * 2);
            timeNanos = Arrays.copyOf(timeNanos, size * 2);
        }
        offsetBytes[size] = streamLengthBytes;
        timeNanos[size] = nanos;
        size++;
    }

    /** The controller begins a slice: what the stream holds now belongs to the slices before. */
    public void sliceStarts() {
        sliceStartOffsets.add(stamped.bytesWritten());
    }

    /** The stream offset at which each slice of the controller began, in order. */
    public java.util.List<Long> sliceStartOffsets() {
        return java.util.List.copyOf(sliceStartOffsets);
    }

    /** The virtual time at which the byte at {@code offset} was written; -1 if it never was. */
    public long timeOf(long offset) {
        int i = Arrays.binarySearch(offsetBytes, 0, size, offset + 1);
        int at = i >= 0 ? i : -i - 1; // the first stamp whose stream length passes the byte
        return at < size ? timeNanos[at] : -1;
    }

    /** The stream's length after stamp {@code i} (in stamp order). */
    public long offsetAt(int i) {
        return offsetBytes[i];
    }

    /** The virtual instant of stamp {@code i}. */
    public long timeAt(int i) {
        return timeNanos[i];
    }

    public int stamps() {
        return size;
    }
}
