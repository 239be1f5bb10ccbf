// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.BlockDevice;

/**
 * Where the sender's records go: each is charged, at its wire size, to the sender's count and to
 * the slice's budget when one is given. Wire faults (protocol mutants) decorate it.
 */
interface RecordOutput {
    void begin(SectionType type) throws IOException;

    /** Writes the record; {@code budget} may be null (not charged to a slice). */
    void write(Record record, SliceBudget budget) throws IOException;

    /** A device block of {@code lengthBytes} of a file, taken when written (zero copy). */
    void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes, SliceBudget budget)
            throws IOException;

    void end() throws IOException;

    /**
     * What a decorator may know of the sender: whether the bulk pass has ended on every device,
     * the devices, the chunk size.
     */
    record SenderView(java.util.function.BooleanSupplier dirtyPhaseNow, java.util.function.Supplier<List<BlockDevice>> devices,
            int chunkSizeBytes) {
        boolean dirtyPhase() {
            return dirtyPhaseNow.getAsBoolean();
        }
    }

    /** The output that writes to the sink and charges every byte. */
    final class Charged implements RecordOutput {
        private final PayloadSink sink;
        private final SenderStats stats;
        private final int chunkSizeBytes;

        Charged(PayloadSink sink, SenderStats stats, int chunkSizeBytes) {
            this.sink = sink;
            this.stats = stats;
            this.chunkSizeBytes = chunkSizeBytes;
        }

        @Override
        public void begin(SectionType type) throws IOException {
            sink.beginPayload(type);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            sink.write(record);
            charge(record.wireSizeBytes(), budget);
        }

        @Override
        public void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes,
                SliceBudget budget) throws IOException {
            sink.writeFileBlock(sector, device, file, position, lengthBytes, chunkSizeBytes);
            charge(Record.deviceBlockWireBytes(device, chunkSizeBytes), budget);
        }

        private void charge(long wireBytes, SliceBudget budget) {
            stats.bytesSent += wireBytes;
            if (budget != null) {
                budget.consume(wireBytes);
            }
        }

        @Override
        public void end() throws IOException {
            sink.endPayload();
        }
    }

    /** Passes everything on; a wire fault overrides what it breaks. */
    abstract class Forwarding implements RecordOutput {
        final RecordOutput out;
        final SenderView sender;
        /** The type of the payload being written. */
        SectionType payload;

        Forwarding(RecordOutput out, SenderView sender) {
            this.out = out;
            this.sender = sender;
        }

        @Override
        public void begin(SectionType type) throws IOException {
            payload = type;
            out.begin(type);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            out.write(record, budget);
        }

        @Override
        public void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes,
                SliceBudget budget) throws IOException {
            out.writeFileBlock(sector, device, file, position, lengthBytes, budget);
        }

        @Override
        public void end() throws IOException {
            out.end();
        }

        /** An iterate payload of the dirty phase. */
        boolean inDirtyPhasePart() {
            return payload == SectionType.PART && sender.dirtyPhase();
        }
    }
}
