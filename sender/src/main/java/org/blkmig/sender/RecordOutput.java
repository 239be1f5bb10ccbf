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
     * The slice whose budget every byte is charged to when the policy charges every byte (QEMU's
     * rate limiter); null outside an iterate call.
     */
    void chargeSlice(SliceBudget slice);

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

    /** The output that writes to the sink and charges what the budget policy says. */
    final class Charged implements RecordOutput {
        private final PayloadSink sink;
        private final SenderStats stats;
        private final int chunkSizeBytes;
        private final SenderPolicies.BudgetCharge policy;
        private SliceBudget slice;
        private long sinkBytesCharged;

        Charged(PayloadSink sink, SenderStats stats, int chunkSizeBytes, SenderPolicies.BudgetCharge policy) {
            this.sink = sink;
            this.stats = stats;
            this.chunkSizeBytes = chunkSizeBytes;
            this.policy = policy;
        }

        @Override
        public void chargeSlice(SliceBudget s) {
            slice = s;
            sinkBytesCharged = sink.bytesWritten();
        }

        @Override
        public void begin(SectionType type) throws IOException {
            sink.beginPayload(type);
            charge(0, null);
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

        /** {@code recordBytes} of a record (0 for framing), written with {@code budget} (null: not a slice's block). */
        private void charge(long recordBytes, SliceBudget budget) {
            stats.bytesSent += recordBytes;
            if (policy == SenderPolicies.BudgetCharge.BLOCKS_AND_EOS) {
                if (budget != null) {
                    budget.consume(recordBytes);
                }
            } else if (slice != null) {
                // the sink's own count takes the framing too; a sink that does not count gives the records
                long now = sink.bytesWritten();
                slice.consume(now < 0 ? recordBytes : now - sinkBytesCharged);
                sinkBytesCharged = now;
            }
        }

        @Override
        public void end() throws IOException {
            sink.endPayload();
            charge(0, null);
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

        @Override
        public void chargeSlice(SliceBudget slice) {
            out.chargeSlice(slice);
        }

        /** An iterate payload of the dirty phase. */
        boolean inDirtyPhasePart() {
            return payload == SectionType.PART && sender.dirtyPhase();
        }
    }
}
