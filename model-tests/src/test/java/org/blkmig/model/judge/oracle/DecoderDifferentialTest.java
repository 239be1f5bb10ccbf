// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.fuzz.StreamFuzzer;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.sim.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * The production decoder and the oracle's, on real QEMU streams, simulated streams (clean and
 * with each mutant, whole and cut short) and fuzzed inputs: they see the same payloads and
 * records, or both reject the input the same way (truncated or malformed).
 */
class DecoderDifferentialTest {
    static final int QEMU_CHUNK_BYTES = 1 << 20;
    static final java.nio.file.Path QEMU72 = java.nio.file.Path.of("../protocol/src/test/resources/qemu72");

    static byte[] qemu72(String name) {
        // the protocol module's test resources: streams a real QEMU 7.2 wrote (see their README.md)
        try (InputStream in = new GZIPInputStream(java.nio.file.Files.newInputStream(QEMU72.resolve(name)))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts agreement and keeps the first disagreements, so one run shows them all. */
    static final class Tally {
        final Map<String, Integer> endings = new LinkedHashMap<>();
        final List<String> disagreements = new ArrayList<>();
        int inputs;

        void add(String what, Differential.Verdict v) {
            inputs++;
            endings.merge(v.oracle().ending(), 1, Integer::sum);
            if (v.difference() != null && disagreements.size() < 10) {
                disagreements.add(what + ": " + v.difference());
            }
        }

        void assertAgreed() {
            assertEquals(List.of(), disagreements, "disagreements among " + inputs + " inputs, endings " + endings);
        }
    }

    @Test
    void realQemuStreamsWholeAndCutShort() {
        Tally t = new Tally();
        SplittableRandom random = new SplittableRandom(72);
        for (String name : List.of("stream8m.bin.gz", "stream3m.bin.gz", "ramonly.bin.gz")) {
            byte[] s = qemu72(name);
            Differential.Verdict whole = Differential.compare(s, QEMU_CHUNK_BYTES, true);
            assertEquals("ok", whole.production().ending(), name + ": " + whole.production().detail());
            t.add(name, whole);
            for (int i = 0; i < 8; i++) {
                int cut = random.nextInt(s.length);
                Differential.Verdict v = Differential.compare(java.util.Arrays.copyOf(s, cut), QEMU_CHUNK_BYTES, true);
                assertEquals("truncated", v.oracle().ending(), name + " cut at " + cut + ": " + v.oracle().detail());
                t.add(name + " cut at " + cut, v);
            }
        }
        t.assertAgreed();
    }

    @Test
    void simulatedStreamsCleanAndWithEachMutant() {
        Tally t = new Tally();
        SplittableRandom random = new SplittableRandom(7);
        List<Set<Mutant>> variants = new ArrayList<>();
        variants.add(Set.of());
        for (Mutant m : Mutant.simulated()) {
            variants.add(EnumSet.of(m));
        }
        int scenarios = 0;
        for (Set<Mutant> mutants : variants) {
            int count = mutants.isEmpty() ? 200 : 12;
            for (int k = 0; k < count; k++) {
                ScenarioRunner.Run run;
                try {
                    run = ScenarioRunner.run(Campaign.choices(1, k).toScenario(), mutants);
                } catch (ScenarioRunner.TooLarge e) {
                    continue;
                }
                scenarios++;
                int chunk = run.scenario().chunkSizeBytes();
                String what = "scenario " + k + " " + mutants;
                Differential.Verdict whole = Differential.compare(() -> run.stream().open(), chunk, true);
                t.add(what, whole);
                List<Long> cuts = new ArrayList<>(List.of(random.nextLong(run.stream().length() + 1)));
                if (mutants.isEmpty() && k < 20) {
                    // where a sender that stops leaves the stream: at a payload's end and just before its footer
                    whole.oracle().lines().stream().filter(x -> x.startsWith("end ")).limit(6)
                            .map(x -> Long.parseLong(x.substring(x.indexOf('@') + 1)))
                            .forEach(end -> cuts.addAll(List.of(end, end - 5)));
                }
                for (long cut : cuts) {
                    t.add(what + " cut at " + cut, Differential.compare(() -> run.stream().open(cut), chunk, true));
                }
            }
        }
        assertTrue(scenarios > 300, scenarios + " scenarios");
        t.assertAgreed();
    }

    @Test
    void aHandBuiltStreamWithRamAndDeviceStateAndItsPrefixes() {
        Tally t = new Tally();
        byte[] s = OracleDecoderTest.stream();
        Differential.Verdict whole = Differential.compare(s, OracleDecoderTest.CHUNK_BYTES, true);
        assertEquals("ok", whole.production().ending(), whole.production().detail());
        t.add("whole", whole);
        for (int cut = 0; cut < s.length; cut += cut < 200 || cut > s.length - 200 ? 1 : 7) {
            t.add("cut at " + cut, Differential.compare(java.util.Arrays.copyOf(s, cut), OracleDecoderTest.CHUNK_BYTES, true));
        }
        t.assertAgreed();
    }

    @Test
    void cornerCasesWhereTheDecodersOnceDisagreed() {
        byte[] s = OracleDecoderTest.stream();
        int blockStartAt = 95;
        int eofAt = s.length - 20;
        byte[] lateConfiguration = new byte[s.length + 5];
        System.arraycopy(s, 0, lateConfiguration, 0, blockStartAt);
        lateConfiguration[blockStartAt] = 0x07; // and a machine type of 0 bytes
        System.arraycopy(s, blockStartAt, lateConfiguration, blockStartAt + 5, s.length - blockStartAt);
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("a FULL block section", OracleDecoderTest.with(s, blockStartAt, (byte) 0x04));
        cases.put("a configuration after the first section", lateConfiguration);
        cases.put("a RAM record MEM_SIZE and EOS", OracleDecoderTest.with(s, 50, (byte) 0x14));
        cases.put("a VM description of 4 GiB", OracleDecoderTest.with(s, eofAt + 2, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff));
        Tally t = new Tally();
        cases.forEach((what, bytes) -> {
            Differential.Verdict v = Differential.compare(bytes, OracleDecoderTest.CHUNK_BYTES, true);
            assertTrue(!v.oracle().ending().equals("ok"), what + ": " + v.oracle());
            t.add(what, v);
        });
        t.assertAgreed();
    }

    @Test
    void fuzzedStreams() {
        Tally t = new Tally();
        StreamFuzzer fuzzer = new StreamFuzzer();
        for (long seed = 0; seed < 3000; seed++) {
            StreamFuzzer.Input in = fuzzer.mutate(seed);
            t.add("seed " + seed + " (" + in.mutation() + ")", Differential.compare(in.bytes(), StreamFuzzer.CHUNK, true));
        }
        t.assertAgreed();
    }

    /** A bare record list as RecordWriter writes it: START, a PART with blocks, END. */
    static byte[] bareList(int chunkBytes) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.blkmig.protocol.RecordWriter w = new org.blkmig.protocol.RecordWriter(out, chunkBytes);
        long sectorsPerChunk = chunkBytes / 512;
        List<org.blkmig.protocol.Record> records = new ArrayList<>();
        records.add(org.blkmig.protocol.Record.EndOfSection.INSTANCE);
        records.add(new org.blkmig.protocol.Record.Progress(0));
        for (int c = 0; c < 6; c++) {
            byte[] data = new byte[chunkBytes];
            java.util.Arrays.fill(data, (byte) (c + 1));
            records.add(c % 3 == 2 ? new org.blkmig.protocol.Record.ZeroBlock(c * sectorsPerChunk, "drive0")
                    : new org.blkmig.protocol.Record.DeviceBlock(c * sectorsPerChunk, "drive0", java.nio.ByteBuffer.wrap(data)));
        }
        records.add(new org.blkmig.protocol.Record.Progress(100));
        records.add(org.blkmig.protocol.Record.EndOfSection.INSTANCE);
        try {
            for (org.blkmig.protocol.Record r : records) {
                w.write(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Bit flips, a cut, or a random record header at a record's place. */
    static byte[] mutateBare(byte[] valid, SplittableRandom r) {
        byte[] b = valid.clone();
        switch (r.nextInt(3)) {
            case 0 -> {
                for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            default -> {
                // the first records are 8 bytes each (EOS, PROGRESS): a header at 0 or 8
                int at = r.nextBoolean() ? 0 : 8;
                java.nio.ByteBuffer.wrap(b).putLong(at, (r.nextLong(1 << 12) << 9) | r.nextInt(0x200));
            }
        }
        return b;
    }

    @Test
    void bareRecordLists() {
        Tally t = new Tally();
        byte[] valid = bareList(StreamFuzzer.CHUNK);
        Differential.Verdict clean = Differential.compare(valid, StreamFuzzer.CHUNK, false);
        assertEquals("ok", clean.oracle().ending(), clean.oracle().detail());
        assertEquals(10, clean.oracle().lines().size());
        t.add("the valid list", clean);
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 2000; i++) {
            t.add("mutation " + i, Differential.compare(mutateBare(valid, random), StreamFuzzer.CHUNK, false));
        }
        t.assertAgreed();
    }
}
