// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a slice's budget is charged, byte for byte: the sink's own count (framing included) under
 * EVERY_BYTE, the records given a budget under BLOCKS_AND_EOS. The rate-limit property allows a
 * block of slack per slice, which hides a charge missing a few bytes of framing.
 */
class ChargingTest {
    static final int CHUNK = 4096;

    @TempDir
    Path dir;

    static QemuStreamWriter countingSink() {
        return new QemuStreamWriter(Channels.newChannel(new ByteArrayOutputStream()), CHUNK, 3);
    }

    static Record.DeviceBlock block(long sector) {
        return new Record.DeviceBlock(sector, "drive0", ByteBuffer.allocate(CHUNK));
    }

    FileChannel file() throws IOException {
        Path p = dir.resolve("disk.img");
        Files.write(p, new byte[2 * CHUNK]);
        return FileChannel.open(p, StandardOpenOption.READ);
    }

    /** Every call of the output, checking after each that the slice was charged what the sink counted. */
    static void everyByteMatchesTheSinksCount(RecordOutput out, QemuStreamWriter sink, FileChannel file) throws IOException {
        SliceBudget slice = SliceBudget.unlimited();
        SliceBudget other = SliceBudget.unlimited();
        out.chargeSlice(slice);
        long base = sink.bytesWritten();
        out.begin(SectionType.PART);
        assertTrue(slice.usedBytes() > 0, "the payload's framing is charged when it is written");
        assertEquals(sink.bytesWritten() - base, slice.usedBytes());
        out.write(new Record.Progress(7), null);
        assertEquals(sink.bytesWritten() - base, slice.usedBytes(), "a record given no budget is charged to the slice");
        out.write(block(0), other);
        long beforeFile = sink.bytesWritten();
        out.writeFileBlock(8, "drive0", file, CHUNK, CHUNK, other);
        assertEquals(Record.deviceBlockWireBytes("drive0", CHUNK), sink.bytesWritten() - beforeFile, "the file block reached the sink");
        assertEquals(sink.bytesWritten() - base, slice.usedBytes());
        assertEquals(0, other.usedBytes(), "every byte goes to the slice, not to the budget passed along");
        long beforeEnd = slice.usedBytes();
        out.end();
        assertTrue(slice.usedBytes() > beforeEnd, "the footer is charged when it is written");
        assertEquals(sink.bytesWritten() - base, slice.usedBytes());
        out.chargeSlice(null);
        long used = slice.usedBytes();
        out.begin(SectionType.END);
        out.write(Record.EndOfSection.INSTANCE, null);
        out.end();
        assertEquals(used, slice.usedBytes(), "outside a slice nothing is charged to it");
    }

    @Test
    void everyByteChargesTheSlicePreciselyTheSinksCountFramingIncluded() throws IOException {
        QemuStreamWriter sink = countingSink();
        SenderStats stats = new SenderStats();
        try (FileChannel file = file()) {
            everyByteMatchesTheSinksCount(new RecordOutput.Charged(sink, stats, CHUNK, SenderPolicies.BudgetCharge.EVERY_BYTE),
                    sink, file);
        }
        long records = new Record.Progress(7).wireSizeBytes() + 2 * Record.deviceBlockWireBytes("drive0", CHUNK)
                + Record.EndOfSection.INSTANCE.wireSizeBytes();
        assertEquals(records, stats.bytesSent, "the sender's count takes the records, not the framing");
    }

    @Test
    void aWireFaultPassesTheSliceAndTheFileBlocksOn() throws IOException {
        QemuStreamWriter sink = countingSink();
        RecordOutput.SenderView view = new RecordOutput.SenderView(() -> false, List::of, CHUNK);
        RecordOutput out = new WireFaults.ProgressBackwards(
                new RecordOutput.Charged(sink, new SenderStats(), CHUNK, SenderPolicies.BudgetCharge.EVERY_BYTE), view);
        try (FileChannel file = file()) {
            everyByteMatchesTheSinksCount(out, sink, file);
        }
    }

    @Test
    void blocksAndEosChargesTheRecordsGivenABudgetAndNothingElse() throws IOException {
        QemuStreamWriter sink = countingSink();
        RecordOutput out = new RecordOutput.Charged(sink, new SenderStats(), CHUNK, SenderPolicies.BudgetCharge.BLOCKS_AND_EOS);
        SliceBudget slice = SliceBudget.unlimited();
        SliceBudget budget = SliceBudget.unlimited();
        out.chargeSlice(slice);
        out.begin(SectionType.PART);
        out.write(new Record.Progress(7), null);
        out.write(block(0), budget);
        try (FileChannel file = file()) {
            out.writeFileBlock(8, "drive0", file, CHUNK, CHUNK, budget);
        }
        out.write(Record.EndOfSection.INSTANCE, budget);
        out.end();
        out.chargeSlice(null);
        assertEquals(2 * Record.deviceBlockWireBytes("drive0", CHUNK) + Record.EndOfSection.INSTANCE.wireSizeBytes(),
                budget.usedBytes());
        assertEquals(0, slice.usedBytes(), "framing and progress are not charged");
    }

    @Test
    void aSinkThatDoesNotCountIsChargedItsRecords() throws IOException {
        RecordOutput out = new RecordOutput.Charged(new World.Collecting(), new SenderStats(), CHUNK,
                SenderPolicies.BudgetCharge.EVERY_BYTE);
        SliceBudget slice = SliceBudget.unlimited();
        out.chargeSlice(slice);
        out.begin(SectionType.PART);
        assertEquals(0, slice.usedBytes());
        out.write(block(0), null);
        out.write(Record.EndOfSection.INSTANCE, null);
        out.end();
        assertEquals(Record.deviceBlockWireBytes("drive0", CHUNK) + Record.EndOfSection.INSTANCE.wireSizeBytes(),
                slice.usedBytes());
    }

    @Test
    void aSinkWhoseCountIsStillZeroIsChargedWhatItCountsNotTheRecords() throws IOException {
        // counts a payload's bytes once it leaves whole: 0 until then, and 0 is a count, not "does not count"
        QemuStreamWriter inner = countingSink();
        PayloadSink latched = new PayloadSink() {
            long counted;

            @Override
            public void beginPayload(SectionType t) throws IOException {
                inner.beginPayload(t);
            }

            @Override
            public void write(Record r) throws IOException {
                inner.write(r);
            }

            @Override
            public void endPayload() throws IOException {
                inner.endPayload();
                counted = inner.bytesWritten();
            }

            @Override
            public long bytesWritten() {
                return counted;
            }
        };
        RecordOutput out = new RecordOutput.Charged(latched, new SenderStats(), CHUNK, SenderPolicies.BudgetCharge.EVERY_BYTE);
        SliceBudget slice = SliceBudget.unlimited();
        out.chargeSlice(slice);
        out.begin(SectionType.PART);
        out.write(block(0), null);
        assertEquals(0, slice.usedBytes(), "nothing counted yet");
        out.write(Record.EndOfSection.INSTANCE, null);
        out.end();
        assertEquals(inner.bytesWritten(), slice.usedBytes());
    }
}
