// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.blkmig.protocol.ProtocolException;

/** Turns an exception into the one line a user reads: what and where, never a stack trace. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    /** "cannot read FILE: " and the first line of why (a JSON parser's message goes on with an excerpt of the input). */
    public static UserError cannotRead(Path file, IOException e) {
        String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
        return new UserError("cannot read " + file + ": " + (why.isBlank() ? e.getClass().getSimpleName() : why));
    }

    static String describe(Throwable t) {
        if (t instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (t instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (t instanceof ProtocolException e) {
            return "bad stream " + e.getMessage();
        }
        if (t instanceof UserError || t instanceof IllegalArgumentException) {
            return t.getMessage();
        }
        if (t instanceof IOException) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        }
        return "internal error: " + t; // a bug of blkmig's: still one line
    }
}
