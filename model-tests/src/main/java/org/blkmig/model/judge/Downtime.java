// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.Map;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.model.sim.GuardedDisk;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.model.sim.StreamClock;
import org.blkmig.simdisk.SimIoContext;

/**
 * The guest stays stopped no longer than the downtime limit plus what the judge can account for
 * otherwise. The downtime is measured from the history alone: from the guest's stop marker to the
 * last write that landed on a target and the force that made it durable. The limit is the budget
 * of the final copy's own bytes at the rate limit; the slack is computed from the evidence, never
 * from the controller's figures: the time the final copy waited for reads (the reads in flight at
 * the stop and its own), the bytes already queued on the link at the stop (the stream's bytes
 * written before it, carried first-in first-out at the link's speed), the link's latency and
 * jitter, the final copy's bytes on a link slower than the rate limit, the sender's transport
 * cost, the receiver's writes. A run with faults (of reads or of the link) is not judged: a stall
 * or a slow read is no part of the migration's promise.
 */
public final class Downtime extends NamedProperty {
    /** What one run's downtime is made of, in virtual nanoseconds; {@code leftBytes}: the stream's bytes after the stop. */
    public record Figures(long downtimeNanos, long limitNanos, long leftBytes, long leftNanosAtRate, long readsNanos,
            long queuedNanos, long linkNanos, long slowLinkNanos, long transportNanos, long writesNanos) {
        public long slackNanos() {
            return readsNanos + queuedNanos + linkNanos + slowLinkNanos + transportNanos + writesNanos;
        }

        public long overrunNanos() {
            return downtimeNanos - limitNanos - slackNanos();
        }

        public String text() {
            return String.format("stopped %.3f ms (limit %.3f ms, slack %.3f ms: reads %.3f, queued on the link at the stop"
                    + " %.3f, link latency %.3f, link slower than the rate %.3f, transport %.3f, target writes %.3f);"
                    + " %d bytes sent after the stop take %.3f ms at the rate limit", downtimeNanos / 1e6, limitNanos / 1e6,
                    slackNanos() / 1e6, readsNanos / 1e6, queuedNanos / 1e6, linkNanos / 1e6, slowLinkNanos / 1e6,
                    transportNanos / 1e6, writesNanos / 1e6, leftBytes, leftNanosAtRate / 1e6);
        }
    }

    @Override
    public String id() {
        return "downtime";
    }

    @Override
    public String promise() {
        return "with no faults, the guest stays stopped (from its stop to the last write durable on a target) within the"
                + " downtime limit plus the time the history shows for reads, bytes already queued on the link, the link's"
                + " latency and speed, and the target's writes";
    }

    /** The figures of a completed run whose guest stopped and whose targets are complete; null otherwise. */
    public static Figures figures(Facts f) {
        long stopNanos = f.history().guestStoppedNanos();
        if (!f.completed() || !f.run().receive().complete() || stopNanos < 0) {
            return null;
        }
        long durableNanos = stopNanos;
        long writesAfterStop = 0;
        for (Map.Entry<String, GuardedDisk> t : f.run().targets().entrySet()) {
            durableNanos = Math.max(durableNanos, t.getValue().forcedAtNanos());
            for (GuardedDisk.Applied a : t.getValue().applied()) {
                if (a.timeNanos() >= stopNanos) {
                    durableNanos = Math.max(durableNanos, a.timeNanos());
                    writesAfterStop++;
                }
            }
        }
        long rate = f.scenario().bandwidthBytesPerSecond();
        LinkModel link = f.scenario().setup().link();
        long linkRate = link.bandwidthBytesPerSecond(); // 0: unlimited
        StreamClock clock = f.run().clock();
        // the link as a queue: each stamp's bytes leave once the link is free and they were written
        long freeNanos = 0;
        long before = 0;
        long writtenAtStop = 0;
        for (int i = 0; i < clock.stamps() && clock.timeAt(i) < stopNanos; i++) {
            long bytes = clock.offsetAt(i) - before;
            before = clock.offsetAt(i);
            writtenAtStop = before;
            freeNanos = Math.max(freeNanos, clock.timeAt(i)) + nanosAt(bytes, linkRate);
        }
        long queuedNanos = Math.max(0, freeNanos - stopNanos);
        long leftBytes = Math.max(0, f.run().stream().length() - writtenAtStop);
        long leftAtRate = nanosAt(leftBytes, rate);
        long slowLink = Math.max(0, nanosAt(leftBytes, linkRate) - leftAtRate);
        return new Figures(durableNanos - stopNanos, f.scenario().maxDowntimeNanos(), leftBytes, leftAtRate,
                readsNanos(f, stopNanos), queuedNanos, link.latencyNanos() + link.jitterNanos(), slowLink,
                nanosAt(leftBytes, SimIoContext.TRANSPORT_BYTES_PER_SECOND), writesAfterStop * ScenarioRunner.WRITE_NANOS);
    }

    /** The time after the stop during which some read was in flight: the final copy waits for each. */
    private static long readsNanos(Facts f, long stopNanos) {
        long total = 0;
        long coveredUntil = stopNanos;
        // reads in submission order; the union of [max(submit, stop), complete] over those that end after the stop
        java.util.List<long[]> spans = new java.util.ArrayList<>();
        for (Replay.Read r : f.replay().reads()) {
            if (!r.holeLookup() && r.completeNanos() > stopNanos) {
                spans.add(new long[] {Math.max(stopNanos, r.submitNanos()), r.completeNanos()});
            }
        }
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        for (long[] s : spans) {
            long from = Math.max(s[0], coveredUntil);
            if (s[1] > from) {
                total += s[1] - from;
                coveredUntil = s[1];
            }
        }
        return total;
    }

    private static long nanosAt(long bytes, long bytesPerSecond) {
        return bytesPerSecond <= 0 ? 0 : (long) Math.ceil(bytes * 1e9 / bytesPerSecond);
    }

    @Override
    public Verdict judge(Facts f) {
        Figures d = figures(f);
        if (d == null) {
            return Verdict.notApplicable(this, Cause.NOT_COMPLETED);
        }
        if (f.liveness().faults()) {
            return Verdict.notApplicable(this, Cause.FAULT_STRUCK);
        }
        if (d.overrunNanos() <= 0) {
            return Verdict.pass(this);
        }
        // past the slack, what the controller left after the stop is the one cause the evidence leaves
        boolean tooMuchLeft = d.leftNanosAtRate() > d.limitNanos();
        long stop = f.history().guestStoppedNanos();
        return Verdict.fail(this, Cause.DOWNTIME_OVER_LIMIT, String.format("overrun %.3f ms: ", d.overrunNanos() / 1e6)
                + d.text() + (tooMuchLeft ? ": more than the limit's worth was left to send when the guest stopped" : ""))
                .subject(tooMuchLeft ? "too-much-left" : "unexplained").at(stop, stop + d.downtimeNanos());
    }
}
