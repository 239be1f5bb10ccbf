// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A socket channel whose writes must make progress: a watchdog thread closes it when one write
 * has been stuck longer than the idle timeout (a stalled or dead peer), so the write fails
 * instead of hanging for ever.
 */
final class WatchedChannel implements GatheringByteChannel, org.blkmig.protocol.ZeroCopyTarget {
    private final SocketChannel channel;
    private final AtomicLong writeStartedNanos = new AtomicLong(-1); // -1: no write in progress
    private final Watchdog watchdog;

    WatchedChannel(SocketChannel channel, long idleTimeoutNanos) {
        this.channel = channel;
        this.watchdog = new Watchdog("blkmig-send-watchdog", channel, idleTimeoutNanos, writeStartedNanos::get, () -> {
            try {
                channel.shutdownOutput(); // wakes a sendfile blocked in transferTo, which close alone does not
            } catch (IOException ignored) {
                // the close that follows is all that is left
            }
        });
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        writeStartedNanos.set(System.nanoTime());
        try {
            return channel.write(srcs, offset, length);
        } catch (IOException e) {
            throw watchdog.fired() ? new IOException("the receiver stopped reading (no progress within the idle timeout)") : e;
        } finally {
            writeStartedNanos.set(-1);
        }
    }

    /** File data straight into the socket (sendfile), watched like a write. */
    @Override
    public long transferFrom(java.nio.channels.FileChannel file, long position, long count) throws IOException {
        writeStartedNanos.set(System.nanoTime());
        try {
            return file.transferTo(position, count, channel);
        } catch (IOException e) {
            throw watchdog.fired() ? new IOException("the receiver stopped reading (no progress within the idle timeout)") : e;
        } finally {
            writeStartedNanos.set(-1);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        channel.close();
        watchdog.stop();
    }
}
