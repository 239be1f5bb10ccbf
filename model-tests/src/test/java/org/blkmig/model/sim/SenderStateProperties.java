// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;
import net.jqwik.api.statistics.Statistics;
import org.blkmig.model.TriesBudget;
import org.blkmig.protocol.PayloadSink;
import org.blkmig.protocol.Record;
import org.blkmig.protocol.SectionType;
import org.blkmig.sender.BlockMigrationSender;
import org.blkmig.sender.SenderOptions;
import org.blkmig.sender.SliceBudget;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.History;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.SimIoContext;
import org.blkmig.simdisk.SimScheduler;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.WriteContent;

/**
 * Stateful: guest writes, read samples and completions, iterate calls and the final complete,
 * in any order. After every step: a chunk whose source differs from what the target last
 * received is dirty, or has a read submitted whose block has not arrived, or was never read.
 */
class SenderStateProperties {
    static final int CHUNK = 8192;
    static final long SPC = CHUNK / 512;
    static final long[] SIZES = {5L * CHUNK + 1024, 3L * CHUNK};

    /** The world, the sender, and a sink that applies each block to the target at once. */
    static final class Machine {
        final SimScheduler scheduler = new SimScheduler(42);
        final History history = new History();
        final List<BlockDevice> sources = new ArrayList<>();
        final Map<String, Disk> targets = new HashMap<>();
        final Map<String, Integer> blocksReceived = new HashMap<>();
        final SimIoContext io = new SimIoContext(scheduler, new LatencyModel.Uniform(0, 3_000_000), Faults.NONE, history);
        final BlockMigrationSender sender;
        boolean completed;
        long nextWriteId = 1;

        Machine() {
            this(Set.of());
        }

        Machine(Set<org.blkmig.sender.SenderMutant> mutants) {
            for (int i = 0; i < SIZES.length; i++) {
                String name = "d" + i;
                SparseMemoryDisk src = new SparseMemoryDisk(name, SIZES[i]);
                src.write(0, WriteContent.make(0, 0, SIZES[i] / 512));
                sources.add(new BlockDevice(src));
                targets.put(name, new SparseMemoryDisk(name, SIZES[i]));
            }
            PayloadSink apply = new PayloadSink() {
                @Override
                public void beginPayload(SectionType type) {}

                @Override
                public void write(Record r) throws IOException {
                    if (r instanceof Record.DeviceBlock b) {
                        Disk t = targets.get(b.device());
                        long n = Math.min(SPC, t.sizeSectors() - b.sector());
                        t.write(b.sector(), b.data().duplicate().limit((int) (n * 512)));
                        blocksReceived.merge(b.device() + "@" + b.sector(), 1, Integer::sum);
                    }
                }

                @Override
                public void endPayload() {}
            };
            sender = new BlockMigrationSender(sources, io, apply, SenderOptions.defaults().withChunkSize(CHUNK)
                    .withMutants(mutants));
            try {
                sender.setup();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Machine write(int device, long sector, int count) {
            BlockDevice d = sources.get(device);
            long s = sector % d.sizeSectors();
            long n = Math.min(count, d.sizeSectors() - s);
            long id = nextWriteId++;
            try {
                d.guestWrite(s, WriteContent.make(id, s, n), id);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            history.add(new History.GuestWrite(scheduler.nowNanos(), d.name(), s, n, id));
            return this;
        }

        Machine runEvents(int count) {
            for (int i = 0; i < count; i++) {
                scheduler.runNext(Long.MAX_VALUE);
            }
            return this;
        }

        Machine iterate(int budgetChunks) {
            try {
                sender.iterate(new SliceBudget((long) budgetChunks * CHUNK));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Machine complete() {
            try {
                sender.complete();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            completed = true;
            return this;
        }

        /** The invariant, from disks, the device's bitmap and the history; not from the sender. */
        void invariant() {
            Map<String, Integer> submitted = new HashMap<>();
            for (History.Entry e : history.entries()) {
                if (e instanceof History.ReadSubmit rs) {
                    submitted.merge(rs.device() + "@" + rs.sector(), 1, Integer::sum);
                }
            }
            for (BlockDevice d : sources) {
                List<DirtyBitmap> bitmaps = d.dirtyBitmaps();
                for (long c = 0; c * SPC < d.sizeSectors(); c++) {
                    long n = Math.min(SPC, d.sizeSectors() - c * SPC);
                    ByteBuffer a = World.read(d.disk(), c * SPC, n);
                    ByteBuffer b = World.read(targets.get(d.name()), c * SPC, n);
                    if (a.equals(b)) {
                        continue;
                    }
                    String key = d.name() + "@" + c * SPC;
                    int reads = submitted.getOrDefault(key, 0);
                    int arrived = blocksReceived.getOrDefault(key, 0);
                    boolean dirty = !bitmaps.isEmpty() && bitmaps.get(0).test(c);
                    assertTrue(!completed && (reads == 0 || dirty || reads > arrived),
                            "chunk " + c + " of " + d.name() + " differs from the target but is neither dirty nor"
                                    + " being read (reads " + reads + ", blocks " + arrived + ", completed " + completed + ")");
                }
            }
        }
    }

    @Provide
    Arbitrary<ActionChain<Machine>> chains() {
        Action.Independent<Machine> write = () -> Combinators.combine(Arbitraries.integers().between(0, SIZES.length - 1),
                Arbitraries.longs().between(0, 1000), Arbitraries.integers().between(1, 40))
                .as((d, s, n) -> Transformer.mutate("write d" + d + "@" + s + "+" + n, m -> m.write(d, s, n)));
        Action.Independent<Machine> events = () -> Arbitraries.integers().between(1, 6)
                .map(n -> Transformer.mutate("run " + n + " I/O events", m -> m.runEvents(n)));
        Action.Independent<Machine> iterate = () -> Arbitraries.integers().between(1, 8)
                .map(b -> Transformer.mutate("iterate with " + b + " chunks of budget", m -> m.iterate(b)));
        Action<Machine> complete = new Action.Independent<>() {
            @Override
            public boolean precondition(Machine m) {
                return m.sender.bulkCompleted() && !m.completed;
            }

            @Override
            public Arbitrary<Transformer<Machine>> transformer() {
                return Arbitraries.just(Transformer.mutate("complete", Machine::complete));
            }
        };
        Action<Machine> end = new Action.Independent<>() {
            @Override
            public boolean precondition(Machine m) {
                return m.completed;
            }

            @Override
            public Arbitrary<Transformer<Machine>> transformer() {
                return Arbitraries.just(Transformer.endOfChain());
            }
        };
        return ActionChain.startWith(Machine::new)
                .withAction(1, end)
                .withAction(4, precondition(write))
                .withAction(4, precondition(events))
                .withAction(3, precondition(iterate))
                .withAction(1, complete)
                .withMaxTransformations(60);
    }

    /** No action after the final copy: the migration is over. */
    private static Action<Machine> precondition(Action.Independent<Machine> a) {
        return new Action.Independent<>() {
            @Override
            public boolean precondition(Machine m) {
                return !m.completed;
            }

            @Override
            public Arbitrary<Transformer<Machine>> transformer() {
                return a.transformer();
            }
        };
    }

    @org.junit.jupiter.api.Test
    void theInvariantCatchesADirtyBitClearedAfterTheRead() {
        Machine m = new Machine(Set.of(org.blkmig.sender.SenderMutant.CLEAR_AFTER_READ));
        m.iterate(8);
        // let read 0 (chunk 0 of d0) take its data, then write into the chunk before it completes
        while (m.history.entries().stream().noneMatch(e -> e instanceof History.ReadSample rs && rs.readId() == 0)) {
            m.runEvents(1);
        }
        m.write(0, 0, 4);
        while (m.history.entries().stream().noneMatch(e -> e instanceof History.ReadComplete rc && rc.readId() == 0)) {
            m.runEvents(1);
        }
        m.iterate(8);
        org.opentest4j.AssertionFailedError e = org.junit.jupiter.api.Assertions.assertThrows(
                org.opentest4j.AssertionFailedError.class, m::invariant);
        assertTrue(e.getMessage().contains("chunk 0 of d0 differs"), e.getMessage());
        // the correct sender, same steps: the invariant holds
        Machine ok = new Machine();
        ok.iterate(8);
        while (ok.history.entries().stream().noneMatch(x -> x instanceof History.ReadSample rs && rs.readId() == 0)) {
            ok.runEvents(1);
        }
        ok.write(0, 0, 4);
        ok.runEvents(20).iterate(8);
        ok.invariant();
    }

    @Property(tries = 300)
    void nothingChangedIsForgotten(@ForAll("chains") ActionChain<Machine> chain) {
        Machine end = chain.withInvariant("changed chunks are dirty or being read", Machine::invariant).run();
        Statistics.label("completed").collect(end.completed);
        if (TriesBudget.full()) {
            Statistics.label("completed").coverage(c -> c.check(true).percentage(p -> p >= 20));
        }
        if (end.completed) {
            for (BlockDevice d : end.sources) {
                assertEquals(World.read(d.disk(), 0, d.sizeSectors()), World.read(end.targets.get(d.name()), 0, d.sizeSectors()),
                        d.name() + " differs after complete");
            }
            assertEquals(0, end.sources.get(0).dirtyBitmapCount(), "dirty tracking stops at complete");
        }
    }
}
