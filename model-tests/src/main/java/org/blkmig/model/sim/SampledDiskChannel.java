// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.function.LongSupplier;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.History;

/**
 * A memory disk seen as the file the zero-copy sender sends one block from: a transfer takes the
 * disk's data at the instant it is made, as {@code sendfile} takes the page cache's. The history
 * records the block as a read (with a negative id, beside the reads' own) submitted when the
 * sender asked for the channel — when it committed to the read and cleared the chunk's dirty bit —
 * and sampled and completed at the transfer, so {@code read-history} judges a zero-copy block by
 * its sample as it judges a buffered one, and a write between the two counts as re-dirtying a
 * chunk already read. One transfer is one sample: the range is taken whole, then written out
 * however short the link's writes are; a transfer of another range is a read of its own.
 * Read-only: the sender never writes its sources.
 */
final class SampledDiskChannel extends FileChannel {
    /** Hands out one channel per block, recording the read's submission as it does. */
    record Source(Disk disk, String device, History history, LongSupplier nowNanos, LongSupplier nextReadId) {
        SampledDiskChannel forBlock(long sector, long sectorCount) {
            Disk.checkRange(disk, sector, sectorCount * Disk.SECTOR_SIZE_BYTES);
            long id = nextReadId.getAsLong();
            history.add(new History.ReadSubmit(nowNanos.getAsLong(), id, device, sector, sectorCount));
            return new SampledDiskChannel(this, id, sector, sectorCount);
        }
    }

    private final Source source;
    private final Disk disk;
    /** The block's read, sampled by the first transfer of exactly its range. */
    private final long blockReadId;
    private boolean blockSampled;
    private final long blockSector;
    private final long blockSectors;
    private long positionBytes;

    private SampledDiskChannel(Source source, long blockReadId, long blockSector, long blockSectors) {
        this.source = source;
        this.disk = source.disk();
        this.blockReadId = blockReadId;
        this.blockSector = blockSector;
        this.blockSectors = blockSectors;
    }

    /**
     * A transfer's buffer, kept by each simulating thread: taken while a transfer uses it (a write that
     * waits runs other events, which could transfer too) and given back after, so none is zeroed anew.
     */
    private static final ThreadLocal<ByteBuffer[]> SPARE = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    private static ByteBuffer take(int bytes) {
        ByteBuffer[] held = SPARE.get();
        ByteBuffer b = held[0];
        held[0] = null;
        return (b == null || b.capacity() < bytes ? ByteBuffer.allocate(bytes) : b.clear()).limit(bytes);
    }

    private static void giveBack(ByteBuffer b) {
        SPARE.get()[0] = b;
    }

    /** Takes {@code count} bytes from {@code position} now, recording the sample. */
    private ByteBuffer sample(long position, long count) throws IOException {
        if (position % Disk.SECTOR_SIZE_BYTES != 0 || count % Disk.SECTOR_SIZE_BYTES != 0 || count > Integer.MAX_VALUE) {
            throw new IOException("a zero-copy transfer of whole sectors only: " + count + " bytes at " + position);
        }
        long sector = position / Disk.SECTOR_SIZE_BYTES;
        long sectors = count / Disk.SECTOR_SIZE_BYTES;
        History history = source.history();
        long now = source.nowNanos().getAsLong();
        long id;
        if (!blockSampled && sector == blockSector && sectors == blockSectors) {
            id = blockReadId;
            blockSampled = true;
        } else {
            id = source.nextReadId().getAsLong();
            history.add(new History.ReadSubmit(now, id, source.device(), sector, sectors));
        }
        history.add(new History.ReadSample(now, id));
        ByteBuffer data = take((int) count);
        disk.read(sector, data.duplicate());
        history.add(new History.ReadComplete(now, id, false));
        return data;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        long n = Math.min(count, size() - position);
        if (n <= 0) {
            return 0;
        }
        ByteBuffer data = sample(position, n);
        while (data.hasRemaining()) {
            target.write(data);
        }
        giveBack(data);
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        long n = Math.min(dst.remaining(), size() - position);
        if (n <= 0) {
            return -1;
        }
        n -= n % Disk.SECTOR_SIZE_BYTES;
        ByteBuffer data = sample(position, n);
        dst.put(data);
        giveBack(data);
        return (int) n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = read(dst, positionBytes);
        if (n > 0) {
            positionBytes += n;
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
        }
        return total;
    }

    @Override
    public long size() {
        return disk.sizeBytes();
    }

    @Override
    public long position() {
        return positionBytes;
    }

    @Override
    public FileChannel position(long newPosition) {
        positionBytes = newPosition;
        return this;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) {
        // nothing written, nothing to force
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new IOException("a simulated disk cannot be mapped");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        throw new IOException("a simulated disk cannot be locked");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        throw new IOException("a simulated disk cannot be locked");
    }

    @Override
    protected void implCloseChannel() {
        // the disk belongs to the run
    }
}
