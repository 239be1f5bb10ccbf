// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile registry: the built-ins' limits and policies, names, seeded bugs, and the jars it refuses. */
class ProfileTest {
    @Test
    void theBuiltInsRunTheirPoliciesAndLimits() {
        SenderOptions qemu = Profile.QEMU_7_2.sender(SenderOptions.defaults(), 1);
        assertSame(SenderPolicies.QEMU_7_2, qemu.policies());
        assertEquals(16, qemu.maxReadsInFlight());
        assertEquals(512, qemu.maxBufferedChunks());
        SenderOptions blkmig = Profile.BLKMIG.sender(SenderOptions.defaults(), 1);
        assertEquals(SenderOptions.DEFAULT_MAX_READS_IN_FLIGHT, blkmig.maxReadsInFlight());
        assertEquals(SenderOptions.DEFAULT_MAX_BUFFERED_CHUNKS, blkmig.maxBufferedChunks());
        assertNotEquals(SenderPolicies.QEMU_7_2, blkmig.policies());
        for (Profile p : Profile.known()) {
            assertFalse(p.strategy().description().isBlank(), p + " has a description");
        }
    }

    @Test
    void aProfileIsItsNameAndItsSeededBug() {
        assertEquals("blkmig", Profile.BLKMIG.toString());
        assertEquals("qemu-7.2", Profile.QEMU_7_2.toString());
        assertSame(Profile.QEMU_7_2, Profile.parse("qemu-7.2"));
        assertEquals(Profile.BLKMIG, Profile.parse("blkmig"));
        assertNotEquals(Profile.BLKMIG, Profile.QEMU_7_2);
        assertNotEquals(Profile.BLKMIG.hashCode(), Profile.QEMU_7_2.hashCode());
        assertNull(Profile.BLKMIG.strategyMutant());

        Profile throttle = Profile.parse("throttle");
        Profile broken = throttle.withStrategyMutant("throttle-left-on");
        assertEquals("throttle-left-on", broken.strategyMutant().name());
        assertEquals("throttle with throttle-left-on", broken.toString());
        assertNotEquals(throttle, broken);
        assertNotEquals(throttle.hashCode(), broken.hashCode());
        assertEquals(broken, Profile.parse("throttle").withStrategyMutant("throttle-left-on"));
        assertEquals(throttle, broken.withoutStrategyMutant());
        assertNull(broken.withoutStrategyMutant().strategyMutant());
        assertThrows(IllegalArgumentException.class, () -> throttle.withStrategyMutant("no-such-bug"));
    }

    @Test
    void aJarThatIsMissingOrListsNoStrategyIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Profile.loadJar(dir.resolve("none.jar")));
        assertTrue(missing.getMessage().endsWith("does not exist"), missing.getMessage());
        Path empty = dir.resolve("empty.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(empty), new Manifest())) {
            out.flush();
        }
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Profile.loadJar(empty));
        assertTrue(none.getMessage().contains("lists no new strategy"), none.getMessage());
    }
}
