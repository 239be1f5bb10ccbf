// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a QEMU stream carries, as images: each device's starting image with every DATA and ZERO
 * record of the stream written over it, in stream order, cut at the device's size. Built with the
 * oracle's own decoder only, so it judges blkmig's receiver independently of it, and it tells
 * whether the source QEMU put its disks into its stream faithfully.
 */
public final class OracleRebuild {
    private OracleRebuild() {}

    private static final int SECTOR_BYTES = 512;

    /**
     * Rebuilds into {@code outDir}/{@code device}.oracle.raw; {@code startImages} holds what a
     * destination starts from (a copy is taken), a device absent from it starts all zero.
     * A record for an unknown device or past its end, or a stream the decoder rejects, is an error.
     */
    public static Map<String, Path> rebuild(Path stream, Map<String, Long> sizesBytes, Map<String, Path> startImages,
            int chunkSizeBytes, Path outDir) throws IOException, Rejected {
        Map<String, Path> out = new LinkedHashMap<>();
        Map<String, FileChannel> channels = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Long> e : sizesBytes.entrySet()) {
                Path p = outDir.resolve(e.getKey() + ".oracle.raw");
                Path start = startImages.get(e.getKey());
                if (start != null) {
                    Files.copy(start, p, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.deleteIfExists(p);
                }
                FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                channels.put(e.getKey(), ch);
                ch.truncate(e.getValue());
                if (ch.size() < e.getValue()) {
                    ch.write(ByteBuffer.allocate(1), e.getValue() - 1); // sparse zeros up to the size
                }
                out.put(e.getKey(), p);
            }
            ByteBuffer zeros = ByteBuffer.allocate(chunkSizeBytes);
            try (InputStream in = Files.newInputStream(stream)) {
                new OracleDecoder(chunkSizeBytes).decodeQemu(in, r -> {
                    if (r.kind() != OracleDecoder.Kind.DATA && r.kind() != OracleDecoder.Kind.ZERO) {
                        return;
                    }
                    FileChannel ch = channels.get(r.device());
                    Long size = sizesBytes.get(r.device());
                    long at = r.value() * SECTOR_BYTES;
                    if (ch == null || at >= size) {
                        throw new IllegalArgumentException("a block for " + (ch == null ? "unknown device '" + r.device() + "'"
                                : r.device() + " at byte " + at + ", past its end " + size) + " at stream byte " + r.offsetBytes());
                    }
                    ByteBuffer b = (r.kind() == OracleDecoder.Kind.DATA ? r.data() : zeros).duplicate();
                    b.clear().limit((int) Math.min(chunkSizeBytes, size - at));
                    try {
                        while (b.hasRemaining()) {
                            ch.write(b, at + b.position());
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (IllegalArgumentException e) {
                throw new IOException("the oracle cannot place a block: " + e.getMessage(), e);
            }
            return out;
        } finally {
            for (FileChannel ch : channels.values()) {
                ch.close();
            }
        }
    }
}
