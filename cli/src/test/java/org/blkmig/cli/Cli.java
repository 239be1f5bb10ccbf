// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code blkmig} in process and keeps what it printed. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** One line, starting "blkmig: ", and no stack trace. */
    boolean oneLineError() {
        String e = err.strip();
        return e.startsWith("blkmig: ") && !e.contains("\n") && !e.contains("\tat ") && !out.contains("\tat ");
    }
}
