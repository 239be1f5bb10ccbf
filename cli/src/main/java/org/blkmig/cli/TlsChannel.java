// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A blocking TLS connection over a socket channel, through the JDK's SSLEngine. One thread may read
 * while another writes (the engine allows wrap and unwrap at once). {@link #close} only closes the
 * socket, so a watchdog can call it while a read or write is blocked.
 */
final class TlsChannel implements ByteChannel, GatheringWrites {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** Records gathered per socket write (and read): 16 of 16 KiB, so a 1 MiB chunk is 4 system calls, not 64. */
    private static final int RECORDS_PER_IO = 16;

    private final SocketChannel socket;
    private final SSLEngine engine;
    private final int packetBytes;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    private final ByteBuffer netIn; // ciphertext read, not yet unwrapped; kept flipped (ready to unwrap)
    private ByteBuffer appIn; // plaintext unwrapped, not yet returned; kept flipped
    private final ByteBuffer netOut; // ciphertext wrapped, not yet sent; kept in fill mode
    private boolean inboundDone;
    private volatile IOException peerFailure;
    private Thread alertReader;

    TlsChannel(SocketChannel socket, SSLEngine engine) {
        this.socket = socket;
        this.engine = engine;
        this.packetBytes = engine.getSession().getPacketBufferSize();
        // heap buffers: JDK 17's AES-GCM runs its intrinsics only on arrays (direct buffers: 30 MB/s, GHASH in Java)
        this.netIn = ByteBuffer.allocate(RECORDS_PER_IO * packetBytes).flip();
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()).flip();
        this.netOut = ByteBuffer.allocate(RECORDS_PER_IO * packetBytes);
    }

    SSLEngine engine() {
        return engine;
    }

    /** Runs the whole handshake; on failure the peer is sent the engine's alert where the socket still takes it. */
    void handshake() throws IOException {
        synchronized (readLock) {
            synchronized (writeLock) {
                try {
                    engine.beginHandshake();
                    HandshakeStatus hs = engine.getHandshakeStatus();
                    while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
                        switch (hs) {
                            case NEED_TASK -> hs = runTasks();
                            case NEED_WRAP -> {
                                SSLEngineResult r = engine.wrap(EMPTY, netOut);
                                flush();
                                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                                    throw new SSLException("the TLS session closed during the handshake");
                                }
                                hs = r.getHandshakeStatus();
                            }
                            default -> { // NEED_UNWRAP
                                SSLEngineResult r = unwrap();
                                if (r == null) {
                                    throw new EOFException();
                                }
                                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                                    throw new SSLException("the peer closed the TLS session during the handshake");
                                }
                                hs = r.getHandshakeStatus();
                            }
                        }
                    }
                } catch (SSLException e) {
                    sendAlert();
                    throw e;
                } catch (java.nio.channels.AsynchronousCloseException e) {
                    throw e; // a watchdog closed it: its owner says why
                } catch (IOException e) {
                    // a peer that leaves midway shows as end of input or, with our data unread, a reset or broken pipe
                    String how = e instanceof EOFException ? "" : " (" + e.getMessage() + ")";
                    throw new IOException("the connection was cut during the TLS handshake" + how);
                }
            }
        }
    }

    /**
     * The sender reads nothing from the receiver, so a refusal sent after the client's side of a TLS 1.3
     * handshake (a certificate the receiver rejects) would go unseen: a thread reads it, for
     * {@link #peerFailure} to name.
     */
    void watchForAlerts() {
        alertReader = new Thread(() -> {
            ByteBuffer sink = ByteBuffer.allocate(appIn.capacity());
            try {
                while (read(sink.clear()) >= 0) {
                    // the receiver sends no data: only session tickets, alerts and close_notify arrive
                }
            } catch (SSLException e) {
                peerFailure = e;
            } catch (IOException e) {
                // the connection ended; a write says how
            }
        }, "blkmig-tls-alerts");
        alertReader.setDaemon(true);
        alertReader.start();
    }

    /**
     * Waits until the peer closes the connection or sends an alert, for at most {@code waitMillis}, and
     * returns the alert, if any. After close_notify the receiver closes once it has the whole stream, so
     * this is how a sender learns of a refusal that came after all its data fitted in the socket buffers.
     */
    IOException peerFailure(long waitMillis) {
        if (alertReader != null) {
            try {
                alertReader.join(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return peerFailure;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (readLock) {
            while (!appIn.hasRemaining()) {
                if (inboundDone) {
                    return -1;
                }
                SSLEngineResult r = unwrap();
                // end of input without close_notify: the stream's own framing tells whether it was whole
                if (r == null || r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    inboundDone = true;
                } else {
                    afterHandshakeMessage(r.getHandshakeStatus());
                }
            }
            int n = Math.min(dst.remaining(), appIn.remaining());
            ByteBuffer part = appIn.slice(appIn.position(), n);
            dst.put(part);
            appIn.position(appIn.position() + n);
            return n;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        synchronized (writeLock) {
            long total = 0;
            while (hasRemaining(srcs, offset, length)) {
                SSLEngineResult r = engine.wrap(srcs, offset, length, netOut);
                switch (r.getStatus()) {
                    case OK -> total += r.bytesConsumed();
                    case BUFFER_OVERFLOW -> flush();
                    default -> throw new SSLException("the TLS session is closed");
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks();
                }
                if (netOut.remaining() < packetBytes) {
                    flush();
                }
            }
            flush();
            return total;
        }
    }

    /** Sends close_notify: the end of the session, as opposed to a cut connection. */
    void closeOutbound() throws IOException {
        synchronized (writeLock) {
            engine.closeOutbound();
            for (int i = 0; i < 4 && !engine.isOutboundDone(); i++) {
                engine.wrap(EMPTY, netOut);
                flush();
            }
        }
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    /** Closes the socket alone (no close_notify): safe from a watchdog while another thread is blocked. */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One unwrap into appIn, reading the socket as needed; null at the end of input. */
    private SSLEngineResult unwrap() throws IOException {
        while (true) {
            appIn.compact();
            SSLEngineResult r;
            try {
                r = engine.unwrap(netIn, appIn);
            } finally {
                appIn.flip();
            }
            switch (r.getStatus()) {
                case BUFFER_UNDERFLOW -> {
                    netIn.compact();
                    int n;
                    try {
                        n = socket.read(netIn);
                    } finally {
                        netIn.flip();
                    }
                    if (n < 0) {
                        return null;
                    }
                }
                case BUFFER_OVERFLOW -> {
                    // only with appIn empty (read drains it first): the session wants a larger buffer
                    appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + appIn.capacity()).flip();
                }
                default -> {
                    return r;
                }
            }
        }
    }

    /** A post-handshake message (a TLS 1.3 key update) may need an answer. */
    private void afterHandshakeMessage(HandshakeStatus hs) throws IOException {
        if (hs == HandshakeStatus.NEED_TASK) {
            hs = runTasks();
        }
        if (hs == HandshakeStatus.NEED_WRAP) {
            synchronized (writeLock) {
                engine.wrap(EMPTY, netOut);
                flush();
            }
        }
    }

    private void sendAlert() {
        try {
            for (int i = 0; i < 4 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                engine.wrap(EMPTY, netOut);
                flush();
            }
        } catch (IOException ignored) {
            // the peer is gone: the failure is reported as it is
        }
    }

    private HandshakeStatus runTasks() {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
        return engine.getHandshakeStatus();
    }

    /** Sends all of netOut (caller holds writeLock). */
    private void flush() throws IOException {
        netOut.flip();
        try {
            while (netOut.hasRemaining()) {
                socket.write(netOut);
            }
        } finally {
            netOut.compact();
        }
    }

    private static boolean hasRemaining(ByteBuffer[] srcs, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (srcs[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }
}
