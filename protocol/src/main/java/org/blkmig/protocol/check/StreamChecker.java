// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol.check;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;

/**
 * Judges a block section against the protocol, record by record, independently of whoever wrote
 * it. Feed it payloads in order ({@link #beginPayload}, {@link #record}, {@link #endPayload}),
 * then call {@link #finish}. Every violation names its rule and the byte offset.
 */
public final class StreamChecker {
    /** The rules: each has a name that appears in its violations and a one-line reason. */
    public enum Rule {
        PAYLOAD_EOS("payload-eos", "every payload ends with exactly one EOS"),
        AFTER_EOS("after-eos", "EOS ends its payload: no record may follow it"),
        START_ONLY_EOS("start-only-eos", "the setup (START) payload carries just EOS"),
        START_FIRST("start-first", "the block section begins with exactly one START payload"),
        SECTOR_ALIGNED("sector-aligned", "a block's sector must be the first sector of a chunk"),
        SECTOR_IN_DEVICE("sector-in-device", "a block's sector must lie inside its device"),
        KNOWN_DEVICE("known-device", "a block must name a declared device"),
        PROGRESS_RANGE("progress-range", "progress is a percentage within 0..100"),
        PROGRESS_MONOTONIC("progress-monotonic", "progress never decreases"),
        END_PROGRESS_100("end-progress-100", "the END payload ends with PROGRESS 100 then EOS"),
        AFTER_END("after-end", "no block-section payload may follow END"),
        END_PRESENT("end-present", "a complete stream has an END payload"),
        NOT_FULL("not-full", "the block section is live: START, PART and END only");

        public final String id;
        public final String reason;

        Rule(String id, String reason) {
            this.id = id;
            this.reason = reason;
        }
    }

    /** A broken rule; {@code offset} counts bytes of a stream, or records when checked in memory. */
    public record Violation(Rule rule, long offset, String unit, String detail) {
        @Override
        public String toString() {
            return "[" + rule.id + "] at " + unit + " " + offset + ": " + detail + " (" + rule.reason + ")";
        }
    }

    /** Stops collecting here; the count goes on. */
    private static final int MAX_KEPT_VIOLATIONS = 1000;

    private final Map<String, Long> deviceSizeBytes;
    private final String offsetUnit;
    private final long sectorsPerChunk;
    private final List<Violation> violations = new ArrayList<>();
    private long violationCount;

    private boolean started;
    private boolean ended;
    private SectionType payloadType;
    private long payloadOffset;
    private int payloadRecords;
    private int payloadEos;
    private Record previous;
    private Record beforePrevious;
    private boolean untyped;
    private int nonEosRecords;
    private long lastProgress = -1;

    public StreamChecker(Map<String, Long> deviceSizeBytes, int chunkSizeBytes) {
        this(deviceSizeBytes, chunkSizeBytes, "byte");
    }

    /**
     * {@code offsetUnit} names what offsets count: "byte" for streams, "record" in memory. With
     * {@code deviceSizeBytes} null, any device name is accepted and sectors are not bounded.
     */
    public StreamChecker(Map<String, Long> deviceSizeBytes, int chunkSizeBytes, String offsetUnit) {
        this.offsetUnit = offsetUnit;
        this.deviceSizeBytes = deviceSizeBytes == null ? null : Map.copyOf(deviceSizeBytes);
        this.sectorsPerChunk = Wire.sectorsPerChunk(Wire.checkChunkSize(chunkSizeBytes));
    }

    private void violate(Rule rule, long offset, String detail) {
        violationCount++;
        if (violations.size() < MAX_KEPT_VIOLATIONS) {
            violations.add(new Violation(rule, offset, offsetUnit, detail));
        }
    }

    public void beginPayload(SectionType type, long offsetBytes) {
        if (payloadType != null) {
            endPayload(offsetBytes);
        }
        if (type == SectionType.FULL) {
            violate(Rule.NOT_FULL, offsetBytes, "a FULL section named 'block'");
        }
        if (ended) {
            violate(Rule.AFTER_END, offsetBytes, type + " payload after END");
        }
        if (type == SectionType.START) {
            if (started) {
                violate(Rule.START_FIRST, offsetBytes, "a second START payload");
            }
            started = true;
        } else if (!started) {
            violate(Rule.START_FIRST, offsetBytes, type + " payload before any START");
            started = true;
        }
        if (type == SectionType.END) {
            ended = true;
        }
        payloadType = type;
        payloadOffset = offsetBytes;
        payloadRecords = 0;
        payloadEos = 0;
        nonEosRecords = 0;
        previous = beforePrevious = null;
    }

    /**
     * Begins a payload whose type is known only at its end (a bare record list has no section
     * headers); {@link #endPayload(long, SectionType)} names it.
     */
    public void beginUntypedPayload(long offsetBytes) {
        beginPayload(SectionType.PART, offsetBytes);
        untyped = true;
    }

    /** Ends an untyped payload, naming its type now. */
    public void endPayload(long offsetBytes, SectionType type) {
        if (untyped && type != SectionType.PART) {
            if (type == SectionType.END) {
                if (ended) {
                    violate(Rule.AFTER_END, payloadOffset, "a second END payload");
                }
                ended = true;
            }
            if (type == SectionType.START && nonEosRecords > 0) {
                violate(Rule.START_ONLY_EOS, payloadOffset, nonEosRecords + " records besides EOS in the START payload");
            }
            payloadType = type;
        }
        untyped = false;
        endPayload(offsetBytes);
    }

    public void record(Record record, long offsetBytes) {
        if (payloadType == null) {
            throw new IllegalStateException("record outside a payload");
        }
        if (!(record instanceof Record.EndOfSection)) {
            nonEosRecords++;
        }
        payloadRecords++;
        if (payloadEos > 0) {
            violate(Rule.AFTER_EOS, offsetBytes, describe(record) + " after the payload's EOS");
        }
        if (payloadType == SectionType.START && !(record instanceof Record.EndOfSection)) {
            violate(Rule.START_ONLY_EOS, offsetBytes, describe(record) + " in the START payload");
        }
        if (record instanceof Record.EndOfSection) {
            payloadEos++;
        } else if (record instanceof Record.Progress p) {
            if (p.percent() > 100) {
                violate(Rule.PROGRESS_RANGE, offsetBytes, "progress " + p.percent());
            }
            if (p.percent() < lastProgress) {
                violate(Rule.PROGRESS_MONOTONIC, offsetBytes, "progress " + p.percent() + " after " + lastProgress);
            }
            // clamped: one value out of range is one violation, not one per later record
            lastProgress = Math.max(lastProgress, Math.min(100, p.percent()));
        } else if (record instanceof Record.DeviceBlock b) {
            checkBlock(b.sector(), b.device(), offsetBytes);
        } else if (record instanceof Record.ZeroBlock z) {
            checkBlock(z.sector(), z.device(), offsetBytes);
        }
        beforePrevious = previous;
        previous = record;
    }

    private void checkBlock(long sector, String device, long offsetBytes) {
        if (deviceSizeBytes == null) {
            if (sector % sectorsPerChunk != 0) {
                violate(Rule.SECTOR_ALIGNED, offsetBytes, "sector " + sector + " of '" + device
                        + "' is not a multiple of " + sectorsPerChunk);
            }
            return;
        }
        Long sizeBytes = deviceSizeBytes.get(device);
        if (sizeBytes == null) {
            violate(Rule.KNOWN_DEVICE, offsetBytes, "block for unknown device '" + device + "'");
            return;
        }
        if (sector % sectorsPerChunk != 0) {
            violate(Rule.SECTOR_ALIGNED, offsetBytes, "sector " + sector + " of '" + device
                    + "' is not a multiple of " + sectorsPerChunk);
        }
        long deviceSectors = (sizeBytes + Wire.SECTOR_SIZE_BYTES - 1) / Wire.SECTOR_SIZE_BYTES;
        if (sector >= deviceSectors) {
            violate(Rule.SECTOR_IN_DEVICE, offsetBytes, "sector " + sector + " of '" + device
                    + "' is past its end (" + deviceSectors + " sectors)");
        }
    }

    public void endPayload(long offsetBytes) {
        if (payloadType == null) {
            return;
        }
        if (payloadEos != 1) {
            violate(Rule.PAYLOAD_EOS, payloadOffset, payloadType + " payload has " + payloadEos + " EOS records");
        }
        if (payloadType == SectionType.START && payloadRecords == 0) {
            violate(Rule.START_ONLY_EOS, payloadOffset, "empty START payload");
        }
        if (payloadType == SectionType.END) {
            boolean progress100 = beforePrevious instanceof Record.Progress p && p.percent() == 100;
            if (!progress100 || !(previous instanceof Record.EndOfSection)) {
                violate(Rule.END_PROGRESS_100, payloadOffset, "END payload ends with "
                        + describe(beforePrevious) + ", " + describe(previous));
            }
        }
        payloadType = null;
    }

    /** Ends the stream; returns every violation found (the first 1000). */
    public List<Violation> finish(long offsetBytes) {
        endPayload(offsetBytes);
        if (!ended) {
            violate(Rule.END_PRESENT, offsetBytes, "the stream has no END payload");
        }
        return List.copyOf(violations);
    }

    /**
     * Ends a stream that was cut short (a sender that failed, a dropped connection): the open
     * payload is not judged and a missing END is not a violation; the rest stands.
     */
    public List<Violation> finishTruncated() {
        payloadType = null;
        return List.copyOf(violations);
    }

    /** Takes an event of a QEMU stream: those of the block section are checked, the others ignored. */
    public void accept(QemuEvent e) {
        if (e instanceof QemuEvent.SectionBegin b && b.isBlock()) {
            beginPayload(b.type(), b.offsetBytes());
        } else if (e instanceof QemuEvent.BlockRecord r) {
            record(r.record(), r.offsetBytes());
        } else if (e instanceof QemuEvent.SectionEnd s && s.isBlock()) {
            endPayload(s.offsetBytes());
        }
    }

    public long violationCount() {
        return violationCount;
    }

    private static String describe(Record r) {
        return r == null ? "nothing" : r.describe();
    }

    /** A payload held in memory: its section type and records. */
    public record Payload(SectionType type, List<Record> records) {}

    /** Checks payloads held in memory; offsets count records, not bytes. */
    public static List<Violation> check(List<Payload> payloads, Map<String, Long> deviceSizeBytes, int chunkSizeBytes) {
        StreamChecker c = new StreamChecker(deviceSizeBytes, chunkSizeBytes, "record");
        long index = 0;
        for (Payload p : payloads) {
            c.beginPayload(p.type(), index);
            for (Record r : p.records()) {
                c.record(r, index++);
            }
            c.endPayload(index);
        }
        return c.finish(index);
    }

    /**
     * Reads a QEMU-framed stream and checks its block section; framing errors are thrown as
     * {@link ProtocolException}.
     */
    public static List<Violation> checkQemuStream(ByteInput in, Map<String, Long> deviceSizeBytes, int chunkSizeBytes)
            throws IOException {
        StreamChecker c = new StreamChecker(deviceSizeBytes, chunkSizeBytes);
        QemuStreamReader reader = new QemuStreamReader(in, chunkSizeBytes);
        QemuEvent e;
        while ((e = reader.nextBlockEvent()) != null) {
            c.accept(e);
        }
        return c.finish(in.offset());
    }
}
