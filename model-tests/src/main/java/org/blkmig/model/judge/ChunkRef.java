// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/** A chunk of a device: the unit the migration sends and the diagram draws. */
public record ChunkRef(String device, long chunk) implements Comparable<ChunkRef> {
    @Override
    public int compareTo(ChunkRef o) {
        int c = device.compareTo(o.device);
        return c != 0 ? c : Long.compare(chunk, o.chunk);
    }

    @Override
    public String toString() {
        return device + " chunk " + chunk;
    }
}
