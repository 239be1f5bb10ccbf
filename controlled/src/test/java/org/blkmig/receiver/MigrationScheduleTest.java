// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.blkmig.controlled.Schedules;
import org.blkmig.protocol.qemu.QemuFormat;
import org.blkmig.protocol.qemu.QemuStreamWriter;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.MigrationController;
import org.blkmig.sender.MigrationResult;
import org.blkmig.sender.RamModel;
import org.blkmig.sender.SenderOptions;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.ThreadMutant;
import org.blkmig.simdisk.ThreadPoolIoContext;
import org.blkmig.simdisk.ThreadedGuest;
import org.blkmig.simdisk.Workload;
import org.junit.jupiter.api.Test;

/**
 * A whole migration in memory on real threads under Fray's scheduler and clock: a guest writer
 * thread, the sender's reader pool and controller, then the receiver's write pipeline. Whatever the
 * schedule, it completes and the target is the source as the guest left it.
 */
class MigrationScheduleTest {
    static final int CHUNK = 64 * 1024;
    static final long SIZE = 4L * CHUNK;
    static final int SCHEDULES = 200;
    static final int GUEST_WRITES = 4;

    static byte[] contents(SparseMemoryDisk d) {
        ByteBuffer b = ByteBuffer.allocate((int) d.sizeBytes());
        d.read(0, b);
        return b.array();
    }

    static Runnable migrate(Set<ThreadMutant> mutants) {
        return () -> {
            try {
                SparseMemoryDisk source = new SparseMemoryDisk("drive0", SIZE);
                ByteBuffer initial = ByteBuffer.allocate((int) SIZE);
                for (int i = 0; i < SIZE; i++) {
                    initial.put((byte) (i * 31 + i / 512));
                }
                source.write(0, initial.flip());
                List<BlockDevice> devices = List.of(new BlockDevice(source));
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                ThreadedGuest guest = new ThreadedGuest(devices, Workload.of(Workload.Kind.UNIFORM, 2L << 20), 3, 1);
                MigrationResult m;
                try (ThreadPoolIoContext io = new ThreadPoolIoContext(2, mutants)) {
                    QemuStreamWriter out = new QemuStreamWriter(Channels.newChannel(stream), CHUNK, 0);
                    out.writeHeader(QemuFormat.DEFAULT_MACHINE_TYPE);
                    BlockMigrationSender sender = new BlockMigrationSender(devices, io, out,
                            SenderOptions.defaults().withChunkSize(CHUNK).withBuffers(2, 3));
                    guest.start();
                    // under Fray a timed park ends once no other thread can run, so the guest's pacing does
                    // not hold: it is stopped after a few writes (by a thread that parks, never spins), or the
                    // migration of 4 chunks cannot converge
                    Thread stopper = new Thread(() -> {
                        while (guest.writesDone() < GUEST_WRITES) {
                            LockSupport.parkNanos(1_000_000L);
                        }
                        guest.stop();
                    }, "guest-stopper");
                    stopper.start();
                    // slices of 5 ms at one chunk a slice: the bulk pass takes slices while the guest writes
                    ControllerOptions co = new ControllerOptions(CHUNK * 200L, 5_000_000L, 5_000_000L, 30, 6000, 0, Set.of(),
                            RamModel.Settings.NONE);
                    m = new MigrationController(co, io).run(sender, guest::stop);
                    guest.stop();
                    stopper.join();
                    if (m.completed()) {
                        out.writeEof();
                    }
                }
                assertNull(guest.failure());
                assertTrue(m.completed(), m.reason());
                assertTrue(guest.writesDone() > 0, "the guest wrote during the migration");
                SparseMemoryDisk target = new SparseMemoryDisk("drive0", SIZE);
                Pipeline.Factory pipelines = (buffers, chunk, policies) -> new WritePipeline(buffers, chunk,
                        WritePipeline.WRITEBACK_EVERY_BYTES, policies, mutants);
                ReceiveResult r = new BlockReceiver(Map.of("drive0", target), CHUNK, ReceiverPolicies.BLKMIG, p -> {}, 2,
                        Destination.BLKMIG, pipelines).receive(new ByteArrayInputStream(stream.toByteArray()));
                assertTrue(r.complete(), r.toString());
                assertArrayEquals(contents(source), contents(target), "the target differs from the source");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void aMigrationWithAGuestWriterEndsIdenticalUnderEverySchedule() {
        Schedules.Result r = Schedules.explore("migration", SCHEDULES, Schedules.SEED, true, migrate(Set.of()));
        assertFalse(r.found(), r::toString);
    }

    @Test
    void completionBeforeDataIsKilledOnAWholeMigration() {
        Schedules.Result r = Schedules.explore("migration-completion-before-data", SCHEDULES, Schedules.SEED, true,
                migrate(Set.of(ThreadMutant.COMPLETION_BEFORE_DATA)));
        assertTrue(r.found(), r::toString);
        assertTrue(r.error().getMessage().contains("the target differs from the source"), r::toString);
    }
}
