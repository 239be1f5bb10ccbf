// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Wire;

/**
 * Inserts a block section into a RAM-only stream made by a real QEMU ({@code migrate} without
 * {@code -b}), right after its configuration, so a QEMU destination loads both. The block
 * section gets a section id the RAM-only stream does not use.
 */
public final class QemuSplicer {
    /** Writes the block section's payloads through the given writer. */
    @FunctionalInterface
    public interface BlockSectionWriter {
        void write(QemuStreamWriter writer) throws IOException;
    }

    /** What the first pass learnt of the RAM-only stream. */
    public record Template(long prefixBytes, int unusedSectionId, long totalBytes) {}

    private QemuSplicer() {}

    /** Reads the whole RAM-only stream: where its configuration ends and which section ids it uses. */
    public static Template scan(Path ramOnlyStream) throws IOException {
        try (FileChannel ch = FileChannel.open(ramOnlyStream, StandardOpenOption.READ)) {
            QemuStreamReader reader = new QemuStreamReader(new ByteInput(ch));
            long prefixBytes = -1;
            Set<Integer> ids = new HashSet<>();
            boolean sawEof = false;
            QemuEvent e;
            while ((e = reader.next()) != null) {
                if (e instanceof QemuEvent.Configuration) {
                    prefixBytes = reader.input().offset();
                } else if (e instanceof QemuEvent.SectionBegin b) {
                    if (prefixBytes < 0) {
                        prefixBytes = b.offsetBytes();
                    }
                    if (b.isBlock()) {
                        throw new ProtocolException(b.offsetBytes(), "the stream already has a block section");
                    }
                    ids.add(b.sectionId());
                } else if (e instanceof QemuEvent.EndOfSections) {
                    sawEof = true;
                }
            }
            if (!sawEof) {
                throw new ProtocolException(reader.input().offset(), "the RAM-only stream has no EOF marker");
            }
            int id = 0;
            while (ids.contains(id)) {
                id++;
            }
            return new Template(prefixBytes < 0 ? 8 : prefixBytes, id, ch.size());
        }
    }

    /** Writes header and configuration of the RAM-only stream, the block section, then the rest of it. */
    public static void splice(Path ramOnlyStream, WritableByteChannel out, BlockSectionWriter blockSection)
            throws IOException {
        Template t = scan(ramOnlyStream);
        try (FileChannel ch = FileChannel.open(ramOnlyStream, StandardOpenOption.READ)) {
            copy(ch, 0, t.prefixBytes(), out);
            blockSection.write(new QemuStreamWriter(out, Wire.QEMU_CHUNK_SIZE_BYTES, t.unusedSectionId()));
            copy(ch, t.prefixBytes(), t.totalBytes() - t.prefixBytes(), out);
        }
    }

    private static void copy(FileChannel from, long position, long count, WritableByteChannel to) throws IOException {
        long done = 0;
        while (done < count) {
            long n = from.transferTo(position + done, count - done, to);
            if (n <= 0) {
                throw new IOException("short copy from the RAM-only stream");
            }
            done += n;
        }
    }
}
