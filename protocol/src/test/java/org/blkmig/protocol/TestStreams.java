// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.blkmig.protocol.check.StreamChecker.Payload;
import org.blkmig.protocol.qemu.QemuStreamWriter;

/** Helpers that build and load streams for tests. */
public final class TestStreams {
    private TestStreams() {}

    public static byte[] encode(List<Record> records, int chunkSizeBytes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RecordWriter w = new RecordWriter(bytes, chunkSizeBytes);
        try {
            for (Record r : records) {
                w.write(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static List<Record> decodeAll(byte[] bytes, int chunkSizeBytes) throws IOException {
        ByteInput in = ByteInput.of(bytes);
        RecordReader r = new RecordReader(in, chunkSizeBytes);
        List<Record> out = new ArrayList<>();
        while (!in.atEnd()) {
            Record rec = r.next();
            out.add(rec instanceof Record.DeviceBlock b ? b.copy() : rec);
        }
        return out;
    }

    /** A standalone QEMU-framed stream: header, configuration, the block payloads, EOF. */
    public static byte[] frame(List<Payload> payloads, int chunkSizeBytes, int sectionId) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        QemuStreamWriter w = new QemuStreamWriter(Channels.newChannel(bytes), chunkSizeBytes, sectionId);
        try {
            w.writeHeader("pc-i440fx-7.2");
            for (Payload p : payloads) {
                w.beginPayload(p.type());
                for (Record r : p.records()) {
                    w.write(r);
                }
                w.endPayload();
            }
            w.writeEof();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static Record.DeviceBlock block(long sector, String device, int chunkSizeBytes, int fill) {
        byte[] data = new byte[chunkSizeBytes];
        java.util.Arrays.fill(data, (byte) fill);
        return new Record.DeviceBlock(sector, device, ByteBuffer.wrap(data));
    }

    /** A gzipped test resource, unpacked. */
    public static byte[] resource(String name) {
        try (InputStream raw = TestStreams.class.getResourceAsStream("/qemu72/" + name)) {
            if (raw == null) {
                throw new IllegalArgumentException("no test resource " + name);
            }
            try (InputStream in = new GZIPInputStream(raw)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
