// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.RecordReader;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.Wire;

/**
 * Walks a QEMU 7.2 migration stream: header, configuration, sections with footers, EOF and the VM
 * description. Block section payloads are decoded record by record; RAM payloads are skipped by
 * parsing their records; device-state (FULL) sections, whose layout needs each device's
 * description, are skipped up to their footer. All framing errors are {@link ProtocolException}s.
 */
public final class QemuStreamReader {
    /** A stream declares a section per device; far fewer than this in any real machine. */
    private static final int MAX_SECTIONS = 65_536;
    private static final int MAX_MACHINE_TYPE_BYTES = 256;
    private static final int MAX_RAM_BLOCKS = 65_536;
    /** The configuration follows the file header (magic and version). */
    private static final long CONFIGURATION_OFFSET_BYTES = 8;

    private enum State { HEADER, TOP, PAYLOAD, AFTER_EOF, DONE }

    private record Declared(SectionType type, String idstr) {}

    private final ByteInput in;
    private final RecordReader records;
    private final Map<Integer, Declared> sections = new HashMap<>();
    private State state = State.HEADER;
    // learnt from the first section payload; two flags, not a Boolean that may be null: a null
    // seen late (a stream's first footer) made the JIT throw away the code that reads payloads
    private boolean footersKnown;
    private boolean footers;
    private SectionType currentType;
    private int currentId;
    private String currentIdstr;
    private long currentStartOffset;
    // the block payload's EOS and footer are read: its SectionEnd is the next event
    private boolean pendingEnd;
    // a RAM page may CONTINUE the block of an earlier payload: QEMU keeps the last one for the whole stream
    private boolean ramBlockNamed;

    public QemuStreamReader(ByteInput in, int chunkSizeBytes) {
        this.in = in;
        this.records = new RecordReader(in, chunkSizeBytes);
    }

    public QemuStreamReader(ByteInput in) {
        this(in, Wire.QEMU_CHUNK_SIZE_BYTES);
    }

    public ByteInput input() {
        return in;
    }

    /** See {@link RecordReader#readFlagsAs}. */
    public void readFlagsAs(RecordReader.Flags rule) {
        records.readFlagsAs(rule);
    }

    /** See {@link RecordReader#useDataBuffer}. */
    public void useDataBuffer(java.nio.ByteBuffer buffer) {
        records.useDataBuffer(buffer);
    }

    /** True if the bytes start with QEMU's file magic. */
    public static boolean looksLikeQemuStream(byte[] firstBytes) {
        return firstBytes.length >= 4 && (((firstBytes[0] & 0xff) << 24) | ((firstBytes[1] & 0xff) << 16)
                | ((firstBytes[2] & 0xff) << 8) | (firstBytes[3] & 0xff)) == QemuFormat.FILE_MAGIC;
    }

    /**
     * The next event of the block section: the begin and end of its payloads and their records,
     * every other section skipped. Null after the end of the stream.
     */
    public QemuEvent nextBlockEvent() throws IOException {
        QemuEvent e;
        while ((e = next()) != null) {
            if (e instanceof QemuEvent.BlockRecord || e instanceof QemuEvent.SectionBegin b && b.isBlock()
                    || e instanceof QemuEvent.SectionEnd s && s.isBlock()) {
                return e;
            }
        }
        return null;
    }

    /** The next event, or null after the end of the stream. */
    public QemuEvent next() throws IOException {
        while (true) {
            switch (state) {
                case HEADER -> readHeader();
                case TOP -> {
                    return readTop();
                }
                case PAYLOAD -> {
                    return readPayload();
                }
                case AFTER_EOF -> {
                    return readAfterEof();
                }
                default -> {
                    return null;
                }
            }
        }
    }

    private void readHeader() throws IOException {
        long offset = in.offset();
        if (in.atEnd()) {
            throw ProtocolException.truncated(offset, "empty input, no QEMU migration stream header");
        }
        int magic = in.readBE32("file magic");
        if (magic != QemuFormat.FILE_MAGIC) {
            throw new ProtocolException(offset, String.format("not a QEMU migration stream (magic 0x%08x)", magic));
        }
        int version = in.readBE32("file version");
        if (version != QemuFormat.FILE_VERSION) {
            throw new ProtocolException(offset + 4, "unsupported QEMU stream version " + version);
        }
        state = State.TOP;
    }

    private QemuEvent readTop() throws IOException {
        long offset = in.offset();
        if (in.atEnd()) {
            throw ProtocolException.truncated(offset, "stream ends without its EOF marker");
        }
        int type = in.readU8("section type");
        switch (type) {
            case QemuFormat.CONFIGURATION:
                if (offset != CONFIGURATION_OFFSET_BYTES) {
                    // QEMU reads it right after the header, never in the section list
                    throw new ProtocolException(offset, "a configuration section after the first section");
                }
                return readConfiguration(offset);
            case QemuFormat.SECTION_START:
            case QemuFormat.SECTION_FULL:
                return readFullHeader(SectionType.of(type), offset);
            case QemuFormat.SECTION_PART:
            case QemuFormat.SECTION_END:
                return readPartHeader(SectionType.of(type), offset);
            case QemuFormat.EOF:
                state = State.AFTER_EOF;
                return new QemuEvent.EndOfSections(offset);
            case QemuFormat.COMMAND: {
                int command = in.readBE16("command number");
                int lengthBytes = in.readBE16("command length");
                in.skip(lengthBytes, "command data");
                return new QemuEvent.Command(command, lengthBytes, offset);
            }
            default:
                throw new ProtocolException(offset, String.format("unknown section type 0x%02x", type));
        }
    }

    private QemuEvent readConfiguration(long offset) throws IOException {
        int lengthBytes = in.readBE32("machine type length");
        if (lengthBytes < 0 || lengthBytes > MAX_MACHINE_TYPE_BYTES) {
            throw new ProtocolException(offset + 1, "machine type length " + Integer.toUnsignedString(lengthBytes)
                    + " is out of range 0.." + MAX_MACHINE_TYPE_BYTES);
        }
        String machine = readString(lengthBytes, "machine type");
        List<String> subsections = new ArrayList<>();
        while (in.peek(0) == QemuFormat.SUBSECTION) {
            long subOffset = in.offset();
            in.readU8("subsection marker");
            String name = readString(in.readU8("subsection name length"), "subsection name");
            in.readBE32("subsection version");
            switch (name) {
                case "configuration/target-page-bits" -> in.readBE32("target page bits");
                case "configuration/uuid" -> in.skip(16, "uuid");
                case "configuration/capabilities" -> {
                    int count = in.readBE32("capability count");
                    if (count < 0 || count > 1024) {
                        throw new ProtocolException(subOffset, "capability count " + count + " is out of range");
                    }
                    for (int i = 0; i < count; i++) {
                        in.skip(in.readU8("capability name length"), "capability name");
                    }
                }
                default -> throw new ProtocolException(subOffset, "unknown configuration subsection '" + name + "'");
            }
            subsections.add(name);
        }
        return new QemuEvent.Configuration(machine, List.copyOf(subsections), offset);
    }

    private QemuEvent readFullHeader(SectionType type, long offset) throws IOException {
        int sectionId = in.readBE32("section id");
        int idLengthBytes = in.readU8("section name length");
        if (idLengthBytes == 0) {
            throw new ProtocolException(offset, "section " + sectionId + " has an empty name");
        }
        String idstr = readString(idLengthBytes, "section name");
        int instanceId = in.readBE32("instance id");
        int versionId = in.readBE32("version id");
        if (sections.containsKey(sectionId)) {
            throw new ProtocolException(offset, "section id " + sectionId + " declared twice ('"
                    + sections.get(sectionId).idstr() + "' and '" + idstr + "')");
        }
        if (sections.size() >= MAX_SECTIONS) {
            throw new ProtocolException(offset, "more than " + MAX_SECTIONS + " sections");
        }
        sections.put(sectionId, new Declared(type, idstr));
        // a FULL 'block' section too: QEMU loads it with the block section's loader
        if (QemuFormat.BLOCK_IDSTR.equals(idstr) && versionId != QemuFormat.BLOCK_VERSION) {
            throw new ProtocolException(offset, "block section version " + versionId + " is not 1");
        }
        if (QemuFormat.BLOCK_IDSTR.equals(idstr) && instanceId != 0) {
            // QEMU has one block section, instance 0: another instance names nothing it could load
            throw new ProtocolException(offset, "block section instance " + Integer.toUnsignedString(instanceId) + " is not 0");
        }
        return begin(type, sectionId, idstr, instanceId, versionId, offset);
    }

    private QemuEvent readPartHeader(SectionType type, long offset) throws IOException {
        int sectionId = in.readBE32("section id");
        Declared declared = sections.get(sectionId);
        if (declared == null) {
            throw new ProtocolException(offset, type + " of section id " + sectionId + " that was never started");
        }
        if (declared.type() != SectionType.START) {
            throw new ProtocolException(offset, type + " of section '" + declared.idstr() + "' which is not live");
        }
        return begin(type, sectionId, declared.idstr(), 0, 0, offset);
    }

    private QemuEvent begin(SectionType type, int sectionId, String idstr, int instanceId, int versionId, long offset) {
        currentType = type;
        currentId = sectionId;
        currentIdstr = idstr;
        currentStartOffset = in.offset();
        state = State.PAYLOAD;
        return new QemuEvent.SectionBegin(type, sectionId, idstr, instanceId, versionId, offset);
    }

    private QemuEvent readPayload() throws IOException {
        if (pendingEnd) {
            return endSection(0);
        }
        if (QemuFormat.BLOCK_IDSTR.equals(currentIdstr)) {
            // FULL too: its payload is a record list (QEMU's loader parses it), which StreamChecker then rejects
            Record record = records.next();
            QemuEvent event = new QemuEvent.BlockRecord(currentType, record, records.recordOffset());
            if (record instanceof Record.EndOfSection) {
                readFooter();
            }
            return event;
        }
        if (QemuFormat.RAM_IDSTR.equals(currentIdstr) && currentType != SectionType.FULL) {
            skipRamPayload();
            return endSection(readFooter());
        }
        if (currentType == SectionType.FULL) {
            return endSection(skipToFooter());
        }
        throw new ProtocolException(currentStartOffset, "cannot skip live section '" + currentIdstr
                + "': its payload format is unknown");
    }

    /** Reads the footer if the stream has them; returns the payload's size. */
    private long readFooter() throws IOException {
        long payloadBytes = in.offset() - currentStartOffset;
        long offset = in.offset();
        if (footersKnown && footers && in.peek(0) < 0) {
            // a sender that stopped after its EOS: cut short, not malformed
            throw ProtocolException.truncated(offset, "input ends before the footer of section " + currentId
                    + " ('" + currentIdstr + "')");
        }
        boolean present = in.peek(0) == QemuFormat.SECTION_FOOTER;
        if (!footersKnown) {
            footersKnown = true;
            footers = present;
        }
        if (footers && !present) {
            throw new ProtocolException(offset, "missing footer after section " + currentId + " ('" + currentIdstr + "')");
        }
        if (present) {
            in.readU8("footer marker");
            int id = in.readBE32("footer section id");
            if (id != currentId) {
                throw new ProtocolException(offset, "footer names section id " + id + " but section "
                        + currentId + " ('" + currentIdstr + "') was open");
            }
        }
        pendingEnd = true;
        return payloadBytes;
    }

    private QemuEvent endSection(long skippedBytes) {
        pendingEnd = false;
        state = State.TOP;
        return new QemuEvent.SectionEnd(currentType, currentId, currentIdstr, skippedBytes, in.offset());
    }

    private void skipRamPayload() throws IOException {
        while (true) {
            long offset = in.offset();
            long header = in.readBE64("RAM record header");
            long flags = header & ~QemuFormat.RAM_PAGE_MASK;
            long address = header & QemuFormat.RAM_PAGE_MASK;
            long known = QemuFormat.RAM_FLAG_ZERO | QemuFormat.RAM_FLAG_MEM_SIZE | QemuFormat.RAM_FLAG_PAGE
                    | QemuFormat.RAM_FLAG_EOS | QemuFormat.RAM_FLAG_CONTINUE;
            if ((flags & ~known) != 0) {
                throw new ProtocolException(offset, String.format("unsupported RAM record flags 0x%x", flags & ~known));
            }
            long kind = flags & ~QemuFormat.RAM_FLAG_CONTINUE;
            if (kind != QemuFormat.RAM_FLAG_ZERO && kind != QemuFormat.RAM_FLAG_MEM_SIZE && kind != QemuFormat.RAM_FLAG_PAGE
                    && kind != QemuFormat.RAM_FLAG_EOS) {
                // QEMU's loader takes exactly one of them (CONTINUE aside): "Unknown combination of migration flags"
                throw new ProtocolException(offset, String.format("RAM record 0x%016x has %s kind flag", header,
                        kind == 0 ? "no" : "more than one"));
            }
            if (kind == QemuFormat.RAM_FLAG_MEM_SIZE) {
                skipRamBlockList(address, offset);
            }
            boolean page = kind == QemuFormat.RAM_FLAG_PAGE;
            boolean zero = kind == QemuFormat.RAM_FLAG_ZERO;
            if (page || zero) {
                if ((flags & QemuFormat.RAM_FLAG_CONTINUE) == 0) {
                    int len = in.readU8("RAM block name length");
                    in.skip(len, "RAM block name");
                    ramBlockNamed = true;
                } else if (!ramBlockNamed) {
                    throw new ProtocolException(offset, "RAM page CONTINUEs a block that was never named");
                }
                in.skip(page ? QemuFormat.RAM_PAGE_SIZE_BYTES : 1, page ? "RAM page" : "RAM fill byte");
            }
            if (kind == QemuFormat.RAM_FLAG_EOS) {
                return;
            }
        }
    }

    private void skipRamBlockList(long totalBytes, long offset) throws IOException {
        long coveredBytes = 0;
        for (int blocks = 0; coveredBytes < totalBytes; blocks++) {
            if (blocks >= MAX_RAM_BLOCKS) {
                throw new ProtocolException(offset, "more than " + MAX_RAM_BLOCKS + " RAM blocks");
            }
            int len = in.readU8("RAM block name length");
            in.skip(len, "RAM block name");
            long usedBytes = in.readBE64("RAM block length");
            if (usedBytes <= 0 || usedBytes > totalBytes - coveredBytes) {
                throw new ProtocolException(offset, "RAM block lengths do not add up to the RAM size " + totalBytes);
            }
            coveredBytes += usedBytes;
        }
    }

    /** Skips an opaque device-state payload by finding its footer and a plausible next section. */
    private long skipToFooter() throws IOException {
        if (footersKnown && !footers) {
            throw new ProtocolException(currentStartOffset, "cannot skip device state section '" + currentIdstr
                    + "' in a stream without section footers");
        }
        long skipped = 0;
        while (true) {
            int b = in.peek(0);
            if (b < 0) {
                throw ProtocolException.truncated(currentStartOffset, "no footer found for section "
                        + currentId + " ('" + currentIdstr + "')");
            }
            if (b == QemuFormat.SECTION_FOOTER && peekBE32(1) == currentId && plausibleSectionAt(5)) {
                footersKnown = true;
                footers = true;
                in.skip(5, "footer");
                return skipped;
            }
            in.skip(1, "device state");
            skipped++;
        }
    }

    private int peekBE32(int ahead) throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int b = in.peek(ahead + i);
            if (b < 0) {
                return -1;
            }
            v = (v << 8) | b;
        }
        return v;
    }

    private boolean plausibleSectionAt(int ahead) throws IOException {
        int type = in.peek(ahead);
        switch (type) {
            case -1:
            case QemuFormat.COMMAND:
                return true;
            case QemuFormat.EOF: {
                int after = in.peek(ahead + 1);
                return after < 0 || after == QemuFormat.VMDESCRIPTION;
            }
            case QemuFormat.SECTION_START:
            case QemuFormat.SECTION_FULL: {
                int len = in.peek(ahead + 5);
                if (len <= 0) {
                    return false;
                }
                // a section name is printable text: device state that only looks like a footer is followed by other bytes
                for (int i = 0; i < len; i++) {
                    int c = in.peek(ahead + 6 + i);
                    if (c < 0x20 || c > 0x7e) {
                        return false;
                    }
                }
                return true;
            }
            case QemuFormat.SECTION_PART:
            case QemuFormat.SECTION_END: {
                // QEMU loads sections in any order: a live section's next payload may follow device state
                Declared d = sections.get(peekBE32(ahead + 1));
                return d != null && d.type() == SectionType.START;
            }
            default:
                return false;
        }
    }

    private QemuEvent readAfterEof() throws IOException {
        long offset = in.offset();
        if (in.atEnd()) {
            state = State.DONE;
            return null;
        }
        int type = in.readU8("section type after EOF");
        if (type != QemuFormat.VMDESCRIPTION) {
            throw new ProtocolException(offset, String.format("unexpected section type 0x%02x after EOF", type));
        }
        // unsigned: a length past the input's end is a VM description cut short
        long lengthBytes = Integer.toUnsignedLong(in.readBE32("VM description length"));
        in.skip(lengthBytes, "VM description");
        if (!in.atEnd()) {
            throw new ProtocolException(in.offset(), "trailing bytes after the VM description");
        }
        state = State.DONE;
        return new QemuEvent.VmDescription((int) Math.min(lengthBytes, Integer.MAX_VALUE), offset);
    }

    private String readString(int lengthBytes, String what) throws IOException {
        byte[] bytes = new byte[lengthBytes]; // bounded by the caller (u8 or checked be32)
        in.readFully(bytes, 0, lengthBytes, what);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
