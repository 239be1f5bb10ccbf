// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.SimScheduler;
import org.junit.jupiter.api.Test;

/** The simulated link on its own: timing, short transfers, its faults, the receiver's coroutine. */
class SimLinkTest {
    /** A receiver that keeps every byte it reads and ends on the end of input or an error. */
    static final class Collector {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final java.util.List<Long> readAtNanos = new java.util.ArrayList<>();
        int reads;

        ReceiveResult read(ReadableByteChannel in, SimScheduler scheduler) {
            ByteBuffer b = ByteBuffer.allocate(100_000);
            try {
                int n;
                while ((n = in.read(b.clear())) >= 0) {
                    reads++;
                    bytes.write(b.array(), 0, n);
                    readAtNanos.add(scheduler.nowNanos());
                }
                return new ReceiveResult(true, "end of input", bytes.size(), 0, 0, -1, bytes.size());
            } catch (IOException e) {
                return new ReceiveResult(false, e.getMessage(), bytes.size(), 0, 0, -1, bytes.size());
            }
        }
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private static void drain(SimScheduler s, SimLink link) {
        while (!link.receiverDone() && s.runNext(Long.MAX_VALUE)) {
            // arrivals
        }
    }

    @Test
    void shortWritesAndReadsOverBandwidthAndJitterDeliverEveryByteInOrderAndLate() throws IOException {
        SimScheduler s = new SimScheduler(5);
        StreamBuffer stream = new StreamBuffer(1 << 24);
        LinkModel model = new LinkModel(1 << 20, Durations.MILLI, 500 * Durations.MICRO, 700, 300, 0, LinkModel.Fault.NONE,
                -1, 0);
        SimLink link = new SimLink(s, model, stream, new History());
        Collector c = new Collector();
        link.startReceiver(in -> c.read(in, s));
        byte[] data = pattern(200_000);
        ByteBuffer src = ByteBuffer.wrap(data);
        int writes = 0;
        while (src.hasRemaining()) {
            assertTrue(link.senderChannel().write(src) <= 700, "a write takes at most the link's largest");
            writes++;
        }
        link.closeSender();
        drain(s, link);
        ReceiveResult r = link.result();
        assertTrue(r.complete(), r.reason());
        assertArrayEquals(data, c.bytes.toByteArray());
        assertTrue(writes >= 200_000 / 700, "short writes");
        assertTrue(link.shortWrites() > 0 && link.shortReads() > 0);
        assertTrue(c.reads >= 200_000 / 300, "short reads: " + c.reads);
        // 200 kB at 1 MiB/s take about 190 ms on the wire before the last byte arrives
        assertTrue(c.readAtNanos.get(c.readAtNanos.size() - 1) >= 190 * Durations.MILLI, "bandwidth in virtual time");
        while (s.runNext(Long.MAX_VALUE)) {
            // a receiver's wake-up may outlive it
        }
        assertEquals(0, link.arrivalsPending());
        link.abortReceiver();
        assertFalse(link.receiverThreadAlive());
    }

    @Test
    void aCutTakesTheBytesBeforeItThenFailsBothEnds() throws IOException {
        SimScheduler s = new SimScheduler(1);
        StreamBuffer stream = new StreamBuffer(1 << 20);
        History h = new History();
        SimLink link = new SimLink(s, new LinkModel(0, 0, 0, 0, 0, 0, LinkModel.Fault.CUT, 40, 0), stream, h);
        Collector c = new Collector();
        link.startReceiver(in -> c.read(in, s));
        ByteBuffer src = ByteBuffer.wrap(pattern(100));
        assertEquals(40, link.senderChannel().write(src), "the write that reaches the cut is short");
        IOException e = assertThrows(IOException.class, () -> link.senderChannel().write(src));
        assertTrue(e.getMessage().contains("dropped at byte 40"), e.getMessage());
        link.closeSender();
        drain(s, link);
        ReceiveResult r = link.result();
        assertFalse(r.complete());
        assertEquals("connection reset by peer", r.reason());
        assertEquals(40, c.bytes.size());
        assertEquals(40, stream.length(), "the stream kept holds what the link took");
        assertTrue(h.entries().stream().anyMatch(x -> x instanceof History.Marker m && m.linkFault()));
        link.abortReceiver();
    }

    @Test
    void aReceiverThatStopsReadingEndsTheSendersWriteAfterTheIdleTimeout() throws IOException {
        SimScheduler s = new SimScheduler(2);
        StreamBuffer stream = new StreamBuffer(1 << 24);
        SimLink link = new SimLink(s, new LinkModel(0, 0, 0, 0, 0, 4096, LinkModel.Fault.DEAF, 1000, 0), stream,
                new History());
        Collector c = new Collector();
        link.startReceiver(in -> c.read(in, s));
        ByteBuffer src = ByteBuffer.wrap(pattern(10_000));
        IOException e = assertThrows(IOException.class, () -> {
            while (src.hasRemaining()) {
                link.senderChannel().write(src);
                s.runUntil(s.nowNanos() + Durations.MILLI); // arrivals, and the receiver reading them
            }
        });
        assertTrue(e.getMessage().contains("stopped reading"), e.getMessage());
        assertTrue(s.nowNanos() >= SimLink.IDLE_TIMEOUT_NANOS, "the sender waited its idle timeout in virtual time");
        assertEquals(1000 + 4096, stream.length(), "the window filled behind the deaf receiver");
        link.closeSender();
        drain(s, link);
        // once the close reaches it, the receiver reads the rest and the end
        assertTrue(link.result().complete());
        assertEquals(5096, c.bytes.size());
        link.abortReceiver();
        assertFalse(link.receiverThreadAlive());
    }

    /**
     * The held-out campaign of seed 424242: a 1 MiB block written at once on a 379 KiB/s link with a
     * 1 MiB window. Arriving whole after 2.7 s, it held the window past the sender's 2 s idle timeout
     * and the sender gave up on a receiver that was reading all along.
     */
    @Test
    void aLongWriteTricklesInSoTheWindowFreesWhileItIsOnTheWire() throws IOException {
        SimScheduler s = new SimScheduler(3);
        StreamBuffer stream = new StreamBuffer(1 << 24);
        long bytesPerSecond = 379 * 1024;
        SimLink link = new SimLink(s, new LinkModel(bytesPerSecond, 0, 0, 0, 0, 1 << 20, LinkModel.Fault.NONE, -1, 0),
                stream, new History());
        Collector c = new Collector();
        link.startReceiver(in -> c.read(in, s));
        byte[] data = pattern((1 << 20) + 2 * 86);
        ByteBuffer src = ByteBuffer.wrap(data);
        while (src.hasRemaining()) {
            link.senderChannel().write(src); // blocks (running the scheduler) while the window is full
        }
        long wroteAllNanos = s.nowNanos();
        link.closeSender();
        drain(s, link);
        assertTrue(link.result().complete(), link.result().reason());
        assertArrayEquals(data, c.bytes.toByteArray());
        long wireNanos = (long) (data.length * 1e9 / bytesPerSecond);
        assertTrue(wroteAllNanos < wireNanos / 10, "the last bytes found room at " + wroteAllNanos + " ns");
        // the receiver read a segment at a time, each as its turn on the wire ended
        long firstSegmentNanos = (long) (SimLink.ARRIVAL_SEGMENT_BYTES * 1e9 / bytesPerSecond);
        assertEquals(firstSegmentNanos + SimLink.RECEIVER_WAKE_NANOS, c.readAtNanos.get(0), 1000);
        assertTrue(c.reads >= (1 << 20) / SimLink.ARRIVAL_SEGMENT_BYTES, c.reads + " reads");
        long lastReadNanos = c.readAtNanos.get(c.readAtNanos.size() - 1);
        assertTrue(lastReadNanos >= wireNanos - 1000 && lastReadNanos <= wireNanos + SimLink.RECEIVER_WAKE_NANOS + 1000,
                "the last bytes read at " + lastReadNanos + " ns, off the wire at " + wireNanos);
    }

    @Test
    void aReceiverStillWaitingIsEndedByAbort() {
        SimScheduler s = new SimScheduler(3);
        SimLink link = new SimLink(s, LinkModel.IDEAL, new StreamBuffer(1 << 20), new History());
        Collector c = new Collector();
        link.startReceiver(in -> c.read(in, s));
        assertFalse(link.receiverDone());
        assertTrue(link.abortReceiver(), "it had to be ended");
        assertFalse(link.result().complete());
        assertEquals("the simulation ended", link.result().reason());
        assertFalse(link.receiverThreadAlive());
    }

    @Test
    void aLinkPrintsAndParsesBack() {
        assertEquals(LinkModel.IDEAL, LinkModel.parse(LinkModel.IDEAL.spec()));
        assertEquals("ideal", LinkModel.IDEAL.spec());
        for (LinkModel m : new LinkModel[] {
            new LinkModel(3 << 20, Durations.MILLI, 50 * Durations.MICRO, 4096, 512, 1 << 20, LinkModel.Fault.NONE, -1, 0),
            new LinkModel(0, 0, 0, 0, 0, 0, LinkModel.Fault.CUT, 12345, 0),
            new LinkModel(1 << 20, 0, 0, 0, 0, 262144, LinkModel.Fault.STALL, 77, 3 * Durations.SECOND),
            new LinkModel(0, 0, 0, 65536, 0, 0, LinkModel.Fault.DEAF, 0, 0)}) {
            assertEquals(m, LinkModel.parse(m.spec()), m.spec());
        }
        for (String bad : new String[] {"fast", "1M/s:0~0:w0:r0", "1M/s:0~0:w0:r0:win0:boom@3", "1M/s:0~0:w0:r0:win0:stall@3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinkModel.parse(bad));
            assertTrue(e.getMessage().startsWith("link '"), e.getMessage());
        }
    }
}
