// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;

/** Turns the oracle's records into the protocol's values, for StreamChecker (the one place rules live). */
public final class OracleRecords {
    private OracleRecords() {}

    /** The record as a protocol value; a data block keeps a view of the decoder's buffer, valid during the callback. */
    public static Record toRecord(OracleDecoder.Rec r) {
        return switch (r.kind()) {
            case DATA -> new Record.DeviceBlock(r.value(), r.device(), r.data());
            case ZERO -> new Record.ZeroBlock(r.value(), r.device());
            case PROGRESS -> new Record.Progress(r.value());
            case EOS -> Record.EndOfSection.INSTANCE;
        };
    }

    public static SectionType sectionType(OracleDecoder.SectionKind kind) {
        return switch (kind) {
            case START -> SectionType.START;
            case PART -> SectionType.PART;
            case END -> SectionType.END;
            case FULL -> SectionType.FULL;
        };
    }
}
