// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;
import org.blkmig.receiver.ReceiveResult.Failure;
import org.blkmig.simdisk.Disk;

/**
 * Applies the block section of a QEMU-framed stream to declared targets. Targets come only from
 * the caller (name to disk), never from the stream; a device name is never used as a path. Each
 * block is checked (known device, chunk-aligned, inside the device) before anything is written,
 * and only its in-bounds sectors are written. Memory: the reader's one chunk buffer.
 */
public final class BlockReceiver {
    private final Map<String, Disk> targets;
    private final int chunkSizeBytes;
    private final ReceiverPolicies policies;
    private final LongConsumer progress;
    private final int writeBuffers;
    private final Destination destination;
    private final Pipeline.Factory pipelines;

    public BlockReceiver(Map<String, Disk> targets, int chunkSizeBytes, Set<ReceiverMutant> mutants, LongConsumer progress) {
        this(targets, chunkSizeBytes, mutants, progress, 0);
    }

    /**
     * With {@code writeBuffers} > 0, blocks are written on a thread of their own from a pool of
     * that many chunk buffers, overlapping reading and writing; 0 writes in the calling thread
     * (the deterministic simulation does).
     */
    public BlockReceiver(Map<String, Disk> targets, int chunkSizeBytes, Set<ReceiverMutant> mutants, LongConsumer progress,
            int writeBuffers) {
        this(targets, chunkSizeBytes, mutants, progress, writeBuffers, Destination.BLKMIG);
    }

    /** As above, applying blocks by {@code destination}'s rules (a destination that writes at once uses no pipeline). */
    public BlockReceiver(Map<String, Disk> targets, int chunkSizeBytes, Set<ReceiverMutant> mutants, LongConsumer progress,
            int writeBuffers, Destination destination) {
        this(targets, chunkSizeBytes, mutants, progress, writeBuffers, destination, Pipeline.Factory.THREADS);
    }

    /** As above, with pipelines from {@code pipelines}: threads, or the simulation's virtual time. */
    public BlockReceiver(Map<String, Disk> targets, int chunkSizeBytes, Set<ReceiverMutant> mutants, LongConsumer progress,
            int writeBuffers, Destination destination, Pipeline.Factory pipelines) {
        this(targets, chunkSizeBytes, ReceiverPolicies.of(mutants), progress, writeBuffers, destination, pipelines);
    }

    /** As above, by these policies rather than blkmig's with seeded bugs. */
    public BlockReceiver(Map<String, Disk> targets, int chunkSizeBytes, ReceiverPolicies policies, LongConsumer progress,
            int writeBuffers, Destination destination, Pipeline.Factory pipelines) {
        this.pipelines = pipelines;
        this.policies = policies;
        this.destination = destination.withPolicies(policies);
        this.targets = Map.copyOf(targets);
        this.chunkSizeBytes = Wire.checkChunkSize(chunkSizeBytes);
        this.progress = progress;
        this.writeBuffers = destination.pipelined() ? writeBuffers : 0;
    }

    public BlockReceiver(Map<String, Disk> targets) {
        this(targets, Wire.QEMU_CHUNK_SIZE_BYTES, Set.of(), p -> {});
    }

    public ReceiveResult receive(InputStream in) {
        return receive(Channels.newChannel(in));
    }

    /** Reads until the block section's END payload has ended, or until an error. Never throws for bad input. */
    public ReceiveResult receive(ReadableByteChannel channel) {
        Receipt r = new Receipt(channel);
        zeroRun = null;
        try {
            return r.receive();
        } catch (ProtocolException pe) {
            return endedEarly(pe.kind() == ProtocolException.Kind.TRUNCATED ? Failure.TRUNCATED : Failure.PROTOCOL_ERROR,
                    pe.problem(), pe.offsetBytes(), r.dataBlocks, r.zeroBlocks, r.lastProgress, r.in);
        } catch (TargetException te) {
            return incomplete(te.failure, te.getMessage(), te.offsetBytes, r.dataBlocks, r.zeroBlocks, r.lastProgress, r.in);
        } catch (WritePipeline.WriteFailed wf) {
            return incomplete(Failure.TARGET_FAILED, wf.getMessage(), wf.offsetBytes, r.dataBlocks, r.zeroBlocks,
                    r.lastProgress, r.in);
        } catch (IOException io) {
            return incomplete(Failure.INPUT_FAILED, "input failed: " + io.getMessage(), r.in.offset(), r.dataBlocks,
                    r.zeroBlocks, r.lastProgress, r.in);
        } finally {
            r.closePipeline();
        }
    }

    /**
     * One receive: the reader, the pipeline with the buffer lent to the reader, the counts. Its
     * loop over events is small and apart from the rare ends, so the JIT compiles it once, small.
     */
    private final class Receipt {
        final ByteInput in;
        final QemuStreamReader reader;
        final Pipeline pipeline;
        ByteBuffer lent; // the pool buffer the reader fills next
        long dataBlocks;
        long zeroBlocks;
        long lastProgress = -1;
        boolean sawStart;

        Receipt(ReadableByteChannel channel) {
            in = new ByteInput(channel);
            reader = new QemuStreamReader(in, chunkSizeBytes);
            reader.readFlagsAs(destination.flags());
            pipeline = writeBuffers > 0 ? pipelines.create(writeBuffers, chunkSizeBytes, policies) : null;
        }

        ReceiveResult receive() throws IOException {
            if (pipeline != null) {
                lendBuffer();
            }
            QemuEvent e;
            while ((e = reader.nextBlockEvent()) != null) {
                if (e instanceof QemuEvent.SectionBegin b) {
                    if (b.type() == SectionType.START) {
                        sawStart = true;
                    }
                } else if (e instanceof QemuEvent.BlockRecord br) {
                    record(br);
                } else if (e instanceof QemuEvent.SectionEnd s && s.type() == SectionType.END) {
                    return end(s);
                }
            }
            return endedEarly(Failure.NO_END_PAYLOAD, "the stream ended without the block section's END payload", in.offset(),
                    dataBlocks, zeroBlocks, lastProgress, in);
        }

        private void record(QemuEvent.BlockRecord br) throws IOException {
            Record r = br.record();
            if (r instanceof Record.DeviceBlock d) {
                apply(d.sector(), d.device(), pipeline == null ? d.data() : lent, br.offsetBytes(), pipeline);
                if (pipeline != null) {
                    lendBuffer(); // the last one is the writer's now
                }
                dataBlocks++;
            } else if (r instanceof Record.ZeroBlock z) {
                apply(z.sector(), z.device(), null, br.offsetBytes(), pipeline);
                zeroBlocks++;
            } else if (r instanceof Record.Progress p) {
                lastProgress = p.percent();
                progress.accept(p.percent());
            }
        }

        private void lendBuffer() throws IOException {
            lent = pipeline.takeFree();
            reader.useDataBuffer(lent);
        }

        /** The END payload's end: complete once every block handed to the writer has landed. */
        private ReceiveResult end(QemuEvent.SectionEnd s) throws IOException {
            if (!sawStart) {
                return incomplete(Failure.NO_START_PAYLOAD, "the block section ended without a START payload",
                        s.offsetBytes(), dataBlocks, zeroBlocks, lastProgress, in);
            }
            if (pipeline != null) {
                submitZeroRun(pipeline);
                policies.completion().beforeFlush(pipeline);
            }
            long flushStart = System.nanoTime();
            flushTargets();
            return new ReceiveResult(Failure.NONE, "complete", in.offset(), dataBlocks, zeroBlocks, lastProgress,
                    in.offset(), System.nanoTime() - flushStart);
        }

        void closePipeline() {
            if (pipeline == null) {
                return;
            }
            try {
                submitZeroRun(pipeline); // the blocks before a failure land, as those handed over did
            } catch (IOException e) {
                // the pipeline failed already: the result says why
            }
            pipeline.close();
        }
    }

    private static ReceiveResult incomplete(Failure failure, String reason, long offset, long data, long zero, long progress,
            ByteInput in) {
        return new ReceiveResult(failure, reason, offset, data, zero, progress, in.offset(), 0);
    }

    /**
     * The input stopped before the END payload, as {@code how} says: incomplete, unless the policy
     * takes such an end for complete (a seeded bug: then nothing is drained nor flushed).
     */
    private ReceiveResult endedEarly(Failure how, String reason, long offset, long data, long zero, long progress,
            ByteInput in) {
        if (policies.ending().completes(how)) {
            return new ReceiveResult(Failure.NONE, "complete", in.offset(), data, zero, progress, in.offset(), 0);
        }
        return incomplete(how, reason, offset, data, zero, progress, in);
    }

    /** A block the targets refuse, or a target that failed: the stream itself may be fine. */
    private static final class TargetException extends IOException {
        final long offsetBytes;
        final Failure failure; // UNKNOWN_DEVICE, BLOCK_REFUSED, WRITE_CROSSES_END or TARGET_FAILED

        TargetException(Failure failure, long offsetBytes, String message) {
            super(message);
            this.offsetBytes = offsetBytes;
            this.failure = failure;
        }
    }

    private void apply(long sector, String device, ByteBuffer data, long offset, Pipeline pipeline) throws IOException {
        Disk target = targets.get(device);
        if (target == null) {
            throw unknownDevice(device, offset);
        }
        try {
            if (pipeline != null) {
                submit(target, device, sector, data, offset, pipeline);
            } else {
                destination.write(target, device, sector, data, chunkSizeBytes);
            }
        } catch (WritePipeline.WriteFailed wf) {
            throw wf; // an earlier block's write failed on the writer: its offset and words, not this block's
        } catch (Destination.Refused r) {
            throw new TargetException(r.failure, offset, r.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw writeFailed(device, sector, offset, e);
        }
    }

    /** Hands the block to the pipeline; a zero block joins the run of zero blocks before it if it follows on. */
    private void submit(Disk target, String device, long sector, ByteBuffer data, long offset, Pipeline pipeline)
            throws IOException {
        // only blkmig's rules write through the pipeline; a QEMU destination writes at once
        long count = ((Destination.Blkmig) destination).sectorsToWrite(target, device, sector, chunkSizeBytes);
        if (data == null && zeroRun != null && zeroRun.target == target && zeroRun.sector + zeroRun.sectorCount == sector) {
            zeroRun.sectorCount += count;
            return;
        }
        submitZeroRun(pipeline);
        if (data == null) {
            zeroRun = new ZeroRun(target, sector, count, offset);
        } else {
            pipeline.submit(target, sector, count, data, offset);
        }
    }

    private TargetException unknownDevice(String device, long offset) {
        return new TargetException(Failure.UNKNOWN_DEVICE, offset, "block for unknown device '" + printable(device)
                + "' (targets: " + String.join(", ", new java.util.TreeSet<>(targets.keySet())) + ")");
    }

    private static TargetException writeFailed(String device, long sector, long offset, Exception e) {
        return new TargetException(Failure.TARGET_FAILED, offset, "write to '" + device + "' at sector " + sector + " failed: "
                + e.getMessage());
    }

    /**
     * Zero blocks that follow one another on one target, gathered into one zero write: a sparse
     * disk's bulk pass hands the writer one job per run of holes, not one per chunk.
     */
    private static final class ZeroRun {
        final Disk target;
        final long sector;
        long sectorCount;
        final long offsetBytes; // of the run's first block, for a write error

        ZeroRun(Disk target, long sector, long sectorCount, long offsetBytes) {
            this.target = target;
            this.sector = sector;
            this.sectorCount = sectorCount;
            this.offsetBytes = offsetBytes;
        }
    }

    private ZeroRun zeroRun; // receiving thread only, while a pipeline runs

    private void submitZeroRun(Pipeline pipeline) throws IOException {
        ZeroRun r = zeroRun;
        zeroRun = null;
        if (r != null) {
            pipeline.submit(r.target, r.sector, r.sectorCount, null, r.offsetBytes);
        }
    }

    private void flushTargets() throws TargetException {
        for (Map.Entry<String, Disk> t : targets.entrySet()) {
            try {
                t.getValue().force();
            } catch (IOException e) {
                throw new TargetException(Failure.TARGET_FAILED, -1, "flushing '" + t.getKey() + "' failed: " + e.getMessage());
            }
        }
    }

    /** Device names come from the wire: show control characters escaped. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
