// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.RecordReader;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;

/**
 * Runs the production decoder (protocol's QemuStreamReader and RecordReader) and the oracle's on
 * one input and compares what they saw, line by line: payload boundaries, records (kind, sector or
 * percent, device, CRC of the data) with their offsets, and how each ended.
 */
public final class Differential {
    private Differential() {}

    /** What a decoder saw, then how it ended: "ok", "truncated" or "malformed". */
    public record Trace(List<String> lines, String ending, String detail) {}

    /** The first difference of two traces, or null when they agree. */
    public record Verdict(Trace production, Trace oracle, String difference) {}

    private static final int MAX_LINES = 100_000;

    static String data(ByteBuffer data) {
        CRC32C c = new CRC32C();
        c.update(data.duplicate());
        return String.format("%08x/%d", c.getValue(), data.remaining());
    }

    private static void add(List<String> lines, String line) {
        if (lines.size() < MAX_LINES) {
            lines.add(line);
        }
    }

    static String record(Record r, long offsetBytes) {
        if (r instanceof Record.DeviceBlock b) {
            return "DATA " + b.sector() + " " + b.device() + " " + data(b.data()) + " @" + offsetBytes;
        }
        if (r instanceof Record.ZeroBlock z) {
            return "ZERO " + z.sector() + " " + z.device() + " @" + offsetBytes;
        }
        if (r instanceof Record.Progress p) {
            return "PROGRESS " + p.percent() + " @" + offsetBytes;
        }
        return "EOS 0 @" + offsetBytes;
    }

    static String record(OracleDecoder.Rec r) {
        return switch (r.kind()) {
            case DATA -> "DATA " + r.value() + " " + r.device() + " " + data(r.data()) + " @" + r.offsetBytes();
            case ZERO -> "ZERO " + r.value() + " " + r.device() + " @" + r.offsetBytes();
            case PROGRESS -> "PROGRESS " + r.value() + " @" + r.offsetBytes();
            case EOS -> "EOS 0 @" + r.offsetBytes();
        };
    }

    public static Trace production(InputStream in, int chunkSizeBytes, boolean qemu) {
        List<String> lines = new ArrayList<>();
        try {
            ByteInput bytes = ByteInput.of(in);
            if (qemu) {
                QemuStreamReader reader = new QemuStreamReader(bytes, chunkSizeBytes);
                QemuEvent e;
                while ((e = reader.next()) != null) {
                    if (e instanceof QemuEvent.SectionBegin b && b.isBlock()) {
                        add(lines, "begin " + b.type() + " @" + b.offsetBytes());
                    } else if (e instanceof QemuEvent.BlockRecord r) {
                        add(lines, record(r.record(), r.offsetBytes()));
                    } else if (e instanceof QemuEvent.SectionEnd s && s.idstr().equals("block")) {
                        add(lines, "end " + s.type() + " @" + s.offsetBytes());
                    }
                }
            } else {
                RecordReader reader = new RecordReader(bytes, chunkSizeBytes);
                while (!bytes.atEnd()) {
                    Record r = reader.next();
                    add(lines, record(r, reader.recordOffset()));
                }
            }
            return new Trace(lines, "ok", "");
        } catch (ProtocolException e) {
            return new Trace(lines, e.kind() == org.blkmig.protocol.ProtocolException.Kind.TRUNCATED ? "truncated" : "malformed", e.getMessage());
        } catch (IOException e) {
            return new Trace(lines, "io", e.toString());
        }
    }

    public static Trace oracle(InputStream in, int chunkSizeBytes, boolean qemu) {
        List<String> lines = new ArrayList<>();
        OracleDecoder.Listener l = new OracleDecoder.Listener() {
            @Override
            public void payloadBegin(OracleDecoder.SectionKind kind, long offsetBytes) {
                if (kind != null) {
                    add(lines, "begin " + kind + " @" + offsetBytes);
                }
            }

            @Override
            public void record(OracleDecoder.Rec r) {
                add(lines, Differential.record(r));
            }

            @Override
            public void payloadEnd(OracleDecoder.SectionKind kind, long offsetBytes) {
                if (qemu) {
                    add(lines, "end " + kind + " @" + offsetBytes);
                }
            }
        };
        try {
            OracleDecoder d = new OracleDecoder(chunkSizeBytes);
            if (qemu) {
                d.decodeQemu(in, l);
            } else {
                d.decodeRecords(in, l);
            }
            return new Trace(lines, "ok", "");
        } catch (Rejected r) {
            return new Trace(lines, r.truncated() ? "truncated" : "malformed", r.getMessage());
        } catch (IOException e) {
            return new Trace(lines, "io", e.toString());
        }
    }

    /**
     * Both decoders on the same bytes. They agree when they saw the same lines and ended the same
     * way (the reasons' wording and the offset of a rejection may differ).
     */
    public static Verdict compare(Supplier<InputStream> input, int chunkSizeBytes, boolean qemu) {
        Trace p = production(input.get(), chunkSizeBytes, qemu);
        Trace o = oracle(input.get(), chunkSizeBytes, qemu);
        String difference = null;
        int n = Math.min(p.lines().size(), o.lines().size());
        for (int i = 0; i < n && difference == null; i++) {
            if (!p.lines().get(i).equals(o.lines().get(i))) {
                difference = "line " + i + ": production '" + p.lines().get(i) + "', oracle '" + o.lines().get(i) + "'";
            }
        }
        boolean bothRejected = !p.ending().equals("ok") && !o.ending().equals("ok");
        // both rejected: one may notice the problem a record later (production reads a footer before its EOS event)
        if (difference == null && p.lines().size() != o.lines().size() && !bothRejected) {
            List<String> longer = p.lines().size() > n ? p.lines() : o.lines();
            difference = (longer == p.lines() ? "production" : "oracle") + " saw more, from line " + n + ": '"
                    + longer.get(n) + "'";
        }
        if (difference == null && !p.ending().equals(o.ending())) {
            difference = "endings differ";
        }
        if (difference != null) {
            difference += "; production ended " + p.ending() + " " + p.detail() + "; oracle ended " + o.ending() + " "
                    + o.detail();
        }
        return new Verdict(p, o, difference);
    }

    public static Verdict compare(byte[] input, int chunkSizeBytes, boolean qemu) {
        return compare(() -> new java.io.ByteArrayInputStream(input), chunkSizeBytes, qemu);
    }
}
