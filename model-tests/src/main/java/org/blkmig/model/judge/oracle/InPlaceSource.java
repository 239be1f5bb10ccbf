// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An input that lends its bytes where they lie, so that a block's data is named without first being
 * copied into the decoder's buffer (a simulated run's stream held in memory).
 */
public interface InPlaceSource {
    /** A read-only view of the next bytes, at most {@code maxBytes} of them, which it reads past; null at the end. */
    ByteBuffer lend(int maxBytes) throws IOException;
}
