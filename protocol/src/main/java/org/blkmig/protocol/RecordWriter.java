// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/** Writes block-migration records to a blocking channel, without copying block data. */
public final class RecordWriter {
    private final WritableByteChannel out;
    private final int chunkSizeBytes;
    // header + name length + longest name
    private final ByteBuffer head = ByteBuffer.allocateDirect(Wire.HEADER_BYTES + 1 + Wire.MAX_DEVICE_NAME_BYTES);
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private String lastDevice;
    private byte[] lastDeviceBytes;
    private long bytesWritten;

    public RecordWriter(WritableByteChannel out, int chunkSizeBytes) {
        this.out = out;
        this.chunkSizeBytes = Wire.checkChunkSize(chunkSizeBytes);
    }

    public RecordWriter(OutputStream out, int chunkSizeBytes) {
        this(Channels.newChannel(out), chunkSizeBytes);
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public int chunkSizeBytes() {
        return chunkSizeBytes;
    }

    public void write(Record record) throws IOException {
        // Java 17: no pattern switch, so an instanceof chain; then one header write and one channel
        // write for every kind, so that wherever this is inlined the JIT compiles them once
        long header;
        String device = null;
        ByteBuffer data = null;
        if (record instanceof Record.EndOfSection) {
            header = Wire.FLAG_EOS;
        } else if (record instanceof Record.Progress p) {
            header = (p.percent() << Wire.SECTOR_SHIFT) | Wire.FLAG_PROGRESS;
        } else if (record instanceof Record.ZeroBlock z) {
            header = (z.sector() << Wire.SECTOR_SHIFT) | Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_ZERO_BLOCK;
            device = z.device();
        } else {
            Record.DeviceBlock b = (Record.DeviceBlock) record;
            if (b.data().remaining() != chunkSizeBytes) {
                throw new IllegalArgumentException("device block data must be one chunk ("
                        + chunkSizeBytes + " bytes), not " + b.data().remaining());
            }
            header = (b.sector() << Wire.SECTOR_SHIFT) | Wire.FLAG_DEVICE_BLOCK;
            device = b.device();
            data = b.data().duplicate();
        }
        head.clear();
        head.putLong(header);
        if (device != null) {
            putName(device);
        }
        head.flip();
        writeFully(head, data);
    }

    /** A device block sent from a file region without copying it through user space; the chunk's tail is zeros. */
    public void writeFileBlock(long sector, String device, java.nio.channels.FileChannel file, long position, int lengthBytes)
            throws IOException {
        if (lengthBytes <= 0 || lengthBytes > chunkSizeBytes) {
            throw new IllegalArgumentException("a file block holds 1.." + chunkSizeBytes + " bytes, not " + lengthBytes);
        }
        head.clear();
        putBlockHead(sector, device, Wire.FLAG_DEVICE_BLOCK);
        flushHead();
        long done = 0;
        while (done < lengthBytes) {
            long n = out instanceof ZeroCopyTarget z ? z.transferFrom(file, position + done, lengthBytes - done)
                    : file.transferTo(position + done, lengthBytes - done, out);
            if (n <= 0) {
                throw new IOException("the file ends before " + (position + lengthBytes));
            }
            done += n;
        }
        bytesWritten += done;
        int pad = chunkSizeBytes - lengthBytes;
        while (pad > 0) {
            ByteBuffer zeros = ZERO_PAD.duplicate().limit(Math.min(pad, ZERO_PAD.capacity()));
            pad -= zeros.remaining();
            while (zeros.hasRemaining()) {
                bytesWritten += out.write(zeros);
            }
        }
    }

    private static final ByteBuffer ZERO_PAD = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private void putBlockHead(long sector, String device, int flags) {
        head.putLong((sector << Wire.SECTOR_SHIFT) | flags);
        putName(device);
    }

    /** A block's device name: its length byte, then its bytes (encoded once for a run of blocks of one device). */
    private void putName(String device) {
        if (!device.equals(lastDevice)) {
            lastDeviceBytes = device.getBytes(StandardCharsets.UTF_8);
            lastDevice = device;
        }
        head.put((byte) lastDeviceBytes.length);
        head.put(lastDeviceBytes);
    }

    private void flushHead() throws IOException {
        head.flip();
        writeFully(head, null);
    }

    private void writeFully(ByteBuffer first, ByteBuffer second) throws IOException {
        if (second != null && out instanceof GatheringByteChannel g) {
            gather[0] = first;
            gather[1] = second;
            while (first.hasRemaining() || second.hasRemaining()) {
                bytesWritten += g.write(gather);
            }
            gather[0] = gather[1] = null;
            return;
        }
        while (first.hasRemaining()) {
            bytesWritten += out.write(first);
        }
        if (second != null) {
            while (second.hasRemaining()) {
                bytesWritten += out.write(second);
            }
        }
    }
}
