// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import org.blkmig.model.judge.Promise;

/**
 * The promises only a real run has; the others a real run is judged by are the simulation's own
 * ({@code Properties.PROTOCOL}, {@code IDENTICAL} ...), with their ids and meaning.
 */
public enum QemuPromise implements Promise {
    SETUP("setup", "the scenario's images are made and its QEMUs start"),
    NO_HANG("no-hang", "the migration and each destination reach a final state within the scenario's deadline"),
    RECEIVER_MATCHES_STREAM("receiver-matches-stream", "when QEMU says completed, blkmig's target equals what the stream"
            + " carries (the oracle's own rebuild of it), whether or not QEMU put its disks into the stream faithfully");

    private final String id;
    private final String promise;

    QemuPromise(String id, String promise) {
        this.id = id;
        this.promise = promise;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String promise() {
        return promise;
    }
}
