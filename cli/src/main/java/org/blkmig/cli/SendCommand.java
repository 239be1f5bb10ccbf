// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.Reports;
import org.blkmig.protocol.qemu.QemuFormat;
import org.blkmig.protocol.qemu.QemuSplicer;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.MigrationController;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.SenderOptions;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.Sizes;
import org.blkmig.simdisk.ThreadPoolIoContext;
import org.blkmig.simdisk.ThreadedGuest;
import org.blkmig.simdisk.Workload;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Migrates raw image files: bulk pass, dirty rounds, stop-and-copy, on real threads.",
            "With --workload, guest writer threads write into the sources during the migration;",
            "at the end the SHA-256 of each source as the guest left it is printed.",
            "Exit 0 when the migration completed."})
final class SendCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final class Output {
        @Option(names = "--output", paramLabel = "FILE", description = "Write the stream to a file; - is standard output.")
        Path file;

        @Option(names = "--connect", paramLabel = "HOST:PORT", description = "Send the stream over TCP.")
        String connect;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Output output;

    @Option(names = "--source", paramLabel = "NAME=PATH", required = true, description = "A source image (repeatable).")
    List<String> sources;

    @Option(names = "--bandwidth", paramLabel = "RATE", converter = Converters.Rate.class, defaultValue = "1G",
            description = "Bandwidth limit per second (default 1G).")
    long bandwidth;

    @Option(names = "--max-downtime", paramLabel = "MS", converter = Converters.Millis.class, defaultValue = "300",
            description = "Maximum downtime in milliseconds (default 300).")
    long maxDowntimeNanos;

    @Option(names = "--zero-blocks", description = "Send all-zero chunks as ZERO_BLOCK records.")
    boolean zeroBlocks;

    @Option(names = "--qemu-splice", paramLabel = "RAMONLY_STREAM",
            description = "Splice the block section into this RAM-only stream of a real QEMU (migrate without -b): the output loads in a QEMU 7.2 destination.")
    Path qemuSplice;

    @Option(names = "--workload", paramLabel = "KIND", defaultValue = "none", description = "Guest writes during the migration: none, uniform, hotspot, sequential, burst.")
    String workload;

    @Option(names = "--write-rate", paramLabel = "RATE", converter = Converters.Rate.class, defaultValue = "1M",
            description = "Guest write rate per second (default 1M).")
    long writeRate;

    @Mixin
    SharedOptions.Seed seed;

    @Mixin
    SharedOptions.Report report;

    @Option(names = "--sha256", description = "Print the SHA-256 of each source at the end (always so with a workload).")
    boolean sha256;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4", description = "Reader threads (default 4).")
    int threads;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "1M",
            description = "Chunk size (default 1M; QEMU speaks only 1M).")
    long chunkSize;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = Converters.Seconds.class, defaultValue = "10",
            description = "Give up connecting after this long (default 10 s).")
    long connectTimeoutNanos;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Converters.Seconds.class, defaultValue = "30",
            description = "Fail when the receiver takes no byte for this long (default 30 s).")
    long idleTimeoutNanos;

    @Option(names = "--tls-creds", paramLabel = "DIR",
            description = {"With --connect: TLS 1.3, with the client's credentials of QEMU's tls-creds-x509 layout in DIR"
                    + " (ca-cert.pem, client-cert.pem, client-key.pem); the receiver's certificate must be signed by"
                    + " ca-cert.pem and name the host of --connect. Data then goes through TLS, not sendfile."})
    Path tlsCreds;

    static final int CLI_READS_IN_FLIGHT = 4;
    static final int CLI_BUFFERED_CHUNKS = 8;

    @Override
    public Integer call() throws Exception {
        boolean toStdout = output.file != null && output.file.toString().equals("-");
        // with the stream on standard output, the report goes to standard error
        PrintWriter out = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
        Workload.Kind kind = SimulateCommand.parseKind(workload);
        if (kind == Workload.Kind.HAMMER) {
            throw new UserError("--workload hammer exists only in simulation (it needs to see reads in flight)");
        }
        if (tlsCreds != null && output.connect == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--tls-creds needs --connect");
        }
        TlsCredentials tls = tlsCreds == null ? null : TlsCredentials.client(tlsCreds);
        Workload w = kind == Workload.Kind.NONE ? Workload.NONE : Workload.of(kind, writeRate);
        int chunk = (int) Math.min(Integer.MAX_VALUE, chunkSize);
        SenderOptions so = senderOptions(chunk, zeroBlocks, tls != null);
        if (qemuSplice != null) {
            so.requireQemuCompatible();
        }
        if (threads < 1) {
            throw new UserError("--threads must be >= 1");
        }
        List<FileDisk> disks = new ArrayList<>();
        WritableByteChannel channel = null;
        try (ThreadPoolIoContext io = new ThreadPoolIoContext(threads)) {
            List<BlockDevice> devices = new ArrayList<>();
            for (Map.Entry<String, String> e : Converters.pairs(sources, "--source").entrySet()) {
                FileDisk d = FileDisk.open(e.getKey(), Path.of(e.getValue()), w.writes());
                disks.add(d);
                devices.add(new BlockDevice(d));
            }
            channel = openOutput(tls);
            ThreadedGuest guest = new ThreadedGuest(devices, w, seed.seed, 1);
            ControllerOptions co = ControllerOptions.defaults().withBandwidth(bandwidth).withMaxDowntime(maxDowntimeNanos);
            long t0 = System.nanoTime();
            MigrationResult m;
            IOException refused;
            try {
                m = stream(channel, devices, io, so, co, guest, chunk);
                refused = channel instanceof WatchedChannel wc ? wc.finish() : null;
            } catch (WatchedChannel.Refused e) {
                m = null;
                refused = e;
            }
            if (refused != null) {
                String why = refused instanceof WatchedChannel.Refused ? refused.getMessage()
                        : new WatchedChannel.Refused(refused).getMessage();
                spec.commandLine().getErr().println("blkmig: " + why);
                return Main.CHECK_FAILED;
            }
            if (channel instanceof FileChannel f && output.file != null && java.nio.file.Files.isRegularFile(output.file)) {
                f.force(false); // devices and pipes have nothing to force (fsync would fail)
            }
            report(out, m, (System.nanoTime() - t0) / 1e9, guest, disks, w);
            return m.completed() ? Main.OK : Main.CHECK_FAILED;
        } finally {
            if (channel != null) {
                channel.close();
            }
            for (FileDisk d : disks) {
                d.close();
            }
        }
    }

    /**
     * File sources go straight from the image to the output (zero copy) unless zero blocks must be seen
     * or TLS must encrypt them; then 8 chunk buffers (4 reads in flight) keep the socket busy from the
     * page cache, within the memory bound (32 buffers took the sender's peak RSS from 67 to 78 MiB on a
     * sparse 4 GiB run).
     */
    static SenderOptions senderOptions(int chunk, boolean zeroBlocks, boolean tls) {
        return SenderOptions.defaults().withChunkSize(chunk).withZeroBlocks(zeroBlocks).withZeroCopy(!tls)
                .withBuffers(CLI_READS_IN_FLIGHT, CLI_BUFFERED_CHUNKS);
    }

    /** The migration into the output: QEMU's framing around the block section, or spliced into a RAM-only stream. */
    private MigrationResult stream(WritableByteChannel channel, List<BlockDevice> devices, ThreadPoolIoContext io,
            SenderOptions so, ControllerOptions co, ThreadedGuest guest, int chunk) throws IOException {
        if (qemuSplice != null) {
            MigrationResult[] result = new MigrationResult[1];
            QemuSplicer.splice(qemuSplice, channel, writer -> {
                result[0] = migrate(devices, io, writer, so, co, guest);
                if (!result[0].completed()) {
                    throw new IOException(result[0].reason());
                }
            });
            return result[0];
        }
        QemuStreamWriter writer = new QemuStreamWriter(channel, chunk, 0);
        writer.writeHeader(QemuFormat.DEFAULT_MACHINE_TYPE);
        MigrationResult m = migrate(devices, io, writer, so, co, guest);
        if (m.completed()) {
            writer.writeEof();
        }
        return m;
    }

    /** What the migration did, each source's SHA-256 as the guest left it, and the report if asked for. */
    private void report(PrintWriter out, MigrationResult m, double seconds, ThreadedGuest guest, List<FileDisk> disks,
            Workload w) throws IOException {
        out.printf("send: %s: %s sent in %.2f s (%.1f MB/s), %d slices, downtime %.1f ms, %d guest writes%n",
                m.outcome(), Sizes.format(m.bytesSent()), seconds, m.bytesSent() / 1e6 / seconds, m.slices().size(),
                m.downtimeNanos() / 1e6, guest.writesDone());
        if (!m.completed()) {
            out.println("send: " + m.reason());
        }
        if (guest.failure() != null) {
            out.println("send: a guest write failed: " + UserError.describe(guest.failure()));
        }
        Map<String, String> hashes = new java.util.LinkedHashMap<>();
        if (sha256 || w.writes()) {
            for (FileDisk d : disks) {
                hashes.put(d.name(), sha256(d));
                out.println("sha256 " + d.name() + " " + hashes.get(d.name()) + " " + d.path());
            }
        }
        if (report.dir != null) {
            Map<String, String> paths = new java.util.LinkedHashMap<>();
            disks.forEach(d -> paths.put(d.name(), d.path().toString()));
            Reports.writeSend(report.dir, m, guest.writesDone(), paths, hashes);
            out.println("report: " + report.dir.resolve("report.html"));
        }
    }

    private MigrationResult migrate(List<BlockDevice> devices, ThreadPoolIoContext io, QemuStreamWriter writer,
            SenderOptions so, ControllerOptions co, ThreadedGuest guest) {
        BlockMigrationSender sender = new BlockMigrationSender(devices, io, writer, so);
        guest.start();
        try {
            return new MigrationController(co, io).run(sender, guest::stop);
        } finally {
            guest.stop(); // did not converge or failed: the guest would run on; this command ends it
        }
    }

    private WritableByteChannel openOutput(TlsCredentials tls) throws IOException {
        if (output.file != null && output.file.toString().equals("-")) {
            return java.nio.channels.Channels.newChannel(new java.io.FileOutputStream(java.io.FileDescriptor.out));
        }
        if (output.file != null) {
            return FileChannel.open(output.file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        }
        InetSocketAddress at = Endpoints.parse(output.connect, false);
        SocketChannel ch = SocketChannel.open();
        try {
            ch.socket().connect(at, (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeoutNanos / Durations.MILLI)));
        } catch (SocketTimeoutException e) {
            ch.close();
            throw new UserError("connecting to " + output.connect + " timed out");
        } catch (IOException e) {
            ch.close();
            throw new UserError("cannot connect to " + output.connect + ": " + e.getMessage());
        }
        ch.socket().setTcpNoDelay(false);
        if (tls == null) {
            return new WatchedChannel(ch, idleTimeoutNanos);
        }
        TlsChannel t = new TlsChannel(ch, tls.engine(at));
        WatchedChannel w = new WatchedChannel(ch, t, idleTimeoutNanos);
        try {
            w.watched(() -> {
                t.handshake();
                return null;
            });
        } catch (IOException e) {
            w.close();
            throw new UserError("TLS handshake with " + output.connect + " failed: "
                    + (w.timedOut() ? "it did not finish within the idle timeout" : TlsCredentials.reason(e)));
        }
        t.watchForAlerts();
        return w;
    }

    static String sha256(FileDisk d) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            for (long s = 0; s < d.sizeSectors(); ) {
                long n = Math.min(b.capacity() / 512, d.sizeSectors() - s);
                b.clear().limit((int) (n * 512));
                d.read(s, b);
                b.flip();
                md.update(b);
                s += n;
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
