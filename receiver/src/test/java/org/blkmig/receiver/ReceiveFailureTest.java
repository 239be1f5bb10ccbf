// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.receiver.ReceiveResult.Failure;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

/** Every way a receive ends has its kind, set where the receiver builds its result; the reason stays. */
class ReceiveFailureTest {
    static final int CHUNK = 4096;
    static final long SECTORS_PER_CHUNK = CHUNK / 512;
    static final long DISK_BYTES = 4L * CHUNK;

    private static ReceiveResult receive(Disk target, InputStream in, int writeBuffers, Destination destination) {
        return new BlockReceiver(Map.of("drive0", target), CHUNK, Set.of(), p -> {}, writeBuffers, destination).receive(in);
    }

    private static ReceiveResult receive(Disk target, byte[] stream, int writeBuffers) {
        return receive(target, new ByteArrayInputStream(stream), writeBuffers, Destination.BLKMIG);
    }

    private static byte[] streamOf(Record... blocks) {
        List<Record> first = new java.util.ArrayList<>(List.of(blocks));
        first.add(ReceiverTest.EOS);
        return ReceiverTest.stream(CHUNK, List.of(first, ReceiverTest.end()));
    }

    private static SparseMemoryDisk disk() {
        return new SparseMemoryDisk("drive0", DISK_BYTES);
    }

    @Test
    void aCompleteReceiveHasNoFailure() {
        for (int buffers : new int[] {0, 2}) {
            ReceiveResult r = receive(disk(), streamOf(ReceiverTest.block("drive0", 0, CHUNK, 1)), buffers);
            assertEquals(Failure.NONE, r.failure(), r.toString());
            assertTrue(r.complete());
            assertEquals("complete", r.reason());
        }
    }

    @Test
    void malformedInputIsAProtocolErrorAndInputCutShortIsTruncated() {
        byte[] s = streamOf(ReceiverTest.block("drive0", 0, CHUNK, 1), new Record.Progress(50));
        byte[] bad = s.clone();
        bad[0] = 'X'; // not a QEMU stream
        ReceiveResult r = receive(disk(), bad, 0);
        assertEquals(Failure.PROTOCOL_ERROR, r.failure(), r.toString());
        assertTrue(r.reason().startsWith("not a QEMU migration stream"), r.reason());
        // the END payload is read by the last byte but one (the EOF marker): every cut before it is truncated
        for (int cut = 0; cut < s.length - 1; cut += 5) {
            ReceiveResult c = receive(disk(), Arrays.copyOf(s, cut), cut % 2 == 0 ? 0 : 2);
            assertEquals(Failure.TRUNCATED, c.failure(), "cut at " + cut + ": " + c);
            assertTrue(c.reason().startsWith("truncated: "), c.reason());
        }
    }

    /** A stream that ends cleanly (its EOF marker) after a START and a PART with one block: no END payload. */
    static byte[] streamWithoutEndPayload() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(out), CHUNK, 3);
        w.writeHeader("pc-i440fx-7.2");
        w.beginPayload(SectionType.START);
        w.write(ReceiverTest.EOS);
        w.endPayload();
        w.beginPayload(SectionType.PART);
        w.write(ReceiverTest.block("drive0", 0, CHUNK, 1));
        w.write(ReceiverTest.EOS);
        w.endPayload();
        w.writeEof();
        return out.toByteArray();
    }

    @Test
    void aStreamThatEndsWithoutItsEndPayloadSaysSo() throws IOException {
        ReceiveResult r = receive(disk(), streamWithoutEndPayload(), 0);
        assertEquals(Failure.NO_END_PAYLOAD, r.failure(), r.toString());
        assertEquals("the stream ended without the block section's END payload", r.reason());
        assertEquals(1, r.dataBlocks());
    }

    @Test
    void aBlockTheTargetsRefuseSaysWhetherItsDeviceOrItsPlaceIsWrong() {
        ReceiveResult unknown = receive(disk(), streamOf(ReceiverTest.block("drive9", 0, CHUNK, 1)), 0);
        assertEquals(Failure.UNKNOWN_DEVICE, unknown.failure(), unknown.toString());
        for (Record r : List.of(ReceiverTest.block("drive0", 3, CHUNK, 1), new Record.ZeroBlock(DISK_BYTES / 512, "drive0"))) {
            for (int buffers : new int[] {0, 2}) {
                ReceiveResult refused = receive(disk(), streamOf(r), buffers);
                assertEquals(Failure.BLOCK_REFUSED, refused.failure(), r + ": " + refused);
            }
        }
        // QEMU 7.2's destination: a data block's write across the device's end fails, a zero block past it is refused
        SparseMemoryDisk odd = new SparseMemoryDisk("drive0", DISK_BYTES - 512);
        ReceiveResult across = receive(odd, new ByteArrayInputStream(streamOf(ReceiverTest.block("drive0", 3 * SECTORS_PER_CHUNK,
                CHUNK, 1))), 0, Destination.qemu72(512));
        assertEquals(Failure.WRITE_CROSSES_END, across.failure(), across.toString());
        assertTrue(across.reason().contains("crosses its end"), across.reason());
        ReceiveResult past = receive(disk(), new ByteArrayInputStream(streamOf(new Record.ZeroBlock(DISK_BYTES / 512, "drive0"))), 0,
                Destination.qemu72(512));
        assertEquals(Failure.BLOCK_REFUSED, past.failure(), past.toString());
    }

    /** Fails every write, or only the final flush. */
    static final class FailingDisk extends WrappedDisk {
        final boolean failWrites;

        FailingDisk(boolean failWrites) {
            super(disk());
            this.failWrites = failWrites;
        }

        @Override
        public void write(long sector, ByteBuffer src) throws IOException {
            if (failWrites) {
                throw new IOException("medium error");
            }
            disk.write(sector, src);
        }

        @Override
        public void force() throws IOException {
            throw new IOException("device gone");
        }
    }

    @Test
    void aTargetThatFailsAWriteOrAFlushIsTargetFailed() {
        byte[] s = streamOf(ReceiverTest.block("drive0", 0, CHUNK, 1));
        for (int buffers : new int[] {0, 2}) { // written at once, and on the writer thread
            ReceiveResult w = receive(new FailingDisk(true), s, buffers);
            assertEquals(Failure.TARGET_FAILED, w.failure(), buffers + " buffers: " + w);
            assertTrue(w.reason().contains("medium error"), w.reason());
            ReceiveResult f = receive(new FailingDisk(false), s, buffers);
            assertEquals(Failure.TARGET_FAILED, f.failure(), buffers + " buffers: " + f);
            assertEquals("flushing 'drive0' failed: device gone", f.reason());
        }
    }

    @Test
    void aFailingInputIsInputFailed() {
        byte[] s = streamOf(ReceiverTest.block("drive0", 0, CHUNK, 1));
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(s, 0, 100), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        ReceiveResult r = receive(disk(), failing, 0, Destination.BLKMIG);
        assertEquals(Failure.INPUT_FAILED, r.failure(), r.toString());
        assertEquals("input failed: connection reset", r.reason());
    }

    @Test
    void aResultMadeOutsideTheReceiverIsUnclassifiedUnlessComplete() {
        ReceiveResult stopped = new ReceiveResult(false, "the receiver did not return", 0, 0, 0, -1, 0);
        assertEquals(Failure.UNCLASSIFIED, stopped.failure());
        assertFalse(stopped.complete());
        ReceiveResult done = new ReceiveResult(true, "end of input", 10, 0, 0, -1, 10);
        assertEquals(Failure.NONE, done.failure());
        assertTrue(done.complete());
        assertEquals(0, done.flushNanos());
    }
}
