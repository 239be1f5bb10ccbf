// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Property;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The properties every simulated run is judged by, as the registry lists them. */
@Command(name = "properties", mixinStandardHelpOptions = true,
        description = {"Lists the properties every simulated run is judged by, in report order, from the judge's registry."})
final class PropertiesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--markdown", description = "As the Markdown table README.md shows.")
    boolean markdown;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(markdown ? markdown() : text());
        spec.commandLine().getOut().flush();
        return Main.OK;
    }

    static String text() {
        StringBuilder b = new StringBuilder();
        for (Property p : Properties.ALL) {
            b.append(String.format("  %-26s %s%n", p.id(), p.promise()));
        }
        return b.toString();
    }

    static String markdown() {
        StringBuilder b = new StringBuilder("| property | what it promises |\n|---|---|\n");
        for (Property p : Properties.ALL) {
            b.append("| `").append(p.id()).append("` | ").append(p.promise().replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }

    /** The help footer of the commands that judge runs: the registry's properties. */
    static List<String> footer() {
        return List.of("", "Every run is judged by these properties (blkmig properties):", text());
    }
}
