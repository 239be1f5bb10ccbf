// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.fuzz;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;

/**
 * Mutates valid QEMU-framed streams (bit flips, truncation, duplicated, swapped and dropped sections,
 * arbitrary record headers, huge field values, hostile device names) and feeds each to the
 * decoder and the receiver. A failure is an exception other than the protocol's, a write outside
 * a target, a "complete" without an END payload, or an input that allocates far more than the
 * reader's buffers.
 */
public final class StreamFuzzer {
    public static final int CHUNK = 2048;
    static final long SPC = CHUNK / 512;
    static final long DRIVE0_BYTES = 8 * CHUNK + 3 * 512L; // a partial last chunk of 3 sectors
    static final long DRIVE1_BYTES = 4 * CHUNK;
    /** The reader buffers 64 KiB and one chunk; an input that makes us allocate much more is a bug. */
    static final long MAX_ALLOCATED_BYTES_PER_INPUT = 8L << 20;

    /** One input's verdict: null when fine, else what went wrong. */
    public record Finding(long seed, String mutation, String problem) {}

    /** How the receiver ended on an input, for statistics. */
    public enum Outcome { COMPLETE, PROTOCOL_ERROR, TARGET_REFUSED, INCOMPLETE, FINDING }

    private Outcome lastOutcome;

    public Outcome lastOutcome() {
        return lastOutcome;
    }

    private final List<byte[]> seeds = new ArrayList<>();
    private final java.util.Set<org.blkmig.receiver.ReceiverMutant> receiverMutants;
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public StreamFuzzer() {
        this(java.util.Set.of());
    }

    /** A fuzzer against a receiver with seeded bugs: to show the fuzzer finds them. */
    public StreamFuzzer(java.util.Set<org.blkmig.receiver.ReceiverMutant> receiverMutants) {
        this.receiverMutants = java.util.Set.copyOf(receiverMutants);
        seeds.add(stream(false));
        seeds.add(stream(true));
    }

    /** A valid stream: header, configuration, a RAM section, the block section, a device-state section, EOF. */
    public static byte[] stream(boolean zeroBlocks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), CHUNK, 2);
        try {
            w.writeHeader("pc-i440fx-7.2");
            out.write(ramStart());
            w.beginPayload(SectionType.START);
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            out.write(ramPart());
            w.beginPayload(SectionType.PART);
            w.write(new Record.Progress(0));
            for (int c = 0; c < 9; c++) {
                w.write(zeroBlocks && c % 3 == 1 ? new Record.ZeroBlock(c * SPC, "drive0") : block("drive0", c * SPC, c + 1));
            }
            w.write(new Record.Progress(60));
            w.write(block("drive1", 2 * SPC, 0x41));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            w.beginPayload(SectionType.END);
            w.write(block("drive1", 3 * SPC, 0x42));
            w.write(new Record.Progress(100));
            w.write(Record.EndOfSection.INSTANCE);
            w.endPayload();
            out.write(deviceState());
            w.writeEof();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Record.DeviceBlock block(String device, long sector, int fill) {
        byte[] b = new byte[CHUNK];
        java.util.Arrays.fill(b, (byte) fill);
        return new Record.DeviceBlock(sector, device, ByteBuffer.wrap(b));
    }

    private static byte[] ramStart() {
        ByteBuffer b = ByteBuffer.allocate(200);
        b.put((byte) 1).putInt(7).put((byte) 3).put("ram".getBytes(StandardCharsets.US_ASCII)).putInt(0).putInt(4);
        b.putLong(8192 | 0x04).put((byte) 6).put("pc.ram".getBytes(StandardCharsets.US_ASCII)).putLong(8192);
        b.putLong(0x10).put((byte) 0x7e).putInt(7);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private static byte[] ramPart() {
        ByteBuffer b = ByteBuffer.allocate(5000);
        b.put((byte) 2).putInt(7);
        b.putLong(0x08).put((byte) 6).put("pc.ram".getBytes(StandardCharsets.US_ASCII)).put(new byte[4096]);
        b.putLong(4096 | 0x02 | 0x20).put((byte) 0);
        b.putLong(0x10).put((byte) 0x7e).putInt(7);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private static byte[] deviceState() {
        ByteBuffer b = ByteBuffer.allocate(100);
        b.put((byte) 4).putInt(9).put((byte) 5).put("timer".getBytes(StandardCharsets.US_ASCII)).putInt(0).putInt(2);
        b.put(new byte[] {1, 2, 3, 0x7e, 0, 0, 0, 8, 4, 5}).put((byte) 0x7e).putInt(9);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    /** Offsets where sections start in a valid stream (from the protocol reader, before mutation). */
    private static List<Long> sectionStarts(byte[] valid) {
        List<Long> starts = new ArrayList<>();
        try {
            QemuStreamReader r = new QemuStreamReader(ByteInput.of(valid), CHUNK);
            QemuEvent e;
            while ((e = r.next()) != null) {
                if (e instanceof QemuEvent.SectionBegin b) {
                    starts.add(b.offsetBytes());
                } else if (e instanceof QemuEvent.EndOfSections x) {
                    starts.add(x.offsetBytes());
                }
            }
        } catch (IOException ex) {
            throw new IllegalStateException("the seed stream is not valid", ex);
        }
        return starts;
    }

    /** A mutated input: the bytes and a name for what was done. */
    public record Input(byte[] bytes, String mutation) {}

    public Input mutate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] s = seeds.get(r.nextInt(seeds.size())).clone();
        List<Long> starts = sectionStarts(s);
        int kind = r.nextInt(10);
        return switch (kind) {
            case 0 -> flipBits(s, r);
            case 1 -> {
                int cut = r.nextInt(s.length);
                yield new Input(java.util.Arrays.copyOf(s, cut), "truncated at " + cut);
            }
            case 2 -> repeatSection(s, starts, r);
            case 3 -> swapSections(s, starts, r);
            case 4 -> {
                // a record header with any flag combination and value, where a header stands
                int p = recordHeaderOffset(s, r);
                long value = r.nextBoolean() ? r.nextLong(4096) : r.nextLong() >>> 9;
                int flags = r.nextInt(0x200);
                ByteBuffer.wrap(s).putLong(p, (value << 9) | flags);
                yield new Input(s, String.format("header at %d set to value %d flags 0x%x", p, value, flags));
            }
            case 5 -> {
                int p = r.nextInt(Math.max(1, s.length - 4));
                int v = new int[] {-1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x10000, 0}[r.nextInt(5)];
                ByteBuffer.wrap(s).putInt(p, v);
                yield new Input(s, "be32 at " + p + " set to " + v);
            }
            case 6 -> {
                int p = r.nextInt(Math.max(1, s.length - 8));
                ByteBuffer.wrap(s).putLong(p, r.nextBoolean() ? Long.MAX_VALUE : -1L);
                yield new Input(s, "be64 at " + p + " set huge");
            }
            case 7 -> {
                byte[][] names = {"/etc".getBytes(), "../d0".getBytes(), {'d', 0, '0'}, {(byte) 0xc3, 0x28}, {(byte) 0xff},
                    "drive0/../../x".getBytes(), {0}};
                byte[] name = names[r.nextInt(names.length)];
                yield new Input(renameDevice(s, name), "device name drive0 replaced by bytes "
                        + java.util.HexFormat.of().formatHex(name));
            }
            case 8 -> dropSection(s, starts, r);
            default -> {
                int p = r.nextInt(s.length);
                s[p] = (byte) r.nextInt(256);
                yield new Input(s, "byte " + p + " set");
            }
        };
    }

    private static Input flipBits(byte[] s, SplittableRandom r) {
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            int p = r.nextInt(s.length);
            s[p] ^= (byte) (1 << r.nextInt(8));
        }
        return new Input(s, n + " bit flips");
    }

    private static Input repeatSection(byte[] s, List<Long> starts, SplittableRandom r) {
        int i = r.nextInt(starts.size() - 1);
        int j = r.nextInt(starts.size() - 1);
        byte[] a = java.util.Arrays.copyOfRange(s, starts.get(i).intValue(), starts.get(i + 1).intValue());
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(s, 0, starts.get(j + 1).intValue());
        o.writeBytes(a);
        o.write(s, starts.get(j + 1).intValue(), s.length - starts.get(j + 1).intValue());
        return new Input(o.toByteArray(), "section " + i + " repeated after section " + j);
    }

    private static Input swapSections(byte[] s, List<Long> starts, SplittableRandom r) {
        int i = r.nextInt(starts.size() - 1);
        int j = r.nextInt(starts.size() - 1);
        int lo = Math.min(i, j);
        int hi = Math.max(i, j) == lo ? Math.min(lo + 1, starts.size() - 2) : Math.max(i, j);
        int a0 = starts.get(lo).intValue();
        int a1 = starts.get(lo + 1).intValue();
        int b0 = starts.get(hi).intValue();
        int b1 = starts.get(hi + 1).intValue();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(s, 0, a0);
        if (lo == hi) {
            o.write(s, a0, s.length - a0);
        } else {
            o.write(s, b0, b1 - b0);
            o.write(s, a1, b0 - a1);
            o.write(s, a0, a1 - a0);
            o.write(s, b1, s.length - b1);
        }
        return new Input(o.toByteArray(), "sections " + lo + " and " + hi + " swapped");
    }

    /** A lost section: without the block END, a stream that ends well but incomplete. */
    private static Input dropSection(byte[] s, List<Long> starts, SplittableRandom r) {
        int i = r.nextInt(starts.size() - 1);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(s, 0, starts.get(i).intValue());
        o.write(s, starts.get(i + 1).intValue(), s.length - starts.get(i + 1).intValue());
        return new Input(o.toByteArray(), "section " + i + " dropped");
    }

    /** The offset of a record header in the block payloads (found by searching for one of ours). */
    private static int recordHeaderOffset(byte[] s, SplittableRandom r) {
        List<Integer> offsets = new ArrayList<>();
        byte[] d0 = "drive0".getBytes(StandardCharsets.US_ASCII);
        for (int i = 9; i + d0.length < s.length; i++) {
            if (s[i - 1] == 6 && java.util.Arrays.equals(s, i, i + d0.length, d0, 0, d0.length)) {
                offsets.add(i - 9);
            }
        }
        return offsets.isEmpty() ? 0 : offsets.get(r.nextInt(offsets.size()));
    }

    /** Replaces every "drive0" name (length byte 6 + name) by another name with its own length. */
    private static byte[] renameDevice(byte[] s, byte[] name) {
        byte[] d0 = "drive0".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length) {
            if (i + 7 <= s.length && s[i] == 6 && java.util.Arrays.equals(s, i + 1, i + 7, d0, 0, 6)) {
                o.write(name.length);
                o.writeBytes(name);
                i += 7;
            } else {
                o.write(s[i++]);
            }
        }
        return o.toByteArray();
    }

    /** Feeds one input to the decoder and the receiver; null if all was well. */
    public Finding check(long seed) {
        Input in = mutate(seed);
        long before = threads.getCurrentThreadAllocatedBytes();
        Verdict v = judge(in.bytes(), receiverMutants);
        String problem = v.problem();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        if (problem == null && allocated > MAX_ALLOCATED_BYTES_PER_INPUT) {
            problem = "allocated " + allocated + " bytes for a " + in.bytes().length + "-byte input";
        }
        lastOutcome = problem != null ? Outcome.FINDING : v.outcome();
        return problem == null ? null : new Finding(seed, in.mutation(), problem);
    }

    /** What one input did: a problem (null if none) and how the receiver ended. */
    record Verdict(String problem, Outcome outcome) {
        static Verdict bad(String problem) {
            return new Verdict(problem, Outcome.FINDING);
        }
    }

    static Verdict judge(byte[] input, java.util.Set<org.blkmig.receiver.ReceiverMutant> mutants) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("drive0", DRIVE0_BYTES);
        sizes.put("drive1", DRIVE1_BYTES);
        // the decoder: only the protocol's error
        try {
            StreamChecker.checkQemuStream(ByteInput.of(input), sizes, CHUNK);
        } catch (ProtocolException e) {
            if (e.offsetBytes() < 0 || e.offsetBytes() > input.length) {
                return Verdict.bad("protocol error with an offset outside the input: " + e.getMessage());
            }
        } catch (IOException | RuntimeException e) {
            return Verdict.bad("the decoder threw " + e);
        }
        // the receiver: a result, never an exception; nothing outside a target
        Map<String, GuardedDisk> guarded = new LinkedHashMap<>();
        Map<String, Disk> targets = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : sizes.entrySet()) {
            GuardedDisk g = new GuardedDisk(new SparseMemoryDisk(e.getKey(), e.getValue()), false);
            guarded.put(e.getKey(), g);
            targets.put(e.getKey(), g);
        }
        ReceiveResult result;
        try {
            result = new BlockReceiver(targets, CHUNK, mutants, p -> {}).receive(new ByteArrayInputStream(input));
        } catch (RuntimeException e) {
            return Verdict.bad("the receiver threw " + e);
        }
        for (GuardedDisk g : guarded.values()) {
            if (g.outOfBoundsAttempts() > 0) {
                return Verdict.bad("a write outside " + g.name() + ": " + g.firstOutOfBounds());
            }
        }
        if (result.complete() && !hasEndPayload(input, result.offsetBytes())) {
            return Verdict.bad("complete without an END payload before byte " + result.offsetBytes());
        }
        if (!result.complete() && (result.reason() == null || result.reason().isBlank())) {
            return Verdict.bad("incomplete without a reason");
        }
        return new Verdict(null, switch (result.failure()) {
            case NONE -> Outcome.COMPLETE;
            case UNKNOWN_DEVICE, BLOCK_REFUSED, WRITE_CROSSES_END, TARGET_FAILED -> Outcome.TARGET_REFUSED;
            case NO_START_PAYLOAD, NO_END_PAYLOAD -> Outcome.INCOMPLETE;
            case PROTOCOL_ERROR, TRUNCATED, INPUT_FAILED, UNCLASSIFIED -> Outcome.PROTOCOL_ERROR;
        });
    }

    /** Independent of the receiver: does a block END payload with its EOS end at or before this offset? */
    static boolean hasEndPayload(byte[] input, long atOrBefore) {
        try {
            QemuStreamReader r = new QemuStreamReader(ByteInput.of(java.util.Arrays.copyOf(input, (int) Math.min(input.length,
                    atOrBefore))), CHUNK);
            QemuEvent e;
            while ((e = r.nextBlockEvent()) != null) {
                if (e instanceof QemuEvent.SectionEnd s && s.type() == SectionType.END) {
                    return true;
                }
            }
        } catch (IOException ex) {
            return false;
        }
        return false;
    }

    /** Figures of a run. */
    public record Summary(long inputs, long findings, List<Finding> first, long elapsedNanos, Map<String, Long> outcomes) {}

    /** Runs inputs seed .. seed + count - 1; keeps the first 20 findings. */
    public Summary run(long seed, long count) {
        long t0 = System.nanoTime();
        List<Finding> first = new ArrayList<>();
        long findings = 0;
        Map<String, Long> outcomes = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            Finding f = check(seed + i);
            outcomes.merge(lastOutcome.name().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
            if (f != null) {
                findings++;
                if (first.size() < 20) {
                    first.add(f);
                }
            }
        }
        return new Summary(count, findings, first, System.nanoTime() - t0, outcomes);
    }
}
