// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Sizes;

/**
 * The connection between the simulated sender and receiver, in virtual time: its bandwidth
 * (0: unlimited), one-way latency and jitter, the largest write and read it takes at once (0: no
 * short transfers), the bytes it holds written but not yet read (0: unbounded), and one fault.
 * {@link #IDEAL} (every number 0, no fault) is the simplest link: bytes arrive as they are written.
 */
public record LinkModel(long bandwidthBytesPerSecond, long latencyNanos, long jitterNanos, int maxWriteBytes,
        int maxReadBytes, long windowBytes, Fault fault, long faultAtByte, long stallNanos) {

    /**
     * What goes wrong at byte {@code faultAtByte}: the connection drops (CUT), the byte waits
     * {@code stallNanos} before it leaves (STALL), the receiver stops reading until the sender
     * closes (DEAF: the sender's writes block until its idle timeout ends them).
     */
    public enum Fault { NONE, CUT, STALL, DEAF }

    public static final LinkModel IDEAL = new LinkModel(0, 0, 0, 0, 0, 0, Fault.NONE, -1, 0);

    /** The window of a receiver that stops reading when the scenario leaves it unbounded: the bytes TCP buffers. */
    public static final long DEAF_WINDOW_BYTES = 1L << 20;

    public LinkModel {
        if (bandwidthBytesPerSecond < 0 || latencyNanos < 0 || jitterNanos < 0 || maxWriteBytes < 0 || maxReadBytes < 0
                || windowBytes < 0 || stallNanos < 0) {
            throw new IllegalArgumentException("link: bandwidth, latency, jitter, sizes and stall must be >= 0");
        }
        java.util.Objects.requireNonNull(fault, "fault");
        if ((fault == Fault.NONE) != (faultAtByte < 0)) {
            throw new IllegalArgumentException("link: a fault needs its byte (>= 0), no fault none");
        }
        if ((fault == Fault.STALL) != (stallNanos > 0)) {
            throw new IllegalArgumentException("link: a stall needs its duration (> 0), and only a stall has one");
        }
    }

    public boolean hasFault() {
        return fault != Fault.NONE;
    }

    /** The window in force: a deaf receiver fills a bounded one. */
    public long effectiveWindowBytes() {
        return windowBytes == 0 && fault == Fault.DEAF ? DEAF_WINDOW_BYTES : windowBytes;
    }

    /**
     * {@code ideal}, or {@code BW/s:LATENCY~JITTER:wWRITE:rREAD:winWINDOW} with an optional
     * {@code :cut@BYTE}, {@code :stall@BYTE+DURATION} or {@code :deaf@BYTE}; 0 turns a number off.
     */
    public String spec() {
        if (equals(IDEAL)) {
            return "ideal";
        }
        String s = Sizes.format(bandwidthBytesPerSecond) + "/s:" + Durations.format(latencyNanos) + "~"
                + Durations.format(jitterNanos) + ":w" + Sizes.format(maxWriteBytes) + ":r" + Sizes.format(maxReadBytes)
                + ":win" + Sizes.format(windowBytes);
        return switch (fault) {
            case NONE -> s;
            case CUT -> s + ":cut@" + faultAtByte;
            case STALL -> s + ":stall@" + faultAtByte + "+" + Durations.format(stallNanos);
            case DEAF -> s + ":deaf@" + faultAtByte;
        };
    }

    public static LinkModel parse(String spec) {
        if (spec.equals("ideal")) {
            return IDEAL;
        }
        String[] p = spec.split(":");
        String usage = "link '" + spec + "': expected ideal or BW/s:LATENCY~JITTER:wBYTES:rBYTES:winBYTES"
                + "[:cut@BYTE|:stall@BYTE+DURATION|:deaf@BYTE]";
        if (p.length < 5 || p.length > 6 || !p[0].endsWith("/s") || !p[1].contains("~") || !p[2].startsWith("w")
                || !p[3].startsWith("r") || !p[4].startsWith("win")) {
            throw new IllegalArgumentException(usage);
        }
        try {
            long bw = Sizes.parse(p[0].substring(0, p[0].length() - 2));
            String[] lat = p[1].split("~", 2);
            long writeBytes = Sizes.parse(p[2].substring(1));
            long readBytes = Sizes.parse(p[3].substring(1));
            if (writeBytes > Integer.MAX_VALUE || readBytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(usage);
            }
            long window = Sizes.parse(p[4].substring(3));
            Fault fault = Fault.NONE;
            long at = -1;
            long stall = 0;
            if (p.length == 6) {
                String f = p[5];
                int atSign = f.indexOf('@');
                if (atSign < 0) {
                    throw new IllegalArgumentException(usage);
                }
                String kind = f.substring(0, atSign);
                String where = f.substring(atSign + 1);
                switch (kind) {
                    case "cut" -> fault = Fault.CUT;
                    case "deaf" -> fault = Fault.DEAF;
                    case "stall" -> {
                        fault = Fault.STALL;
                        int plus = where.indexOf('+');
                        if (plus < 0) {
                            throw new IllegalArgumentException(usage);
                        }
                        stall = Durations.parse(where.substring(plus + 1));
                        where = where.substring(0, plus);
                    }
                    default -> throw new IllegalArgumentException(usage);
                }
                at = Long.parseLong(where);
            }
            return new LinkModel(bw, Durations.parse(lat[0]), Durations.parse(lat[1]), (int) writeBytes, (int) readBytes,
                    window, fault, at, stall);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(usage);
        }
    }
}
