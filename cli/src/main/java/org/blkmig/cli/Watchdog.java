// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.nio.channels.Channel;
import java.util.function.LongSupplier;

/**
 * Closes a channel whose I/O has made no progress for the idle timeout, so a blocked read or
 * write fails instead of hanging. {@code stuckSinceNanos} gives when the current wait began, or -1
 * when nothing waits.
 */
final class Watchdog {
    private final Thread thread;
    private volatile boolean fired;

    Watchdog(String name, Channel channel, long idleTimeoutNanos, LongSupplier stuckSinceNanos, Runnable beforeClose) {
        thread = new Thread(() -> {
            while (channel.isOpen()) {
                long since = stuckSinceNanos.getAsLong();
                if (since >= 0 && System.nanoTime() - since > idleTimeoutNanos) {
                    fired = true;
                    beforeClose.run();
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // closing is all we can do
                    }
                    return;
                }
                try {
                    Thread.sleep(Math.max(10, idleTimeoutNanos / 10_000_000L));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** True once it has closed the channel. */
    boolean fired() {
        return fired;
    }

    void stop() {
        thread.interrupt();
    }
}
