// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a file's data lies and how to give blocks back, which Java 17 cannot ask: Linux's
 * {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE} and {@code fallocate} with
 * {@code PUNCH_HOLE | KEEP_SIZE}, through JNA's direct mapping. Elsewhere (or if libc cannot be
 * bound) {@link #AVAILABLE} is false and callers read and write zeros as before.
 */
final class SparseFiles {
    private SparseFiles() {}

    // Linux x86-64 and aarch64 values (asm-generic and the x86 headers agree on these)
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    static final int ENXIO = 6;
    private static final int EINTR = 4;

    /** Whether libc is bound: 64-bit Linux only (off_t is then a Java long). */
    static final boolean AVAILABLE = bind();

    private static boolean bind() {
        if (!Platform.isLinux() || !Platform.is64Bit() || Boolean.getBoolean("blkmig.noSparseFiles")) {
            return false;
        }
        try {
            Native.register(SparseFiles.class, Platform.C_LIBRARY_NAME);
            return true;
        } catch (LinkageError | RuntimeException e) {
            return false; // no native support here: plain reads and zero writes still work
        }
    }

    private static native int open(String path, int flags);

    private static native long lseek(int fd, long offset, int whence);

    private static native int fallocate(int fd, int mode, long offset, long length);

    private static native int close(int fd);

    /** A descriptor of the file for lookups (and punching, if writable); -1 when not available. */
    static int openDescriptor(Path path, boolean writable) {
        if (!AVAILABLE) {
            return -1;
        }
        int fd = open(path.toString(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        return fd < 0 ? -1 : fd;
    }

    static void closeDescriptor(int fd) {
        if (fd >= 0) {
            close(fd);
        }
    }

    /**
     * The first offset at or after {@code offset} that holds data, or -1 if none does before the
     * end; throws if the file system cannot tell.
     */
    static long nextData(int fd, long offset) throws IOException {
        return seek(fd, offset, SEEK_DATA);
    }

    /** The first offset at or after {@code offset} in a hole (the file's end counts as one). */
    static long nextHole(int fd, long offset) throws IOException {
        return seek(fd, offset, SEEK_HOLE);
    }

    private static long seek(int fd, long offset, int whence) throws IOException {
        long r = lseek(fd, offset, whence);
        if (r >= 0) {
            return r;
        }
        int errno = Native.getLastError();
        if (errno == ENXIO) {
            return -1; // no data (or hole) past offset
        }
        throw new IOException("lseek " + (whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE") + " failed: errno " + errno);
    }

    /**
     * Deallocates {@code length} bytes at {@code offset}, leaving the size: they read as zeros.
     * False if the file system cannot punch holes (the caller writes zeros instead).
     */
    static boolean punchHole(int fd, long offset, long length) {
        while (true) {
            if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
                return true;
            }
            if (Native.getLastError() != EINTR) {
                return false;
            }
        }
    }
}
