// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.blkmig.protocol.ProtocolException;

/** Turns an exception into the one line a user reads: what and where, never a stack trace. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message);
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
