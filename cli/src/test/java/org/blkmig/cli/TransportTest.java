// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** send and receive on real files and over 127.0.0.1. */
class TransportTest {
    @TempDir
    Path dir;

    Path image(String name, long bytes, long seed) throws IOException {
        return image(dir, name, bytes, seed);
    }

    /** Random data with a zero first MiB, so zero blocks appear. */
    static Path image(Path dir, String name, long bytes, long seed) throws IOException {
        byte[] data = new byte[(int) bytes];
        new Random(seed).nextBytes(data);
        java.util.Arrays.fill(data, 0, Math.min(data.length, 1 << 20), (byte) 0);
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String printedSha(Cli c, String device) {
        return c.out().lines().filter(l -> l.startsWith("sha256 " + device + " ")).findFirst().orElseThrow().split(" ")[2];
    }

    @Test
    void sendToAFileThenReceiveGivesIdenticalImagesIncludingAPartialChunk() throws Exception {
        Path a = image("a.img", 6L << 20, 1);
        Path b = image("b.img", (3L << 20) + 1536, 2);
        Path stream = dir.resolve("s.bin");
        Cli tx = Cli.run("send", "--source", "drive0=" + a, "--source", "drive1=" + b, "--output", stream.toString(),
                "--zero-blocks", "--sha256");
        assertEquals(0, tx.exit(), tx.out() + tx.err());
        Cli check = Cli.run("decode", "--quiet", "--device", "drive0=6M,drive1=3M+1536", stream.toString());
        assertEquals(0, check.exit(), check.out());
        Path ta = dir.resolve("ta.img");
        Path tb = dir.resolve("tb.img");
        Files.write(tb, new byte[(3 << 20) + 1536]); // an existing target keeps its length
        Cli rx = Cli.run("receive", "--input", stream.toString(), "--target", "drive0=" + ta + ":6M", "--target", "drive1=" + tb);
        assertEquals(0, rx.exit(), rx.out() + rx.err());
        assertTrue(rx.out().contains("zero blocks"), rx.out());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(ta));
        assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(tb));
        assertEquals((3L << 20) + 1536, Files.size(tb));
        assertEquals(printedSha(tx, "drive1"), sha256(tb));
    }

    @Test
    void overTcpWithGuestWritesTheTargetMatchesTheSourceAsTheGuestLeftIt() throws Exception {
        Path a = image("a.img", 24L << 20, 3);
        Path b = image("b.img", (2L << 20) + 512, 4);
        int port = freePort();
        Path ta = dir.resolve("ta.img");
        Path tb = dir.resolve("tb.img");
        Cli.Live rxErr = new Cli.Live();
        CompletableFuture<Cli> rx = CompletableFuture.supplyAsync(() -> Cli.run(rxErr, "receive", "--listen", String.valueOf(port),
                "--target", "drive0=" + ta + ":24M", "--target", "drive1=" + tb + ":2M+512", "--idle-timeout", "30"));
        assertTrue(rxErr.awaitContains("listening on ", 30_000), rxErr.toString());
        Cli tx = Cli.run("send", "--source", "drive0=" + a, "--source", "drive1=" + b, "--connect", "127.0.0.1:" + port,
                "--bandwidth", "48M", "--workload", "uniform", "--write-rate", "2M", "--seed", "5",
                "--report", dir.resolve("report").toString());
        assertEquals(0, tx.exit(), tx.out() + tx.err());
        Cli r = rx.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exit(), r.out() + r.err());
        long writes = Long.parseLong(tx.out().replaceAll("(?s).*downtime [0-9.]+ ms, (\\d+) guest writes.*", "$1"));
        assertTrue(writes > 0, "the guest wrote during the migration: " + tx.out());
        assertEquals(printedSha(tx, "drive0"), sha256(ta));
        assertEquals(printedSha(tx, "drive1"), sha256(tb));
        assertEquals(sha256(a), sha256(ta));
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dir.resolve("report/report.json").toFile());
        assertEquals("COMPLETED", json.get("migration").get("outcome").asText());
        assertEquals(sha256(ta), json.get("sha256").get("drive0").asText());
        assertTrue(Files.readString(dir.resolve("report/report.html")).contains("data:image/png;base64,"));
    }

    @Test
    void receiveListensOnLoopbackAcceptsOneConnectionAndTimesOut() throws Exception {
        int port = freePort();
        Path t = dir.resolve("t.img");
        Cli.Live rxErr = new Cli.Live();
        CompletableFuture<Cli> rx = CompletableFuture.supplyAsync(() -> Cli.run(rxErr, "receive", "--listen", String.valueOf(port),
                "--target", "drive0=" + t + ":1M", "--idle-timeout", "2"));
        assertTrue(rxErr.awaitContains("listening on 127.0.0.1:" + port, 30_000), rxErr.toString());
        // the listener is on the loopback address: a bare port binds 127.0.0.1 only
        try (Socket held = new Socket("127.0.0.1", port)) {
            // the guarantee: once the receiver has its connection, the listening socket is closed. A
            // connect before that may still be queued in the backlog, so wait for the receiver to say
            // it accepted (it says so after closing the listener), then expect a refusal.
            assertTrue(rxErr.awaitContains("connection from ", 30_000), rxErr.toString());
            assertThrows(ConnectException.class, () -> {
                try (Socket second = new Socket()) {
                    second.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                }
            }, "a second connection is refused");
            Cli r = rx.get(30, TimeUnit.SECONDS); // the first sends nothing: the idle timeout ends it
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("incomplete"), r.out());
            assertTrue(r.err().contains("connection from /127.0.0.1:" + held.getLocalPort()), "the first one was served: " + r.err());
        }
    }

    @Test
    void receiveWithoutAConnectionTimesOutAndABarePortBindsLoopbackOnly() {
        Cli r = Cli.run("receive", "--listen", "0", "--target", "drive0=" + dir.resolve("t.img") + ":1M", "--idle-timeout", "1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no connection within"), r.err());
        assertTrue(r.err().startsWith("listening on 127.0.0.1:"), r.err());
        // another address only when given (tests stay on the loopback range)
        Cli other = Cli.run("receive", "--listen", "127.0.0.2:0", "--target", "drive0=" + dir.resolve("u.img") + ":1M",
                "--idle-timeout", "1");
        assertTrue(other.err().startsWith("listening on 127.0.0.2:"), other.err());
    }

    @Test
    void sendToADeadPeerFailsInsteadOfHanging() throws Exception {
        Path a = image("a.img", 64L << 20, 6);
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    Socket s = server.accept();
                    s.setReceiveBufferSize(4096);
                    return s; // never reads
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Cli tx = Cli.run("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:" + server.getLocalPort(),
                    "--idle-timeout", "1");
            accepted.get(10, TimeUnit.SECONDS).close();
            assertEquals(1, tx.exit(), tx.out() + tx.err());
            assertTrue(tx.out().contains("FAILED"), tx.out());
            assertTrue(tx.out().contains("stopped reading"), tx.out());
        }
        Cli refused = Cli.run("send", "--source", "drive0=" + a, "--connect", "127.0.0.1:" + freePort());
        assertEquals(2, refused.exit());
        assertTrue(refused.oneLineError() && refused.err().contains("cannot connect"), refused.err());
    }

    @Test
    void receiveRefusesUnknownDevicesAndMissingTargets() throws Exception {
        Path a = image("a.img", 2L << 20, 7);
        Path stream = dir.resolve("s.bin");
        assertEquals(0, Cli.run("send", "--source", "drive0=" + a, "--output", stream.toString()).exit());
        Cli wrong = Cli.run("receive", "--input", stream.toString(), "--target", "other=" + dir.resolve("o.img") + ":2M");
        assertEquals(1, wrong.exit());
        assertTrue(wrong.out().contains("unknown device 'drive0'"), wrong.out());
        Cli missing = Cli.run("receive", "--input", stream.toString(), "--target", "drive0=" + dir.resolve("none.img"));
        assertEquals(2, missing.exit());
        assertTrue(missing.oneLineError(), missing.err());
        Cli noDir = Cli.run("receive", "--input", stream.toString(), "--target", "drive0=" + dir.resolve("no/dir.img") + ":2M");
        assertEquals(2, noDir.exit());
        assertTrue(noDir.oneLineError() && noDir.err().contains("--target drive0: cannot create the image: "), noDir.err());
        Cli noFile = Cli.run("receive", "--input", dir.resolve("none.bin").toString(), "--target", "drive0=" + a);
        assertEquals(2, noFile.exit());
        assertTrue(noFile.oneLineError() && noFile.err().contains("no such file"), noFile.err());
        Cli noSource = Cli.run("send", "--source", "drive0=" + dir.resolve("none.img"), "--output", stream.toString());
        assertEquals(2, noSource.exit());
        assertTrue(noSource.oneLineError(), noSource.err());
        Cli bothInputs = Cli.run("receive", "--input", "x", "--listen", "1", "--target", "a=b");
        assertEquals(2, bothInputs.exit());
    }

    @Test
    void aTruncatedStreamIsNeverComplete() throws Exception {
        Path a = image("a.img", 3L << 20, 8);
        Path stream = dir.resolve("s.bin");
        assertEquals(0, Cli.run("send", "--source", "drive0=" + a, "--output", stream.toString()).exit());
        byte[] s = Files.readAllBytes(stream);
        Files.write(stream, java.util.Arrays.copyOf(s, s.length - 30));
        Cli rx = Cli.run("receive", "--input", stream.toString(), "--target", "drive0=" + dir.resolve("t.img") + ":3M");
        assertEquals(1, rx.exit());
        assertTrue(rx.out().contains("incomplete at byte"), rx.out());
    }
}
