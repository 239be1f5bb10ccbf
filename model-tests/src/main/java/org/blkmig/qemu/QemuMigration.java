// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.simdisk.Disk;

/**
 * The processes of a real run: the source QEMU migrating into a file under a watchdog while
 * qemu-io writes on its monitor, a destination QEMU loading the stream, blkmig's receiver
 * applying it. Each says how it ended as an {@link Ending} and what QEMU reported as a
 * {@link QemuError}, read and classified here.
 */
final class QemuMigration {
    private QemuMigration() {}

    /** How long a destination QEMU may take to load a stream. */
    static final Duration DESTINATION_TIMEOUT = Duration.ofSeconds(60);
    /** How long a destination whose monitor went away gets to exit (a loaded machine is slow). */
    private static final long EXIT_WAIT_MILLIS = 5_000;

    /** The source's side of a run: how it ended, what QEMU reported, the guest writes issued, how long it took. */
    record Source(Ending ending, QemuError error, int writesIssued, long migrationMillis) {
        boolean completed() {
            return ending == Ending.COMPLETED;
        }
    }

    /** Migrates the source's drives into {@code stream}, killing its QEMU if the migration runs past {@code deadline}. */
    static Source source(QemuScenario s, List<QemuProcess.Drive> drives, Path dir, Path stream, Duration deadline)
            throws IOException {
        AtomicBoolean hung = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qemu-watchdog");
            t.setDaemon(true);
            return t;
        });
        try {
            QemuProcess src = QemuProcess.start(dir, drives, null, s.ramMiB());
            ScheduledFuture<?> kill = watchdog.schedule(() -> killHung(src, hung), deadline.toMillis(), TimeUnit.MILLISECONDS);
            long m0 = System.nanoTime();
            int[] issued = {0};
            Ending ending;
            QemuError error;
            long migrationMillis;
            try {
                error = ended(migrate(src, s, stream, issued));
                ending = error.kind() == QemuError.Kind.NONE ? Ending.COMPLETED : Ending.FAILED;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                ending = hung.get() ? Ending.HUNG : Ending.DIED;
                error = QemuError.of(e);
            } finally {
                kill.cancel(false);
                migrationMillis = (System.nanoTime() - m0) / 1_000_000;
                src.close(); // after the watchdog's kill too: it only forgets the process
            }
            QemuError crash = QemuError.crashIn(src.log());
            if (crash.kind() != QemuError.Kind.NONE) {
                // an abort says more than a broken monitor; a completed migration stays completed
                return new Source(ending == Ending.COMPLETED ? ending : Ending.DIED, crash, issued[0], migrationMillis);
            }
            return new Source(ending, error, issued[0], migrationMillis);
        } finally {
            watchdog.shutdownNow();
        }
    }

    private static void killHung(QemuProcess q, AtomicBoolean hung) {
        hung.set(true);
        try {
            q.kill();
        } catch (IOException e) {
            // killed anyway
        }
    }

    /** QEMU's final migration status as an error: NONE when it completed. */
    static QemuError ended(String status) {
        return status.equals("completed") ? QemuError.NONE
                : new QemuError(QemuError.Kind.MIGRATION_ENDED, status, "the migration ended " + status);
    }

    /** Migrates, making each guest write once the disk progress reaches its point; QEMU's final status. */
    private static String migrate(QemuProcess q, QemuScenario s, Path stream, int[] issued) throws IOException {
        q.setMaxBandwidth(s.bandwidthBytesPerSecond());
        if (s.zeroBlocks()) {
            q.setCapability("zero-blocks", true);
        }
        q.migrate("exec:cat > " + stream, true, s.incremental());
        int next = 0;
        while (true) {
            JsonNode info = q.command("query-migrate", null);
            String st = info.path("status").asText("none");
            if (!st.matches("setup|active|device|none|pre-switchover")) {
                return st;
            }
            JsonNode disk = info.path("disk");
            long total = disk.path("total").asLong(0);
            int percent = total == 0 ? 0 : (int) (disk.path("transferred").asLong(0) * 100 / total);
            if (st.equals("active") && next < s.writes().size() && s.writes().get(next).atPercent() <= percent) {
                QemuScenario.Write w = s.writes().get(next++);
                String drive = QemuScenario.name(w.device());
                if (w.zero()) {
                    q.qemuIoWriteZeros(drive, w.offsetBytes(), w.lengthBytes());
                } else {
                    q.qemuIoWrite(drive, w.pattern(), w.offsetBytes(), w.lengthBytes());
                }
                issued[0]++;
                continue;
            }
            sleepMillis(5);
        }
    }

    /** A destination QEMU loads {@code stream} into {@code targets}: how it ended and what it said. */
    static QemuLoad load(Path dir, List<QemuProcess.Drive> targets, Path stream, int ramMiB) throws IOException {
        if (!Files.exists(stream)) {
            return QemuLoad.NOT_RUN;
        }
        QemuProcess q;
        try {
            q = QemuProcess.start(dir, targets, "exec:cat " + stream, ramMiB);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            // it can fail on the stream before its monitor is up
            return new QemuLoad(Ending.FAILED, QemuError.of(e));
        }
        try (q) {
            String status;
            try {
                status = q.awaitIncoming(DESTINATION_TIMEOUT);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                q.kill();
                return new QemuLoad(Ending.HUNG, QemuError.of(e));
            }
            if (status.equals("completed")) {
                return new QemuLoad(Ending.COMPLETED, QemuError.NONE);
            }
            // its monitor went away ("error"): it is exiting, or its monitor broke
            for (long waited = 0; status.startsWith("error") && q.alive() && waited < EXIT_WAIT_MILLIS; waited += 50) {
                sleepMillis(50);
            }
            // failed, or exited on a failed load: one ending whatever the monitor saw first
            QemuError said = QemuError.inLog(q.log());
            boolean brokeAlive = status.startsWith("error") && q.alive();
            return new QemuLoad(Ending.FAILED, said.kind() == QemuError.Kind.NONE && brokeAlive
                    ? new QemuError(QemuError.Kind.MONITOR_CLOSED, "", status) : said);
        }
    }

    /** Opens a receiver's targets into the map it is given. */
    interface Targets {
        void open(Map<String, Disk> into) throws IOException;
    }

    /** blkmig's receiver applies {@code stream} to the targets; a receiver that throws is incomplete. Closes the targets. */
    static ReceiveResult receive(Path stream, Targets targets) throws IOException {
        Map<String, Disk> disks = new LinkedHashMap<>();
        try {
            targets.open(disks);
            try (InputStream in = Files.newInputStream(stream)) {
                return new BlockReceiver(disks).receive(in);
            }
        } catch (RuntimeException e) {
            return new ReceiveResult(false, "blkmig's receiver threw " + e, 0, 0, 0, -1, 0);
        } finally {
            for (Disk d : disks.values()) {
                d.close();
            }
        }
    }

    static void sleepMillis(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }
}
