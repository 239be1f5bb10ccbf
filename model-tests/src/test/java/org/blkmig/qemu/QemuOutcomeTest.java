// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blkmig.model.judge.Cause;
import org.blkmig.model.judge.ChunkRef;
import org.blkmig.model.judge.OracleStream;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;
import org.blkmig.protocol.SectionType;
import org.blkmig.receiver.ReceiveResult;
import org.junit.jupiter.api.Test;

/** How a real run's outcome is classified, judged and named, on made-up observations: no QEMU runs. */
class QemuOutcomeTest {
    static final QemuScenario SMALL = QemuScenario.parse("devices=1M:random image=raw zero-blocks=off bandwidth=8M ram=32M"
            + " writes=none seed=1");
    /** What QEMU 7.2's destination prints on a stream with a partial last chunk. */
    static final String PARTIAL_CHUNK_LOG = "qemu-system-x86_64: error while loading state section id 1(block)\n"
            + "qemu-system-x86_64: load of migration failed: Input/output error\n";
    static final String ASSERTION_LOG = "qemu-system-x86_64: ../../block/io.c:2037: bdrv_co_write_req_prepare: Assertion"
            + " `!(bs->open_flags & BDRV_O_INACTIVE)' failed.\n";

    /** A closed channel's exception has no message: the setup verdict names its class instead. */
    @Test
    void aSetupFailureWithoutAMessageNamesTheExceptionsClass() {
        QemuRun.Outcome o = QemuRun.setupFailed(SMALL, QemuRun.Destination.BOTH, new ClosedChannelException());
        assertFalse(o.passed());
        assertEquals(new FindingKey("setup", Cause.SETUP_FAILED, "HARNESS ClosedChannelException"), o.key());
        assertTrue(o.firstFailure().evidence().contains("ClosedChannelException"), o.firstFailure().toString());
        assertEquals(Ending.NOT_RUN, o.facts().source());
        assertEquals("setup: the run could not be set up (HARNESS IOException)",
                QemuRun.setupFailed(SMALL, QemuRun.Destination.BOTH, new IOException((String) null)).key().toString());
    }

    /** The gate's cases name a failure by its key too: a case that throws is a setup finding, its temporary directory gone. */
    @Test
    void aConformanceCaseThatThrowsIsASetupFindingNamedByItsClass() {
        java.nio.file.Path[] used = new java.nio.file.Path[1];
        QemuConformance.Result r = QemuConformance.run(new QemuConformance.Case() {
            @Override
            public String name() {
                return "throws";
            }

            @Override
            public Verdict run(java.nio.file.Path dir) throws IOException {
                used[0] = dir;
                throw new ClosedChannelException();
            }
        });
        assertFalse(r.passed());
        assertEquals(new FindingKey("setup", Cause.SETUP_FAILED, "HARNESS ClosedChannelException"), r.key());
        assertEquals("ClosedChannelException", r.problem());
        assertFalse(java.nio.file.Files.exists(used[0]), "the case's directory is deleted");
    }

    @Test
    void qemusLinesAreClassifiedWhereTheLogIsRead() {
        QemuError load = QemuError.inLog("some progress\n" + PARTIAL_CHUNK_LOG);
        assertEquals(QemuError.Kind.LOAD_SECTION, load.kind());
        assertEquals("block", load.detail());
        assertEquals("LOAD_SECTION block", load.subject());
        assertTrue(load.text().contains(" / qemu-system-x86_64: load of migration failed"), load.text());
        assertEquals(QemuError.Kind.LOAD_FAILED, QemuError.inLog(PARTIAL_CHUNK_LOG.lines().skip(1).findFirst().orElseThrow()).kind());
        QemuError crash = QemuError.crashIn("starting\n" + ASSERTION_LOG);
        assertEquals(new QemuError(QemuError.Kind.ASSERTION, "bdrv_co_write_req_prepare", ASSERTION_LOG.strip()), crash);
        assertEquals(QemuError.NONE, QemuError.crashIn(PARTIAL_CHUNK_LOG), "a refused load is not a crash");
        assertEquals(QemuError.NONE, QemuError.inLog("no error here\n"));
        assertEquals(QemuError.Kind.OTHER_ERROR, QemuError.inLog("qemu-system-x86_64: -drive x: Could not open").kind());
    }

    @Test
    void anExceptionsErrorIsQemusOwnOrTheHarnesss() {
        QemuProcess.Failure refused = new QemuProcess.Failure(QemuError.Kind.QMP_REFUSED, "migrate", "QMP migrate: busy");
        assertEquals(refused.error(), QemuError.of(refused));
        assertEquals("QMP migrate: busy", refused.getMessage());
        assertEquals(new QemuError(QemuError.Kind.HARNESS, "IOException", "IOException: disk full"),
                QemuError.of(new IOException("disk full")));
        assertEquals(QemuError.NONE, QemuMigration.ended("completed"));
        assertEquals("MIGRATION_ENDED cancelled", QemuMigration.ended("cancelled").subject());
    }

    // ---- the judge, on observations made up here ----

    static final Set<ChunkRef> TWO_CHUNKS = new LinkedHashSet<>(List.of(new ChunkRef("drive0", 0), new ChunkRef("drive0", 1)));

    static QemuMigration.Source source(Ending e, QemuError error) {
        return new QemuMigration.Source(e, error, 0, 100);
    }

    /** A stream that carried these chunks of drive0 and ends well (no violations). */
    static OracleStream carrying(long... chunks) {
        List<OracleStream.SentBlock> blocks = new ArrayList<>();
        for (long c : chunks) {
            blocks.add(new OracleStream.SentBlock(SectionType.PART, "drive0", c * QemuImages.SECTORS_PER_CHUNK, false, 1, 0, 1));
        }
        return new OracleStream(blocks, null, List.of());
    }

    static final ReceiveResult COMPLETE = new ReceiveResult(true, null, 0, 2, 0, 100, 0);

    static List<Verdict> judge(QemuMigration.Source src, OracleStream d, ReceiveResult blkmig,
            List<QemuImages.Difference> blkmigVsSource, QemuLoad qemu) {
        return new QemuJudge(new QemuJudge.Observed(Duration.ofSeconds(30), src, d, TWO_CHUNKS, List.of(), blkmig, List.of(),
                blkmigVsSource, qemu, List.of())).verdicts();
    }

    @Test
    void aCleanRunPassesEveryPromiseInReportOrder() {
        List<Verdict> vs = judge(source(Ending.COMPLETED, QemuError.NONE), carrying(0, 1), COMPLETE, List.of(),
                new QemuLoad(Ending.COMPLETED, QemuError.NONE));
        assertEquals(List.of("setup", "no-hang", "explained-failure", "protocol", "progress", "receiver-matches-stream",
                "identical", "chunk-coverage", "honest-completion"), vs.stream().map(v -> v.property().id()).toList());
        assertTrue(vs.stream().allMatch(v -> v.status() == Verdict.Status.PASS), vs.toString());
        assertTrue(vs.get(3).property() == Properties.PROTOCOL && vs.get(6).property() == Properties.IDENTICAL,
                "the shared promises are the simulation's own");
    }

    @Test
    void aDestinationQemuRefusingTheStreamIsNamedByWhatQemuSaid() {
        QemuLoad refused = new QemuLoad(Ending.FAILED, QemuError.inLog(PARTIAL_CHUNK_LOG));
        List<Verdict> vs = judge(source(Ending.COMPLETED, QemuError.NONE), carrying(0, 1), COMPLETE, List.of(), refused);
        Verdict honest = vs.get(vs.size() - 1);
        assertEquals(Cause.DESTINATION_NOT_COMPLETED, honest.cause());
        assertEquals("FAILED, LOAD_SECTION block", honest.subject());
        assertEquals("honest-completion: the destination QEMU did not complete what the source completed"
                + " (FAILED, LOAD_SECTION block)", FindingKey.of(vs).toString());
    }

    @Test
    void eachDestinationsEndingMustBeASuccessExactlyWhenTheSourceCompleted() {
        ReceiveResult incomplete = new ReceiveResult(ReceiveResult.Failure.NO_END_PAYLOAD, "no END payload", 10, 1, 0, 50, 10, 0);
        Verdict blkmigShort = judgeOf(source(Ending.COMPLETED, QemuError.NONE), incomplete, null).honestCompletion();
        assertEquals(new FindingKey("honest-completion", Cause.RECEIVER_INCOMPLETE, "NO_END_PAYLOAD"), FindingKey.of(blkmigShort));
        assertTrue(blkmigShort.evidence().contains("no END payload"), blkmigShort.evidence());
        QemuMigration.Source failed = source(Ending.FAILED, QemuMigration.ended("failed"));
        Verdict blkmigEarly = judgeOf(failed, COMPLETE, null).honestCompletion();
        assertEquals(new FindingKey("honest-completion", Cause.RECEIVER_COMPLETE_UNFINISHED, "FAILED"),
                FindingKey.of(blkmigEarly));
        Verdict qemuEarly = judgeOf(failed, null, new QemuLoad(Ending.COMPLETED, QemuError.NONE)).honestCompletion();
        assertEquals(Cause.DESTINATION_COMPLETED_UNFINISHED, qemuEarly.cause());
        // both disagree: blkmig's receiver names the finding, the sentence tells both
        Verdict both = judgeOf(failed, COMPLETE, new QemuLoad(Ending.COMPLETED, QemuError.NONE)).honestCompletion();
        assertEquals(Cause.RECEIVER_COMPLETE_UNFINISHED, both.cause());
        assertTrue(both.evidence().contains("the destination QEMU says completed"), both.evidence());
        assertEquals(Verdict.Status.PASS, judgeOf(failed, incomplete, new QemuLoad(Ending.FAILED,
                QemuError.NONE)).honestCompletion().status());
    }

    static QemuJudge judgeOf(QemuMigration.Source src, ReceiveResult blkmig, QemuLoad qemu) {
        return new QemuJudge(new QemuJudge.Observed(Duration.ofSeconds(30), src, carrying(0, 1), TWO_CHUNKS, null, blkmig, null,
                List.of(), qemu, List.of()));
    }

    @Test
    void aHungSourceFailsNoHangAndExplainedFailureDoesNotApply() {
        List<Verdict> vs = judge(source(Ending.HUNG, QemuError.of(new ClosedChannelException())), carrying(0),
                new ReceiveResult(false, "truncated", 0, 1, 0, 10, 0), List.of(), QemuLoad.NOT_RUN);
        assertEquals(new FindingKey("no-hang", Cause.SOURCE_HUNG, ""), FindingKey.of(vs));
        assertEquals(Verdict.Status.NOT_APPLICABLE, vs.get(2).status());
        assertEquals(Cause.MIGRATION_HUNG, vs.get(2).cause());
    }

    @Test
    void aSourceThatAbortsIsNamedByItsAssertion() {
        QemuMigration.Source died = source(Ending.DIED, QemuError.crashIn(ASSERTION_LOG));
        assertEquals(new FindingKey("explained-failure", Cause.SOURCE_DIED, "ASSERTION bdrv_co_write_req_prepare"),
                FindingKey.of(List.of(QemuJudge.explainedFailure(died))));
        Verdict crashedLate = QemuJudge.explainedFailure(source(Ending.COMPLETED, QemuError.crashIn(ASSERTION_LOG)));
        assertEquals(Cause.SOURCE_CRASHED, crashedLate.cause());
        assertEquals(Cause.SOURCE_FAILED, QemuJudge.explainedFailure(source(Ending.FAILED, QemuMigration.ended("failed"))).cause());
    }

    @Test
    void chunksNeverSentAreTheRootOfADifferingTarget() {
        // QEMU said completed having sent chunk 0 only: blkmig's target lacks chunk 1
        List<QemuImages.Difference> off = List.of(new QemuImages.Difference("drive0", QemuImages.CHUNK_BYTES + 7));
        List<Verdict> vs = judge(source(Ending.COMPLETED, QemuError.NONE), carrying(0), COMPLETE, off, null);
        Verdict identical = vs.stream().filter(v -> v.property() == Properties.IDENTICAL).findFirst().orElseThrow();
        assertEquals(Cause.TARGET_DIFFERS_UNSENT, identical.cause());
        assertEquals(List.of(new ChunkRef("drive0", 1)), identical.chunks());
        Verdict coverage = vs.stream().filter(v -> v.property() == Properties.CHUNK_COVERAGE).findFirst().orElseThrow();
        assertEquals(List.of(new ChunkRef("drive0", 1)), coverage.chunks());
        assertEquals("identical: completed with chunks never sent (early completion)", FindingKey.of(vs).toString());
    }

    @Test
    void aReceiverThatDiffersFromTheStreamIsBlkmigsOwnFinding() {
        List<QemuImages.Difference> off = List.of(new QemuImages.Difference("drive0", 42));
        QemuJudge j = new QemuJudge(new QemuJudge.Observed(Duration.ofSeconds(30), source(Ending.COMPLETED, QemuError.NONE),
                carrying(0, 1), TWO_CHUNKS, List.of(), COMPLETE, off, off, null, List.of()));
        List<Verdict> vs = j.verdicts();
        assertEquals(new FindingKey("receiver-matches-stream", Cause.RECEIVER_DIFFERS_FROM_STREAM, ""), FindingKey.of(vs));
        assertEquals(Cause.TARGET_DIFFERS_SENT, j.identical().cause());
        assertEquals("", j.identical().subject(), "the stream is faithful: not QEMU's defect");
    }
}
