// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.HashMap;
import java.util.Map;
import org.blkmig.model.sim.World;

/**
 * A shadow of one disk's contents as write ids per sector, never as bytes: what the history's
 * replay needs to name what a read saw ({@link ContentIdentity}) at 1/64 of a byte's work per
 * sector. Sparse in pages of 1 MiB: a page never written holds zeros.
 */
final class ContentMap implements World.Contents {
    private static final int PAGE_SECTORS = 2048;
    /** Not a write id: the simulated world's ids are the initial ones (0, -1) and the guest's, from 1. */
    private static final long ZERO = Long.MIN_VALUE;

    private final Map<Long, long[]> pages = new HashMap<>();
    private final long sizeSectors;

    ContentMap(long sizeSectors) {
        this.sizeSectors = sizeSectors;
    }

    @Override
    public void data(long sector, long sectorCount, long writeId) {
        set(sector, sectorCount, writeId);
    }

    @Override
    public void zeros(long sector, long sectorCount) {
        set(sector, sectorCount, ZERO);
    }

    private void set(long sector, long sectorCount, long value) {
        pieces(sector, sectorCount, (page, from, to) -> {
            long[] p = pages.get(page);
            if (p == null) {
                if (value == ZERO) {
                    return; // a page never written holds zeros already
                }
                p = new long[PAGE_SECTORS];
                java.util.Arrays.fill(p, ZERO);
                pages.put(page, p);
            }
            java.util.Arrays.fill(p, from, to, value);
        });
    }

    /** What a read of some sectors sees: their identity, as {@link ContentIdentity#of} names their bytes, and whether all are zero. */
    record Seen(long identity, boolean zero) {}

    /** What sectors {@code sector..sector+sectorCount-1} hold, in one pass over their runs. */
    Seen seen(long sector, long sectorCount) {
        ContentIdentity.Runs runs = new ContentIdentity.Runs();
        boolean[] zero = {true};
        forEachRun(sector, sectorCount, (value, n) -> {
            if (value == ZERO) {
                runs.add(ContentIdentity.ZERO, 0, n);
            } else {
                runs.add(ContentIdentity.WRITTEN, value, n);
                zero[0] = false;
            }
        });
        return new Seen(runs.identity(), zero[0]);
    }

    private interface RunVisitor {
        void run(long value, long sectorCount);
    }

    private void checkRange(long sector, long sectorCount) {
        if (sector < 0 || sectorCount < 0 || sector > sizeSectors - sectorCount) {
            throw new IllegalArgumentException("sectors " + sector + "+" + sectorCount + " outside a disk of "
                    + sizeSectors + " sectors");
        }
    }

    private void forEachRun(long sector, long sectorCount, RunVisitor v) {
        pieces(sector, sectorCount, (page, from, to) -> {
            long[] p = pages.get(page);
            if (p == null) {
                v.run(ZERO, to - from);
                return;
            }
            for (int i = from, j; i < to; i = j) {
                for (j = i + 1; j < to && p[j] == p[i]; j++) {
                    // the run of equal values from i
                }
                v.run(p[i], j - i);
            }
        });
    }

    private interface PieceVisitor {
        void piece(long page, int fromSector, int toSector);
    }

    /** Cuts a checked range at pages: each piece lies in one page. */
    private void pieces(long sector, long sectorCount, PieceVisitor v) {
        checkRange(sector, sectorCount);
        long end = sector + sectorCount;
        for (long s = sector; s < end;) {
            int from = (int) (s % PAGE_SECTORS);
            int to = (int) Math.min(PAGE_SECTORS, from + end - s);
            v.piece(s / PAGE_SECTORS, from, to);
            s += to - from;
        }
    }
}
