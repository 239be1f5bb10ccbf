// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.blkmig.model.scenario.LinkModel;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.sim.ScenarioRunner;
import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.SimIoContext;
import org.junit.jupiter.api.Test;

/**
 * The failures of the held-out campaigns {@code campaign --scenarios 100000 --seed 424242} (4 of
 * 100,000, each shrunk), {@code --seed 8675309} (1 of 100,000, after the first's fixes),
 * {@code --seed 1357911} (1 of 100,000, after the second's), {@code --scenarios 400000 --seed 60606}
 * (the link's and the reads' edges) and {@code --sizes realistic --scenarios 2000 --seed 8086}: none a
 * sender bug; the model or a checker was wrong. Each replays here, with every property holding and
 * the evidence that was misread.
 */
class HeldOutFindingsTest {
    private static ScenarioRunner.Run runAndJudge(String line, MigrationResult.Outcome expected) {
        ScenarioRunner.Run run = ScenarioRunner.run(Scenario.parse(line), Set.of());
        List<Verdict> verdicts = Judge.judge(run).verdicts();
        assertTrue(Properties.allPassed(verdicts), verdicts::toString);
        assertEquals(expected, run.migration().outcome(), run.migration()::toString);
        return run;
    }

    /**
     * Realistic sizes, seed 9191, scenario 1262 shrunk: a hammering guest at 93% of what is carried
     * over a 212 MiB disk; converging would take about 1,873 s, and the run ended at the harness's
     * longest migration (1,200 slices, 120 s). justified-non-convergence called it giving up; a run
     * stopped by the harness's limit while it could still converge decides no liveness property.
     */
    @Test
    void aRunEndedByTheHarnesssLongestMigrationWhileConvergingSlowlyIsInconclusive() {
        ScenarioRunner.Run run = runAndJudge("devices=7l8i0r7KVVk2AlxD7V7NVEZWX.7ylI3O-zewc6Q43JAjddfXsU2ftiLTbVsdEzTF1Tfw6Pbxl65RGPsyLGkzuZ8z9HmP"
                + "0KgxQzPu8D2XEcJyol-R54NSEG-fMRucGAIgcWRK6mHlllCXOZmknRRPNo8W23D771BCDqGs7MQ1qg9Ph-aF-.5hFAO7w6y6gilf"
                + "CaMFoFGVGNxBIJJU1cJU6hxxzH6et-10APMdVSebdMn8OODUQ06ZgbGPWxpMg-0:216642K;content=-5534323966581789105"
                + ";workload=hammer@55169[8-128];bandwidth=1545K;downtime=240ms;latency=longtail:500us,10%,30ms;chunk=6"
                + "4K;zero-blocks=true;shared-base=false;alloc=2;faults=none;seed=-8909533669664441574", MigrationResult.Outcome.DID_NOT_CONVERGE);
        assertTrue(Judge.judge(run).verdicts().stream().anyMatch(v -> v.property() == Properties.JUSTIFIED_NON_CONVERGENCE
                && v.cause() == Cause.DATA_LIMIT_REACHED), "inconclusive, not passed without a note");
    }

    /**
     * Realistic seed 9191, scenario 1465: slices of 200 ms, so the harness's 120 s are 600 slices,
     * while the judge took its limit as 1,200 slices of the scenario's length (240 s), did not see
     * the run end at the limit, and called a guest at 71% of what the link carried "not converging".
     */
    @Test
    void aRunOfLongSlicesEndedByTheHarnesssTimeLimitIsInconclusive() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:11520K,drive1:8898K,drive2:14144K,drive3:36M,drive4:112896K;"
                + "content=-7443081954002441036;workload=hammer@339232[8-128];bandwidth=1900K;downtime=135ms;"
                + "latency=uniform:50us-3ms;chunk=64K;zero-blocks=true;shared-base=false;alloc=1;faults=none;"
                + "seed=6418559936091680763;link=3800K/s:0ns~0ns:w0:r0:win0;sender-limits=32:64;pipeline=1:256K;slice=200ms",
                MigrationResult.Outcome.DID_NOT_CONVERGE);
        assertTrue(Judge.judge(run).verdicts().stream().anyMatch(v -> v.property() == Properties.JUSTIFIED_NON_CONVERGENCE
                && v.cause() == Cause.DATA_LIMIT_REACHED), "inconclusive at the harness's 120 s, not failed");
    }

    /**
     * A 1 MiB block on a 379 KiB/s link with a 1 MiB window: the link delivered a write's bytes
     * only when the whole write was off the wire, 2.7 s later, so the window stayed full past the
     * sender's 2 s idle timeout and the migration "failed" with no fault (explained-failure).
     */
    @Test
    void aSlowLinkWithAWindowCarriesABigBlockWithoutTimingOut() {
        runAndJudge("devices=drive0:1M;content=8843159149132885783;workload=none@0[8-128];bandwidth=379K;downtime=126ms;"
                + "latency=fixed:0ns;chunk=1M;zero-blocks=false;shared-base=false;alloc=48;faults=none;"
                + "seed=-2274348539849803379;link=379K/s:0ns~0ns:w0:r0:win1M", MigrationResult.Outcome.COMPLETED);
    }

    /**
     * A receiver that stops reading while the guest is stopped: the sender fails in its final copy
     * and its result reports no stop. read-ahead took the final copy's reads, made with no budget,
     * as reads of a running guest. The stop is now the guest's own marker in the history.
     */
    @Test
    void aMigrationThatFailsInItsFinalCopyIsJudgedWithItsGuestStopped() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:1088K,drive1:1106K:ro,drive2:576K;content=3054058133067130425;"
                + "workload=hammer@42993[8-128];bandwidth=1204K;downtime=198ms;latency=fixed:1ms;chunk=64K;zero-blocks=true;"
                + "shared-base=true;alloc=74;faults=3%err,20%slow*14;seed=-7073938732390477801;"
                + "link=0/s:1ms~0ns:w4K:r0:win1M:deaf@786447;pipeline=1:1M;slice=50ms", MigrationResult.Outcome.FAILED);
        assertEquals(-1, run.migration().guestStoppedNanos());
        assertEquals(1_300_000_000L, Facts.of(run).history().guestStoppedNanos());
    }

    /**
     * Incremental, 26% of the top layer allocated: the bulk pass skips the chunks left to the shared
     * base, and the guest's first write to each makes one more chunk to send. The re-dirty count
     * knew only chunks read, so it measured the guest at 94% of the bandwidth (2,009,771 B/s)
     * where it dirtied at 116%.
     */
    @Test
    void incrementalChunksLeftToTheBaseCountWhenTheGuestFirstWritesThem() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:960K,drive1:1536K;content=3362852797978649826;"
                + "workload=uniform@1485482[8-128];bandwidth=2080K;downtime=170ms;latency=longtail:500us,10%,30ms;chunk=64K;"
                + "zero-blocks=true;shared-base=true;alloc=26;faults=none;seed=-8376780741108411280;pipeline=1:1M;slice=200ms",
                MigrationResult.Outcome.DID_NOT_CONVERGE);
        long end = run.migration().endNanos();
        long from = end - Liveness.RATE_WINDOW_NANOS;
        double bytesPerSecond = Liveness.redirtiedBytes(run, from, end) / (Liveness.RATE_WINDOW_NANOS / 1e9);
        assertTrue(bytesPerSecond >= run.scenario().bandwidthBytesPerSecond(), bytesPerSecond + " B/s re-dirtied");
    }

    /**
     * A link of 40 MiB/s with a 256 KiB window, 10 ms of latency and 2 ms of jitter, against a rate
     * limit of 20,160 KiB/s: the checker took the window's capacity as 256 KiB per 12 ms (21.8 MB/s),
     * forgetting that a byte also waits for its segment's turn on the wire and the receiver's wake;
     * the run carried 20.4 MB/s, below the guest's 20.58 MB/s of re-dirtied chunks.
     */
    @Test
    void aWindowLimitedLinkSlowerThanTheRateLimitJustifiesNonConvergence() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:2M,drive1:3M,drive2:2944K;content=6344040352808917144;"
                + "workload=uniform@8692143[8-128];bandwidth=20160K;downtime=45ms;latency=fixed:0ns;chunk=128K;zero-blocks=true;"
                + "shared-base=true;alloc=44;faults=none;seed=-7522580840709138578;link=40320K/s:10ms~2ms:w0:r0:win256K;"
                + "pipeline=2:256K", MigrationResult.Outcome.DID_NOT_CONVERGE);
        long linkBytesPerSecond = Liveness.linkBytesPerSecond(run.scenario().setup().link());
        assertTrue(linkBytesPerSecond < run.scenario().bandwidthBytesPerSecond(), linkBytesPerSecond + " B/s");
        // 256 KiB per (64 KiB at 40 MiB/s + 10 ms + 2 ms + 100 us)
        assertEquals(262144 / ((65536 / (40320 * 1024.0)) + 0.0121), linkBytesPerSecond, 2);
        // a link with no window is its bandwidth; an ideal one is unbounded
        assertEquals(1 << 20, Liveness.linkBytesPerSecond(LinkModel.parse("1M/s:10ms~2ms:w0:r0:win0")));
        assertEquals(Long.MAX_VALUE, Liveness.linkBytesPerSecond(LinkModel.IDEAL));
    }

    /**
     * One read in flight (sender-limits=1:1) from a disk whose reads take 30 ms one time in ten: a
     * slice's budget of 17.5 chunks takes 60 ms to read on average, 171 ms at three standard
     * deviations, so some slices overrun and their unused budget is lost. The run carried 22.3 MB/s
     * against a limit of 22.9 and a guest re-dirtying 22.5; the property knew no such limit. Over
     * many slices little is lost (a spent slice sends a whole 18th chunk, which makes up for those that
     * end first), but a 3 s window's share spreads by 2 points, which covers the guest.
     */
    @Test
    void tooFewReadsInFlightForTheDisksLatencyJustifyNonConvergence() {
        String line = "devices=drive0:2560K,drive1:1921K;content=2035341638983188645;workload=hammer@9660092[8-128];"
                + "bandwidth=22405K;downtime=29ms;latency=longtail:500us,10%,30ms;chunk=128K;zero-blocks=false;shared-base=false;"
                + "alloc=54;faults=none;seed=1435719891123066393;link=44810K/s:0ns~50us:w16K:r0:win4M";
        ScenarioRunner.Run run = runAndJudge(line + ";sender-limits=1:1", MigrationResult.Outcome.DID_NOT_CONVERGE);
        ReadShortfall shortfall = ReadShortfall.of(run.scenario(), 30);
        assertTrue(shortfall.share() < 0.01 && shortfall.windowSpread() > 0.015, shortfall::toString);
        // the shipped reads in flight keep up with the same disk
        assertEquals(ReadShortfall.NONE, ReadShortfall.of(Scenario.parse(line), 30));
    }

    @Test
    void aFixedLatencyThatTakesTwoSlicesToReadABudgetLosesHalfOfIt() {
        String line = "devices=drive0:1M;content=1;workload=none@0[8-128];bandwidth=10M;downtime=100ms;latency=fixed:%s;"
                + "chunk=64K;zero-blocks=false;shared-base=false;alloc=50;faults=none;seed=1;sender-limits=1:1;slice=100ms";
        // 16 chunks a slice, one at a time, each read after the last chunk's 41 us on the transport and a 1 us lookup
        double cycleNanos = 12_500_000 + 65536 * 1e9 / SimIoContext.TRANSPORT_BYTES_PER_SECOND + 1000;
        assertEquals(1 - 100e6 / cycleNanos / 16, ReadShortfall.of(Scenario.parse(String.format(line, "12500us")), 30).share(),
                1e-3);
        // 16 reads overrun the slice by 0.7 ms: the 16th counts in the next slice, which then fills its budget
        // early and idles, so every other slice sends 15 chunks
        assertEquals(1 / 32.0, ReadShortfall.of(Scenario.parse(String.format(line, "6250us")), 30).share(), 1e-9);
        assertEquals(ReadShortfall.NONE, ReadShortfall.of(Scenario.parse(String.format(line, "6ms")), 30));
    }

    /**
     * {@code --seed 60606}, 400,000 scenarios: a 120 MiB/s rate limit over a link with a 256 KiB
     * window and 10 ms of latency, which carries about 24 MB/s, against a guest dirtying 31 MB/s.
     * {@code convergence} expected convergence from the rate limit alone; it now takes the link's
     * capacity where it is slower.
     */
    @Test
    void aLinkSlowerThanTheGuestExcusesNonConvergence() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:3M,drive1:4M,drive2:5M;content=-7583851375296278787;"
                + "workload=uniform@1011392[8-128];bandwidth=120M;downtime=36ms;latency=fixed:0ns;chunk=1M;zero-blocks=false;"
                + "shared-base=false;alloc=76;faults=none;seed=-5891419656255126498;link=120M/s:10ms~50us:w64K:r0:win256K;"
                + "sender-limits=32:64;pipeline=8:64M;slice=50ms", MigrationResult.Outcome.DID_NOT_CONVERGE);
        double dirtyRate = run.scenario().workload().dirtyRateBytesPerSecond(run.scenario().chunkSizeBytes());
        assertTrue(Liveness.linkBytesPerSecond(run.scenario().setup().link()) < 4 * dirtyRate);
    }

    /**
     * {@code --seed 60606}, scenario 81794 shrunk: one read in flight from the disk whose reads take
     * 30 ms one time in ten, 27 chunks a 100 ms slice. The guest re-dirtied 84.0% of the rate limit
     * and the sender, losing 15.7% over those 3 s, gave up. The model expected 13.1% lost: a normal
     * sum of latencies, a slice stretched by its overrun, no time to send a chunk, and the spread of a
     * window never asked. Run as the slices' renewal process it expects 14.2%, and a window spreads
     * by 3.8 points about that: progress of 1.6% of what is carried stands out of no window.
     */
    @Test
    void oneReadInFlightFromTheLongTailedDiskLosesMoreThanTheNormalModelSaid() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:640K,drive1:1M+65024;content=7478323957506023511;"
                + "workload=hammer@12337362[8-128];bandwidth=17275K;downtime=39ms;latency=longtail:500us,10%,30ms;chunk=64K;"
                + "zero-blocks=false;shared-base=true;alloc=38;faults=none;seed=6546978836986390393;sender-limits=1:1",
                MigrationResult.Outcome.DID_NOT_CONVERGE);
        Liveness l = Facts.of(run).liveness();
        ReadShortfall shortfall = ReadShortfall.of(run.scenario(), 30);
        assertEquals(0.142, shortfall.share(), 0.005, shortfall::toString);
        assertEquals(0.038, shortfall.windowSpread(), 0.005, shortfall::toString);
        // the expectation alone does not cover the guest; the window's spread does
        assertTrue(l.dirtyBytesPerSecond() < l.effectiveBytesPerSecond(), l::figures);
        assertTrue(l.dirtyBytesPerSecond() >= l.leastEffectiveBytesPerSecond(), l::figures);
    }

    /**
     * The same scenario 81794 unshrunk: 48 chunks a slice take 166 ms to read on average, so 41.3% is
     * lost however the slices fall; the guest re-dirtied 98.7% of what the reads fill on average.
     */
    @Test
    void aGuestWithinTheWindowsSpreadOfWhatOneReadInFlightFillsExcusesGivingUp() {
        ScenarioRunner.Run run = runAndJudge("devices=drive0:640K,drive1:1280K,drive2:1M+130560;content=7478323957506023511;"
                + "workload=hammer@21935865[8-128];bandwidth=30715K;downtime=39ms;latency=longtail:500us,10%,30ms;chunk=64K;"
                + "zero-blocks=true;shared-base=true;alloc=38;faults=none;seed=6546978836986390393;sender-limits=1:1",
                MigrationResult.Outcome.DID_NOT_CONVERGE);
        Liveness l = Facts.of(run).liveness();
        assertTrue(l.dirtyBytesPerSecond() < l.effectiveBytesPerSecond(), l::figures);
        assertTrue(l.dirtyBytesPerSecond() >= l.leastEffectiveBytesPerSecond(), l::figures);
    }

    /**
     * {@code campaign --sizes realistic --scenarios 2000 --seed 8086}, scenario 1188 shrunk: at
     * 501.001 ms read 16's hole chunk is sent in a new iterate payload, read 18 is submitted (17
     * still in flight: 2 chunks unsent, the 2 a slice's budget holds); read 17's injected error then
     * surfaces in that payload's flush and the migration fails with the payload unflushed, as QEMU's
     * file stays once its error is set. The stream never showed read 16's zero block, so read-ahead
     * counted 3 chunks unsent. It now judges only reads submitted while the stream was whole.
     */
    @Test
    void aBlockSentInThePayloadThatAReadErrorLeftUnflushedIsNotCountedUnsent() {
        ScenarioRunner.Run run = runAndJudge("devices=drX:97920K,drXO-:219M,drXO:174M;content=6816751199813647772;"
                + "workload=uniform@657084[8-128];bandwidth=2032K;downtime=56ms;latency=fixed:1ms;chunk=128K;zero-blocks=true;"
                + "shared-base=true;alloc=2;faults=2%err,15%slow*14;seed=5789670703291597770", MigrationResult.Outcome.FAILED);
        Facts f = Facts.of(run);
        // the sender sent 7 zero blocks; the stream shows 6, the 7th lost with its payload
        assertEquals(7, run.migration().sender().zeroChunksSent);
        assertEquals(6, f.stream().blocks().stream().filter(OracleStream.SentBlock::zero).count());
        assertEquals(501_001_000L, RateLimit.wholeUntilNanos(run.clock(), run.stream().length()));
    }
}
