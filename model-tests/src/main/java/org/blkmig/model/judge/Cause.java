// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/**
 * Why a verdict is what it is: a closed set, so findings, the diagram and reports group and draw
 * verdicts by cause and never by the wording of a sentence. {@link #text} names the cause in a
 * finding's key.
 */
public enum Cause {
    NONE("holds"),
    // verdicts that pass with a note
    NOT_COMPLETED("n/a: the migration did not complete"),
    NOT_RERUN("n/a: not rerun"),
    DATA_LIMIT_REACHED("inconclusive: the harness's data or time limit ended the run"),
    EXCUSED_READ_SHORTFALL("excused: the reads in flight cannot fill the rate limit"),
    EXCUSED_SLOW_LINK("excused: the link is no faster than the rate limit"),
    STRATEGY_DECLARED("n/a: the strategy declares this liveness property not applicable (STRATEGIES.md)"),
    FAULT_STRUCK("n/a: a fault struck (of reads or of the link): what the migration carries is unknown"),
    // throttle-released
    THROTTLE_LEFT_ON("the guest was left throttled after the migration ended"),
    // mirror-synchronous
    MIRROR_WRITE_NOT_FORWARDED("a mirrored guest write was not on the wire before the guest's next write"),
    // invariants
    INVARIANT_BROKEN("an invariant of blkmig's main code broke"),
    // identical
    GUEST_WRITE_MISSING("a guest write is missing on the target"),
    TARGET_DIFFERS("the target differs from its source"),
    // protocol and progress
    STREAM_UNREADABLE("the stream does not decode"),
    RULE_VIOLATED("the stream breaks a rule of the protocol"),
    // chunk-coverage
    CHUNK_NEVER_SENT("completed with chunks never sent (early completion)"),
    // read-history
    REPLAY_FAILED("the history's replay failed"),
    BLOCK_WITHOUT_READ("a block that no read produced"),
    BLOCK_UNSEEN("a block whose data no read of its chunk saw"),
    ZERO_BLOCK_NOT_ZERO("a zero block for a chunk no read found all zero"),
    STALE_BLOCK("a stale block sent after a newer one of its chunk"),
    // final-copy-order
    FINAL_COPY_OUT_OF_ORDER("the final copy walked the devices or chunks out of the device list's order"),
    // source-untouched
    SOURCE_WRITTEN("the migration wrote to a source"),
    TRACKING_LEFT_ON("dirty tracking left on after the migration"),
    // in-bounds
    WRITE_OUTSIDE_TARGET("a write outside a target"),
    WRITE_TO_UNMIGRATED("a write to a device that is not migrated"),
    // liveness
    DID_NOT_CONVERGE("a migration expected to converge did not"),
    GAVE_UP_UNJUSTIFIED("gave up though the guest dirtied chunks slower than the migration carries them"),
    COMPLETED_LATE("completed long after completing fitted the downtime limit"),
    NOT_COMPLETED_THOUGH_FITTED("did not complete, though completing fitted the downtime limit long before it ended"),
    // downtime
    DOWNTIME_OVER_LIMIT("the guest stayed stopped longer than the downtime limit and the slack the history accounts for"),
    // honest-completion
    DESTINATION_WRITE_CROSSES_END("the destination failed: a block's write crosses the device's end (a partial last chunk)"),
    COMPLETION_DISAGREES("the destination did not complete what the source completed"),
    WRITE_AFTER_COMPLETE("a write landed after the receiver declared the target complete"),
    // durability
    NOT_DURABLE_AFTER_WRITEBACK("a write made before a writeback was not durable after it: a power loss then loses it"),
    NOT_DURABLE_AT_COMPLETION("the receiver reported complete with a write never forced: a power loss then loses it"),
    // explained-failure
    FAILED_WITHOUT_FAULT("the migration FAILED with no injected fault"),
    CANCELLED_WITHOUT_CANCEL("the migration was CANCELLED though the scenario never cancels it"),
    // rate-limit
    SLICE_OVER_BUDGET("a slice sent more than its budget plus one block"),
    READ_AHEAD_OVER_BUDGET("reads ran ahead of the wire past a slice's budget"),
    // clean-stop
    BUFFERS_HELD("the sender still holds chunk buffers"),
    RECEIVER_STILL_WAITING("the receiver was still waiting for bytes"),
    RECEIVER_THREAD_ALIVE("the receiver's thread did not end"),
    EVENTS_LEFT("events still scheduled after both ends stopped"),
    COMPLETE_AFTER_DROP("the link dropped but the receiver reports the target complete"),
    // determinism
    STREAM_DIFFERS("a second run gives another stream"),
    HISTORY_DIFFERS("a second run gives the same stream but another history"),
    // the real-QEMU harness (org.blkmig.qemu): what QEMU's own runs show
    SETUP_FAILED("the run could not be set up"),
    SOURCE_HUNG("the source's migration hung"),
    DESTINATION_HUNG("the destination QEMU hung"),
    MIGRATION_HUNG("n/a: the migration hung"),
    SOURCE_DIED("the source QEMU died"),
    SOURCE_FAILED("the source's migration failed"),
    SOURCE_CRASHED("the source QEMU crashed after its migration completed"),
    STREAM_REJECTED("n/a: the oracle rejects the stream"),
    RECEIVER_DIFFERS_FROM_STREAM("blkmig's target differs from what the stream carries"),
    STREAM_UNFAITHFUL("the stream does not carry its source as the source left it"),
    TARGET_DIFFERS_UNSENT("a target differs from its source where the stream carried nothing"),
    TARGET_DIFFERS_SENT("a target differs from its source in a chunk the stream carried"),
    RECEIVER_INCOMPLETE("blkmig's receiver says incomplete where the source completed"),
    RECEIVER_COMPLETE_UNFINISHED("blkmig's receiver says complete where the source did not complete"),
    DESTINATION_NOT_COMPLETED("the destination QEMU did not complete what the source completed"),
    DESTINATION_COMPLETED_UNFINISHED("the destination QEMU completed where the source did not complete");

    public final String text;

    Cause(String text) {
        this.text = text;
    }
}
