// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.RecordReader;
import org.blkmig.protocol.RecordWriter;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;
import org.blkmig.simdisk.Zeros;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The hot paths: record encode/decode of 1 MiB blocks, zero detection, bitmap scans, guest writes, chunk reads. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPaths {
    static final int MIB = 1 << 20;

    ByteBuffer zeroChunk;
    ByteBuffer dataChunk;
    byte[] encoded;
    RecordReader replaying;
    Record.DeviceBlock block;
    WritableByteChannel sink;
    DirtyBitmap sparseBitmap;
    DirtyBitmap emptyBitmap;
    BlockDevice device;
    ByteBuffer write;
    ByteBuffer readInto;
    long writeSector;

    @Setup
    public void setup() throws IOException {
        zeroChunk = ByteBuffer.allocateDirect(MIB);
        dataChunk = ByteBuffer.allocateDirect(MIB);
        for (int i = 0; i < MIB; i += 8) {
            dataChunk.putLong(i, i * 31L + 7);
        }
        block = new Record.DeviceBlock(2048, "drive0", dataChunk);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        new RecordWriter(out, MIB).write(block);
        encoded = out.toByteArray();
        sink = Channels.newChannel(java.io.OutputStream.nullOutputStream());
        replaying = new RecordReader(new ByteInput(new Replay(encoded)), MIB);
        long chunks64GiB = (64L << 30) / MIB;
        sparseBitmap = new DirtyBitmap(64L << 30, MIB);
        for (long c = 0; c < chunks64GiB; c += 997) {
            sparseBitmap.set(c);
        }
        emptyBitmap = new DirtyBitmap(64L << 30, MIB);
        device = new BlockDevice(new SparseMemoryDisk("d", 1L << 30));
        device.createDirtyBitmap(MIB);
        write = WriteContent.make(1, 0, 64);
        readInto = ByteBuffer.allocateDirect(MIB);
        device.guestWrite(0, ByteBuffer.allocate(MIB).put(0, (byte) 1), 1);
    }

    /** Encodes one 1 MiB block record (gathering write, no copy of the data). */
    @Benchmark
    public void encodeBlock1MiB() throws IOException {
        new RecordWriter(sink, MIB).write(block);
    }

    /** Decodes one 1 MiB block record from memory (one reader, its buffer reused). */
    @Benchmark
    public Record decodeBlock1MiB() throws IOException {
        return replaying.next();
    }

    /** A channel that plays the same bytes for ever. */
    static final class Replay implements java.nio.channels.ReadableByteChannel {
        private final ByteBuffer bytes;

        Replay(byte[] b) {
            bytes = ByteBuffer.allocateDirect(b.length).put(b).flip();
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!bytes.hasRemaining()) {
                bytes.rewind();
            }
            int n = Math.min(dst.remaining(), bytes.remaining());
            dst.put(bytes.slice(bytes.position(), n));
            bytes.position(bytes.position() + n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    /** Zero detection of a 1 MiB all-zero chunk (the worst case: every byte looked at). */
    @Benchmark
    public boolean zeroDetect1MiB() {
        return Zeros.isZero(zeroChunk);
    }

    /** Zero detection of a chunk with data (returns at the first non-zero word). */
    @Benchmark
    public boolean zeroDetectData1MiB() {
        return Zeros.isZero(dataChunk);
    }

    /** Walks every dirty chunk of a 64 GiB disk with 66 dirty chunks. */
    @Benchmark
    public long scanSparseBitmap64GiB() {
        long n = 0;
        for (long c = sparseBitmap.nextDirty(0); c >= 0; c = sparseBitmap.nextDirty(c + 1)) {
            n++;
        }
        return n;
    }

    /** Finds that a clean 64 GiB disk has nothing dirty. */
    @Benchmark
    public long scanEmptyBitmap64GiB() {
        return emptyBitmap.nextDirty(0);
    }

    /** A 32 KiB guest write with dirty marking. */
    @Benchmark
    public void guestWrite32KiB() throws IOException {
        writeSector = (writeSector + 64) % ((1L << 30) / 512 - 64);
        device.guestWrite(writeSector, write.duplicate(), 2);
    }

    /** Reads one 1 MiB chunk of a sparse memory disk. */
    @Benchmark
    public ByteBuffer readChunk1MiB() throws IOException {
        readInto.clear();
        device.read(0, readInto);
        return readInto;
    }
}
