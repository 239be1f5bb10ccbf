// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.cli.report.CiReport;
import org.blkmig.model.fuzz.StreamFuzzer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = {"Feeds mutated streams to the decoder and the receiver: bit flips, truncation, repeated and swapped",
            "sections, arbitrary record headers, huge fields, hostile device names.",
            "Exit 0 when every input ended in a protocol error or an honest result."})
final class FuzzCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--inputs", paramLabel = "N", defaultValue = "100000", description = "Inputs to try (default ${DEFAULT-VALUE}).")
    long inputs;

    @Mixin
    SharedOptions.Seed seedOption;

    @Mixin
    CiReport.Outputs ci;

    @Override
    public Integer call() throws java.io.IOException {
        if (inputs < 0) {
            throw new UserError("--inputs must be >= 0");
        }
        List<CiReport.Case> cases = fuzz(spec.commandLine().getOut(), seedOption.seed, inputs);
        new CiReport("blkmig fuzz").addAll(cases).write(ci);
        return cases.stream().anyMatch(c -> c.status() == CiReport.Status.FAILED) ? Main.CHECK_FAILED : Main.OK;
    }

    /** The fuzzers, printed: one case for the run, one failed case per finding. */
    static List<CiReport.Case> fuzz(PrintWriter out, long seed, long inputs) {
        StreamFuzzer.Summary s = new StreamFuzzer().run(seed, inputs);
        out.printf("fuzz: %d inputs from seed %d in %.1f s (%.0f inputs/s): %d findings; outcomes %s%n", s.inputs(), seed,
                s.elapsedNanos() / 1e9, s.inputs() * 1e9 / Math.max(1, s.elapsedNanos()), s.findings(), s.outcomes());
        List<CiReport.Case> cases = new ArrayList<>();
        String name = s.inputs() + " inputs from seed " + seed;
        if (s.findings() == 0) {
            cases.add(CiReport.Case.passed("fuzz", name, "every input ended in a protocol error or an honest result: "
                    + s.outcomes(), s.elapsedNanos() / 1e9));
        } else {
            cases.add(CiReport.Case.failed("fuzz", name, s.findings() + " finding(s)", "", s.elapsedNanos() / 1e9));
        }
        for (StreamFuzzer.Finding f : s.first()) {
            out.println("  seed " + f.seed() + ": " + f.mutation() + ": " + f.problem());
            cases.add(CiReport.Case.failed("fuzz", "input seed " + f.seed() + ": " + f.mutation(), f.problem(), "", 0));
        }
        return cases;
    }
}
