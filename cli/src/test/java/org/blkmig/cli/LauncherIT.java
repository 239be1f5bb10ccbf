// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command, through the launcher script, as a user runs it. */
class LauncherIT {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    static Result run(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of("..", "blkmig").toAbsolutePath().normalize().toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theMainCommandEndsVerifiedWithItsReport() throws Exception {
        Result r = run("simulate", "--report", dir.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verdict:     VERIFIED"), r.out());
        assertTrue(r.err().isEmpty(), "the jar is fresh: nothing rebuilt: " + r.err());
        assertTrue(Files.size(dir.resolve("report.html")) > 10_000);
    }

    @Test
    void aWrongOptionIsOneLineAndExit2() throws Exception {
        Result r = run("simulate", "--disks", "drive0=oops");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("blkmig: "), r.err());
    }
}
