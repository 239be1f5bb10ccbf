// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.net.SocketTimeoutException;
import java.nio.channels.ReadableByteChannel;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.Destination;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.FileDisk;
import org.blkmig.simdisk.Sizes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "receive", mixinStandardHelpOptions = true,
        description = {"Applies a block migration stream to raw image files.",
            "Targets come only from --target; a device the stream names that is not declared is an error.",
            "Exit 0 only if the stream's END payload arrived and every target was flushed."})
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final class Input {
        @Option(names = "--input", paramLabel = "FILE", description = "Read the stream from a file; - is standard input.")
        String file;

        @Option(names = "--listen", paramLabel = "[HOST:]PORT",
                description = {"Accept one TCP connection; a bare port listens on 127.0.0.1 only.",
                    "Beyond the loopback addresses it needs --tls-creds, or --insecure."})
        String listen;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--target", paramLabel = "NAME=PATH[:SIZE]", required = true,
            description = "A target image (repeatable). With :SIZE the file is created (or truncated) sparse at that size.")
    List<String> targets;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "1M",
            description = "Chunk size of the stream (default 1M).")
    long chunkSize;

    @Option(names = "--accept", paramLabel = "RULES", defaultValue = "blkmig",
            description = "Apply blocks as blkmig (default) or as a QEMU 7.2 destination would (qemu-7.2): its flag rules,"
                    + " its cluster-by-cluster writes, and its failures; answers \"would QEMU 7.2 load this?\".")
    String accept;

    @Option(names = "--cluster-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "1M",
            description = "With --accept qemu-7.2: the targets' cluster size as QEMU sees it (raw images: 1M, the default;"
                    + " qcow2: 64K).")
    long clusterSizeBytes;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Converters.Seconds.class, defaultValue = "30",
            description = "Give up when no connection or no byte arrives for this long (default 30 s).")
    long idleTimeoutNanos;

    @Option(names = "--tls-creds", paramLabel = "DIR",
            description = {"With --listen: TLS 1.3 only, with the server's credentials of QEMU's tls-creds-x509 layout in DIR"
                    + " (ca-cert.pem, server-cert.pem, server-key.pem); the sender must present a certificate signed by"
                    + " ca-cert.pem. blkmig certs makes a test set."})
    Path tlsCreds;

    @Option(names = "--tls-allow", paramLabel = "CN[,CN...]", split = ",",
            description = "With --tls-creds: accept only a client certificate whose subject CN is one of these (as QEMU's tls-authz).")
    List<String> tlsAllow = new ArrayList<>();

    @Option(names = "--insecure",
            description = "Allow --listen beyond the loopback addresses without --tls-creds: the images cross the network in the"
                    + " clear, and anyone who can connect writes the targets.")
    boolean insecure;

    private long startNanos;

    /** A connection the TLS layer refused: the receive did not happen (exit 1), said in one line. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InetSocketAddress listenAt = input.listen == null ? null : Endpoints.parse(input.listen, true);
        TlsCredentials tls = tls(listenAt); // before any target is opened: a refused option leaves them untouched
        Map<String, Disk> disks = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : Converters.pairs(targets, "--target").entrySet()) {
                disks.put(e.getKey(), openTarget(e.getKey(), e.getValue()));
            }
            ProgressBar bar = new ProgressBar(err, "receive", 100);
            // four chunk buffers: reading the next block overlaps writing the last ones
            BlockReceiver receiver = new BlockReceiver(disks, (int) chunkSize, Set.of(), bar::update, 4, destination());
            ReceiveResult r;
            startNanos = System.nanoTime();
            if (input.listen != null) {
                r = listenAndReceive(receiver, listenAt, tls, err);
            } else if (input.file.equals("-")) {
                r = receiver.receive(System.in);
            } else {
                try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(Path.of(input.file))) {
                    r = receiver.receive(in); // the channel itself: no 8 KiB stream adapter in between
                }
            }
            bar.done();
            // from the connection (or the start of the file) until the targets are forced to disk
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            out.printf("receive: %s (%.2f s, %.1f MB/s; %.2f s of it forcing the targets to disk)%n", r, seconds,
                    r.bytesRead() / 1e6 / Math.max(seconds, 1e-9), r.flushNanos() / 1e9);
            return r.complete() ? Main.OK : Main.CHECK_FAILED;
        } catch (Refused e) {
            err.println("blkmig: " + e.getMessage());
            return Main.CHECK_FAILED;
        } finally {
            for (Disk d : disks.values()) {
                d.close();
            }
        }
    }

    /** The TLS options checked against each other and the address; null for plain TCP. */
    private TlsCredentials tls(InetSocketAddress listenAt) {
        if (tlsCreds != null && listenAt == null) {
            throw new ParameterException(spec.commandLine(), "--tls-creds needs --listen");
        }
        if (!tlsAllow.isEmpty() && tlsCreds == null) {
            throw new ParameterException(spec.commandLine(), "--tls-allow needs --tls-creds");
        }
        if (listenAt != null && tlsCreds == null && !insecure && !listenAt.getAddress().isLoopbackAddress()) {
            throw new ParameterException(spec.commandLine(), "--listen " + input.listen
                    + " is beyond the loopback addresses: give --tls-creds DIR, or --insecure to receive in the clear");
        }
        return tlsCreds == null ? null : TlsCredentials.server(tlsCreds, Set.copyOf(tlsAllow));
    }

    private Destination destination() {
        switch (accept) {
            case "blkmig":
                return Destination.BLKMIG;
            case "qemu-7.2":
                if (clusterSizeBytes < 512 || clusterSizeBytes > chunkSize || Long.bitCount(clusterSizeBytes) != 1) {
                    throw new UserError("--cluster-size must be a power of two from 512 bytes to the chunk size");
                }
                return Destination.qemu72((int) clusterSizeBytes);
            default:
                throw new UserError("--accept '" + accept + "': expected blkmig or qemu-7.2");
        }
    }

    private static Disk openTarget(String name, String spec) throws IOException {
        int colon = spec.lastIndexOf(':');
        if (colon > 0 && spec.substring(colon + 1).matches("[0-9]+[KMGTkmgt]?(\\+[0-9]+)?")) {
            long size = Sizes.parse(spec.substring(colon + 1));
            if (size % Disk.SECTOR_SIZE_BYTES != 0) {
                throw new UserError("--target " + name + ": size " + size + " is not a multiple of 512 bytes");
            }
            try {
                return FileDisk.create(name, Path.of(spec.substring(0, colon)), size);
            } catch (IOException e) {
                throw new UserError("--target " + name + ": cannot create the image: " + e.getMessage());
            }
        }
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p)) {
            throw new UserError("--target " + name + ": no such image file " + p + " (give NAME=PATH:SIZE to create it)");
        }
        return FileDisk.open(name, p, true);
    }

    private ReceiveResult listenAndReceive(BlockReceiver receiver, InetSocketAddress at, TlsCredentials tls, PrintWriter err)
            throws IOException, Refused {
        int idleMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, idleTimeoutNanos / Durations.MILLI));
        SocketChannel conn;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(at, 1);
            // the socket adaptor's accept honours SO_TIMEOUT; the accepted socket keeps its channel
            server.socket().setSoTimeout(idleMillis);
            InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
            err.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
            err.flush();
            try {
                conn = server.socket().accept().getChannel();
            } catch (SocketTimeoutException e) {
                throw new UserError("no connection within " + idleMillis + " ms");
            }
        } // the listening socket closes here: a second connection is refused
        InetSocketAddress from = (InetSocketAddress) conn.getRemoteAddress();
        ReadableByteChannel transport = tls == null ? conn : new TlsChannel(conn, tls.engine(from));
        // the watchdog starts before the handshake: a handshake that stalls is cut like a silent stream
        try (IdleReadChannel in = new IdleReadChannel(transport, idleTimeoutNanos)) {
            startNanos = System.nanoTime();
            if (transport instanceof TlsChannel t) {
                err.println("connection from " + from + " (" + handshake(t, in, from, idleMillis) + ")");
            } else {
                err.println("connection from " + from);
            }
            return receiver.receive(in);
        }
    }

    /** The handshake, and who the client is; a failure of either side refuses the connection. */
    private static String handshake(TlsChannel t, IdleReadChannel in, InetSocketAddress from, int idleMillis)
            throws Refused, IOException {
        try {
            t.handshake();
            X509Certificate client = (X509Certificate) t.engine().getSession().getPeerCertificates()[0];
            return t.engine().getSession().getProtocol() + ", client CN " + TlsCredentials.commonName(client);
        } catch (IOException e) {
            String why = in.timedOut() ? "it did not finish within " + idleMillis + " ms" : TlsCredentials.reason(e);
            throw new Refused("refused the connection from " + from + ": TLS handshake failed: " + why);
        }
    }
}
