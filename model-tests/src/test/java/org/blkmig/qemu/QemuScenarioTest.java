// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/** The QEMU campaign's scenarios: drawn over QEMU's space, printed and read back, shrunk to simpler ones. */
class QemuScenarioTest {
    /** How complex a scenario is: every shrinking step lowers it. */
    static long weight(QemuScenario s) {
        return s.devices().size() * (1L << 50) + s.writes().size() * (1L << 45) + s.totalBytes()
                + (s.zeroBlocks() ? 1L << 40 : 0) + (s.image() == QemuScenario.Image.QCOW2 ? 1L << 41 : 0)
                + (long) s.ramMiB() * (1L << 30) + s.bandwidthBytesPerSecond() * 8;
    }

    @Property(tries = 400)
    void aScenarioLineReadsBackAsTheSameScenario(@ForAll long seed, @ForAll @IntRange(min = 0, max = 999) int k) {
        QemuScenario s = QemuCampaign.scenario(seed, k);
        assertEquals(s, QemuScenario.parse(s.toString()));
        assertEquals(s, QemuCampaign.scenario(seed, k), "a scenario depends only on (seed, k)");
        boolean partial = s.devices().stream().anyMatch(d -> d.sizeBytes() % QemuScenario.MIB != 0);
        Statistics.label("a partial last chunk").collect(partial);
        Statistics.label("a partial last chunk").coverage(c -> c.check(true).percentage(p -> p >= 25));
        Statistics.label("qcow2 over a base").collect(s.image() == QemuScenario.Image.QCOW2);
        Statistics.label("qcow2 over a base").coverage(c -> c.check(true).percentage(p -> p >= 15));
        Statistics.label("devices").collect(s.devices().size());
        Statistics.label("devices").coverage(c -> {
            c.check(1).percentage(p -> p >= 15);
            c.check(3).percentage(p -> p >= 15);
        });
        // the early-completion race needs a fast link and a disk the first 100 ms cannot finish
        Statistics.label("fast with a big disk").collect(s.bandwidthBytesPerSecond() >= 256 * QemuScenario.MIB
                && s.devices().stream().anyMatch(d -> d.sizeBytes() >= 64 * QemuScenario.MIB));
        Statistics.label("fast with a big disk").coverage(c -> c.check(true).percentage(p -> p >= 3));
        Statistics.label("guest writes").collect(!s.writes().isEmpty());
        Statistics.label("guest writes").coverage(c -> c.check(true).percentage(p -> p >= 50));
        assertTrue(s.bandwidthBytesPerSecond() >= QemuScenario.MIN_BANDWIDTH && s.bandwidthBytesPerSecond() <= QemuScenario.MAX_BANDWIDTH);
        assertTrue(s.totalBytes() <= QemuScenario.MAX_TOTAL_BYTES, s.toString());
    }

    @Property(tries = 200)
    void everySimplerScenarioIsLighterAndValid(@ForAll long seed) {
        QemuScenario s = QemuCampaign.scenario(seed, 0);
        List<QemuScenario> simpler = s.simpler();
        for (QemuScenario c : simpler) {
            assertNotEquals(s, c);
            assertTrue(weight(c) < weight(s), "not simpler: " + c + " from " + s);
            assertEquals(c, QemuScenario.parse(c.toString()));
        }
        Statistics.label("candidates").collect(simpler.isEmpty() ? "none" : "some");
    }

    @Test
    void shrinkingKeepsAPartialTailWhileHalvingTheWholeMebibytes() {
        QemuScenario s = QemuScenario.parse("devices=6M+1536:random image=raw zero-blocks=off bandwidth=8M ram=32M writes=none seed=1");
        List<String> sizes = s.simpler().stream().map(c -> c.toString().split(" ")[0]).toList();
        assertEquals(List.of("devices=3M+1536:random", "devices=6M+512:random", "devices=6M:random"), sizes);
    }

    @Test
    void droppingADeviceRenumbersTheWritesOfThoseAfterIt() {
        QemuScenario s = QemuScenario.parse("devices=1M:random,2M:sparse image=raw zero-blocks=on bandwidth=64M ram=64M"
                + " writes=10%:drive0@0+512:z,20%:drive1@4096+1024:p7f seed=3");
        assertEquals("writes=20%:drive0@4096+1024:p7f", s.simpler().get(0).toString().split(" ")[5]);
    }

    @Test
    void badLinesSayWhatIsWrong() {
        String good = "devices=1M:random image=raw zero-blocks=off bandwidth=8M ram=32M writes=none seed=1";
        assertEquals(good, QemuScenario.parse(good).toString());
        for (String[] bad : new String[][] {
            {"devices=1M:random", "missing 'image='"},
            {good + " color=red", "unknown key 'color'"},
            {good.replace("1M:random", "1000:random"), "multiple of 512"},
            {good.replace("random", "lumpy"), "unknown content 'lumpy'"},
            {good.replace("raw", "vmdk"), "unknown image 'vmdk'"},
            {good.replace("writes=none", "writes=5%:drive1@0+512:z"), "outside its device"},
            {good.replace("writes=none", "writes=5%:drive0@0+511:z"), "sector-aligned"},
            {good.replace("writes=none", "writes=soon"), "a write is PERCENT%"},
            {good.replace("zero-blocks=off", "zero-blocks=maybe"), "zero-blocks is on or off"},
            {good.replace("ram=32M", "ram=lots"), "ram is a number"},
            {good.replace("seed=1", "seed=x"), "seed is a number"},
            {"devices", "expected KEY=VALUE"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QemuScenario.parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
