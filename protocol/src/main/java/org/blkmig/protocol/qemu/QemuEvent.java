// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;

/** What {@link QemuStreamReader} finds in a stream, in stream order. */
public sealed interface QemuEvent {
    long offsetBytes();

    /** The configuration section: the machine type and the names of its subsections. */
    record Configuration(String machineType, java.util.List<String> subsections, long offsetBytes)
            implements QemuEvent {}

    /** A section header; for PART and END the idstr is the one its START or FULL declared. */
    record SectionBegin(SectionType type, int sectionId, String idstr, int instanceId, int versionId,
            long offsetBytes) implements QemuEvent {
        public boolean isBlock() {
            return QemuFormat.BLOCK_IDSTR.equals(idstr);
        }
    }

    /** One record of a block section payload. Its data is valid until the next event. */
    record BlockRecord(SectionType type, Record record, long offsetBytes) implements QemuEvent {}

    /** The end of a section, after its payload and footer; {@code skippedBytes} for sections not parsed. */
    record SectionEnd(SectionType type, int sectionId, String idstr, long skippedBytes, long offsetBytes)
            implements QemuEvent {
        public boolean isBlock() {
            return QemuFormat.BLOCK_IDSTR.equals(idstr);
        }
    }

    record Command(int command, int lengthBytes, long offsetBytes) implements QemuEvent {}

    /** The EOF marker (0x00) of the section list. */
    record EndOfSections(long offsetBytes) implements QemuEvent {}

    record VmDescription(int lengthBytes, long offsetBytes) implements QemuEvent {}
}
