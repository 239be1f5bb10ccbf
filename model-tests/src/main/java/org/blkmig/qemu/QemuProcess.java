// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A QEMU 7.2 with no guest ({@code -S}, TCG), driven over QMP on a UNIX socket. Each drive is a
 * virtio-blk disk with the drive id as its name. {@link #close()} always stops the process.
 */
public final class QemuProcess implements AutoCloseable {
    public static final String BINARY = "qemu-system-x86_64";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A failure QEMU or its tools reported, classified where it was read. */
    public static final class Failure extends IOException {
        private final transient QemuError error;

        Failure(QemuError error, Throwable cause) {
            super(error.text(), cause);
            this.error = error;
        }

        Failure(QemuError.Kind kind, String detail, String text) {
            this(new QemuError(kind, detail, text), null);
        }

        public QemuError error() {
            return error;
        }
    }

    /** A disk image and its format (raw or qcow2). */
    public record Drive(String id, Path image, String format) {
        public static Drive raw(String id, Path image) {
            return new Drive(id, image, "raw");
        }
    }

    private final Process process;
    private final Path log;
    private final SocketChannel qmp;
    private final BufferedReader in;
    private final Writer out;

    private QemuProcess(Process process, Path log, SocketChannel qmp) throws IOException {
        this.process = process;
        this.log = log;
        this.qmp = qmp;
        this.in = new BufferedReader(Channels.newReader(qmp, StandardCharsets.UTF_8));
        this.out = Channels.newWriter(qmp, StandardCharsets.UTF_8);
        JsonNode greeting = read();
        if (!greeting.has("QMP")) {
            throw new IOException("not a QMP greeting: " + greeting);
        }
        command("qmp_capabilities", null);
    }

    /** True if QEMU's x86 system emulator can be run here. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder(BINARY, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Guest RAM of a QEMU started without a size: the README's source. */
    public static final int DEFAULT_RAM_MIB = 32;

    /** Every QEMU started and not yet stopped: a shutdown hook (Ctrl-C) kills them. */
    private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(QemuProcess::shutdown, "qemu-killer"));
    }

    /** Set when the JVM ends: no QEMU starts after it. */
    private static volatile boolean closing;

    /** The JVM is ending (Ctrl-C): kills every QEMU this JVM started and refuses to start more. */
    public static void shutdown() {
        closing = true;
        killAll();
    }

    /** Kills every QEMU this JVM started that still runs. */
    public static void killAll() {
        for (Process p : LIVE) {
            p.destroyForcibly();
            LIVE.remove(p);
        }
    }

    /** Starts QEMU with these drives; {@code incoming} is a migration URI to load from, or null. */
    public static QemuProcess start(Path workDir, List<Drive> drives, String incoming) throws IOException {
        return start(workDir, drives, incoming, DEFAULT_RAM_MIB);
    }

    /** As {@link #start(Path, List, String)}, with {@code ramMiB} of guest RAM (source and destination must agree). */
    public static QemuProcess start(Path workDir, List<Drive> drives, String incoming, int ramMiB) throws IOException {
        Path socket = Files.createTempFile(workDir, "qmp", ".sock");
        Files.delete(socket);
        Path log = Files.createTempFile(workDir, "qemu", ".log");
        List<String> cmd = new ArrayList<>(List.of(BINARY, "-machine", "pc,accel=tcg", "-nodefaults", "-display", "none",
                "-m", ramMiB + "M", "-S", "-qmp", "unix:" + socket + ",server=on,wait=off"));
        for (Drive d : drives) {
            cmd.add("-drive");
            cmd.add("file=" + d.image() + ",format=" + d.format() + ",if=none,id=" + d.id());
            cmd.add("-device");
            cmd.add("virtio-blk-pci,drive=" + d.id());
        }
        if (incoming != null) {
            cmd.add("-incoming");
            cmd.add(incoming);
        }
        if (closing) {
            throw new java.io.InterruptedIOException("not starting QEMU: the JVM is ending");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LIVE.add(p);
        if (closing) { // the shutdown's kill may have run between the check and the add
            p.destroyForcibly();
            throw new java.io.InterruptedIOException("not starting QEMU: the JVM is ending");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return new QemuProcess(p, log, ch);
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    LIVE.remove(p);
                    String said = Files.readString(log).strip();
                    // a destination can refuse its stream before its monitor is up: its log says why
                    QemuError inLog = QemuError.inLog(said);
                    throw new Failure(inLog.kind() != QemuError.Kind.NONE ? inLog
                            : new QemuError(QemuError.Kind.NOT_STARTED, "", "QEMU did not start: " + said), e);
                }
                sleep(Duration.ofMillis(20));
            }
        }
    }

    private JsonNode read() throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new Failure(QemuError.Kind.MONITOR_CLOSED, "", "QEMU closed its monitor; log: " + log().strip());
        }
        return JSON.readTree(line);
    }

    /** Runs a QMP command; returns its "return" value. An error reply is an IOException. */
    public JsonNode command(String name, Map<String, Object> arguments) throws IOException {
        ObjectNode c = JSON.createObjectNode().put("execute", name);
        if (arguments != null) {
            c.set("arguments", JSON.valueToTree(arguments));
        }
        out.write(JSON.writeValueAsString(c) + "\n");
        out.flush();
        while (true) {
            JsonNode r = read();
            if (r.has("event")) {
                continue;
            }
            if (r.has("error")) {
                throw new Failure(QemuError.Kind.QMP_REFUSED, name, "QMP " + name + ": " + r.get("error").path("desc").asText());
            }
            return r.get("return");
        }
    }

    /** An HMP command line (such as qemu-io); returns its text. */
    public String hmp(String commandLine) throws IOException {
        return command("human-monitor-command", Map.of("command-line", commandLine)).asText();
    }

    /** A guest write through the block layer: it marks the dirty bitmaps as a guest write does. */
    public void qemuIoWrite(String drive, int pattern, long offsetBytes, long lengthBytes) throws IOException {
        hmp("qemu-io " + drive + " \"write -P 0x" + Integer.toHexString(pattern) + " " + offsetBytes + " " + lengthBytes + "\"");
    }

    /** A guest write of zeros ({@code write -z}): the block layer's zero write, which marks the bitmaps too. */
    public void qemuIoWriteZeros(String drive, long offsetBytes, long lengthBytes) throws IOException {
        hmp("qemu-io " + drive + " \"write -z " + offsetBytes + " " + lengthBytes + "\"");
    }

    public void setMaxBandwidth(long bytesPerSecond) throws IOException {
        command("migrate-set-parameters", Map.of("max-bandwidth", bytesPerSecond));
    }

    public void setDowntimeLimitMillis(long millis) throws IOException {
        command("migrate-set-parameters", Map.of("downtime-limit", millis));
    }

    public void setCapability(String capability, boolean on) throws IOException {
        command("migrate-set-capabilities", Map.of("capabilities", List.of(Map.of("capability", capability, "state", on))));
    }

    /** Starts an outgoing migration; {@code blk} for block migration, {@code inc} for shared base. */
    public void migrate(String uri, boolean blk, boolean inc) throws IOException {
        command("migrate", Map.of("uri", uri, "blk", blk, "inc", inc));
    }

    public String migrationStatus() throws IOException {
        return command("query-migrate", null).path("status").asText("none");
    }

    /** Waits until the migration is no longer setting up or active; returns its final status. */
    public String awaitMigration(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String s = migrationStatus();
            if (!s.equals("setup") && !s.equals("active") && !s.equals("device") && !s.equals("none")
                    && !s.equals("pre-switchover")) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new Failure(QemuError.Kind.TIMED_OUT, "", "migration still " + s + " after " + timeout);
            }
            sleep(Duration.ofMillis(20));
        }
    }

    /** The destination side: waits until QEMU has loaded the stream or failed (or died). */
    public String awaitIncoming(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                return "exited";
            }
            String s;
            try {
                s = migrationStatus();
            } catch (IOException e) {
                return process.isAlive() ? "error: " + e.getMessage() : "exited";
            }
            if (s.equals("completed") || s.equals("failed")) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new Failure(QemuError.Kind.TIMED_OUT, "", "incoming migration still " + s + " after " + timeout);
            }
            sleep(Duration.ofMillis(20));
        }
    }

    /** What QEMU printed. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Quits QEMU (flushing its disks); kills it if it does not go. */
    @Override
    public void close() throws IOException {
        try {
            if (process.isAlive()) {
                try {
                    command("quit", null);
                } catch (IOException e) {
                    // gone already
                }
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
            qmp.close();
        }
    }

    /** Kills QEMU at once (a hang): nothing is flushed. */
    public void kill() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
            qmp.close();
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    /** Runs a program to completion (qemu-img, qemu-io); its output, or an IOException naming it. */
    public static String run(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new Failure(QemuError.Kind.TOOL_FAILED, command[0], String.join(" ", command) + " failed: " + output.strip());
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        } finally {
            p.destroyForcibly();
        }
    }
}
