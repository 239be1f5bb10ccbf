// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.blkmig.simdisk.Workload;

/**
 * jqwik's view of {@link Choices}: the same distribution as the campaign generator, and shrinking
 * towards fewer devices, fewer chunks, no partial chunk, no workload, no features.
 */
final class ScenarioArbitraries {
    private ScenarioArbitraries() {}

    static Arbitrary<Choices> choices() {
        return Arbitraries.frequency(Tuple.of(60, 0), Tuple.of(15, 1), Tuple.of(10, 2), Tuple.of(15, 3)).flatMap(chunkIndex -> {
            int spc = Choices.CHUNK_SIZES[chunkIndex] / 512;
            Arbitrary<Choices.DeviceChoice> device = Combinators.combine(
                    Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)),
                            Tuple.of(9, Arbitraries.integers().between(1, Choices.maxChunks(chunkIndex)))),
                    Arbitraries.frequencyOf(Tuple.of(7, Arbitraries.just(0)), Tuple.of(3, Arbitraries.integers().between(1, spc - 1))),
                    Arbitraries.frequency(Tuple.of(9, false), Tuple.of(1, true)))
                    .as(Choices.DeviceChoice::new);
            Arbitrary<Workload.Kind> kind = Arbitraries.frequency(Tuple.of(10, Workload.Kind.NONE), Tuple.of(20, Workload.Kind.UNIFORM),
                    Tuple.of(15, Workload.Kind.HOTSPOT), Tuple.of(10, Workload.Kind.SEQUENTIAL), Tuple.of(15, Workload.Kind.BURST),
                    Tuple.of(30, Workload.Kind.HAMMER));
            Arbitrary<Integer> dirty = Arbitraries.frequency(Tuple.of(10, 0), Tuple.of(20, 5), Tuple.of(25, 10), Tuple.of(25, 25),
                    Tuple.of(10, 50), Tuple.of(10, 200));
            Arbitrary<Integer> bulk = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.integers().between(3, 30)),
                    Tuple.of(1, Arbitraries.integers().between(1, 3)));
            Arbitrary<Integer> downtime = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(50, 300)),
                    Tuple.of(2, Arbitraries.integers().between(10, 50)));
            Arbitrary<Boolean> zero = Arbitraries.of(false, true);
            Arbitrary<Boolean> shared = Arbitraries.frequency(Tuple.of(7, false), Tuple.of(3, true));
            Arbitrary<Boolean> faults = Arbitraries.frequency(Tuple.of(85, false), Tuple.of(15, true));
            return Combinators.combine(device.list().ofMinSize(1).ofMaxSize(3), kind, dirty, bulk,
                    Arbitraries.integers().between(0, Choices.LATENCIES.length - 1), downtime, zero, shared)
                    .flatAs((devices, k, d, b, lat, dt, z, sh) -> Combinators.combine(Arbitraries.integers().between(20, 90),
                            faults, Arbitraries.longs(), Arbitraries.longs())
                            .as((alloc, f, contentSeed, seed) -> new Choices(chunkIndex, devices, k, d, b, lat, dt, z, sh,
                                    alloc, f, contentSeed, seed)));
        });
    }
}
