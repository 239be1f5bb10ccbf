// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;

/** Cuts a sector range at fixed-size units (pages, clusters) so each piece lies in one unit. */
final class Segments {
    private Segments() {}

    @FunctionalInterface
    interface Visitor {
        /** One piece: the unit's index, the first sector of the piece within it, and its length. */
        void visit(long unit, int firstSectorInUnit, int sectorCount) throws IOException;
    }

    static void forEach(long sector, long sectorCount, int unitSectors, Visitor v) throws IOException {
        long s = sector;
        long end = sector + sectorCount;
        while (s < end) {
            int inUnit = (int) (s % unitSectors);
            int n = (int) Math.min(unitSectors - inUnit, end - s);
            v.visit(s / unitSectors, inUnit, n);
            s += n;
        }
    }
}
