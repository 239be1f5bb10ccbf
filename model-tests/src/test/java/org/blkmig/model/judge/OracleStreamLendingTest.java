// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Collectors;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.campaign.SizeMix;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;
import org.junit.jupiter.api.Test;

/**
 * The oracle names a simulated run's blocks where they lie in its stream's pieces; decoding the same
 * bytes copied out, through a plain input, must give the same blocks, names and verdict of the rules.
 */
class OracleStreamLendingTest {
    @Test
    void aStreamReadInPlaceDecodesAsTheSameBytesCopiedOut() throws IOException {
        int blocks = 0;
        int multiPiece = 0;
        for (int k = 0; k < 40; k++) {
            Scenario s = Campaign.choices(31, k, SizeMix.SMALL).toScenario(Profile.BLKMIG);
            Judge.Outcome o = Judge.judge(s, Variant.BLKMIG, false);
            var stream = o.run().stream();
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            try (var in = stream.open()) {
                in.transferTo(copy);
            }
            byte[] bytes = copy.toByteArray();
            Map<String, Long> sizes = s.devices().stream().collect(Collectors.toMap(d -> d.name(), d -> d.sizeBytes()));
            boolean completed = o.facts().completed();
            OracleStream inPlace = OracleStream.decode(stream::open, sizes, s.chunkSizeBytes(), completed);
            OracleStream copied = OracleStream.decode(() -> new ByteArrayInputStream(bytes), sizes, s.chunkSizeBytes(), completed);
            assertEquals(copied, inPlace, s.toString());
            blocks += inPlace.blocks().stream().filter(b -> !b.zero()).count();
            multiPiece += inPlace.blocks().stream().filter(b -> !b.zero() && b.offsetBytes() / (256 << 10)
                    != (b.offsetBytes() + b.wireBytes() - 1) / (256 << 10)).count();
        }
        assertTrue(blocks > 100 && multiPiece > 10, blocks + " data blocks, " + multiPiece + " across stream pieces");
    }
}
