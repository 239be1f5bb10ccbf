// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CiReport;
import org.blkmig.model.campaign.Corpus;
import org.blkmig.model.scenario.Variant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "corpus", mixinStandardHelpOptions = true,
        description = {"Checks the golden corpus: every stream still decodes and rebuilds the images whose SHA-256 it lists,",
            "and the current sender still writes each blkmig scenario's stream byte for byte.",
            "--regenerate rewrites the blkmig entries after an intended change (review the corpus's diff).",
            "Exit 0 when every entry holds, 1 when one does not."})
final class CorpusCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "The corpus directory (default: ./corpus, or the one beside blkmig's jar).")
    Path dir;

    @Option(names = "--regenerate", description = "Rewrite the blkmig entries (streams and hashes) with the current sender.")
    boolean regenerate;

    @Mixin
    SharedOptions.Mutants mutants;

    @Mixin
    CiReport.Outputs ci;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Corpus corpus = load(dir);
        if (regenerate) {
            if (!mutants.names.isEmpty()) {
                throw new UserError("--regenerate writes the corpus of the code as it is: drop --mutant");
            }
            List<String> changed = corpus.regenerate();
            out.println("corpus " + corpus.dir() + ": regenerated " + corpus.entries().stream().filter(Corpus.Entry::blkmig).count()
                    + " blkmig entries; changed: " + (changed.isEmpty() ? "none" : String.join(", ", changed)));
            return Main.OK;
        }
        List<CiReport.Case> cases = check(out, corpus, new Variant(org.blkmig.sender.Profile.BLKMIG, mutants.parse()));
        new CiReport("blkmig corpus").addAll(cases).write(ci);
        return cases.stream().anyMatch(c -> c.status() == CiReport.Status.FAILED) ? Main.CHECK_FAILED : Main.OK;
    }

    /** The corpus at {@code dir}, or the default one; a missing one is a usage error. */
    static Corpus load(Path dir) {
        Path d = dir != null ? dir : defaultDir();
        if (d == null) {
            throw new UserError("no corpus directory here (./corpus) nor beside blkmig's jar: give --corpus DIR");
        }
        try {
            return Corpus.load(d);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** ./corpus, else the corpus of the checkout blkmig's jar was built in (cli/target/blkmig.jar). */
    static Path defaultDir() {
        Path here = Path.of("corpus");
        if (Files.isRegularFile(here.resolve(Corpus.INDEX))) {
            return here;
        }
        try {
            Path jar = Path.of(CorpusCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path beside = jar.getParent().getParent().getParent().resolve("corpus");
            return Files.isRegularFile(beside.resolve(Corpus.INDEX)) ? beside : null;
        } catch (Exception e) {
            return null; // not run from a jar in a checkout
        }
    }

    /** Checks every entry, printing one line each: one case per entry. */
    static List<CiReport.Case> check(PrintWriter out, Corpus corpus, Variant variant) {
        List<CiReport.Case> cases = new ArrayList<>();
        String with = variant.mutants().isEmpty() ? "" : " [mutant " + String.join(", ",
                variant.mutants().stream().map(org.blkmig.model.scenario.Mutant::cliName).sorted().toList()) + "]";
        for (Corpus.Entry e : corpus.entries()) {
            Corpus.Result r = corpus.check(e, variant);
            out.println("corpus " + e.name() + ": " + (r.passed() ? "ok" : "FAILED: " + String.join("; ", r.problems())));
            cases.add(r.passed()
                    ? CiReport.Case.passed("corpus", e.name(), e.kind() + " stream " + e.stream() + " decodes and rebuilds "
                            + e.images().size() + " image(s)" + (e.blkmig() ? "; the sender writes it again byte for byte" : ""),
                            r.seconds())
                    : CiReport.Case.failed("corpus", e.name() + with, r.problems().get(0), String.join("\n", r.problems()), r.seconds()));
        }
        return cases;
    }
}
