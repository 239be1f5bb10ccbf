// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import org.blkmig.protocol.CoalescingChannel;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.RecordWriter;
import org.blkmig.protocol.SectionType;

/**
 * Frames block payloads as QEMU 7.2 sections: START (with the section's name, instance 0,
 * version 1), PART and END, each followed by a footer. Optionally writes the file header,
 * configuration and EOF so the output is a stream of its own.
 */
public final class QemuStreamWriter implements PayloadSink {
    // small records and framing are gathered and sent at each payload's end (or with the next chunk)
    private final CoalescingChannel out;
    private final RecordWriter records;
    private final int sectionId;
    private final ByteBuffer small = ByteBuffer.allocate(64);
    private SectionType open;
    private long frameBytes;

    public QemuStreamWriter(WritableByteChannel out, int chunkSizeBytes, int sectionId) {
        this.out = new CoalescingChannel(out);
        this.records = new RecordWriter(this.out, chunkSizeBytes);
        this.sectionId = sectionId;
    }

    public int sectionId() {
        return sectionId;
    }

    /** Bytes written so far, framing and records. */
    @Override
    public long bytesWritten() {
        return frameBytes + records.bytesWritten();
    }

    /** The file header and a configuration section naming the machine type. */
    public void writeHeader(String machineType) throws IOException {
        byte[] machine = machineType.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(13 + machine.length);
        b.putInt(QemuFormat.FILE_MAGIC).putInt(QemuFormat.FILE_VERSION);
        b.put((byte) QemuFormat.CONFIGURATION).putInt(machine.length).put(machine);
        writeFully(b.flip());
        out.flush();
    }

    /** The EOF marker that ends the section list. */
    public void writeEof() throws IOException {
        small.clear();
        small.put((byte) QemuFormat.EOF);
        writeFully(small.flip());
        out.flush();
    }

    @Override
    public void beginPayload(SectionType type) throws IOException {
        if (open != null) {
            throw new IllegalStateException("payload " + open + " is still open");
        }
        if (type == SectionType.FULL) {
            throw new IllegalArgumentException("the block section is live: START, PART or END only");
        }
        small.clear();
        small.put((byte) type.code).putInt(sectionId);
        if (type == SectionType.START) {
            byte[] idstr = QemuFormat.BLOCK_IDSTR.getBytes(StandardCharsets.US_ASCII);
            small.put((byte) idstr.length).put(idstr).putInt(0).putInt(QemuFormat.BLOCK_VERSION);
        }
        writeFully(small.flip());
        open = type;
    }

    @Override
    public void write(Record record) throws IOException {
        if (open == null) {
            throw new IllegalStateException("no payload is open");
        }
        records.write(record);
    }

    @Override
    public void writeFileBlock(long sector, String device, java.nio.channels.FileChannel file, long position, int lengthBytes,
            int chunkSizeBytes) throws IOException {
        if (open == null) {
            throw new IllegalStateException("no payload is open");
        }
        records.writeFileBlock(sector, device, file, position, lengthBytes);
    }

    @Override
    public void endPayload() throws IOException {
        if (open == null) {
            throw new IllegalStateException("no payload is open");
        }
        small.clear();
        small.put((byte) QemuFormat.SECTION_FOOTER).putInt(sectionId);
        writeFully(small.flip());
        out.flush(); // a payload leaves whole: nothing waits while the sender waits
        open = null;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            frameBytes += out.write(b);
        }
    }
}
