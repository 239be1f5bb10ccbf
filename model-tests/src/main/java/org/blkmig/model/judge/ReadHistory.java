// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

/**
 * Every block carries its chunk as some read sampled it (zero blocks: all zero), never older than
 * a block of that chunk sent before it: judged by the fact base's replay of the history.
 */
final class ReadHistory extends NamedProperty {
    @Override
    public String id() {
        return "read-history";
    }

    @Override
    public String promise() {
        return "every block carries its chunk as some read sampled it (zero blocks: all zero), never older than a block"
                + " of that chunk sent before it";
    }

    @Override
    public Verdict judge(Facts f) {
        Replay r = f.replay();
        if (r.replayError() != null) {
            return Verdict.fail(this, Cause.REPLAY_FAILED, r.replayError());
        }
        for (Replay.Match m : r.matches()) {
            if (m.cause() == Cause.NONE) {
                continue;
            }
            OracleStream.SentBlock b = f.stream().blocks().get(m.index());
            String where = b.device() + " sector " + b.sector() + " in a " + b.payload() + " payload";
            String sentence = switch (m.cause()) {
                case BLOCK_WITHOUT_READ -> (b.zero() ? "zero block" : "block") + " for " + b.device() + " sector "
                        + b.sector() + " that no read produced";
                case ZERO_BLOCK_NOT_ZERO -> "zero block for a chunk no read found all zero: " + where;
                case BLOCK_UNSEEN -> "block whose data no read of its chunk saw: " + where;
                default -> "stale block: " + where + " carries data older than a block of that chunk sent before it";
            };
            long chunkSectors = f.scenario().chunkSizeBytes() / org.blkmig.simdisk.Disk.SECTOR_SIZE_BYTES;
            return Verdict.fail(this, m.cause(), sentence).about(new ChunkRef(b.device(), b.sector() / chunkSectors))
                    .at(f.run().clock().timeOf(b.offsetBytes()));
        }
        return Verdict.pass(this);
    }
}
