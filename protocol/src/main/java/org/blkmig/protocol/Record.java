// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** One record of a block payload. */
public sealed interface Record permits Record.DeviceBlock, Record.ZeroBlock, Record.Progress, Record.EndOfSection {

    /** The bytes this record takes on the wire: its header, a block's name and data. */
    long wireSizeBytes();

    /** One line for people: {@code BLOCK drive0 2048 data}, {@code BLOCK drive0 2048 zero}, {@code PROGRESS 42}, {@code EOS}. */
    default String describe() {
        if (this instanceof DeviceBlock b) {
            return "BLOCK " + b.device() + " " + b.sector() + " data";
        }
        if (this instanceof ZeroBlock z) {
            return "BLOCK " + z.device() + " " + z.sector() + " zero";
        }
        return this instanceof Progress p ? "PROGRESS " + p.percent() : "EOS";
    }

    /** The wire size of a block's header and device name, without its data. */
    static long blockHeadBytes(String device) {
        return Wire.HEADER_BYTES + 1 + device.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The wire size of a device block of one chunk. */
    static long deviceBlockWireBytes(String device, int chunkSizeBytes) {
        return blockHeadBytes(device) + chunkSizeBytes;
    }

    /**
     * A chunk of data. {@code data} holds exactly one chunk; from a reader it is a read-only view
     * of a reused buffer, valid until the reader's next call (use {@link #copy()} to keep it).
     * Equality compares the data's content.
     */
    record DeviceBlock(long sector, String device, ByteBuffer data) implements Record {
        public DeviceBlock {
            checkSector(sector);
            checkDevice(device);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public long wireSizeBytes() {
            return blockHeadBytes(device) + data.remaining();
        }

        public DeviceBlock copy() {
            ByteBuffer kept = ByteBuffer.allocate(data.remaining());
            kept.put(data.duplicate()).flip();
            return new DeviceBlock(sector, device, kept.asReadOnlyBuffer());
        }

        @Override
        public String toString() {
            return "DeviceBlock[sector=" + sector + ", device=" + device + ", bytes=" + data.remaining() + "]";
        }
    }

    /** A chunk that is all zeros: no data on the wire. */
    record ZeroBlock(long sector, String device) implements Record {
        public ZeroBlock {
            checkSector(sector);
            checkDevice(device);
        }

        @Override
        public long wireSizeBytes() {
            return blockHeadBytes(device);
        }
    }

    /** Percent done. The wire can carry up to 2^55-1; a valid stream stays within 0..100. */
    record Progress(long percent) implements Record {
        public Progress {
            if (percent < 0 || percent > Wire.MAX_HEADER_VALUE) {
                throw new IllegalArgumentException("progress does not fit the header: " + percent);
            }
        }

        @Override
        public long wireSizeBytes() {
            return Wire.HEADER_BYTES;
        }
    }

    /** EOS: ends one section payload. */
    record EndOfSection() implements Record {
        public static final EndOfSection INSTANCE = new EndOfSection();

        @Override
        public long wireSizeBytes() {
            return Wire.HEADER_BYTES;
        }
    }

    static void checkSector(long sector) {
        if (sector < 0 || sector > Wire.MAX_HEADER_VALUE) {
            throw new IllegalArgumentException("sector does not fit the header: " + sector);
        }
    }

    static void checkDevice(String device) {
        Objects.requireNonNull(device, "device");
        int lengthBytes = device.getBytes(StandardCharsets.UTF_8).length;
        if (lengthBytes < 1 || lengthBytes > Wire.MAX_DEVICE_NAME_BYTES) {
            throw new IllegalArgumentException("device name must be 1.." + Wire.MAX_DEVICE_NAME_BYTES
                    + " bytes: " + lengthBytes);
        }
    }
}
