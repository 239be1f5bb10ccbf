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

    /** A named moment: phase changes, guest stop. */
    public record Marker(long timeNanos, String what) implements Entry {}

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
