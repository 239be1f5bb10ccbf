// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A strategy from outside the reactor (examples/strategy, compiled here against the built modules and
 * packed into a jar with its META-INF/services entry) runs by name under campaign and mutants.
 */
class StrategyJarTest {
    static final Path EXAMPLE = Path.of("..", "examples", "strategy");

    @TempDir
    static Path dir;
    static Path jar;

    @BeforeAll
    static void buildTheJar() throws IOException {
        jar = buildJar(EXAMPLE, dir);
    }

    /** Compiles {@code example}/src with javac into a jar beside its META-INF; the class path is blkmig's API only. */
    static Path buildJar(Path example, Path work) throws IOException {
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> sources;
        try (Stream<Path> s = Files.walk(example.resolve("src"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        String classPath = String.join(java.io.File.pathSeparator, where(org.blkmig.sender.strategy.Strategy.class),
                where(org.blkmig.simdisk.BlockDevice.class), where(org.blkmig.protocol.Record.class));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK's compiler");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", classPath, "--release", "17"));
        args.addAll(sources);
        assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "the example strategy compiles");
        Path out = work.resolve("strategy.jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(out))) {
            add(j, classes, classes);
            add(j, example, example.resolve("META-INF"));
        }
        return out;
    }

    private static String where(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(JarOutputStream j, Path root, Path from) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(root.relativize(p).toString().replace('\\', '/')));
                j.write(Files.readAllBytes(p));
                j.closeEntry();
            }
        }
    }

    @Test
    void theJarsStrategyRunsACampaignByName() {
        Cli c = Cli.run("campaign", "--strategy-jar", jar.toString(), "--profile", "half-speed", "--scenarios", "60");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("half-speed: 60 run, 60 passed, 0 failed"), c.out());
    }

    @Test
    void theKillMatrixCatchesTheJarsOwnSeededBug() {
        Cli c = Cli.run("mutants", "--strategy-jar", jar.toString(), "--profile", "half-speed", "--mutant",
                "half-speed-clear-after-read", "--mutant", "early-completion");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().matches("(?s).*half-speed-clear-after-read +strategy +yes +(identical|read-history) .*"), c.out());
        assertTrue(c.out().matches("(?s).*early-completion +qemu-7.2 +yes .*"), c.out());
        assertTrue(c.out().contains("all 2 mutants killed"), c.out());
    }

    @Test
    void compareRunsTheJarsStrategyBesideABuiltInOnTheSameScenarios() throws IOException {
        Path out = dir.resolve("compare");
        Cli c = Cli.run("compare", "--strategy-jar", jar.toString(), "--profile", "blkmig", "--profile", "half-speed",
                "--scenarios", "30", "--report", out.toString());
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().matches("(?s).*\nblkmig +30/30 .*\nhalf-speed +30/30 .*"), c.out());
        assertTrue(c.out().contains("half-speed total"), c.out());
        assertTrue(c.out().contains("--strategy-jar " + jar + " --profile half-speed"), "replays load the jar: " + c.out());
        List<String> csv = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals(1 + 2 * 30, csv.size());
        // paired: each scenario's two rows carry the same scenario line
        for (int k = 0; k < 30; k++) {
            String a = csv.get(1 + 2 * k);
            String b = csv.get(2 + 2 * k);
            assertTrue(a.startsWith(k + ",blkmig,") && b.startsWith(k + ",half-speed,"), a + "\n" + b);
            assertEquals(a.substring(a.indexOf(",\"")), b.substring(b.indexOf(",\"")));
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("data:image/png;base64,") && html.contains("Paired differences"), "CDFs and the table");
        assertTrue(Files.readString(out.resolve("compare.json")).contains("\"perStrategy\""));
    }

    /** A one-class strategy declaring {@code declared} not applicable, compiled into its own jar. */
    static Path declaringJar(String name, String declared) throws IOException {
        Path work = Files.createDirectories(dir.resolve(name));
        Path src = Files.createDirectories(work.resolve("example/src/org/example/decl"));
        String cls = "D" + Integer.toHexString(name.hashCode());
        Files.writeString(src.resolve(cls + ".java"), "package org.example.decl;\n"
                + "public class " + cls + " implements org.blkmig.sender.strategy.Strategy {\n"
                + "  public String name() { return \"" + name + "\"; }\n"
                + "  public String description() { return \"declares " + declared + " not applicable\"; }\n"
                + "  public java.util.Set<String> notApplicable() { return java.util.Set.of(\"" + declared + "\"); }\n}\n");
        Path services = Files.createDirectories(work.resolve("example/META-INF/services"));
        Files.writeString(services.resolve("org.blkmig.sender.strategy.Strategy"), "org.example.decl." + cls + "\n");
        return buildJar(work.resolve("example"), work);
    }

    @Test
    void aStrategyMayDeclareALivenessPropertyNotApplicableAndTheJudgeSaysSo() throws IOException {
        Path j = declaringJar("no-convergence", "convergence");
        Cli c = Cli.run("simulate", "--strategy-jar", j.toString(), "--profile", "no-convergence");
        assertEquals(0, c.exit(), c.out() + c.err());
        assertTrue(c.out().contains("N/A  convergence: n/a: the strategy declares this liveness property not applicable"), c.out());
        assertTrue(c.out().contains("PASS justified-non-convergence"), "only what it declared: " + c.out());
    }

    @Test
    void aStrategyThatDeclaresASafetyPropertyNotApplicableIsRefusedInOneLine() throws IOException {
        Path j = declaringJar("no-identical", "identical");
        Cli c = Cli.run("campaign", "--strategy-jar", j.toString(), "--profile", "no-identical", "--scenarios", "1");
        assertEquals(Main.USAGE, c.exit());
        assertTrue(c.oneLineError() && c.err().contains("declares 'identical' not applicable; a strategy may declare only"
                + " convergence, justified-non-convergence, promptness"), c.err());
    }

    @Test
    void anUnknownProfileIsOneLineNamingTheKnownOnes() {
        Cli c = Cli.run("campaign", "--strategy-jar", jar.toString(), "--profile", "no-such", "--scenarios", "1");
        assertEquals(Main.USAGE, c.exit());
        assertTrue(c.oneLineError() && c.err().contains("known: blkmig, qemu-7.2, throttle") && c.err().contains("half-speed"),
                c.err());
    }

    @Test
    void aMissingOrEmptyJarIsOneLine() throws IOException {
        Cli missing = Cli.run("campaign", "--strategy-jar", dir.resolve("nope.jar").toString(), "--scenarios", "1");
        assertEquals(Main.USAGE, missing.exit());
        assertTrue(missing.oneLineError() && missing.err().contains("does not exist"), missing.err());
        Path empty = dir.resolve("empty.jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(empty))) {
            j.putNextEntry(new JarEntry("README"));
        }
        Cli none = Cli.run("campaign", "--strategy-jar", empty.toString(), "--scenarios", "1");
        assertEquals(Main.USAGE, none.exit());
        assertTrue(none.oneLineError() && none.err().contains("lists no new strategy"), none.err());
    }
}
