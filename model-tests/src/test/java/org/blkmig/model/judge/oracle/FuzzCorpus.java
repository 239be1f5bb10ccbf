// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.fuzz.StreamFuzzer;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.SectionType;
import org.blkmig.protocol.qemu.QemuEvent;
import org.blkmig.protocol.qemu.QemuStreamReader;

/**
 * Writes the seed corpus of {@link DecoderFuzzTest}: small real QEMU 7.2 streams (cut, or with
 * their bulk payloads left out), small simulated streams with 64 KiB chunks (complete and cut),
 * the stream fuzzer's seeds, the hand-built stream of {@link OracleDecoderTest} and a bare record
 * list. Run from model-tests: {@code java -cp ... org.blkmig.model.judge.oracle.FuzzCorpus}.
 */
public final class FuzzCorpus {
    private FuzzCorpus() {}

    static final Path DIR = Path.of("src/test/resources/org/blkmig/model/oracle/DecoderFuzzTestInputs");

    /** The first byte picks the chunk size (see DecoderFuzzTest.CHUNK_BYTES). */
    static byte[] seed(int chunkBytes, byte[] stream) {
        int selector = java.util.Arrays.stream(DecoderFuzzTest.CHUNK_BYTES).boxed().toList().indexOf(chunkBytes);
        if (selector < 0) {
            throw new IllegalArgumentException("no selector for chunk " + chunkBytes);
        }
        byte[] b = new byte[stream.length + 1];
        b[0] = (byte) selector;
        System.arraycopy(stream, 0, b, 1, stream.length);
        return b;
    }

    static byte[] qemu72(String name) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DecoderDifferentialTest.QEMU72.resolve(name)))) {
            return in.readAllBytes();
        }
    }

    /** A real stream without its PART sections (the bulk: RAM pages, 1 MiB blocks) and with a short VM description. */
    static byte[] withoutParts(byte[] real) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuStreamReader r = new QemuStreamReader(ByteInput.of(real));
        long kept = 0; // bytes up to here are decided
        boolean dropping = false;
        QemuEvent e;
        while ((e = r.next()) != null) {
            if (e instanceof QemuEvent.SectionBegin b) {
                out.write(real, (int) kept, (int) (b.offsetBytes() - kept));
                kept = b.offsetBytes();
                dropping = b.type() == SectionType.PART;
            } else if (e instanceof QemuEvent.SectionEnd s) {
                if (!dropping) {
                    out.write(real, (int) kept, (int) (s.offsetBytes() - kept));
                }
                kept = s.offsetBytes();
                dropping = false;
            } else if (e instanceof QemuEvent.EndOfSections x) {
                out.write(real, (int) kept, (int) (x.offsetBytes() + 1 - kept));
                kept = x.offsetBytes() + 1;
            }
        }
        byte[] json = "{\"page_size\": 4096, \"devices\": []}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(6);
        out.write(ByteBuffer.allocate(4).putInt(json.length).array());
        out.write(json);
        return out.toByteArray();
    }

    static ScenarioRunner.Run simulate(String devices, boolean zeroBlocks) {
        String base = Campaign.choices(1, 0).toScenario().toString();
        String line = base.replaceFirst("devices=[^;]*", "devices=" + devices).replaceFirst("chunk=[^;]*", "chunk=64K")
                .replaceFirst("zero-blocks=[^;]*", "zero-blocks=" + zeroBlocks).replaceFirst("faults=[^;]*", "faults=none");
        return ScenarioRunner.run(Scenario.parse(line), Set.of());
    }

    static byte[] bytes(ScenarioRunner.Run run, long limit) throws IOException {
        try (InputStream in = run.stream().open(limit)) {
            return in.readAllBytes();
        }
    }

    public static void main(String[] args) throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("fuzzer-stream-2k", seed(2048, StreamFuzzer.stream(false)));
        seeds.put("fuzzer-stream-zero-blocks-2k", seed(2048, StreamFuzzer.stream(true)));
        seeds.put("hand-built-ram-and-device-state-4k", seed(4096, OracleDecoderTest.stream()));
        seeds.put("bare-record-list-2k", seed(2048, DecoderDifferentialTest.bareList(2048)));
        ScenarioRunner.Run sim = simulate("drive0:128K,drive1:100K", false);
        seeds.put("sim-64k-two-devices", seed(64 << 10, bytes(sim, Long.MAX_VALUE)));
        seeds.put("sim-64k-two-devices-cut", seed(64 << 10, bytes(sim, sim.stream().length() * 3 / 5)));
        seeds.put("sim-64k-zero-blocks", seed(64 << 10, bytes(simulate("drive0:192K,empty:0,ro:64K:ro", true), Long.MAX_VALUE)));
        byte[] real8 = qemu72("stream8m.bin.gz");
        seeds.put("qemu72-stream8m-first-4k", seed(1 << 20, java.util.Arrays.copyOf(real8, 4096)));
        seeds.put("qemu72-stream3m-without-parts", seed(1 << 20, withoutParts(qemu72("stream3m.bin.gz"))));
        seeds.put("qemu72-ramonly-without-parts", seed(1 << 20, withoutParts(qemu72("ramonly.bin.gz"))));
        Files.createDirectories(DIR);
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Files.write(DIR.resolve(e.getKey()), e.getValue());
            byte[] s = DecoderFuzzTest.stream(e.getValue());
            int chunk = DecoderFuzzTest.chunkBytes(e.getValue());
            Differential.Verdict v = Differential.compare(s, chunk, true);
            System.out.println(e.getKey() + ": " + e.getValue().length + " bytes, production " + v.production().ending()
                    + " " + v.production().detail() + ", " + v.oracle().lines().size() + " lines"
                    + (v.difference() == null ? "" : ", DIFFERENCE " + v.difference()));
        }
    }
}
