// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * An output that wraps a channel (a watchdog, say) but can still take file data without a copy:
 * {@code FileChannel.transferTo} into a wrapper would copy through a buffer.
 */
public interface ZeroCopyTarget {
    /** Sends {@code count} bytes of {@code file} from {@code position}; returns how many went. */
    long transferFrom(FileChannel file, long position, long count) throws IOException;
}
