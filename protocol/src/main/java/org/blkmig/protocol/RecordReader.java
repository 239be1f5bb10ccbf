// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads block-migration records one at a time. The data buffer of a {@link Record.DeviceBlock} is
 * reused: it is valid until the next call. Every malformed record is a {@link ProtocolException}.
 */
public final class RecordReader {
    /** How a record header's flags are read. */
    public enum Flags {
        /** docs/PROTOCOL.md's receiver: exactly one kind, no reserved bit, ZERO only on a block, EOS value 0, progress 0..100. */
        STRICT,
        /**
         * QEMU 7.2's destination ({@code block_load}): a block if its bit is set, else progress, else
         * EOS; other bits and the EOS value are ignored; an error only when none of the three is set.
         */
        QEMU_7_2
    }

    private final ByteInput in;
    private Flags flagRule = Flags.STRICT;
    private final int chunkSizeBytes;
    private ByteBuffer data;
    private ByteBuffer dataView;
    private final byte[] nameBytes = new byte[Wire.MAX_DEVICE_NAME_BYTES];
    // the last name decoded: streams repeat one name, so decoding it once saves a String per record
    private byte[] lastNameBytes = new byte[0];
    private String lastName;
    private long recordOffsetBytes;

    public RecordReader(ByteInput in, int chunkSizeBytes) {
        this.in = in;
        this.chunkSizeBytes = Wire.checkChunkSize(chunkSizeBytes);
        // data: allocated at the first block unless a caller lends its own buffers first
    }

    public RecordReader(ByteInput in) {
        this(in, Wire.QEMU_CHUNK_SIZE_BYTES);
    }

    /**
     * The buffer the next device block's data is read into (one chunk, direct or not), so a
     * caller can keep a block while it reads the next: a small pool instead of a copy.
     */
    public void useDataBuffer(ByteBuffer buffer) {
        if (buffer.capacity() != chunkSizeBytes) {
            throw new IllegalArgumentException("a data buffer holds one chunk: " + chunkSizeBytes + " bytes");
        }
        data = buffer;
        dataView = buffer.asReadOnlyBuffer();
    }

    public int chunkSizeBytes() {
        return chunkSizeBytes;
    }

    /** Reads flags as {@code rule} says from the next record on (STRICT unless set). */
    public void readFlagsAs(Flags rule) {
        flagRule = rule;
    }

    /** Offset of the first byte of the record last returned. */
    public long recordOffset() {
        return recordOffsetBytes;
    }

    public ByteInput input() {
        return in;
    }

    /** Reads the next record. */
    public Record next() throws IOException {
        recordOffsetBytes = in.offset();
        long header = in.readBE64("record header");
        int flags = (int) (header & Wire.FLAGS_MASK);
        long value = header >>> Wire.SECTOR_SHIFT;
        if (flagRule == Flags.QEMU_7_2) {
            return asQemu(header, flags, value);
        }
        if ((flags & Wire.FLAGS_RESERVED) != 0) {
            throw new ProtocolException(recordOffsetBytes, String.format(
                    "reserved flag bits 0x%x set in record header 0x%016x", flags & Wire.FLAGS_RESERVED, header));
        }
        int kinds = flags & (Wire.FLAG_DEVICE_BLOCK | Wire.FLAG_EOS | Wire.FLAG_PROGRESS);
        if (kinds == 0) {
            throw new ProtocolException(recordOffsetBytes, String.format(
                    "record header 0x%016x has no kind flag (DEVICE_BLOCK, PROGRESS or EOS)", header));
        }
        if (Integer.bitCount(kinds) > 1) {
            throw new ProtocolException(recordOffsetBytes, String.format(
                    "record header 0x%016x has more than one kind flag (0x%x)", header, kinds));
        }
        if ((flags & Wire.FLAG_ZERO_BLOCK) != 0 && kinds != Wire.FLAG_DEVICE_BLOCK) {
            throw new ProtocolException(recordOffsetBytes, String.format(
                    "ZERO_BLOCK flag without DEVICE_BLOCK in record header 0x%016x", header));
        }
        switch (kinds) {
            case Wire.FLAG_EOS:
                if (value != 0) {
                    throw new ProtocolException(recordOffsetBytes, "EOS record with non-zero value " + value);
                }
                return Record.EndOfSection.INSTANCE;
            case Wire.FLAG_PROGRESS:
                if (value > 100) {
                    throw new ProtocolException(recordOffsetBytes, "progress " + value + " is above 100");
                }
                return new Record.Progress(value);
            default:
                return readBlock(value, (flags & Wire.FLAG_ZERO_BLOCK) != 0);
        }
    }

    /** QEMU 7.2's precedence: block, then progress, then EOS. */
    private Record asQemu(long header, int flags, long value) throws IOException {
        if ((flags & Wire.FLAG_DEVICE_BLOCK) != 0) {
            return readBlock(value, (flags & Wire.FLAG_ZERO_BLOCK) != 0);
        }
        if ((flags & Wire.FLAG_PROGRESS) != 0) {
            return new Record.Progress(value);
        }
        if ((flags & Wire.FLAG_EOS) != 0) {
            return Record.EndOfSection.INSTANCE;
        }
        throw new ProtocolException(recordOffsetBytes, String.format("Unknown block migration flags: 0x%x (header 0x%016x)",
                flags, header));
    }

    private Record readBlock(long sector, boolean zero) throws IOException {
        int nameLengthBytes = in.readU8("device name length");
        if (nameLengthBytes == 0) {
            throw new ProtocolException(recordOffsetBytes, "device block with an empty device name");
        }
        in.readFully(nameBytes, 0, nameLengthBytes, "device name");
        String device = decodeName(nameLengthBytes);
        if (zero) {
            return new Record.ZeroBlock(sector, device);
        }
        if (data == null) {
            useDataBuffer(ByteBuffer.allocateDirect(chunkSizeBytes));
        }
        data.clear();
        in.readBlockData(data, sector);
        dataView.clear();
        return new Record.DeviceBlock(sector, device, dataView);
    }

    private String decodeName(int lengthBytes) throws ProtocolException {
        if (lastName != null && lastNameBytes.length == lengthBytes
                && Arrays.equals(lastNameBytes, 0, lengthBytes, nameBytes, 0, lengthBytes)) {
            return lastName;
        }
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(nameBytes, 0, lengthBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(recordOffsetBytes, "device name is not valid UTF-8");
        }
        lastNameBytes = Arrays.copyOf(nameBytes, lengthBytes);
        lastName = name;
        return name;
    }
}
