// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.ArrayList;
import java.util.List;
import org.blkmig.simdisk.History;

/**
 * A run's history indexed once, by type: the markers (guest stop, link faults, a receiver that
 * closed), failed reads, the guest's writes. Read from the history's typed entries only.
 */
public final class HistoryIndex {
    private final List<History.Entry> entries;
    private final List<History.Marker> markers = new ArrayList<>();
    private final List<History.GuestWrite> guestWrites = new ArrayList<>();
    private long guestStoppedNanos = -1;
    private boolean readFailed;

    HistoryIndex(History history) {
        this.entries = history.entries();
        for (History.Entry e : entries) {
            if (e instanceof History.Marker m) {
                markers.add(m);
                if (m.kind() == History.Kind.GUEST_STOPPED && guestStoppedNanos < 0) {
                    guestStoppedNanos = m.timeNanos();
                }
            } else if (e instanceof History.GuestWrite w) {
                guestWrites.add(w);
            } else if (e instanceof History.ReadComplete rc && rc.failed()) {
                readFailed = true;
            }
        }
    }

    public List<History.Entry> entries() {
        return entries;
    }

    public List<History.Marker> markers() {
        return markers;
    }

    public List<History.GuestWrite> guestWrites() {
        return guestWrites;
    }

    /**
     * When the simulated guest stopped, by its own marker; -1 if it never did. The sender's result
     * gives no stop for a migration that failed in its final copy, though it happened.
     */
    public long guestStoppedNanos() {
        return guestStoppedNanos;
    }

    /** Whether the link injected a fault (a drop, a stall, a receiver that stops reading). */
    public boolean linkFaultFired() {
        return markers.stream().anyMatch(History.Marker::linkFault);
    }

    public boolean has(History.Kind kind) {
        return markers.stream().anyMatch(m -> m.kind() == kind);
    }

    /** Whether an injected read error failed a read. */
    public boolean readFailed() {
        return readFailed;
    }

    /** A lookup that found a hole, as the read it stands for (no id: it completes at once). */
    public static History.ReadSubmit asRead(History.KnownZero k) {
        return new History.ReadSubmit(k.timeNanos(), -1, k.device(), k.sector(), k.sectorCount());
    }

    /** The read an entry submits: a read's submission, or a hole's lookup; null for any other entry. */
    public static History.ReadSubmit submission(History.Entry e) {
        return e instanceof History.KnownZero k ? asRead(k) : e instanceof History.ReadSubmit r ? r : null;
    }
}
