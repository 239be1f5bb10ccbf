// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.blkmig.model.judge.Facts;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.World;
import org.blkmig.protocol.ByteInput;
import org.blkmig.protocol.check.StreamChecker;
import org.blkmig.receiver.BlockReceiver;
import org.blkmig.receiver.Destination;
import org.blkmig.receiver.ReceiveResult;
import org.blkmig.sender.Profile;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SparseMemoryDisk;

/**
 * The golden corpus ({@code corpus/corpus.json} and its gzipped streams): real QEMU 7.2 streams and
 * blkmig streams of fixed scenarios, each with the SHA-256 of the stream and of every image it must
 * rebuild. A check fails when a stream no longer decodes, rebuilds other images, or (blkmig entries)
 * when the current sender writes another stream for its scenario. {@link #regenerate} rewrites the
 * blkmig entries after an intended change, so the corpus's diff shows what changed on the wire.
 */
public final class Corpus {
    public static final String INDEX = "corpus.json";

    /** An entry: {@code scenario} and {@code profile} only for blkmig entries; images: device to size and SHA-256. */
    public record Entry(String name, String kind, String stream, String streamSha256, int chunkSizeBytes,
            Map<String, Image> images, String scenario, String profile, String origin) {
        public boolean blkmig() {
            return kind.equals("blkmig");
        }
    }

    public record Image(long sizeBytes, String sha256) {}

    /** The verdict on one entry: its problems, none when it passed. */
    public record Result(Entry entry, List<String> problems, double seconds) {
        public boolean passed() {
            return problems.isEmpty();
        }
    }

    private final Path dir;
    private final List<Entry> entries;

    private Corpus(Path dir, List<Entry> entries) {
        this.dir = dir;
        this.entries = entries;
    }

    public Path dir() {
        return dir;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Reads {@code dir/corpus.json}; a missing or malformed index is an IllegalArgumentException with one line. */
    public static Corpus load(Path dir) {
        Path index = dir.resolve(INDEX);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("cannot read the corpus index " + index + ": "
                    + (!Files.exists(index) ? "no such file" : why.isBlank() ? e.getClass().getSimpleName() : why));
        }
        if (root == null || !root.path("entries").isArray()) {
            throw new IllegalArgumentException(index + " has no \"entries\" list");
        }
        List<Entry> es = new ArrayList<>();
        for (JsonNode e : root.get("entries")) {
            Map<String, Image> images = new LinkedHashMap<>();
            e.path("images").fields().forEachRemaining(f -> images.put(f.getKey(),
                    new Image(f.getValue().path("sizeBytes").asLong(), f.getValue().path("sha256").asText())));
            Entry x = new Entry(e.path("name").asText(), e.path("kind").asText(), e.path("stream").asText(),
                    e.path("streamSha256").asText(), e.path("chunkSizeBytes").asInt(1 << 20), images,
                    e.path("scenario").asText(null), e.path("profile").asText("blkmig"), e.path("origin").asText(""));
            if (x.name().isEmpty() || x.stream().isEmpty() || !(x.kind().equals("blkmig") || x.kind().equals("qemu-7.2"))
                    || (x.blkmig() && x.scenario() == null) || (!x.blkmig() && images.isEmpty())) {
                throw new IllegalArgumentException(index + ": entry '" + x.name() + "' needs a name, a kind (blkmig or qemu-7.2),"
                        + " a stream, and a scenario (blkmig) or its images (qemu-7.2)");
            }
            es.add(x);
        }
        return new Corpus(dir, List.copyOf(es));
    }

    /** Checks every entry against the code under test ({@code variant}: its receiver bugs, its sender for blkmig entries). */
    public List<Result> check(Variant variant) {
        List<Result> rs = new ArrayList<>();
        for (Entry e : entries) {
            rs.add(check(e, variant));
        }
        return rs;
    }

    public Result check(Entry e, Variant variant) {
        long t0 = System.nanoTime();
        List<String> problems = new ArrayList<>();
        byte[] stream = null;
        try {
            stream = gunzip(Files.readAllBytes(dir.resolve(e.stream())));
        } catch (NoSuchFileException x) {
            problems.add("stream " + e.stream() + " is missing");
        } catch (IOException x) {
            problems.add("stream " + e.stream() + " no longer decodes: gzip: " + x.getMessage());
        }
        if (stream != null) {
            String sha = sha256(stream);
            if (!sha.equals(e.streamSha256())) {
                problems.add("stream " + e.stream() + " changed: SHA-256 " + sha + ", the corpus says " + e.streamSha256());
            }
            Map<String, Long> sizes = new LinkedHashMap<>();
            e.images().forEach((n, i) -> sizes.put(n, i.sizeBytes()));
            try {
                List<StreamChecker.Violation> vs = StreamChecker.checkQemuStream(ByteInput.of(stream), sizes, e.chunkSizeBytes());
                if (!vs.isEmpty()) {
                    problems.add("stream " + e.stream() + " no longer decodes cleanly: " + vs.get(0)
                            + (vs.size() > 1 ? " (+" + (vs.size() - 1) + " more)" : ""));
                }
            } catch (IOException | RuntimeException x) {
                problems.add("stream " + e.stream() + " no longer decodes: " + x.getMessage());
            }
            problems.addAll(rebuild(e, stream, variant));
        }
        if (e.blkmig()) {
            problems.addAll(resend(e, variant));
        }
        return new Result(e, List.copyOf(problems), (System.nanoTime() - t0) / 1e9);
    }

    /** Applies the stream with blkmig's receiver to blank images and compares them with the corpus's hashes. */
    private static List<String> rebuild(Entry e, byte[] stream, Variant variant) {
        List<String> problems = new ArrayList<>();
        Map<String, Disk> targets = new LinkedHashMap<>();
        e.images().forEach((n, i) -> targets.put(n, new SparseMemoryDisk(n, i.sizeBytes())));
        ReceiveResult r = new BlockReceiver(targets, e.chunkSizeBytes(), variant.receiverMutants(), p -> {}, 0,
                Destination.BLKMIG).receive(new java.io.ByteArrayInputStream(stream));
        if (!r.complete()) {
            problems.add("the receiver did not complete: " + r);
            return problems;
        }
        for (Map.Entry<String, Image> i : e.images().entrySet()) {
            String got = sha256(targets.get(i.getKey()));
            if (!got.equals(i.getValue().sha256())) {
                problems.add("rebuilt image " + i.getKey() + " has SHA-256 " + got + ", the corpus says " + i.getValue().sha256());
            }
        }
        return problems;
    }

    /** A blkmig entry's scenario run again by the current sender must write the corpus's stream, byte for byte. */
    private static List<String> resend(Entry e, Variant variant) {
        List<String> problems = new ArrayList<>();
        ScenarioRunner.Run run;
        try {
            run = ScenarioRunner.run(Scenario.parse(e.scenario()), new Variant(Profile.parse(e.profile()), variant.mutants()),
                    ScenarioRunner.RunFaults.NONE);
        } catch (RuntimeException x) {
            problems.add("scenario of " + e.name() + " does not run: " + x.getMessage());
            return problems;
        }
        String sha = run.stream().sha256();
        if (!sha.equals(e.streamSha256())) {
            problems.add("the current sender writes another stream for scenario " + e.name() + ": SHA-256 " + sha + " ("
                    + run.stream().length() + " bytes), the corpus has " + e.streamSha256()
                    + "; if the change is intended: blkmig corpus --regenerate, and review the corpus's diff");
        }
        return problems;
    }

    /** Runs each blkmig entry's scenario with the current sender and rewrites its stream and hashes; QEMU entries stay. */
    public List<String> regenerate() throws IOException {
        List<String> changed = new ArrayList<>();
        List<Entry> fresh = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.blkmig()) {
                fresh.add(e);
                continue;
            }
            Scenario s = Scenario.parse(e.scenario());
            ScenarioRunner.Run run = ScenarioRunner.run(s, new Variant(Profile.parse(e.profile()), java.util.Set.of()),
                    ScenarioRunner.RunFaults.NONE);
            if (!run.migration().completed()) {
                throw new IllegalArgumentException("scenario of " + e.name() + " did not complete (" + run.migration().reason()
                        + "): a corpus stream must be a whole migration");
            }
            byte[] bytes;
            try (InputStream in = run.stream().open()) {
                bytes = in.readAllBytes();
            }
            Map<String, Image> images = new LinkedHashMap<>();
            for (Scenario.Device d : s.devices()) {
                if (Facts.migrated(d)) {
                    String source = sha256(run.sources().get(d.name()));
                    if (!source.equals(sha256(run.targets().get(d.name())))) {
                        throw new IllegalArgumentException("scenario of " + e.name() + " leaves " + d.name() + " differing from its"
                                + " source: only verified migrations go into the corpus");
                    }
                    images.put(d.name(), new Image(d.sizeBytes(), source));
                }
            }
            Entry x = new Entry(e.name(), e.kind(), e.stream(), sha256(bytes), s.chunkSizeBytes(), images, e.scenario(),
                    e.profile(), e.origin());
            if (!x.equals(e)) {
                changed.add(e.name());
            }
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(e.stream())))) {
                out.write(bytes);
            }
            fresh.add(x);
        }
        write(dir, fresh);
        return changed;
    }

    /** Writes the index, entries in order, fields in a fixed order: a regenerated corpus diffs line by line. */
    public static void write(Path dir, List<Entry> entries) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("about", "blkmig's golden corpus: see README.md here; blkmig corpus checks it, blkmig corpus --regenerate"
                + " rewrites the blkmig entries");
        ArrayNode list = root.putArray("entries");
        for (Entry e : entries) {
            ObjectNode o = list.addObject();
            o.put("name", e.name());
            o.put("kind", e.kind());
            if (!e.origin().isEmpty()) {
                o.put("origin", e.origin());
            }
            if (e.blkmig()) {
                o.put("scenario", e.scenario());
                o.put("profile", e.profile());
            }
            o.put("stream", e.stream());
            o.put("streamSha256", e.streamSha256());
            o.put("chunkSizeBytes", e.chunkSizeBytes());
            ObjectNode images = o.putObject("images");
            e.images().forEach((n, i) -> images.putObject(n).put("sizeBytes", i.sizeBytes()).put("sha256", i.sha256()));
        }
        Files.writeString(dir.resolve(INDEX), m.writeValueAsString(root) + "\n");
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** The SHA-256 of a whole image, read in 1 MiB pieces. */
    public static String sha256(Disk d) {
        MessageDigest md = digest();
        long sectors = d.sizeBytes() / Disk.SECTOR_SIZE_BYTES;
        long step = (1 << 20) / Disk.SECTOR_SIZE_BYTES;
        for (long s = 0; s < sectors; s += step) {
            ByteBuffer b = World.read(d, s, Math.min(step, sectors - s));
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
