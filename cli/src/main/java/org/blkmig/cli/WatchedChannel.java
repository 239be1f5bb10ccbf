// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A socket channel whose writes must make progress: a watchdog thread closes it when one write
 * has been stuck longer than the idle timeout (a stalled or dead peer), so the write fails
 * instead of hanging for ever. Over TLS the writes go through a {@link TlsChannel}, the TLS
 * handshake is watched the same way, and file data is copied through the TLS layer (no sendfile).
 */
final class WatchedChannel implements GatheringWrites, org.blkmig.protocol.ZeroCopyTarget {
    /** How long a failed write waits for the receiver's alert that explains it (the connection is already failing). */
    private static final long ALERT_WAIT_MILLIS = 2_000;

    private final SocketChannel channel;
    private final TlsChannel tls; // null: plain TCP
    private final AtomicLong writeStartedNanos = new AtomicLong(-1); // -1: no write in progress
    private final Watchdog watchdog;
    private final long idleTimeoutNanos;

    WatchedChannel(SocketChannel channel, long idleTimeoutNanos) {
        this(channel, null, idleTimeoutNanos);
    }

    WatchedChannel(SocketChannel channel, TlsChannel tls, long idleTimeoutNanos) {
        this.channel = channel;
        this.tls = tls;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.watchdog = new Watchdog("blkmig-send-watchdog", channel, idleTimeoutNanos, writeStartedNanos::get, () -> {
            try {
                channel.shutdownOutput(); // wakes a sendfile blocked in transferTo, which close alone does not
            } catch (IOException ignored) {
                // the close that follows is all that is left
            }
        });
    }

    /** One blocking step on the connection, failed by the watchdog when it takes longer than the idle timeout. */
    <T> T watched(IoStep<T> step) throws IOException {
        writeStartedNanos.set(System.nanoTime());
        try {
            return step.run();
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw new IOException("the receiver stopped reading (no progress within the idle timeout)");
            }
            IOException alert = tls == null ? null : tls.peerFailure(ALERT_WAIT_MILLIS);
            throw alert == null ? e : new Refused(alert);
        } finally {
            writeStartedNanos.set(-1);
        }
    }

    /**
     * Over TLS: close_notify, then the receiver's verdict (an alert, or its close once it has read
     * everything, within the idle timeout); the alert, or null. Plain TCP: null at once.
     */
    IOException finish() {
        if (tls == null) {
            return null;
        }
        try {
            watched(() -> {
                tls.closeOutbound();
                return null;
            });
        } catch (IOException e) {
            return tls.peerFailure(0);
        }
        return tls.peerFailure(idleTimeoutNanos / 1_000_000);
    }

    /** True once the watchdog has closed the connection. */
    boolean timedOut() {
        return watchdog.fired();
    }

    /** The receiver's TLS layer refused this sender (an alert): said in one line, exit 1. */
    static final class Refused extends IOException {
        Refused(IOException alert) {
            super("the receiver refused the TLS session: " + alert.getMessage());
        }
    }

    interface IoStep<T> {
        T run() throws IOException;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return watched(() -> tls != null ? tls.write(srcs, offset, length) : channel.write(srcs, offset, length));
    }

    /** File data straight into the socket (sendfile), watched like a write; over TLS, copied through it. */
    @Override
    public long transferFrom(java.nio.channels.FileChannel file, long position, long count) throws IOException {
        return watched(() -> file.transferTo(position, count, tls != null ? tls : channel));
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            if (tls != null && channel.isOpen() && !watchdog.fired()) {
                watched(() -> {
                    tls.closeOutbound();
                    return null;
                });
            }
        } catch (IOException ignored) {
            // the stream is over; a receiver that left first misses only the close_notify
        } finally {
            channel.close();
            watchdog.stop();
        }
    }
}
