// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Where a sender writes its block section: payloads of records. The sender writes every record,
 * EOS included, so a faulty sender can be observed writing a faulty stream.
 */
public interface PayloadSink {
    void beginPayload(SectionType type) throws IOException;

    void write(Record record) throws IOException;

    void endPayload() throws IOException;

    /** Bytes written to the stream so far, framing included; -1 when this sink does not count them. */
    default long bytesWritten() {
        return -1;
    }

    /**
     * A device block whose data is {@code lengthBytes} of a file from {@code position}, taken when
     * it is written (a sink over a channel sends it without copying it through the heap); bytes
     * past {@code lengthBytes} up to the chunk are zeros. This default reads it and writes a block.
     */
    default void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes,
            int chunkSizeBytes) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(chunkSizeBytes);
        data.limit(lengthBytes);
        while (data.hasRemaining()) {
            if (file.read(data, position + data.position()) < 0) {
                throw new IOException("the file ends before " + (position + lengthBytes));
            }
        }
        write(new Record.DeviceBlock(sector, device, data.clear()));
    }
}
