// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentMatchers;
import org.mockito.MockedConstruction;
import org.mockito.Mockito;

/** The golden corpus holds on the code as it is, and each way of breaking it is caught. */
class CorpusTest {
    static final Path CORPUS = Path.of("..", "corpus");

    @TempDir
    Path dir;

    Path copy() throws Exception {
        Path c = dir.resolve("corpus");
        Files.createDirectories(c);
        try (var s = Files.list(CORPUS)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, c.resolve(p.getFileName()));
            }
        }
        return c;
    }

    @Test
    void everyEntryHoldsAndRegeneratingChangesNothing() throws Exception {
        Corpus corpus = Corpus.load(CORPUS);
        assertTrue(corpus.entries().stream().anyMatch(e -> !e.blkmig()) && corpus.entries().stream().anyMatch(Corpus.Entry::blkmig));
        for (Corpus.Result r : corpus.check(Variant.BLKMIG)) {
            assertTrue(r.passed(), r.entry().name() + ": " + r.problems());
        }
        Path c = copy();
        String before = Files.readString(c.resolve(Corpus.INDEX));
        assertEquals(List.of(), Corpus.load(c).regenerate());
        assertEquals(before, Files.readString(c.resolve(Corpus.INDEX)), "regenerating the same code writes the same index");
        for (Corpus.Entry e : Corpus.load(c).entries()) {
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(CORPUS.resolve(e.stream())), Files.readAllBytes(c.resolve(e.stream()))),
                    e.stream() + " is written again byte for byte");
        }
    }

    @Test
    void aChangedStreamAnotherImageAndAnotherSenderAreEachCaught() throws Exception {
        Path c = copy();
        Corpus corpus = Corpus.load(c);
        Corpus.Entry qemu = corpus.entries().stream().filter(e -> !e.blkmig()).findFirst().orElseThrow();
        // another image hash: the rebuilt image no longer matches
        Corpus.Entry wrongImage = new Corpus.Entry(qemu.name(), qemu.kind(), qemu.stream(), qemu.streamSha256(),
                qemu.chunkSizeBytes(), java.util.Map.of("drive0", new Corpus.Image(
                        qemu.images().get("drive0").sizeBytes(), "0".repeat(64))), null, "blkmig", "");
        Corpus.write(c, List.of(wrongImage));
        List<String> p = Corpus.load(c).check(Variant.BLKMIG).get(0).problems();
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("rebuilt image drive0 has SHA-256"), p.toString());
        // a byte of the compressed file: gzip's own check
        byte[] gz = Files.readAllBytes(c.resolve(qemu.stream()));
        gz[gz.length / 2] ^= 0x40;
        Files.write(c.resolve(qemu.stream()), gz);
        Corpus.write(c, List.of(qemu));
        assertTrue(Corpus.load(c).check(Variant.BLKMIG).get(0).problems().get(0).contains("no longer decodes"));
        // a seeded bug in the sender: the blkmig entries' streams differ
        Corpus fresh = Corpus.load(CORPUS);
        Corpus.Result r = fresh.check(fresh.entries().stream().filter(Corpus.Entry::blkmig).findFirst().orElseThrow(),
                Variant.of(Mutant.MISSING_EOS));
        assertTrue(r.problems().stream().anyMatch(x -> x.startsWith("the current sender writes another stream")), r.problems().toString());
    }

    @Test
    void aBadIndexIsOneLine() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Corpus.load(dir));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        Files.writeString(dir.resolve(Corpus.INDEX), "{\"entries\": [{\"name\": \"x\", \"kind\": \"other\", \"stream\": \"x.gz\"}]}");
        e = assertThrows(IllegalArgumentException.class, () -> Corpus.load(dir));
        assertTrue(e.getMessage().contains("needs a name, a kind"), e.getMessage());
    }

    @Test
    void anIndexUnreadableWithoutAMessageIsNamedByTheErrorsClass() throws Exception {
        Path c = copy();
        // an IOException with no message, as an I/O error may have
        try (MockedConstruction<ObjectMapper> readers = Mockito.mockConstruction(ObjectMapper.class, (mapper, context) ->
                Mockito.when(mapper.readTree(ArgumentMatchers.any(File.class))).thenThrow(new IOException()))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Corpus.load(c));
            assertEquals("cannot read the corpus index " + c.resolve(Corpus.INDEX) + ": IOException", e.getMessage());
        }
    }
}
