// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.blkmig.model.scenario.Choices;

/**
 * Which sizes a campaign draws ({@code --sizes}): the small scenarios of every campaign so far,
 * realistic ones (32 MiB to 1 GiB, hundreds of chunks: {@link Choices#drawRealistic}),
 * or a share of each.
 */
public enum SizeMix {
    SMALL("small"),
    REALISTIC("realistic"),
    MIXED("mixed");

    /** The default of the commands; to become {@code "mixed"} once realistic scenarios run fast enough (#26). */
    public static final String DEFAULT_CLI_NAME = "small";
    public static final SizeMix DEFAULT = parse(DEFAULT_CLI_NAME);
    /** In a mixed campaign, one scenario in this many is realistic. */
    public static final int MIXED_REALISTIC_ONE_IN = 10;

    public final String cliName;

    SizeMix(String cliName) {
        this.cliName = cliName;
    }

    public static SizeMix parse(String name) {
        for (SizeMix m : values()) {
            if (m.cliName.equals(name.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown size mix '" + name + "'; known: "
                + Arrays.stream(values()).map(m -> m.cliName).collect(Collectors.joining(", ")));
    }

    /**
     * Whether scenario k of the campaign with this seed is realistic. A mixed campaign decides from
     * a source apart from the draw's, so its small scenarios are those of the small campaign.
     */
    public boolean realistic(long seed, int k) {
        return switch (this) {
            case SMALL -> false;
            case REALISTIC -> true;
            case MIXED -> new SplittableRandom(~(seed * 0x9E3779B97F4A7C15L + k)).nextInt(MIXED_REALISTIC_ONE_IN) == 0;
        };
    }

    /** What a campaign's header says of its sizes. */
    public String describe() {
        String range = (Choices.REALISTIC_MIN_BYTES >> 20) + " MiB-" + (Choices.REALISTIC_MAX_BYTES >> 30) + " GiB";
        return "sizes " + switch (this) {
            case SMALL -> "small";
            case REALISTIC -> "realistic (" + range + ")";
            case MIXED -> "mixed (" + (100 - 100 / MIXED_REALISTIC_ONE_IN) + "% small, " + 100 / MIXED_REALISTIC_ONE_IN
                    + "% realistic: " + range + ")";
        };
    }
}
