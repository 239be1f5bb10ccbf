// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The oracle's own decoder, written from docs/PROTOCOL.md alone and sharing no code with the protocol
 * module's readers, so that the two can be judged against each other. It streams: a device
 * block's data is handed to the listener in one reused chunk buffer, valid during the call only.
 * It decodes (a) a QEMU 7.2 migration stream, yielding the {@code block} section's payloads and
 * skipping RAM by parsing its records, and (b) a bare record list. Bad input is a {@link Rejected}
 * naming the byte offset and whether the input was cut short or is wrong.
 *
 * <p>Record values outside the table of docs/PROTOCOL.md (flag combinations, PROGRESS above 100, EOS
 * with a value) are malformed. Rules about a well-formed record's meaning (alignment, devices,
 * payload order) are not judged here: that is StreamChecker's job.
 */
public final class OracleDecoder {
    // record flags (docs/PROTOCOL.md, "Records")
    private static final int DEVICE_BLOCK = 0x01;
    private static final int EOS = 0x02;
    private static final int PROGRESS = 0x04;
    private static final int ZERO_BLOCK = 0x08;
    private static final int UNUSED_FLAGS = 0x1f0;
    private static final int FLAG_BITS = 9;
    private static final long MAX_PROGRESS = 100;

    // QEMU 7.2 framing (docs/PROTOCOL.md, "QEMU 7.2 outer framing")
    private static final long MAGIC = 0x5145564dL; // "QEVM"
    private static final long STREAM_VERSION = 3;
    private static final int EOF = 0x00;
    private static final int START = 0x01;
    private static final int PART = 0x02;
    private static final int END = 0x03;
    private static final int FULL = 0x04;
    private static final int SUBSECTION = 0x05;
    private static final int VMDESCRIPTION = 0x06;
    private static final int CONFIGURATION = 0x07;
    private static final int COMMAND = 0x08;
    private static final int FOOTER = 0x7e;

    // RAM records: flags in the bits below the 4 KiB page
    private static final long RAM_FLAG_MASK = 0xfff;
    private static final int RAM_ZERO = 0x02;
    private static final int RAM_MEM_SIZE = 0x04;
    private static final int RAM_PAGE = 0x08;
    private static final int RAM_EOS = 0x10;
    private static final int RAM_CONTINUE = 0x20;
    private static final int RAM_PAGE_BYTES = 4096;

    // sanity bounds on what a stream may declare; each one far above a real machine's
    private static final int MAX_MACHINE_TYPE_BYTES = 256;
    private static final int MAX_SECTIONS = 65_536;
    private static final int MAX_RAM_BLOCKS = 65_536;
    private static final long MAX_CAPABILITIES = 1024;

    /** The section types a payload can travel in. */
    public enum SectionKind { START, PART, END, FULL }

    public enum Kind { DATA, ZERO, PROGRESS, EOS }

    /**
     * One record at its offset: {@code value} is the sector (DATA, ZERO) or the percent
     * (PROGRESS). A DATA record's {@code data} is one chunk, valid only during the callback.
     */
    public static final class Rec {
        private final Kind kind;
        private final long offsetBytes;
        private final long value;
        private final String device;
        private ByteBuffer data; // a lent DATA record's: gathered when first asked for
        private final OracleDecoder lentBy; // non-null: the chunk lies in the decoder's lent views

        public Rec(Kind kind, long offsetBytes, long value, String device, ByteBuffer data) {
            this(kind, offsetBytes, value, device, data, null);
        }

        private Rec(Kind kind, long offsetBytes, long value, String device, ByteBuffer data, OracleDecoder lentBy) {
            this.kind = kind;
            this.offsetBytes = offsetBytes;
            this.value = value;
            this.device = device;
            this.data = data;
            this.lentBy = lentBy;
        }

        public Kind kind() {
            return kind;
        }

        public long offsetBytes() {
            return offsetBytes;
        }

        public long value() {
            return value;
        }

        public String device() {
            return device;
        }

        /** A DATA record's chunk in one buffer (a lent one is copied into the decoder's on first asking). */
        public ByteBuffer data() {
            if (data == null && lentBy != null) {
                data = lentBy.gather();
            }
            return data;
        }

        /** How many read-only views {@link #part(int)} gives of a DATA record's chunk, in order: 1 unless lent. */
        public int parts() {
            return lentBy != null ? lentBy.lentParts : data != null ? 1 : 0;
        }

        /** The i-th view of a DATA record's chunk as it lies in the input, valid during the callback only. */
        public ByteBuffer part(int i) {
            return lentBy != null ? lentBy.in.lent(i).duplicate() : data.duplicate();
        }

        @Override
        public String toString() {
            return "Rec[" + kind + " @" + offsetBytes + " " + value + (device != null ? " " + device : "") + "]";
        }
    }

    /** What the decoder finds, in stream order. */
    public interface Listener {
        /** A block payload begins; {@code kind} is null in a bare list, where it is known only at its end. */
        default void payloadBegin(SectionKind kind, long offsetBytes) {}

        void record(Rec record);

        /** A block payload ended; {@code offsetBytes} is just past its footer (or its EOS). */
        default void payloadEnd(SectionKind kind, long offsetBytes) {}
    }

    /** The input's end: its length and, for a bare list, whether a payload was left without EOS. */
    public record Summary(long lengthBytes, boolean eofMarker, long vmDescriptionBytes, boolean payloadOpen) {}

    private record Declared(boolean live, String idstr) {}

    private final int chunkSizeBytes;
    private final byte[] chunk;
    private final ByteBuffer chunkView;
    private final byte[] name = new byte[255];
    private boolean lendData;
    private int lentParts;

    // per stream
    private ByteCursor in;
    private Listener listener;
    private final Map<Long, Declared> sections = new HashMap<>();
    private Boolean footers; // learnt from the first section's end
    private boolean ramBlockNamed;

    public OracleDecoder(int chunkSizeBytes) {
        if (chunkSizeBytes < 512 || chunkSizeBytes > (16 << 20) || Integer.bitCount(chunkSizeBytes) != 1) {
            throw new IllegalArgumentException("chunk size must be a power of two from 512 B to 16 MiB: " + chunkSizeBytes);
        }
        this.chunkSizeBytes = chunkSizeBytes;
        this.chunk = new byte[chunkSizeBytes];
        this.chunkView = ByteBuffer.wrap(chunk).asReadOnlyBuffer();
    }

    /**
     * DATA records lend their chunk where it lies in an {@link InPlaceSource} input ({@link Rec#part}),
     * copied into the decoder's buffer only if {@link Rec#data()} is asked for.
     */
    public OracleDecoder lendingData() {
        lendData = true;
        return this;
    }

    private ByteBuffer gather() {
        int at = 0;
        for (int i = 0; i < lentParts; i++) {
            ByteBuffer p = in.lent(i).duplicate();
            int n = p.remaining();
            p.get(chunk, at, n);
            at += n;
        }
        return chunkView.duplicate();
    }

    /** Decodes a QEMU stream if the input starts with its magic, else a bare record list. */
    public Summary decode(InputStream input, Listener l) throws IOException, Rejected {
        reset(input, l);
        boolean qemu = true;
        for (int i = 0; i < 4; i++) {
            qemu &= in.peek(i) == (int) (MAGIC >>> (24 - 8 * i) & 0xff);
        }
        return qemu ? qemuStream() : recordList();
    }

    public Summary decodeQemu(InputStream input, Listener l) throws IOException, Rejected {
        reset(input, l);
        return qemuStream();
    }

    public Summary decodeRecords(InputStream input, Listener l) throws IOException, Rejected {
        reset(input, l);
        return recordList();
    }

    private void reset(InputStream input, Listener l) {
        in = new ByteCursor(input);
        listener = l;
        sections.clear();
        footers = null;
        ramBlockNamed = false;
    }

    // ---- records ----

    private Rec record() throws IOException, Rejected {
        long offset = in.offset();
        long header = in.be64("record header");
        int flags = (int) (header & ((1 << FLAG_BITS) - 1));
        long value = header >>> FLAG_BITS;
        if ((flags & UNUSED_FLAGS) != 0) {
            throw Rejected.malformed(offset, String.format("unused flag bits 0x%x in record header 0x%016x",
                    flags & UNUSED_FLAGS, header));
        }
        switch (flags) {
            case EOS:
                if (value != 0) {
                    throw Rejected.malformed(offset, "EOS carries the value " + value + ", not 0");
                }
                return new Rec(Kind.EOS, offset, 0, null, null);
            case PROGRESS:
                if (value > MAX_PROGRESS) {
                    throw Rejected.malformed(offset, "PROGRESS " + value + " is not a percentage");
                }
                return new Rec(Kind.PROGRESS, offset, value, null, null);
            case DEVICE_BLOCK:
            case DEVICE_BLOCK | ZERO_BLOCK: {
                String device = deviceName(offset);
                if (flags == DEVICE_BLOCK) {
                    if (lendData && in.lends()) {
                        lentParts = in.lend(chunkSizeBytes, "the data of the block at sector " + value);
                        return new Rec(Kind.DATA, offset, value, device, null, this);
                    }
                    in.read(chunk, chunkSizeBytes, "the data of the block at sector " + value);
                    return new Rec(Kind.DATA, offset, value, device, chunkView.duplicate());
                }
                return new Rec(Kind.ZERO, offset, value, device, null);
            }
            default:
                throw Rejected.malformed(offset, String.format("record header 0x%016x: flags 0x%x are none of"
                        + " DEVICE_BLOCK, DEVICE_BLOCK+ZERO_BLOCK, PROGRESS, EOS", header, flags));
        }
    }

    private String deviceName(long recordOffset) throws IOException, Rejected {
        int lengthBytes = in.u8("device name length");
        if (lengthBytes == 0) {
            throw Rejected.malformed(recordOffset, "a device name of 0 bytes");
        }
        in.read(name, lengthBytes, "device name");
        try {
            // names are UTF-8 in this project (Record, RecordWriter); other bytes cannot name a device
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name, 0, lengthBytes)).toString();
        } catch (CharacterCodingException e) {
            throw Rejected.malformed(recordOffset, "the device name is not UTF-8");
        }
    }

    /** Records up to and including EOS. */
    private void blockPayload() throws IOException, Rejected {
        Rec r;
        do {
            r = record();
            listener.record(r);
        } while (r.kind() != Kind.EOS);
    }

    // ---- a bare record list: payloads end at EOS; the first is START, one ending PROGRESS 100, EOS is END ----

    private Summary recordList() throws IOException, Rejected {
        boolean open = false;
        boolean first = true;
        boolean after100 = false;
        while (!in.atEnd()) {
            if (!open) {
                listener.payloadBegin(null, in.offset());
                open = true;
            }
            Rec r = record();
            listener.record(r);
            if (r.kind() == Kind.EOS) {
                listener.payloadEnd(first ? SectionKind.START : after100 ? SectionKind.END : SectionKind.PART, in.offset());
                open = false;
                first = false;
            }
            after100 = r.kind() == Kind.PROGRESS && r.value() == 100;
        }
        return new Summary(in.offset(), false, -1, open);
    }

    // ---- a QEMU 7.2 stream ----

    private Summary qemuStream() throws IOException, Rejected {
        if (in.atEnd()) {
            throw Rejected.truncated(0, "empty input");
        }
        long magic = in.be32("file magic");
        if (magic != MAGIC) {
            throw Rejected.malformed(0, String.format("file magic 0x%08x is not QEVM", magic));
        }
        long version = in.be32("file version");
        if (version != STREAM_VERSION) {
            throw Rejected.malformed(4, "file version " + version + " is not 3");
        }
        if (in.peek(0) == CONFIGURATION) {
            configuration();
        }
        while (true) {
            long offset = in.offset();
            if (in.atEnd()) {
                throw Rejected.truncated(offset, "the stream ends before its EOF marker");
            }
            int type = in.u8("section type");
            switch (type) {
                case START, FULL -> section(type, offset, true);
                case PART, END -> section(type, offset, false);
                case COMMAND -> {
                    in.be16("command");
                    in.skip(in.be16("command length"), "command data");
                }
                case EOF -> {
                    return afterEof();
                }
                default -> throw Rejected.malformed(offset, String.format("section type 0x%02x where a section begins", type));
            }
        }
    }

    private void configuration() throws IOException, Rejected {
        long offset = in.offset();
        in.u8("configuration marker");
        long lengthBytes = in.be32("machine type length");
        if (lengthBytes > MAX_MACHINE_TYPE_BYTES) {
            throw Rejected.malformed(offset + 1, "machine type of " + lengthBytes + " bytes (at most "
                    + MAX_MACHINE_TYPE_BYTES + ")");
        }
        in.skip(lengthBytes, "machine type");
        // the fields of each subsection are QEMU's (vmstate_configuration): docs/PROTOCOL.md leaves them open
        while (in.peek(0) == SUBSECTION) {
            long subOffset = in.offset();
            in.u8("subsection marker");
            String subsection = idstr(in.u8("subsection name length"), "subsection name");
            in.be32("subsection version");
            switch (subsection) {
                case "configuration/target-page-bits" -> in.be32("target page bits");
                case "configuration/uuid" -> in.skip(16, "uuid");
                case "configuration/capabilities" -> {
                    long count = in.be32("capability count");
                    if (count > MAX_CAPABILITIES) {
                        throw Rejected.malformed(subOffset, count + " capabilities (at most " + MAX_CAPABILITIES + ")");
                    }
                    for (long i = 0; i < count; i++) {
                        in.skip(in.u8("capability name length"), "capability name");
                    }
                }
                default -> throw Rejected.malformed(subOffset, "configuration subsection '" + subsection
                        + "' has fields this decoder does not know");
            }
        }
    }

    private String idstr(int lengthBytes, String what) throws IOException, Rejected {
        in.read(name, lengthBytes, what);
        return new String(name, 0, lengthBytes, StandardCharsets.ISO_8859_1);
    }

    /** A section header, its payload and its footer. {@code declares}: START or FULL. */
    private void section(int type, long offset, boolean declares) throws IOException, Rejected {
        long id = in.be32("section id");
        Declared d;
        if (declares) {
            int idLengthBytes = in.u8("section name length");
            if (idLengthBytes == 0) {
                throw Rejected.malformed(offset, "section " + id + " has an empty name");
            }
            String idstr = idstr(idLengthBytes, "section name");
            long instance = in.be32("instance id");
            long version = in.be32("version id");
            if (sections.containsKey(id)) {
                throw Rejected.malformed(offset, "section id " + id + " is declared a second time");
            }
            if (sections.size() >= MAX_SECTIONS) {
                throw Rejected.malformed(offset, "more than " + MAX_SECTIONS + " sections");
            }
            if (idstr.equals("block") && (instance != 0 || version != 1)) {
                throw Rejected.malformed(offset, "block section instance " + instance + " version " + version
                        + " (PROTOCOL.md: instance 0, version 1)");
            }
            d = new Declared(type == START, idstr);
            sections.put(id, d);
        } else {
            d = sections.get(id);
            if (d == null || !d.live()) {
                throw Rejected.malformed(offset, (type == PART ? "PART" : "END") + " of section id " + id
                        + (d == null ? ", which no START declared" : " ('" + d.idstr() + "'), which is not live"));
            }
        }
        SectionKind kind = SectionKind.values()[type - 1];
        if (d.idstr().equals("block")) {
            listener.payloadBegin(kind, offset);
            blockPayload();
            footer(id);
            listener.payloadEnd(kind, in.offset());
        } else if (d.idstr().equals("ram") && type != FULL) {
            ramPayload();
            footer(id);
        } else if (type == FULL) {
            skipDeviceState(id, in.offset());
        } else {
            throw Rejected.malformed(offset, "live section '" + d.idstr() + "' has a payload this decoder cannot skip");
        }
    }

    private void footer(long id) throws IOException, Rejected {
        long offset = in.offset();
        if (in.peek(0) < 0 && !Boolean.FALSE.equals(footers)) {
            throw Rejected.truncated(offset, "input ends before the footer of section " + id);
        }
        boolean present = in.peek(0) == FOOTER;
        if (footers == null) {
            footers = present;
        }
        if (footers != present) {
            throw Rejected.malformed(offset, present ? "a footer in a stream without footers"
                    : "missing footer of section " + id);
        }
        if (present) {
            in.u8("footer marker");
            long footerId = in.be32("footer section id");
            if (footerId != id) {
                throw Rejected.malformed(offset, "footer of section " + footerId + " ends section " + id);
            }
        }
    }

    private void ramPayload() throws IOException, Rejected {
        while (true) {
            long offset = in.offset();
            long header = in.be64("RAM record header");
            int flags = (int) (header & RAM_FLAG_MASK);
            long address = header & ~RAM_FLAG_MASK;
            int kind = flags & ~RAM_CONTINUE;
            if (kind != RAM_ZERO && kind != RAM_MEM_SIZE && kind != RAM_PAGE && kind != RAM_EOS) {
                throw Rejected.malformed(offset, String.format("RAM record flags 0x%x: not one of ZERO, MEM_SIZE,"
                        + " PAGE, EOS (with CONTINUE)", flags));
            }
            switch (kind) {
                case RAM_EOS -> {
                    return;
                }
                case RAM_MEM_SIZE -> ramBlockList(address, offset);
                default -> {
                    if ((flags & RAM_CONTINUE) == 0) {
                        in.skip(in.u8("RAM block name length"), "RAM block name");
                        ramBlockNamed = true;
                    } else if (!ramBlockNamed) {
                        throw Rejected.malformed(offset, "a RAM page CONTINUEs, but no RAM block was named before");
                    }
                    in.skip(kind == RAM_PAGE ? RAM_PAGE_BYTES : 1, kind == RAM_PAGE ? "RAM page" : "RAM fill byte");
                }
            }
        }
    }

    private void ramBlockList(long totalBytes, long offset) throws IOException, Rejected {
        long coveredBytes = 0;
        for (int blocks = 0; coveredBytes < totalBytes; blocks++) {
            if (blocks == MAX_RAM_BLOCKS) {
                throw Rejected.malformed(offset, "more than " + MAX_RAM_BLOCKS + " RAM blocks");
            }
            in.skip(in.u8("RAM block name length"), "RAM block name");
            long usedBytes = in.be64("RAM block length");
            if (usedBytes <= 0 || usedBytes > totalBytes - coveredBytes) {
                throw Rejected.malformed(offset, "RAM block lengths do not add up to the RAM size " + totalBytes);
            }
            coveredBytes += usedBytes;
        }
    }

    /**
     * Device state needs each device's description to parse: skip to a footer of this section
     * that is followed by something a section list can continue with.
     */
    private void skipDeviceState(long id, long payloadOffset) throws IOException, Rejected {
        if (Boolean.FALSE.equals(footers)) {
            throw Rejected.malformed(payloadOffset, "device state of section " + id + " cannot be skipped without footers");
        }
        while (true) {
            int b = in.peek(0);
            if (b < 0) {
                throw Rejected.truncated(payloadOffset, "input ends inside the device state of section " + id);
            }
            if (b == FOOTER && peekBE32(1) == id && sectionCanStartAt(5)) {
                footer(id);
                return;
            }
            in.skip(1, "device state");
        }
    }

    private long peekBE32(int aheadBytes) throws IOException {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int b = in.peek(aheadBytes + i);
            if (b < 0) {
                return -1;
            }
            v = (v << 8) | b;
        }
        return v;
    }

    /** Whether what follows could be the next item of the section list (or the input's end). */
    private boolean sectionCanStartAt(int aheadBytes) throws IOException {
        int type = in.peek(aheadBytes);
        switch (type) {
            case -1, COMMAND:
                return true;
            case EOF: {
                int next = in.peek(aheadBytes + 1);
                return next < 0 || next == VMDESCRIPTION;
            }
            case PART, END: {
                Declared d = sections.get(peekBE32(aheadBytes + 1));
                return d != null && d.live();
            }
            case START, FULL: {
                int lengthBytes = in.peek(aheadBytes + 5);
                if (lengthBytes <= 0) {
                    return false;
                }
                for (int i = 0; i < lengthBytes; i++) {
                    int c = in.peek(aheadBytes + 6 + i);
                    if (c < 0x20 || c > 0x7e) { // a section name is printable text
                        return false;
                    }
                }
                return true;
            }
            default:
                return false;
        }
    }

    private Summary afterEof() throws IOException, Rejected {
        long offset = in.offset();
        if (in.atEnd()) {
            return new Summary(offset, true, -1, false);
        }
        int type = in.u8("section type after EOF");
        if (type != VMDESCRIPTION) {
            throw Rejected.malformed(offset, String.format("section type 0x%02x after EOF (only VMDESCRIPTION may follow)", type));
        }
        long lengthBytes = in.be32("VM description length");
        in.skip(lengthBytes, "VM description");
        if (!in.atEnd()) {
            throw Rejected.malformed(in.offset(), "bytes after the VM description");
        }
        return new Summary(in.offset(), true, lengthBytes, false);
    }
}
