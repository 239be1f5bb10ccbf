// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel whose reads must make progress: a watchdog closes it when no byte has arrived for the
 * idle timeout (channel reads ignore SO_TIMEOUT), so a silent sender ends the receive. Over TLS it
 * wraps the {@link TlsChannel} before the handshake: the handshake and the first byte of the stream
 * must both come within one idle timeout.
 */
final class IdleReadChannel implements ReadableByteChannel {
    private final ReadableByteChannel channel;
    private final AtomicLong lastProgressNanos = new AtomicLong(System.nanoTime());
    private final Watchdog watchdog;

    IdleReadChannel(ReadableByteChannel channel, long idleTimeoutNanos) {
        this.channel = channel;
        this.watchdog = new Watchdog("blkmig-receive-watchdog", channel, idleTimeoutNanos, lastProgressNanos::get, () -> {});
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            int n = channel.read(dst);
            if (n > 0) {
                lastProgressNanos.set(System.nanoTime());
            }
            return n;
        } catch (IOException e) {
            throw watchdog.fired() ? new IOException("no data within the idle timeout: the sender stopped") : e;
        }
    }

    /** True once the watchdog has closed the channel. */
    boolean timedOut() {
        return watchdog.fired();
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
