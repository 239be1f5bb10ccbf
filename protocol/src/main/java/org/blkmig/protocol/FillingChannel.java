// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A channel that can repeat a read itself: {@link ByteInput} reads a block's data with one call
 * where it would loop over arrivals, so a simulated link fills the buffer without handing over to
 * the reader's thread at each arrival.
 */
public interface FillingChannel extends ReadableByteChannel {
    /**
     * Does what {@code read(dst)} called again and again does while each call returned bytes and
     * {@code dst} still has {@code minRemainingBytes} or more room: returns the bytes read in all,
     * or what the first call returned (-1 at the end of input); an end of input or an error after
     * some bytes is left for the next call.
     */
    int readWhileRoom(ByteBuffer dst, int minRemainingBytes) throws IOException;
}
