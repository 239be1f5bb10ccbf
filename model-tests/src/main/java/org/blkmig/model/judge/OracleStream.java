// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blkmig.model.judge.oracle.OracleDecoder;
import org.blkmig.model.judge.oracle.OracleRecords;
import org.blkmig.model.judge.oracle.Rejected;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.simdisk.Disk;

/**
 * A stream as the oracle's own decoder reads it (never the receiver's), judged by StreamChecker's
 * rules: the blocks it carries, the error that stopped decoding (null: none, or only the
 * truncation expected of a migration that did not complete), the rules' violations.
 */
public record OracleStream(List<SentBlock> blocks, String error, List<StreamChecker.Violation> violations) {

    /**
     * A block as the stream carries it: its payload, device and first sector, whether it is a zero
     * block, the content identity of its in-bounds bytes ({@link ContentIdentity}; 0 for a zero block), where it starts in the
     * stream and how many bytes it takes there.
     */
    public record SentBlock(SectionType payload, String device, long sector, boolean zero, long hash, long offsetBytes,
            long wireBytes) {}

    private static final java.nio.ByteBuffer NO_DATA = java.nio.ByteBuffer.allocate(0).asReadOnlyBuffer();

    /** Opens a stream to decode. */
    public interface Source {
        InputStream open() throws IOException;
    }

    /** A block's header and name on the wire (docs/PROTOCOL.md: be64 header, u8 length, the name). */
    public static long headBytes(String device) {
        return 8 + 1 + device.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Decodes a QEMU stream and judges it with StreamChecker; {@code completed}: its source said so. */
    public static OracleStream decode(Source stream, Map<String, Long> sizes, int chunkSizeBytes, boolean completed) {
        StreamChecker checker = new StreamChecker(sizes, chunkSizeBytes);
        List<SentBlock> blocks = new ArrayList<>();
        OracleDecoder.Listener listener = new OracleDecoder.Listener() {
            private SectionType type;

            @Override
            public void payloadBegin(OracleDecoder.SectionKind kind, long offsetBytes) {
                type = OracleRecords.sectionType(kind);
                checker.beginPayload(type, offsetBytes);
            }

            @Override
            public void record(OracleDecoder.Rec r) {
                if (r.kind() == OracleDecoder.Kind.DATA) {
                    // the rules judge where a block goes, never its bytes: those are named below, where they lie
                    checker.record(new Record.DeviceBlock(r.value(), r.device(), NO_DATA), r.offsetBytes());
                } else {
                    checker.record(OracleRecords.toRecord(r), r.offsetBytes());
                }
                if (r.kind() == OracleDecoder.Kind.DATA) {
                    long sizeBytes = sizes.getOrDefault(r.device(), 0L);
                    // a sector far past the end is out of bounds, not an overflow
                    long inBounds = r.value() >= sizeBytes / Disk.SECTOR_SIZE_BYTES + 1 ? 0
                            : Math.max(0, Math.min(chunkSizeBytes, sizeBytes - r.value() * Disk.SECTOR_SIZE_BYTES));
                    blocks.add(new SentBlock(type, r.device(), r.value(), false,
                            ContentIdentity.of(r, (int) inBounds), r.offsetBytes(),
                            headBytes(r.device()) + chunkSizeBytes));
                } else if (r.kind() == OracleDecoder.Kind.ZERO) {
                    blocks.add(new SentBlock(type, r.device(), r.value(), true, 0, r.offsetBytes(), headBytes(r.device())));
                }
            }

            @Override
            public void payloadEnd(OracleDecoder.SectionKind kind, long offsetBytes) {
                checker.endPayload(offsetBytes);
            }
        };
        String error = null;
        boolean judgeToEnd = true;
        long endOffsetBytes = 0;
        try (InputStream in = stream.open()) {
            endOffsetBytes = new OracleDecoder(chunkSizeBytes).lendingData().decodeQemu(in, listener).lengthBytes();
        } catch (Rejected r) {
            // a migration that failed or did not converge stops mid-stream: only its truncation is expected
            if (completed || !r.truncated()) {
                error = r.getMessage();
            }
            judgeToEnd = false; // the payload the decoder stopped in is not judged, nor a missing END
        } catch (IOException ioe) {
            error = "reading the stream failed: " + ioe.getMessage();
            judgeToEnd = false;
        }
        return new OracleStream(List.copyOf(blocks), error,
                judgeToEnd ? checker.finish(endOffsetBytes) : checker.finishTruncated());
    }

    /** The largest block on the wire, 0 if none. */
    public long largestBlockWireBytes() {
        return blocks.stream().mapToLong(SentBlock::wireBytes).max().orElse(0);
    }
}
