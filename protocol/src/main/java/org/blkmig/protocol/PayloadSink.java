// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

import java.io.IOException;

/**
 * Where a sender writes its block section: payloads of records. The sender writes every record,
 * EOS included, so a faulty sender can be observed writing a faulty stream.
 */
public interface PayloadSink {
    void beginPayload(SectionType type) throws IOException;

    void write(Record record) throws IOException;

    void endPayload() throws IOException;
}
