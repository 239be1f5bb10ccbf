// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.concurrent.TimeUnit;

/** Runs {@code blkmig} in process and keeps what it printed. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        return run(new Live(), args);
    }

    /** Runs with {@code err} readable while the command runs (run it on another thread). */
    static Cli run(Live err, String... args) {
        StringWriter out = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** What a command prints, readable from another thread: a test waits for a line instead of sleeping. */
    static final class Live extends Writer {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(char[] chars, int offset, int length) {
            text.append(chars, offset, length);
            notifyAll();
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}

        @Override
        public synchronized String toString() {
            return text.toString();
        }

        /** Waits until the text contains {@code wanted}; false if it did not within the limit. */
        synchronized boolean awaitContains(String wanted, long limitMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMillis);
            while (text.indexOf(wanted) < 0) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
            }
            return true;
        }
    }

    /** One line, starting "blkmig: ", and no stack trace. */
    boolean oneLineError() {
        String e = err.strip();
        return e.startsWith("blkmig: ") && !e.contains("\n") && !e.contains("\tat ") && !out.contains("\tat ");
    }
}
