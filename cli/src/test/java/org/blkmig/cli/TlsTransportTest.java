// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * send and receive over TLS on 127.0.0.1: a whole migration, and every way a peer is refused. A refused
 * peer leaves the targets as they were (bytes and modification time).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a broken watchdog hangs, not passes
class TlsTransportTest {
    @TempDir
    Path dir;

    Path creds;

    @BeforeEach
    void credentials() {
        creds = dir.resolve("creds");
        Cli c = Cli.run("certs", "--dir", creds.toString());
        assertEquals(0, c.exit(), c.out() + c.err());
    }

    /** A receive listening over TLS on a free loopback port, once it says so. */
    record Receiver(int port, Cli.Live err, CompletableFuture<Cli> result) {
        Cli get() throws Exception {
            return result.get(60, TimeUnit.SECONDS);
        }
    }

    static Receiver receive(String... extra) throws Exception {
        int port = TransportTest.freePort();
        Cli.Live err = new Cli.Live();
        List<String> args = new java.util.ArrayList<>(List.of("receive", "--listen", String.valueOf(port)));
        args.addAll(List.of(extra));
        CompletableFuture<Cli> rx = CompletableFuture.supplyAsync(() -> Cli.run(err, args.toArray(String[]::new)));
        assertTrue(err.awaitContains("listening on ", 30_000), err.toString());
        return new Receiver(port, err, rx);
    }

    /** A target with data in it, and how it was: a refused peer must leave it so. */
    record Target(Path path, byte[] bytes, FileTime modified) {
        static Target of(Path dir) throws IOException {
            Path p = TransportTest.image(dir, "target.img", 2L << 20, 99);
            Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000_000_000L));
            return new Target(p, Files.readAllBytes(p), Files.getLastModifiedTime(p));
        }

        String arg() {
            return "drive0=" + path;
        }

        void assertUntouched() throws IOException {
            assertArrayEquals(bytes, Files.readAllBytes(path), "the target's bytes");
            assertEquals(modified, Files.getLastModifiedTime(path), "the target's modification time");
        }
    }

    /** Refused: exit 1, and after "listening on" one line, "blkmig: ...", with no stack trace. */
    static void refusedInOneLine(Cli r, String why) {
        assertEquals(1, r.exit(), r.out() + r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("listening on ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("blkmig: refused the connection from /127.0.0.1:"), r.err());
        assertTrue(lines.get(0).contains(why), r.err());
        assertFalse(r.err().contains("\tat ") || r.out().contains("\tat "), r.err());
    }

    /** The sender told of the refusal: exit 1, one line on stderr. */
    static void senderRefused(Cli tx) {
        assertEquals(1, tx.exit(), tx.out() + tx.err());
        assertTrue(tx.oneLineError() && tx.err().contains("blkmig: the receiver refused the TLS session: Received fatal alert: "),
                tx.out() + tx.err());
        noStackTrace(tx);
    }

    static void noStackTrace(Cli c) {
        assertFalse(c.err().contains("\tat ") || c.out().contains("\tat ") || c.err().contains("Exception"), c.out() + c.err());
    }

    Path source() throws IOException {
        return TransportTest.image(dir, "source.img", 2L << 20, 7);
    }

    @Test
    void overTlsWithGuestWritesTheTargetMatchesTheSourceAsTheGuestLeftIt() throws Exception {
        Path a = TransportTest.image(dir, "a.img", 24L << 20, 3);
        Path b = TransportTest.image(dir, "b.img", (2L << 20) + 512, 4);
        Path ta = dir.resolve("ta.img");
        Path tb = dir.resolve("tb.img");
        Receiver rx = receive("--target", "drive0=" + ta + ":24M", "--target", "drive1=" + tb + ":2M+512",
                "--tls-creds", creds.toString(), "--tls-allow", "someone-else,blkmig-client");
        Cli tx = Cli.run("send", "--source", "drive0=" + a, "--source", "drive1=" + b, "--connect", "127.0.0.1:" + rx.port(),
                "--tls-creds", creds.toString(), "--bandwidth", "48M", "--workload", "uniform", "--write-rate", "512K", "--seed", "5");
        assertEquals(0, tx.exit(), tx.out() + tx.err());
        Cli r = rx.get();
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("(TLSv1.3, client CN blkmig-client)"), r.err());
        long writes = Long.parseLong(tx.out().replaceAll("(?s).*downtime [0-9.]+ ms, (\\d+) guest writes.*", "$1"));
        assertTrue(writes > 0, "the guest wrote during the migration: " + tx.out());
        assertEquals(TransportTest.printedSha(tx, "drive0"), TransportTest.sha256(ta));
        assertEquals(TransportTest.printedSha(tx, "drive1"), TransportTest.sha256(tb));
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        Target t = Target.of(dir);
        Receiver rx = receive("--target", t.arg(), "--tls-creds", creds.toString());
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, new TrustManager[] {TlsCredentials.trustOnly(creds)}, null); // trusts the receiver, has no certificate
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", rx.port())) {
            s.setSoTimeout(30_000);
            // TLS 1.3: the client's half of the handshake ends before the server judges it; the refusal is an alert
            assertThrows(IOException.class, () -> {
                s.startHandshake();
                s.getInputStream().read();
            });
        }
        refusedInOneLine(rx.get(), "TLS handshake failed:");
        t.assertUntouched();
    }

    @Test
    void aClientSignedByAnotherCaIsRefused() throws Exception {
        Path other = dir.resolve("other");
        assertEquals(0, Cli.run("certs", "--dir", other.toString()).exit());
        // the other CA's client pair, trusting the receiver's CA: only the client's certificate is wrong
        Files.copy(creds.resolve(TlsCredentials.CA_CERT), other.resolve(TlsCredentials.CA_CERT), StandardCopyOption.REPLACE_EXISTING);
        refusesTheSender(other, "TLS handshake failed:");
    }

    @Test
    void aClientNotOnTheAllowListIsRefused() throws Exception {
        refusesTheSender(creds, "client certificate CN 'blkmig-client' is not on --tls-allow", "--tls-allow", "someone-else");
    }

    /** A blkmig sender with {@code clientCreds}, refused by the receiver: both say so in one line, the target untouched. */
    void refusesTheSender(Path clientCreds, String why, String... receiveOptions) throws Exception {
        Target t = Target.of(dir);
        List<String> args = new java.util.ArrayList<>(List.of("--target", t.arg(), "--tls-creds", creds.toString()));
        args.addAll(List.of(receiveOptions));
        Receiver rx = receive(args.toArray(String[]::new));
        Cli tx = Cli.run("send", "--source", "drive0=" + source(), "--connect", "127.0.0.1:" + rx.port(), "--tls-creds",
                clientCreds.toString());
        refusedInOneLine(rx.get(), why);
        senderRefused(tx);
        t.assertUntouched();
    }

    @Test
    void aPlaintextClientAgainstATlsListenerIsRefused() throws Exception {
        Target t = Target.of(dir);
        Receiver rx = receive("--target", t.arg(), "--tls-creds", creds.toString());
        // 32 MiB: more than the socket buffers hold, so the plain sender, which hears nothing back, sees the refusal
        Path big = TransportTest.image(dir, "big.img", 32L << 20, 8);
        Cli tx = Cli.run("send", "--source", "drive0=" + big, "--connect", "127.0.0.1:" + rx.port());
        refusedInOneLine(rx.get(), "TLS handshake failed: Unrecognized SSL message");
        assertEquals(1, tx.exit(), tx.out());
        noStackTrace(tx);
        t.assertUntouched();
    }

    /** A real ClientHello, the first flight of a TLS 1.3 client. */
    byte[] clientHello(int port) throws IOException {
        SSLEngine e = TlsCredentials.client(creds).engine(new InetSocketAddress("127.0.0.1", port));
        e.beginHandshake();
        ByteBuffer hello = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.wrap(ByteBuffer.allocate(0), hello);
        return java.util.Arrays.copyOf(hello.array(), hello.position());
    }

    @Test
    void aHandshakeCutOrStalledMidwayIsRefusedByTheReceiver() throws Exception {
        Target t = Target.of(dir);
        Receiver cut = receive("--target", t.arg(), "--tls-creds", creds.toString());
        try (Socket s = new Socket("127.0.0.1", cut.port())) {
            s.getOutputStream().write(clientHello(cut.port()));
            assertTrue(s.getInputStream().read() >= 0, "the receiver answered the hello: the handshake is under way");
        } // and the client leaves before its Finished
        refusedInOneLine(cut.get(), "TLS handshake failed: the connection was cut during the TLS handshake");
        Receiver stalled = receive("--target", t.arg(), "--tls-creds", creds.toString(), "--idle-timeout", "1");
        try (Socket s = new Socket("127.0.0.1", stalled.port())) {
            s.getOutputStream().write(clientHello(stalled.port()));
            assertTrue(s.getInputStream().read() >= 0);
            refusedInOneLine(stalled.get(), "TLS handshake failed: it did not finish within 1000 ms");
        }
        t.assertUntouched();
    }

    @Test
    void aHandshakeCutOrStalledMidwayFailsTheSenderInOneLine() throws Exception {
        Path a = source();
        for (boolean cut : new boolean[] {true, false}) {
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                CompletableFuture<Socket> peer = CompletableFuture.supplyAsync(() -> {
                    try {
                        Socket s = server.accept();
                        s.getInputStream().read(new byte[100]); // part of the ClientHello, then nothing
                        if (cut) {
                            s.close();
                        }
                        return s;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Cli tx = Cli.run("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:" + server.getLocalPort(),
                        "--tls-creds", creds.toString(), "--idle-timeout", "1");
                peer.get(30, TimeUnit.SECONDS).close();
                assertEquals(2, tx.exit(), tx.out() + tx.err());
                assertTrue(tx.oneLineError(), tx.err());
                assertTrue(tx.err().contains("TLS handshake with 127.0.0.1:" + server.getLocalPort() + " failed: "
                        + (cut ? "the connection was cut during the TLS handshake" : "it did not finish within the idle timeout")),
                        tx.err());
            }
        }
    }

    @Test
    void aSenderThatStallsAfterTheHandshakeIsCutByTheIdleTimeout() throws Exception {
        Target t = Target.of(dir);
        Receiver rx = receive("--target", t.arg(), "--tls-creds", creds.toString(), "--idle-timeout", "1");
        try (SSLSocket s = (SSLSocket) TlsCredentials.client(creds).context().getSocketFactory().createSocket("127.0.0.1", rx.port())) {
            s.startHandshake(); // and then sends nothing
            assertTrue(rx.err().awaitContains("(TLSv1.3, client CN blkmig-client)", 30_000), rx.err().toString());
            Cli r = rx.get();
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("incomplete at byte 0: input failed: no data within the idle timeout"), r.out());
            noStackTrace(r);
        }
        t.assertUntouched();
    }

    @Test
    void aReceiverThatStallsAfterTheHandshakeFailsTheSend() throws Exception {
        Path a = TransportTest.image(dir, "a.img", 64L << 20, 6);
        SSLContext ctx = TlsCredentials.server(creds, Set.of()).context();
        try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            CompletableFuture<Socket> peer = CompletableFuture.supplyAsync(() -> {
                try {
                    SSLSocket s = (SSLSocket) server.accept();
                    s.setReceiveBufferSize(4096);
                    s.startHandshake();
                    return s; // never reads
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Cli tx = Cli.run("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:" + server.getLocalPort(),
                    "--tls-creds", creds.toString(), "--idle-timeout", "1");
            peer.get(10, TimeUnit.SECONDS).close();
            assertEquals(1, tx.exit(), tx.out() + tx.err());
            assertTrue(tx.out().contains("FAILED") && tx.out().contains("stopped reading"), tx.out());
            noStackTrace(tx);
        }
    }

    @Test
    void listeningBeyondLoopbackNeedsTlsOrInsecure() throws Exception {
        Path t = dir.resolve("never.img");
        Cli r = Cli.run("receive", "--listen", "0.0.0.0:0", "--target", "drive0=" + t + ":1M");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.oneLineError() && r.err().contains("--listen 0.0.0.0:0 is beyond the loopback addresses"), r.err());
        assertFalse(Files.exists(t), "no target is created");
        // the one test that binds beyond loopback: port 0, one second, no connection taken
        Cli insecure = Cli.run("receive", "--listen", "0.0.0.0:0", "--insecure", "--target", "drive0=" + t + ":1M",
                "--idle-timeout", "1");
        String bound = insecure.err().lines().findFirst().orElse("");
        assertTrue(bound.startsWith("listening on 0.0.0.0:") || bound.startsWith("listening on 0:0:0:0:0:0:0:0:"), insecure.err());
        assertTrue(insecure.err().contains("no connection within"), insecure.err());
    }

    @Test
    void badTlsOptionsAndCredentialsAreOneLineErrors() throws IOException {
        Path a = source();
        Path s = dir.resolve("s.bin");
        String t = "drive0=" + dir.resolve("t.img") + ":2M";
        List<List<String>> bad = List.of(
                List.of("receive", "--input", s.toString(), "--target", t, "--tls-creds", creds.toString()),
                List.of("receive", "--listen", "0", "--target", t, "--tls-allow", "x"),
                List.of("send", "--source", "drive0=" + a, "--output", s.toString(), "--tls-creds", creds.toString()),
                List.of("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:1", "--tls-creds", dir.resolve("none").toString()));
        for (List<String> args : bad) {
            Cli c = Cli.run(args.toArray(String[]::new));
            assertEquals(2, c.exit(), args + ": " + c.err());
            assertTrue(c.oneLineError(), args + ": " + c.err());
        }
        Files.delete(creds.resolve(TlsCredentials.CLIENT_KEY));
        Cli noKey = Cli.run("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:1", "--tls-creds", creds.toString());
        assertTrue(noKey.exit() == 2 && noKey.oneLineError() && noKey.err().contains("no client-key.pem"), noKey.err());
        Files.writeString(creds.resolve(TlsCredentials.CA_CERT), "not a certificate\n");
        Cli badCa = Cli.run("receive", "--listen", "0", "--target", t, "--tls-creds", creds.toString());
        assertTrue(badCa.exit() == 2 && badCa.oneLineError() && badCa.err().contains("ca-cert.pem: not a PEM certificate"), badCa.err());
    }

    @Test
    void plainTcpKeepsZeroCopyAndTlsGoesThroughTheEngine() {
        assertTrue(SendCommand.senderOptions(1 << 20, false, false).zeroCopy());
        assertFalse(SendCommand.senderOptions(1 << 20, false, true).zeroCopy());
    }
}
