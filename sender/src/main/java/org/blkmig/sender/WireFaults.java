// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;

/** The protocol mutants: records broken on their way out, one decorator each. */
final class WireFaults {
    private WireFaults() {}

    /** Iterate payloads of the dirty phase lose their EOS. */
    static final class MissingEos extends RecordOutput.Forwarding {
        MissingEos(RecordOutput out, RecordOutput.SenderView sender) {
            super(out, sender);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            if (!(record instanceof Record.EndOfSection && inDirtyPhasePart())) {
                out.write(record, budget);
            }
        }
    }

    /** In the dirty phase, each iterate payload ends with a progress one below the last. */
    static final class ProgressBackwards extends RecordOutput.Forwarding {
        private long lastPercent = -1;

        ProgressBackwards(RecordOutput out, RecordOutput.SenderView sender) {
            super(out, sender);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            if (record instanceof Record.Progress p) {
                lastPercent = p.percent();
            } else if (record instanceof Record.EndOfSection && inDirtyPhasePart() && lastPercent > 0) {
                out.write(new Record.Progress(lastPercent - 1), budget);
            }
            out.write(record, budget);
        }
    }

    /** After the END payload, one more payload with the first chunk of the first device. */
    static final class BlockAfterEnd extends RecordOutput.Forwarding {
        BlockAfterEnd(RecordOutput out, RecordOutput.SenderView sender) {
            super(out, sender);
        }

        @Override
        public void end() throws IOException {
            out.end();
            if (payload != SectionType.END || sender.devices().get().isEmpty()) {
                return;
            }
            BlockDevice d = sender.devices().get().get(0);
            int chunkSizeBytes = sender.chunkSizeBytes();
            ByteBuffer data = ByteBuffer.allocate(chunkSizeBytes);
            long sectors = Math.min(chunkSizeBytes / Disk.SECTOR_SIZE_BYTES, d.sizeSectors());
            d.read(0, data.slice(0, (int) sectors * Disk.SECTOR_SIZE_BYTES));
            out.begin(SectionType.PART);
            out.write(new Record.DeviceBlock(0, d.name(), data), null);
            out.write(Record.EndOfSection.INSTANCE, null);
            out.end();
        }
    }

    /** The first block of the dirty phase throws, as a bug in the sender's own code would. */
    static final class ThrowsInDirtyPhase extends RecordOutput.Forwarding {
        ThrowsInDirtyPhase(RecordOutput out, RecordOutput.SenderView sender) {
            super(out, sender);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            if (sender.dirtyPhase() && (record instanceof Record.DeviceBlock || record instanceof Record.ZeroBlock)) {
                throw new IllegalStateException("the dirty phase met a block it did not expect (a seeded bug)");
            }
            out.write(record, budget);
        }
    }

    /** Blocks of the dirty phase and of the final copy carry their sector plus one. */
    static final class UnalignedSector extends RecordOutput.Forwarding {
        UnalignedSector(RecordOutput out, RecordOutput.SenderView sender) {
            super(out, sender);
        }

        @Override
        public void write(Record record, SliceBudget budget) throws IOException {
            if (sender.dirtyPhase() && record instanceof Record.DeviceBlock b) {
                record = new Record.DeviceBlock(b.sector() + 1, b.device(), b.data());
            } else if (sender.dirtyPhase() && record instanceof Record.ZeroBlock z) {
                record = new Record.ZeroBlock(z.sector() + 1, z.device());
            }
            out.write(record, budget);
        }

        @Override
        public void writeFileBlock(long sector, String device, FileChannel file, long position, int lengthBytes,
                SliceBudget budget) throws IOException {
            out.writeFileBlock(sender.dirtyPhase() ? sector + 1 : sector, device, file, position, lengthBytes, budget);
        }
    }
}
