// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.blkmig.controlled.Schedules;
import org.junit.jupiter.api.Test;

/**
 * The receive side's watchdog ({@link IdleReadChannel} over {@link Watchdog}) on real threads under
 * Fray's scheduler and clock: a peer thread that sends and then stalls, against the receiver's
 * reads blocked on the connection. Whatever the schedule, a stalled peer ends the receive with the
 * watchdog's one line after every byte it did send, and a live peer is never cut.
 */
class WatchdogScheduleTest {
    static final int SCHEDULES = 200;
    static final int PIECES = 3;
    static final int PIECE_BYTES = 5;

    /**
     * One end of an in-memory connection: reads block on a monitor (which Fray schedules, where a
     * socket's native read it does not) until bytes come, the peer ends the stream, or the channel
     * is closed under them, which fails them as a socket's close does.
     */
    static final class PeerConnection implements ReadableByteChannel {
        private final Object lock = new Object();
        private final ArrayDeque<byte[]> arrived = new ArrayDeque<>();
        private boolean ended; // the peer closed its side: reads see the end of the stream
        private boolean open = true;

        void send(byte[] piece) {
            synchronized (lock) {
                arrived.add(piece);
                lock.notifyAll();
            }
        }

        void end() {
            synchronized (lock) {
                ended = true;
                lock.notifyAll();
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            synchronized (lock) {
                while (open && arrived.isEmpty() && !ended) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                }
                if (!open) {
                    throw new AsynchronousCloseException();
                }
                if (arrived.isEmpty()) {
                    return -1;
                }
                byte[] piece = arrived.poll();
                dst.put(piece);
                return piece.length;
            }
        }

        @Override
        public boolean isOpen() {
            synchronized (lock) {
                return open;
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                open = false;
                lock.notifyAll();
            }
        }
    }

    static byte[] piece(int i) {
        byte[] b = new byte[PIECE_BYTES];
        java.util.Arrays.fill(b, (byte) (i + 1));
        return b;
    }

    static byte[] expected() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < PIECES; i++) {
            all.writeBytes(piece(i));
        }
        return all.toByteArray();
    }

    /** The peer sends its pieces from a thread of its own, then stalls ({@code end} false) or ends the stream. */
    static Runnable receiveFrom(boolean end, long idleTimeoutNanos) {
        return () -> {
            PeerConnection connection = new PeerConnection();
            Thread peer = new Thread(() -> {
                for (int i = 0; i < PIECES; i++) {
                    connection.send(piece(i));
                }
                if (end) {
                    connection.end();
                }
            }, "peer");
            peer.start();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            IOException failure = null;
            IdleReadChannel in = new IdleReadChannel(connection, idleTimeoutNanos);
            try {
                ByteBuffer b = ByteBuffer.allocate(64);
                while (true) {
                    b.clear();
                    int n = in.read(b);
                    if (n < 0) {
                        break;
                    }
                    got.write(b.array(), 0, n);
                }
            } catch (IOException e) {
                failure = e;
            } finally {
                try {
                    in.close();
                    peer.join();
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            if (end) {
                assertEquals(null, failure, "a live peer was cut");
                assertFalse(in.timedOut(), "the watchdog fired on a live peer");
            } else {
                assertNotNull(failure, "the receive of a stalled peer did not fail");
                assertEquals("no data within the idle timeout: the sender stopped", failure.getMessage());
                assertTrue(in.timedOut());
            }
            byte[] received = got.toByteArray();
            if (end) {
                assertArrayEquals(expected(), received, "every byte the live peer sent");
            } else {
                // a schedule may starve the reader for the whole timeout: a prefix of what was sent, in order
                assertArrayEquals(java.util.Arrays.copyOf(expected(), received.length), received, "the bytes before the watchdog fired");
            }
        };
    }

    @Test
    void aStalledPeerEndsTheReceiveWithTheWatchdogsLineUnderEverySchedule() {
        // 50 ms of Fray's clock: 500 reads of it
        Schedules.Result r = Schedules.explore("watchdog-stalled", SCHEDULES, Schedules.SEED, true,
                receiveFrom(false, TimeUnit.MILLISECONDS.toNanos(50)));
        assertFalse(r.found(), r::toString);
    }

    @Test
    void aLivePeerIsNeverCutUnderEverySchedule() {
        // 10 s of Fray's clock: the watchdog would need 100,000 turns while the peer gets none
        Schedules.Result r = Schedules.explore("watchdog-live", SCHEDULES, Schedules.SEED, true,
                receiveFrom(true, TimeUnit.SECONDS.toNanos(10)));
        assertFalse(r.found(), r::toString);
    }
}
