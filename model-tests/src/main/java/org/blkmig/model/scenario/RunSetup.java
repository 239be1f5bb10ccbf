// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import org.blkmig.sender.ControllerOptions;
import org.blkmig.sender.SenderOptions;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Sizes;

/**
 * How the shipped code is configured in a run: the link, the sender's data path (buffered or zero
 * copy) and limits, the receiver's write pipeline and the controller's slice. {@link #SHIPPED}
 * holds what `blkmig send` and `blkmig receive` run with by default, over an ideal link.
 */
public record RunSetup(LinkModel link, boolean zeroCopy, int readsInFlight, int bufferedChunks, int pipelineBuffers,
        long writebackEveryBytes, long sliceNanos) {

    /** The receiver's shipped pipeline: 4 buffers, targets forced every 64 MiB (WritePipeline's). */
    public static final int SHIPPED_PIPELINE_BUFFERS = 4;
    public static final long SHIPPED_WRITEBACK_BYTES = 64L << 20;

    public static final RunSetup SHIPPED = new RunSetup(LinkModel.IDEAL, false, SenderOptions.DEFAULT_MAX_READS_IN_FLIGHT,
            SenderOptions.DEFAULT_MAX_BUFFERED_CHUNKS, SHIPPED_PIPELINE_BUFFERS, SHIPPED_WRITEBACK_BYTES,
            ControllerOptions.DEFAULT_SLICE_NANOS);

    public RunSetup {
        java.util.Objects.requireNonNull(link, "link");
        if (readsInFlight < 1 || bufferedChunks < readsInFlight) {
            throw new IllegalArgumentException("sender limits: need 1 <= reads in flight <= buffered chunks");
        }
        if (pipelineBuffers < 0 || writebackEveryBytes <= 0 || sliceNanos <= 0) {
            throw new IllegalArgumentException("pipeline buffers >= 0, writeback > 0 and slice > 0");
        }
    }

    public RunSetup withLink(LinkModel l) {
        return new RunSetup(l, zeroCopy, readsInFlight, bufferedChunks, pipelineBuffers, writebackEveryBytes, sliceNanos);
    }

    /** The scenario line's keys for what differs from {@link #SHIPPED}: each {@code ;key=value}. */
    String specDifferences() {
        StringBuilder b = new StringBuilder();
        if (!link.equals(SHIPPED.link)) {
            b.append(";link=").append(link.spec());
        }
        if (zeroCopy) {
            b.append(";data-path=zero-copy");
        }
        if (readsInFlight != SHIPPED.readsInFlight || bufferedChunks != SHIPPED.bufferedChunks) {
            b.append(";sender-limits=").append(readsInFlight).append(':').append(bufferedChunks);
        }
        if (pipelineBuffers != SHIPPED.pipelineBuffers || writebackEveryBytes != SHIPPED.writebackEveryBytes) {
            b.append(";pipeline=").append(pipelineBuffers).append(':').append(Sizes.format(writebackEveryBytes));
        }
        if (sliceNanos != SHIPPED.sliceNanos) {
            b.append(";slice=").append(Durations.format(sliceNanos));
        }
        return b.toString();
    }

    static final java.util.List<String> KEYS = java.util.List.of("link", "data-path", "sender-limits", "pipeline", "slice");

    /** The setup of a scenario line: each key absent is shipped. */
    static RunSetup parse(java.util.Map<String, String> kv) {
        LinkModel link = LinkModel.parse(kv.getOrDefault("link", "ideal"));
        String path = kv.getOrDefault("data-path", "buffered");
        if (!path.equals("buffered") && !path.equals("zero-copy")) {
            throw new IllegalArgumentException("scenario: data-path '" + path + "': expected buffered or zero-copy");
        }
        int[] limits = pair(kv.getOrDefault("sender-limits", SHIPPED.readsInFlight + ":" + SHIPPED.bufferedChunks),
                "sender-limits", "READS:CHUNKS");
        String[] pipe = kv.getOrDefault("pipeline", SHIPPED.pipelineBuffers + ":" + Sizes.format(SHIPPED.writebackEveryBytes))
                .split(":");
        if (pipe.length != 2) {
            throw new IllegalArgumentException("scenario: pipeline: expected BUFFERS:WRITEBACK, such as 4:64M");
        }
        long slice = kv.containsKey("slice") ? Durations.parse(kv.get("slice")) : SHIPPED.sliceNanos;
        return new RunSetup(link, path.equals("zero-copy"), limits[0], limits[1], Integer.parseInt(pipe[0]),
                Sizes.parse(pipe[1]), slice);
    }

    private static int[] pair(String v, String key, String form) {
        String[] p = v.split(":");
        if (p.length != 2) {
            throw new IllegalArgumentException("scenario: " + key + " '" + v + "': expected " + form);
        }
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }
}
