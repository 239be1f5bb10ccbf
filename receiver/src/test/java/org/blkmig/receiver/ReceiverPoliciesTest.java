// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blkmig.protocol.Record;
import org.blkmig.receiver.ReceiveResult.Failure;
import org.blkmig.receiver.ReceiverPolicies.Completion;
import org.blkmig.receiver.ReceiverPolicies.Ending;
import org.blkmig.receiver.ReceiverPolicies.LastChunk;
import org.blkmig.receiver.ReceiverPolicies.Writeback;
import org.blkmig.receiver.ReceiverPolicies.ZeroWrite;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SimScheduler;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

/** Each receiver policy on its own, and each seeded bug as the one policy it swaps. */
class ReceiverPoliciesTest {
    static final int CHUNK = 4096;
    static final long SECTORS_PER_CHUNK = CHUNK / 512;

    private static ReceiveResult receive(ReceiverPolicies policies, Disk target, byte[] stream, int writeBuffers) {
        return new BlockReceiver(Map.of("drive0", target), CHUNK, policies, p -> {}, writeBuffers, Destination.BLKMIG,
                Pipeline.Factory.virtual(new SimScheduler(1), 1000, 64L * CHUNK)).receive(new ByteArrayInputStream(stream));
    }

    private static byte[] bytesOf(Disk d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) d.sizeBytes());
        d.read(0, b);
        return b.array();
    }

    private static SparseMemoryDisk filled(long sizeBytes, int fill) throws IOException {
        SparseMemoryDisk d = new SparseMemoryDisk("drive0", sizeBytes);
        byte[] b = new byte[(int) sizeBytes];
        Arrays.fill(b, (byte) fill);
        d.write(0, ByteBuffer.wrap(b));
        return d;
    }

    @Test
    void eachMutantSwapsExactlyItsOwnPolicy() {
        Writeback every = Writeback.EVERY_TARGET_WRITTEN;
        assertEquals(ReceiverPolicies.BLKMIG, ReceiverPolicies.of(Set.of()));
        assertEquals(new ReceiverPolicies(LastChunk.WHOLE_CHUNK, ZeroWrite.WRITE_ZEROS, every, Completion.AFTER_DRAIN, Ending.END_PAYLOAD),
                ReceiverPolicies.of(Set.of(ReceiverMutant.PARTIAL_CHUNK_FULL_WRITE)));
        assertEquals(new ReceiverPolicies(LastChunk.IN_BOUNDS, ZeroWrite.DROPPED, every, Completion.AFTER_DRAIN, Ending.END_PAYLOAD),
                ReceiverPolicies.of(Set.of(ReceiverMutant.PIPELINE_DROPS_ZERO_WRITES)));
        assertEquals(new ReceiverPolicies(LastChunk.IN_BOUNDS, ZeroWrite.WRITE_ZEROS, every, Completion.BEFORE_DRAIN, Ending.END_PAYLOAD),
                ReceiverPolicies.of(Set.of(ReceiverMutant.COMPLETE_BEFORE_DRAIN)));
        assertEquals(new ReceiverPolicies(LastChunk.IN_BOUNDS, ZeroWrite.WRITE_ZEROS, every, Completion.AFTER_DRAIN,
                Ending.ANY_END_OF_INPUT), ReceiverPolicies.of(Set.of(ReceiverMutant.COMPLETE_AT_END_OF_INPUT)));
        assertEquals(new ReceiverPolicies(LastChunk.WHOLE_CHUNK, ZeroWrite.DROPPED, Writeback.WRONG_TARGET,
                Completion.BEFORE_DRAIN, Ending.ANY_END_OF_INPUT), ReceiverPolicies.of(EnumSet.allOf(ReceiverMutant.class)),
                "the bugs combine");
        assertEquals(new ReceiverPolicies(LastChunk.IN_BOUNDS, ZeroWrite.WRITE_ZEROS, Writeback.WRONG_TARGET,
                Completion.AFTER_DRAIN, Ending.END_PAYLOAD),
                ReceiverPolicies.of(Set.of(ReceiverMutant.WRITEBACK_FORCES_WRONG_TARGET)));
        assertThrows(IllegalArgumentException.class, () -> ReceiverPolicies.BLKMIG.with(Failure.NONE), "not a policy");
        assertThrows(NullPointerException.class, () -> new ReceiverPolicies(LastChunk.IN_BOUNDS, null, every, Completion.AFTER_DRAIN,
                Ending.END_PAYLOAD));
    }

    @Test
    void theLastChunkPolicyDecidesHowMuchOfAPartialChunkIsWritten() throws IOException {
        assertEquals(3, LastChunk.IN_BOUNDS.sectorsToWrite(SECTORS_PER_CHUNK, 3));
        assertEquals(SECTORS_PER_CHUNK, LastChunk.IN_BOUNDS.sectorsToWrite(SECTORS_PER_CHUNK, 100), "a whole chunk inside");
        assertEquals(SECTORS_PER_CHUNK, LastChunk.WHOLE_CHUNK.sectorsToWrite(SECTORS_PER_CHUNK, 3));
        // blkmig's rules take the policy; QEMU 7.2's destination keeps its own cluster rule
        ReceiverPolicies whole = ReceiverPolicies.BLKMIG.with(LastChunk.WHOLE_CHUNK);
        assertEquals(new Destination.Blkmig(LastChunk.WHOLE_CHUNK), Destination.BLKMIG.withPolicies(whole));
        Destination qemu = Destination.qemu72(CHUNK);
        assertSame(qemu, qemu.withPolicies(whole));
        // a device of one chunk and 3 sectors: the whole last chunk is a write past its end
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", SECTORS_PER_CHUNK, CHUNK, 1),
                ReceiverTest.EOS), ReceiverTest.end()));
        for (int buffers : new int[] {0, 2}) {
            SparseMemoryDisk inBounds = new SparseMemoryDisk("drive0", CHUNK + 3 * 512);
            assertTrue(receive(ReceiverPolicies.BLKMIG, inBounds, s, buffers).complete());
            assertEquals(1, bytesOf(inBounds)[CHUNK + 3 * 512 - 1]);
            ReceiveResult r = receive(whole, new SparseMemoryDisk("drive0", CHUNK + 3 * 512), s, buffers);
            assertEquals(Failure.TARGET_FAILED, r.failure(), buffers + " buffers: " + r);
            assertTrue(r.reason().startsWith("write to 'drive0' at sector " + SECTORS_PER_CHUNK + " failed"), r.reason());
        }
    }

    @Test
    void theZeroWritePolicyDecidesWhetherAZeroBlockOverwritesTheTarget() throws IOException {
        SparseMemoryDisk zeroed = filled(2L * CHUNK, 7);
        ZeroWrite.WRITE_ZEROS.apply(zeroed, SECTORS_PER_CHUNK, SECTORS_PER_CHUNK);
        byte[] z = bytesOf(zeroed);
        assertEquals(7, z[CHUNK - 1], "the sectors before stay");
        assertEquals(-1, Arrays.mismatch(Arrays.copyOfRange(z, CHUNK, 2 * CHUNK), new byte[CHUNK]), "the block's sectors zeroed");
        SparseMemoryDisk kept = filled(2L * CHUNK, 7);
        ZeroWrite.DROPPED.apply(kept, SECTORS_PER_CHUNK, SECTORS_PER_CHUNK);
        assertEquals(7, bytesOf(kept)[CHUNK]);
        // through the receiver's pipelines: the threaded one and the one in virtual time
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(new Record.ZeroBlock(SECTORS_PER_CHUNK, "drive0"), ReceiverTest.EOS),
                ReceiverTest.end()));
        ReceiverPolicies dropping = ReceiverPolicies.BLKMIG.with(ZeroWrite.DROPPED);
        for (Pipeline.Factory pipes : List.of(Pipeline.Factory.THREADS, Pipeline.Factory.virtual(new SimScheduler(2), 1000, CHUNK))) {
            SparseMemoryDisk dropped = filled(2L * CHUNK, 7);
            ReceiveResult r = new BlockReceiver(Map.of("drive0", dropped), CHUNK, dropping, p -> {}, 2, Destination.BLKMIG, pipes)
                    .receive(new ByteArrayInputStream(s));
            assertTrue(r.complete(), r.toString());
            assertEquals(7, bytesOf(dropped)[CHUNK], "the zero block was dropped");
            SparseMemoryDisk written = filled(2L * CHUNK, 7);
            new BlockReceiver(Map.of("drive0", written), CHUNK, ReceiverPolicies.BLKMIG, p -> {}, 2, Destination.BLKMIG, pipes)
                    .receive(new ByteArrayInputStream(s));
            assertEquals(0, bytesOf(written)[CHUNK]);
            assertEquals(7, bytesOf(written)[CHUNK - 1]);
        }
    }

    /** Counts the drains it is asked for. */
    static final class CountingPipeline implements Pipeline {
        int drains;

        @Override
        public ByteBuffer takeFree() {
            return ByteBuffer.allocate(CHUNK);
        }

        @Override
        public void submit(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes) {}

        @Override
        public void drain() {
            drains++;
        }

        @Override
        public void close() {}
    }

    @Test
    void theCompletionPolicyDecidesWhetherTheFlushWaitsForTheDrain() throws IOException {
        CountingPipeline after = new CountingPipeline();
        Completion.AFTER_DRAIN.beforeFlush(after);
        assertEquals(1, after.drains);
        CountingPipeline before = new CountingPipeline();
        Completion.BEFORE_DRAIN.beforeFlush(before);
        assertEquals(0, before.drains);
        // in the receiver: the END payload drains the pipeline once before the flush, or not at all
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", 0, CHUNK, 1), ReceiverTest.EOS),
                ReceiverTest.end()));
        for (Completion c : Completion.values()) {
            CountingPipeline p = new CountingPipeline();
            ReceiveResult r = new BlockReceiver(Map.of("drive0", new SparseMemoryDisk("drive0", 2L * CHUNK)), CHUNK,
                    ReceiverPolicies.BLKMIG.with(c), x -> {}, 2, Destination.BLKMIG, (buffers, chunk, zeroWrite) -> p)
                    .receive(new ByteArrayInputStream(s));
            assertTrue(r.complete(), r.toString());
            assertEquals(c == Completion.AFTER_DRAIN ? 1 : 0, p.drains, c.toString());
        }
    }

    @Test
    void theEndingPolicyDecidesWhichEndsOfTheInputComplete() throws IOException {
        for (Failure f : Failure.values()) {
            assertFalse(Ending.END_PAYLOAD.completes(f), f.toString());
            assertEquals(f == Failure.NO_END_PAYLOAD || f == Failure.TRUNCATED, Ending.ANY_END_OF_INPUT.completes(f), f.toString());
        }
        byte[] s = ReceiverTest.stream(CHUNK, List.of(List.of(ReceiverTest.block("drive0", 0, CHUNK, 1), ReceiverTest.EOS),
                ReceiverTest.end()));
        ReceiverPolicies lax = ReceiverPolicies.BLKMIG.with(Ending.ANY_END_OF_INPUT);
        byte[] cut = Arrays.copyOf(s, s.length - 30);
        ReceiveResult strict = receive(ReceiverPolicies.BLKMIG, new SparseMemoryDisk("drive0", 2L * CHUNK), cut, 0);
        assertEquals(Failure.TRUNCATED, strict.failure(), strict.toString());
        ReceiveResult lying = receive(lax, new SparseMemoryDisk("drive0", 2L * CHUNK), cut, 0);
        assertTrue(lying.complete(), "a cut stream passes for complete: " + lying);
        assertTrue(lying.offsetBytes() > CHUNK && lying.offsetBytes() <= cut.length, "where the reading stopped: " + lying);
        assertEquals(1, lying.dataBlocks());
        byte[] noEnd = ReceiveFailureTest.streamWithoutEndPayload();
        assertEquals(Failure.NO_END_PAYLOAD, receive(ReceiverPolicies.BLKMIG, new SparseMemoryDisk("drive0", 2L * CHUNK), noEnd, 0)
                .failure());
        assertTrue(receive(lax, new SparseMemoryDisk("drive0", 2L * CHUNK), noEnd, 0).complete(), "an end without END too");
        // malformed input stays a protocol error under either policy
        byte[] bad = s.clone();
        bad[0] = 'X';
        ReceiveResult malformed = receive(lax, new SparseMemoryDisk("drive0", 2L * CHUNK), bad, 0);
        assertEquals(Failure.PROTOCOL_ERROR, malformed.failure(), malformed.toString());
    }

    /** A writeback forces the targets written since the last: the target that ended the interval is one of them. */
    @Test
    void aWritebackEndedByATargetNotWrittenBreaksAnInvariant() {
        Disk a = new SparseMemoryDisk("a", 4096);
        Disk b = new SparseMemoryDisk("b", 4096);
        assertEquals(Set.of(a, b), Set.copyOf(Writeback.EVERY_TARGET_WRITTEN.toForce(List.of(a, b), b)));
        assertEquals(Set.of(b), Set.copyOf(Writeback.WRONG_TARGET.toForce(List.of(a, b), b)));
        for (Writeback w : Writeback.values()) {
            org.blkmig.simdisk.Invariant.Violation v = assertThrows(org.blkmig.simdisk.Invariant.Violation.class,
                    () -> w.toForce(List.of(a), b));
            assertTrue(v.getMessage().contains("b ended the interval unrecorded"), v.getMessage());
        }
    }
}
