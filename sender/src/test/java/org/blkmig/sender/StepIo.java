// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.IoContext;

/**
 * An I/O context the test steps by hand: reads wait in a queue and complete in submission order,
 * one by one, when the sender waits or the test says so; time moves only when paused. Reads of the
 * sectors in {@link #failing} fail. Counts what the sender says it wrote and transferred.
 */
final class StepIo implements IoContext {
    private record Pending(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {}

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    final Set<Long> failing = new HashSet<>();
    long nowNanos;
    long wroteBytes;
    long transferredBytes;
    int submitted;
    /** False: a wait that no completion can satisfy fails, as the simulation's deadlock does. */
    boolean stuck;
    /** Runs before each completion: a guest writing while reads are in flight. */
    Runnable onComplete = () -> {};

    @Override
    public long nowNanos() {
        return nowNanos;
    }

    @Override
    public void submitRead(BlockDevice device, long sector, ByteBuffer dst, ReadDone done) {
        submitted++;
        queue.add(new Pending(device, sector, dst, done));
    }

    int inFlight() {
        return queue.size();
    }

    /** Completes the oldest read; false if none is in flight. */
    boolean completeNext() {
        Pending p = queue.poll();
        if (p == null) {
            return false;
        }
        finish(p);
        return true;
    }

    /** Completes the read in flight at {@code sector} ahead of the others. */
    void complete(long sector) {
        Pending p = queue.stream().filter(x -> x.sector == sector).findFirst().orElseThrow();
        queue.remove(p);
        finish(p);
    }

    private void finish(Pending p) {
        onComplete.run();
        IOException error = null;
        if (failing.contains(p.sector)) {
            error = new IOException("medium error at sector " + p.sector);
        } else {
            try {
                p.device.read(p.sector, p.dst.duplicate());
            } catch (IOException e) {
                error = e;
            }
        }
        p.done.done(error);
    }

    void completeAll() {
        while (completeNext()) {
            // in order
        }
    }

    @Override
    public void awaitUntil(BooleanSupplier condition) throws IOException {
        while (!condition.getAsBoolean()) {
            if (stuck || !completeNext()) {
                throw new IOException("nothing left to run and the awaited condition is false");
            }
        }
    }

    @Override
    public void pause(long deadlineNanos) {
        nowNanos = Math.max(nowNanos, deadlineNanos);
        if (!stuck) {
            completeAll();
        }
    }

    @Override
    public void addReadListener(ReadListener listener) {
        throw new UnsupportedOperationException("not needed by these tests");
    }

    @Override
    public boolean prefersDirectBuffers() {
        return false;
    }

    @Override
    public void awaitTransfer(long bytes, long bytesPerSecond) {
        transferredBytes += bytes;
        nowNanos += (long) (bytes * 1e9 / bytesPerSecond);
    }

    @Override
    public void wrote(long bytes) {
        wroteBytes += bytes;
    }
}
