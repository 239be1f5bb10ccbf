// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A raw image file through positional {@link FileChannel} I/O, which is safe for concurrent use.
 * It knows its holes ({@link #allocation}: {@code SEEK_DATA}/{@code SEEK_HOLE}), and zero writes
 * leave holes: skipped where a file this object created was never written, punched elsewhere
 * ({@code fallocate PUNCH_HOLE}, as QEMU's {@code write_zeroes} with {@code MAY_UNMAP}). Where the
 * system cannot do either ({@link SparseFiles}), every range is DATA and zeros are written where
 * the range does not read as zero already.
 */
public final class FileDisk extends BaseDisk {
    private static final int ZERO_PROBE_BYTES = 64 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final boolean writable;
    // for a file this object created: the 64 KiB regions written since, so zeros over the rest
    // need no probe (they are holes); null for an opened file. Guarded by itself.
    private final java.util.BitSet touched;
    private final ThreadLocal<ByteBuffer> probe = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(ZERO_PROBE_BYTES));
    // a second descriptor of the file for lseek and fallocate (Java's is out of reach); -1: none
    private final int holesFd;
    // cleared at the first failure: the file system cannot tell holes, or cannot punch them
    private volatile boolean knowsHoles;
    private volatile boolean punches;

    private FileDisk(String name, Path path, FileChannel channel, long sizeBytes, boolean writable, boolean created) {
        super(name, sizeBytes, false); // a raw image is never a read-only drive; writable is how it is opened
        this.path = path;
        this.channel = channel;
        this.writable = writable;
        this.touched = created ? new java.util.BitSet() : null;
        this.holesFd = SparseFiles.openDescriptor(path, writable);
        this.knowsHoles = holesFd >= 0;
        this.punches = holesFd >= 0 && writable;
    }

    /**
     * Opens an existing image; its size must be whole sectors. {@code writable} is how the file
     * is opened: a migration source nobody writes to is opened for reading only.
     */
    public static FileDisk open(String name, Path path, boolean writable) throws IOException {
        Set<StandardOpenOption> opts = writable ? EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE)
                : EnumSet.of(StandardOpenOption.READ);
        FileChannel ch = FileChannel.open(path, opts);
        long size = ch.size();
        if (size % SECTOR_SIZE_BYTES != 0) {
            ch.close();
            throw new IOException(path + ": size " + size + " is not a multiple of 512 bytes");
        }
        return new FileDisk(name, path, ch, size, writable, false);
    }

    /** Creates (or truncates) a sparse image of the given size. */
    public static FileDisk create(String name, Path path, long sizeBytes) throws IOException {
        if (sizeBytes < 0 || sizeBytes % SECTOR_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("disk size must be whole sectors: " + sizeBytes);
        }
        RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
        try {
            file.setLength(0);
            file.setLength(sizeBytes); // ftruncate: the size, with no block allocated
        } catch (IOException e) {
            file.close();
            throw e;
        }
        FileChannel ch = file.getChannel(); // closing it closes the file
        return new FileDisk(name, path, ch, sizeBytes, true, true);
    }

    /**
     * Binds the native calls now (JNA loads its library: tens of milliseconds), so a command can do
     * it on a thread of its own while it parses its command line. Whether they are there.
     */
    public static boolean prepareSparseCalls() {
        return SparseFiles.AVAILABLE;
    }

    /** From now on, as on a system without {@code SEEK_DATA} and hole punching: all data, zeros written. For tests. */
    void withoutSparseCalls() {
        knowsHoles = false;
        punches = false;
    }

    public Path path() {
        return path;
    }

    public boolean writable() {
        return writable;
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        Disk.checkRange(this, sector, dst.remaining());
        long pos = sector * SECTOR_SIZE_BYTES;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new IOException(path + ": unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        if (!writable) {
            throw new IOException(path + " is opened read-only");
        }
        Disk.checkRange(this, sector, src.remaining());
        long pos = sector * SECTOR_SIZE_BYTES;
        markTouched(pos, src.remaining());
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public void writeZeros(long sector, long sectorCount) throws IOException {
        if (!writable) {
            throw new IOException(path + " is opened read-only");
        }
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        long pos = sector * SECTOR_SIZE_BYTES;
        long end = pos + sectorCount * SECTOR_SIZE_BYTES;
        long runStart = -1; // the regions to zero, gathered so that one call punches them all
        while (pos < end) {
            int n = (int) Math.min(ZERO_PROBE_BYTES - pos % ZERO_PROBE_BYTES, end - pos);
            boolean hole = neverTouched(pos); // a hole since this file was created
            if (!hole && runStart < 0) {
                runStart = pos;
            } else if (hole && runStart >= 0) {
                zero(runStart, pos);
                runStart = -1;
            }
            pos += n;
        }
        if (runStart >= 0) {
            zero(runStart, end);
        }
    }

    /** Makes bytes [from, to) read as zeros: a punched hole, or zeros written where they do not read as zero. */
    private void zero(long from, long to) throws IOException {
        if (punches) {
            if (SparseFiles.punchHole(holesFd, from, to - from)) {
                return;
            }
            punches = false; // not on this file system: write zeros from now on
        }
        ByteBuffer b = probe.get();
        long pos = from;
        while (pos < to) {
            int n = (int) Math.min(ZERO_PROBE_BYTES - pos % ZERO_PROBE_BYTES, to - pos);
            b.clear().limit(n);
            while (b.hasRemaining()) {
                if (channel.read(b, pos + b.position()) < 0) {
                    break;
                }
            }
            b.flip();
            if (b.remaining() < n || !Zeros.isZero(b)) {
                markTouched(pos, n);
                ByteBuffer zeros = Zeros.buffer(n);
                long at = pos;
                while (zeros.hasRemaining()) {
                    at += channel.write(zeros, at);
                }
            }
            pos += n;
        }
    }

    /**
     * DATA or ZERO (a hole: reads as zeros) at {@code sector}, and for how many sectors, as the
     * file system tells at this instant; all DATA where it cannot tell. A hole's sectors are
     * whole: a sector that holds any data is DATA.
     */
    @Override
    public Allocation allocation(long sector, long maxSectors) {
        long count = Math.min(maxSectors, sizeSectors() - sector);
        if (!knowsHoles || count <= 0) {
            return super.allocation(sector, maxSectors);
        }
        long pos = sector * SECTOR_SIZE_BYTES;
        long end = pos + count * SECTOR_SIZE_BYTES;
        try {
            long data = SparseFiles.nextData(holesFd, pos);
            if (data < 0 || data >= end) {
                return new Allocation(State.ZERO, count);
            }
            long zeroSectors = (data - pos) / SECTOR_SIZE_BYTES;
            if (zeroSectors > 0) {
                return new Allocation(State.ZERO, zeroSectors);
            }
            long hole = SparseFiles.nextHole(holesFd, pos);
            long dataEnd = hole < 0 ? end : Math.min(end, hole);
            return new Allocation(State.DATA, Math.max(1, (dataEnd - pos + SECTOR_SIZE_BYTES - 1) / SECTOR_SIZE_BYTES));
        } catch (IOException e) {
            knowsHoles = false; // the file system cannot tell: everything is data, read as before
            return super.allocation(sector, maxSectors);
        }
    }

    private void markTouched(long pos, long bytes) {
        if (touched != null && bytes > 0) {
            synchronized (touched) {
                touched.set((int) (pos / ZERO_PROBE_BYTES), (int) ((pos + bytes - 1) / ZERO_PROBE_BYTES) + 1);
            }
        }
    }

    private boolean neverTouched(long pos) {
        if (touched == null) {
            return false;
        }
        synchronized (touched) {
            return !touched.get((int) (pos / ZERO_PROBE_BYTES));
        }
    }

    @Override
    public FileChannel zeroCopySource(long sector, long sectorCount) {
        Disk.checkRange(this, sector, sectorCount * SECTOR_SIZE_BYTES);
        return channel;
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        knowsHoles = false;
        punches = false;
        SparseFiles.closeDescriptor(holesFd);
        channel.close();
    }

    @Override
    public String toString() {
        return "FileDisk[" + name() + ", " + path + "]";
    }
}
