// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.ProtocolException;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.RecordReader;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;
import org.blkmig.simdisk.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {"Lists a stream one line per section and record, then the protocol checker's verdict.",
            "Reads QEMU-framed streams (real QEMU 7.2 ones too: RAM and device state are skipped) and bare record lists.",
            "Exit 0 when the stream is valid, 1 on a violation or a malformed stream."})
final class DecodeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The stream; - reads standard input.")
    String file;

    @Option(names = "--device", paramLabel = "NAME=SIZE", description = "Declare a device and its size, for the range rules (repeatable).")
    List<String> devices = new ArrayList<>();

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "1M",
            description = "Chunk size of the stream (default 1M).")
    long chunkSize;

    @Option(names = "--quiet", description = "Print only the verdict.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        int chunk = (int) Math.min(Integer.MAX_VALUE, chunkSize);
        Wire.checkChunkSize(chunk);
        Map<String, Long> sizes = null;
        if (!devices.isEmpty()) {
            sizes = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : Converters.pairs(devices, "--device").entrySet()) {
                sizes.put(e.getKey(), Sizes.parse(e.getValue()));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        StreamChecker checker = new StreamChecker(sizes, chunk, "byte");
        try (InputStream raw = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
            BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(4);
            byte[] magic = in.readNBytes(4);
            in.reset();
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                // a gzipped stream, as the test resources are stored
                in = new BufferedInputStream(new java.util.zip.GZIPInputStream(in, 1 << 16), 1 << 16);
                in.mark(4);
                magic = in.readNBytes(4);
                in.reset();
            }
            ByteInput bytes = ByteInput.of(in);
            List<StreamChecker.Violation> vs;
            try {
                if (QemuStreamReader.looksLikeQemuStream(magic)) {
                    vs = decodeQemu(bytes, chunk, checker, out);
                } else {
                    vs = decodeBare(bytes, chunk, checker, out);
                }
            } catch (ProtocolException e) {
                out.println("malformed stream " + e.getMessage());
                return Main.CHECK_FAILED;
            }
            if (sizes == null) {
                out.println("note: no --device given: device names and ranges were not checked");
            }
            if (vs.isEmpty()) {
                out.println("checker: OK");
                return Main.OK;
            }
            out.println("checker: " + checker.violationCount() + " violation(s)");
            vs.forEach(v -> out.println("  " + v));
            return Main.CHECK_FAILED;
        }
    }

    private List<StreamChecker.Violation> decodeQemu(ByteInput in, int chunk, StreamChecker checker, PrintWriter out)
            throws IOException {
        QemuStreamReader reader = new QemuStreamReader(in, chunk);
        QemuEvent e;
        while ((e = reader.next()) != null) {
            checker.accept(e);
            if (e instanceof QemuEvent.Configuration c) {
                print(out, "CONFIGURATION " + c.machineType() + (c.subsections().isEmpty() ? "" : " " + c.subsections()));
            } else if (e instanceof QemuEvent.SectionBegin b) {
                print(out, "SECTION " + b.type() + " " + b.idstr() + " id=" + b.sectionId()
                        + (b.type() == SectionType.START || b.type() == SectionType.FULL
                        ? " instance=" + b.instanceId() + " version=" + b.versionId() : "") + " @" + b.offsetBytes());
            } else if (e instanceof QemuEvent.BlockRecord r) {
                print(out, "  " + r.record().describe());
            } else if (e instanceof QemuEvent.SectionEnd s && !s.isBlock()) {
                print(out, "  (" + s.skippedBytes() + " bytes skipped)");
            } else if (e instanceof QemuEvent.Command c) {
                print(out, "COMMAND " + c.command() + " (" + c.lengthBytes() + " bytes)");
            } else if (e instanceof QemuEvent.EndOfSections x) {
                print(out, "EOF @" + x.offsetBytes());
            } else if (e instanceof QemuEvent.VmDescription d) {
                print(out, "VMDESCRIPTION (" + d.lengthBytes() + " bytes of JSON)");
            }
        }
        return checker.finish(in.offset());
    }

    /**
     * A bare record list, checked as it streams: payloads end at EOS; the first is the START, a
     * payload ending PROGRESS 100, EOS is the END, the others are PARTs. Memory stays bounded.
     */
    private List<StreamChecker.Violation> decodeBare(ByteInput in, int chunk, StreamChecker checker, PrintWriter out)
            throws IOException {
        RecordReader reader = new RecordReader(in, chunk);
        boolean open = false;
        boolean first = true;
        Record previous = null;
        while (!in.atEnd()) {
            Record r = reader.next();
            if (!open) {
                if (first) {
                    checker.beginPayload(SectionType.START, reader.recordOffset());
                } else {
                    checker.beginUntypedPayload(reader.recordOffset());
                }
                open = true;
            }
            checker.record(r, reader.recordOffset());
            print(out, r.describe());
            if (r instanceof Record.EndOfSection) {
                boolean end = previous instanceof Record.Progress p && p.percent() == 100;
                checker.endPayload(in.offset(), first ? SectionType.START : end ? SectionType.END : SectionType.PART);
                open = false;
                first = false;
                previous = null;
            } else {
                previous = r;
            }
        }
        return checker.finish(in.offset());
    }

    private void print(PrintWriter out, String line) {
        if (!quiet) {
            out.println(line);
        }
    }
}
