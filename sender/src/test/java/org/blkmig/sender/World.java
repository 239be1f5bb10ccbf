// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.SimGuest;
import org.blkmig.simdisk.SimIoContext;
import org.blkmig.simdisk.SimScheduler;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.Workload;
import org.blkmig.simdisk.WriteContent;

/** A small simulated world for the sender's tests, and a sink that keeps the records. */
final class World {
    final SimScheduler scheduler;
    final History history = new History();
    final SimIoContext io;
    final List<BlockDevice> devices = new ArrayList<>();
    final Collecting sink = new Collecting();

    World(long seed, LatencyModel latency) {
        scheduler = new SimScheduler(seed);
        io = new SimIoContext(scheduler, latency, Faults.NONE, history);
    }

    World(long seed) {
        this(seed, new LatencyModel.Uniform(100_000, 2_000_000));
    }

    BlockDevice add(String name, long sizeBytes, boolean readOnly) throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk(name, sizeBytes, readOnly);
        if (!readOnly) {
            for (long s = 0; s < d.sizeSectors(); s += 1024) {
                long n = Math.min(512, d.sizeSectors() - s);
                d.write(s, WriteContent.make(0, s, n));
            }
        }
        BlockDevice b = new BlockDevice(d);
        devices.add(b);
        return b;
    }

    SimGuest guest(Workload w) {
        return new SimGuest(scheduler, io, devices, w, history);
    }

    /** Keeps every payload, copying block data (the reader's buffers are reused). */
    static final class Collecting implements PayloadSink {
        final List<StreamChecker.Payload> payloads = new ArrayList<>();
        private List<Record> current;
        private SectionType type;

        @Override
        public void beginPayload(SectionType t) {
            type = t;
            current = new ArrayList<>();
        }

        @Override
        public void write(Record r) {
            current.add(r instanceof Record.DeviceBlock b ? b.copy() : r);
        }

        @Override
        public void endPayload() {
            payloads.add(new StreamChecker.Payload(type, current));
        }

        List<Record.DeviceBlock> blocks() {
            List<Record.DeviceBlock> out = new ArrayList<>();
            payloads.forEach(p -> p.records().forEach(r -> {
                if (r instanceof Record.DeviceBlock b) {
                    out.add(b);
                }
            }));
            return out;
        }
    }

    /**
     * A tiny applier, written apart from the receiver: each block overwrites the in-bounds part
     * of its chunk in a byte array per device.
     */
    static Map<String, byte[]> apply(List<StreamChecker.Payload> payloads, Map<String, Long> sizes, int chunkBytes) {
        Map<String, byte[]> images = new HashMap<>();
        sizes.forEach((n, s) -> images.put(n, new byte[(int) (long) s]));
        for (StreamChecker.Payload p : payloads) {
            for (Record r : p.records()) {
                if (r instanceof Record.DeviceBlock b) {
                    byte[] img = images.get(b.device());
                    int at = (int) (b.sector() * 512);
                    b.data().duplicate().get(img, at, Math.min(chunkBytes, img.length - at));
                } else if (r instanceof Record.ZeroBlock z) {
                    byte[] img = images.get(z.device());
                    int at = (int) (z.sector() * 512);
                    java.util.Arrays.fill(img, at, Math.min(img.length, at + chunkBytes), (byte) 0);
                }
            }
        }
        return images;
    }

    static byte[] contents(BlockDevice d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) d.sizeBytes());
        d.disk().read(0, b);
        return b.array();
    }

    static long sectors(Disk d) {
        return d.sizeSectors();
    }
}
