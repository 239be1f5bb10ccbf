// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.blkmig.protocol.Wire;
import org.blkmig.protocol.qemu.QemuFormat;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.GuestControl;
import org.blkmig.sender.MigrationController;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.SenderOptions;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Sizes;
import org.blkmig.simdisk.ThreadPoolIoContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchCommand.Memory.class},
        description = "Benchmarks, run on purpose (see bench/ and BENCHMARKS.md).")
final class BenchCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a benchmark is needed: memory");
    }

    @Command(name = "memory", mixinStandardHelpOptions = true,
            description = {"The data path without disks: sender -> loopback socket -> receiver, source reads filled from",
                "a pattern and target writes discarded. Shows the CPU cost of the protocol code."})
    static final class Memory implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "4G",
                description = "Bytes to migrate (default 4G).")
        long sizeBytes;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Reader threads (default 2).")
        int threads;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Runs; the median is reported (default 3).")
        int runs;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            double[] rates = new double[runs];
            for (int i = 0; i < runs; i++) {
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                long bytes = once();
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
                rates[i] = bytes / seconds / 1e9;
                out.printf("memory run %d: %s in %.2f s = %.2f GB/s (%.2f CPU-s, %.2f GB per CPU-s)%n", i + 1,
                        Sizes.format(sizeBytes), seconds, rates[i], cpuSeconds, bytes / 1e9 / cpuSeconds);
            }
            java.util.Arrays.sort(rates);
            out.printf("memory median: %.2f GB/s sender -> receiver over 127.0.0.1%n", rates[runs / 2]);
            return Main.OK;
        }

        static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        private long once() throws Exception {
            PatternDisk source = new PatternDisk("drive0", sizeBytes);
            NullDisk target = new NullDisk("drive0", sizeBytes);
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                CompletableFuture<ReceiveResult> rx = CompletableFuture.supplyAsync(() -> {
                    try (SocketChannel c = server.accept()) {
                        return new BlockReceiver(Map.of("drive0", target)).receive(c);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                MigrationResult r;
                try (SocketChannel c = SocketChannel.open(server.getLocalAddress());
                        ThreadPoolIoContext io = new ThreadPoolIoContext(threads)) {
                    QemuStreamWriter w = new QemuStreamWriter(c, Wire.QEMU_CHUNK_SIZE_BYTES, 0);
                    w.writeHeader(QemuFormat.DEFAULT_MACHINE_TYPE);
                    BlockMigrationSender s = new BlockMigrationSender(List.of(new BlockDevice(source)), io, w, SenderOptions.defaults());
                    r = new MigrationController(ControllerOptions.defaults().withBandwidth(1L << 40), io).run(s, GuestControl.NONE);
                    w.writeEof();
                }
                ReceiveResult got = rx.get();
                if (!r.completed() || !got.complete() || target.written.get() != sizeBytes) {
                    throw new UserError("the benchmark migration failed: " + r.reason() + " / " + got);
                }
                return r.bytesSent();
            }
        }
    }

    /** Reads are filled from a 1 MiB pattern: no storage behind it. */
    static final class PatternDisk extends org.blkmig.simdisk.BaseDisk {
        private final ByteBuffer pattern = ByteBuffer.allocateDirect(Wire.QEMU_CHUNK_SIZE_BYTES);

        PatternDisk(String name, long sizeBytes) {
            super(name, sizeBytes, false);
            for (int i = 0; i < pattern.capacity(); i += 8) {
                pattern.putLong(i, i * 0x9E3779B97F4A7C15L + 1);
            }
        }

        @Override
        public void read(long sector, ByteBuffer dst) {
            while (dst.hasRemaining()) {
                int n = Math.min(dst.remaining(), pattern.capacity());
                dst.put(pattern.slice(0, n));
            }
        }

        @Override
        public void write(long sector, ByteBuffer src) {
            throw new UnsupportedOperationException("read-only benchmark source");
        }

        @Override
        public void writeZeros(long sector, long sectorCount) {
            throw new UnsupportedOperationException("read-only benchmark source");
        }
    }

    /** Writes are counted and dropped. */
    static final class NullDisk extends org.blkmig.simdisk.BaseDisk {
        final AtomicLong written = new AtomicLong();

        NullDisk(String name, long sizeBytes) {
            super(name, sizeBytes, false);
        }

        @Override
        public void read(long sector, ByteBuffer dst) {
            throw new UnsupportedOperationException("write-only benchmark target");
        }

        @Override
        public void write(long sector, ByteBuffer src) {
            written.addAndGet(src.remaining());
            src.position(src.limit());
        }

        @Override
        public void writeZeros(long sector, long sectorCount) {
            written.addAndGet(sectorCount * SECTOR_SIZE_BYTES);
        }
    }

}
