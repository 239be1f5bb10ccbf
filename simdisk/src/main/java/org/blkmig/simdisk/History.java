// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** What happened in a run, in order: for checkers that judge it afterwards. Synchronized. */
public final class History {
    public sealed interface Entry {
        long timeNanos();
    }

    public record GuestWrite(long timeNanos, String device, long sector, long sectorCount, long writeId) implements Entry {}

    public record ReadSubmit(long timeNanos, long readId, String device, long sector, long sectorCount) implements Entry {}

    /** The instant a read took its data: writes before it are seen, writes after are not. */
    public record ReadSample(long timeNanos, long readId) implements Entry {}

    /**
     * The migration learned, without a read, that the range read as zeros at this instant (a
     * hole): a checker replays the disk to this instant to see what it really held.
     */
    public record KnownZero(long timeNanos, String device, long sector, long sectorCount) implements Entry {}

    public record ReadComplete(long timeNanos, long readId, boolean failed) implements Entry {}

    /** A moment of the run other than a read or a write: what it is, typed, and its detail for people. */
    public record Marker(long timeNanos, Kind kind, String detail) implements Entry {
        public Marker {
            Invariant.check(kind != null && detail != null, "a marker needs a kind and a detail");
        }

        /** The marker as a person reads it. */
        public String what() {
            return detail.isEmpty() ? kind.text : kind.text + ": " + detail;
        }

        /** A fault the link injected (a drop, a stall, a receiver that stops reading). */
        public boolean linkFault() {
            return kind == Kind.LINK_DROP || kind == Kind.LINK_STALL || kind == Kind.RECEIVER_STOPS_READING;
        }
    }

    /** The kinds of {@link Marker}: a closed set, so checkers never match a sentence. */
    public enum Kind {
        GUEST_RUNNING("guest running"),
        GUEST_STOPPED("guest stopped"),
        /** A strategy slowed the guest's writes (or released it): the detail is the slowdown, 1 being full speed. */
        GUEST_THROTTLED("guest throttled"),
        /** A strategy made each guest write wait until the previous one was sent (detail "on"), or stopped it ("off"). */
        GUEST_MIRRORED("guest writes mirrored"),
        LINK_DROP("link fault: the connection drops"),
        LINK_STALL("link fault: a stall"),
        RECEIVER_STOPS_READING("link fault: the receiver stops reading"),
        RECEIVER_CLOSED("receiver closed the connection");

        public final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    public synchronized void add(Entry e) {
        entries.add(e);
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    public synchronized int size() {
        return entries.size();
    }

    /** SHA-256 over every entry: equal histories, equal hashes. */
    public synchronized String hash() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Entry e : entries) {
                d.update(e.toString().getBytes(StandardCharsets.UTF_8));
                d.update((byte) '\n');
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
