// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.blkmig.sender.Profile;
import org.blkmig.sender.RamModel;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.Workload;

/**
 * The random choices behind a generated scenario, as plain small numbers: jqwik and the campaign
 * generator both draw these, and shrinking them (fewer devices, fewer chunks, no partial chunk,
 * no workload, no features) shrinks the scenario.
 */
public record Choices(int chunkIndex, List<DeviceChoice> devices, Workload.Kind workload, int dirtyPercent,
        int bulkTenthsOfSecond, int latencyIndex, int downtimeMillis, boolean zeroBlocks, boolean sharedBase,
        int allocatedPercent, boolean faults, long contentSeed, long seed, int ramIndex, SetupChoice setup) {

    /** A device: whole chunks, extra sectors of a partial last chunk, read-only. */
    public record DeviceChoice(int chunks, int extraSectors, boolean readOnly) {}

    public static final int[] CHUNK_SIZES = {64 << 10, 128 << 10, 256 << 10, 1 << 20};
    public static final int MAX_CHUNKS = 24;
    public static final int[] DIRTY_PERCENTS = {0, 5, 10, 25, 50, 200};
    static final LatencyModel[] LATENCIES = {
        new LatencyModel.Fixed(0),
        new LatencyModel.Fixed(Durations.MILLI),
        new LatencyModel.Uniform(50 * Durations.MICRO, 3 * Durations.MILLI),
        new LatencyModel.LongTail(500 * Durations.MICRO, 10, 30 * Durations.MILLI),
    };

    /** Guest RAM of a QEMU 7.2 run (as the real runs: no guest, a few percent of data pages, none dirtied). */
    static final long[] RAM_SIZES_BYTES = {32L << 20, 64L << 20, 128L << 20, 512L << 20};
    static final int RAM_DATA_PERCENT = 2;
    /** QEMU 7.2 runs have disks of 8 to 48 MiB (eight times the draw) so the bulk pass outruns its read-ahead. */
    static final int QEMU_DISK_SCALE = 8;
    /** QEMU's max-bandwidth settings drawn for its runs: 8 MiB/s to 1 GiB/s, its default 128 MiB/s among them. */
    static final long[] QEMU_BANDWIDTHS_BYTES = {8L << 20, 16L << 20, 32L << 20, 64L << 20, 96L << 20, 128L << 20,
        256L << 20, 1L << 30};

    public Choices {
        devices = List.copyOf(devices);
        java.util.Objects.requireNonNull(setup, "setup");
    }

    /** Choices of the shipped setup over an ideal link. */
    public Choices(int chunkIndex, List<DeviceChoice> devices, Workload.Kind workload, int dirtyPercent, int bulkTenthsOfSecond,
            int latencyIndex, int downtimeMillis, boolean zeroBlocks, boolean sharedBase, int allocatedPercent, boolean faults,
            long contentSeed, long seed, int ramIndex) {
        this(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis, zeroBlocks,
                sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, SetupChoice.SHIPPED);
    }

    /** The choices of earlier versions, without RAM. */
    public Choices(int chunkIndex, List<DeviceChoice> devices, Workload.Kind workload, int dirtyPercent, int bulkTenthsOfSecond,
            int latencyIndex, int downtimeMillis, boolean zeroBlocks, boolean sharedBase, int allocatedPercent, boolean faults,
            long contentSeed, long seed) {
        this(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis, zeroBlocks,
                sharedBase, allocatedPercent, faults, contentSeed, seed, 0);
    }

    /** The scenario these choices stand for, for the blkmig profile: no RAM in the model. */
    public Scenario toScenario() {
        return toScenario(Profile.BLKMIG);
    }

    /** The scenario these choices stand for; a QEMU 7.2 run has its guest's RAM beside the disks, as the real one. */
    public Scenario toScenario(Profile profile) {
        // QEMU speaks 1 MiB chunks only
        int chunkIndex = profile == Profile.QEMU_7_2 ? CHUNK_SIZES.length - 1 : this.chunkIndex;
        int chunk = CHUNK_SIZES[chunkIndex];
        int sectorsPerChunk = chunk / 512;
        List<Scenario.Device> ds = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < devices.size(); i++) {
            DeviceChoice d = devices.get(i);
            // QEMU's reads run up to 29 chunks ahead of the wire at 128 MiB/s: its disks must be larger than that
            int scale = profile == Profile.QEMU_7_2 ? QEMU_DISK_SCALE : 1;
            long size = (long) Math.min(d.chunks(), maxChunks(chunkIndex)) * scale * chunk
                    + (long) Math.min(d.extraSectors(), sectorsPerChunk - 1) * 512;
            ds.add(new Scenario.Device("drive" + i, size, d.readOnly()));
            total += size;
        }
        // the bulk pass takes about bulkTenthsOfSecond/10 s: several slices; QEMU's runs take its own
        // range of max-bandwidth, 8 MiB/s to 1 GiB/s, whatever the disks
        long bandwidth = profile == Profile.QEMU_7_2 ? QEMU_BANDWIDTHS_BYTES[bulkTenthsOfSecond % QEMU_BANDWIDTHS_BYTES.length]
                : Math.max(256L << 10, total * 10 / Math.max(1, bulkTenthsOfSecond)) / 1024 * 1024;
        Workload w = Workload.of(workload, 0);
        double perDirtyByte = w.kind() == Workload.Kind.NONE ? 0
                : Workload.of(workload, 1_000_000).dirtyRateBytesPerSecond(chunk) / 1_000_000;
        long rate = perDirtyByte == 0 ? 0 : (long) (bandwidth * dirtyPercent / 100.0 / perDirtyByte);
        Workload workloadOut = rate == 0 ? Workload.of(Workload.Kind.NONE, 0) : Workload.of(workload, rate);
        return new Scenario(ds, contentSeed, workloadOut, bandwidth, downtimeMillis * Durations.MILLI,
                LATENCIES[latencyIndex], chunk, zeroBlocks, sharedBase, allocatedPercent,
                faults ? Faults.buggify(seed) : Faults.NONE, seed, profile == Profile.QEMU_7_2
                        ? new RamModel.Settings(RAM_SIZES_BYTES[ramIndex], RAM_DATA_PERCENT, 0) : RamModel.Settings.NONE,
                setup.toSetup(profile, bandwidth, total));
    }

    /** Fewer chunks for large chunk sizes, so every scenario stays a few MiB. */
    static int maxChunks(int chunkIndex) {
        return chunkIndex == 3 ? 6 : chunkIndex == 2 ? 12 : MAX_CHUNKS;
    }

    /** The campaign's generator. */
    public static Choices random(SplittableRandom r) {
        return draw(Draws.of(r));
    }

    /**
     * The one scenario generator: the campaign and the property tests both draw their choices
     * here, so they share every weight.
     */
    public static Choices draw(Draws d) {
        int chunkIndex = d.pick(60, 15, 10, 15);
        int deviceCount = 1 + d.pick(45, 35, 20);
        List<DeviceChoice> devices = new ArrayList<>();
        int spc = CHUNK_SIZES[chunkIndex] / 512;
        for (int i = 0; i < deviceCount; i++) {
            boolean empty = d.chance(1, 10);
            int chunks = empty ? 0 : d.between(1, maxChunks(chunkIndex));
            int extraSectors = empty || !d.chance(3, 10) ? 0 : d.between(1, spc - 1);
            devices.add(new DeviceChoice(chunks, extraSectors, d.chance(1, 10)));
        }
        // NONE, UNIFORM, HOTSPOT, SEQUENTIAL, BURST, HAMMER: the hammer finds the races
        Workload.Kind kind = Workload.Kind.values()[d.pick(10, 20, 15, 10, 15, 30)];
        int dirtyPercent = DIRTY_PERCENTS[d.pick(10, 20, 25, 25, 10, 10)];
        // a third of the runs on a fast link (the bulk pass within 1-3 slices): reads overlap there
        int bulkTenths = d.chance(1, 3) ? d.between(1, 3) : d.between(3, 30);
        int latencyIndex = d.between(0, LATENCIES.length - 1);
        // short max downtimes keep a fast link iterating
        int downtimeMillis = d.chance(2, 5) ? d.between(10, 50) : d.between(50, 300);
        boolean zeroBlocks = d.coin();
        boolean sharedBase = d.chance(3, 10);
        int allocatedPercent = d.between(20, 90);
        boolean faults = d.chance(15, 100);
        long contentSeed = d.anyLong();
        long seed = d.anyLong();
        // drawn last, so the draws before it (and every blkmig campaign) stay what they were
        int ramIndex = d.pick(40, 30, 20, 10);
        // the shipped code's setup and the link, drawn after everything else for the same reason
        SetupChoice setup = SetupChoice.draw(d);
        return new Choices(chunkIndex, devices, kind, dirtyPercent, bulkTenths, latencyIndex, downtimeMillis, zeroBlocks,
                sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup);
    }

    /** Simpler variants of these choices, simplest first: what a shrinker tries. */
    public List<Choices> simpler() {
        List<Choices> out = new ArrayList<>();
        for (int i = 0; i < devices.size() && devices.size() > 1; i++) {
            List<DeviceChoice> fewer = new ArrayList<>(devices);
            fewer.remove(i);
            out.add(withDevices(fewer));
        }
        for (int i = 0; i < devices.size(); i++) {
            DeviceChoice d = devices.get(i);
            if (d.chunks() > 1) {
                out.add(withDevice(i, new DeviceChoice(d.chunks() / 2, d.extraSectors(), d.readOnly())));
                out.add(withDevice(i, new DeviceChoice(d.chunks() - 1, d.extraSectors(), d.readOnly())));
            }
            if (d.extraSectors() > 0) {
                out.add(withDevice(i, new DeviceChoice(d.chunks(), 0, d.readOnly())));
            }
            if (d.readOnly()) {
                out.add(withDevice(i, new DeviceChoice(d.chunks(), d.extraSectors(), false)));
            }
        }
        if (faults) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, false, contentSeed, seed, ramIndex, setup));
        }
        if (sharedBase) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, false, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        if (zeroBlocks) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, false, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        if (workload != Workload.Kind.NONE) {
            out.add(new Choices(chunkIndex, devices, Workload.Kind.NONE, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
            if (workload != Workload.Kind.UNIFORM) {
                out.add(new Choices(chunkIndex, devices, Workload.Kind.UNIFORM, dirtyPercent, bulkTenthsOfSecond,
                        latencyIndex, downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
            }
        }
        if (dirtyPercent > 5) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent / 2, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        if (latencyIndex > 0) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, 0,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        if (chunkIndex > 0) {
            out.add(new Choices(0, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        if (ramIndex > 0) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                    zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, 0, setup));
        }
        for (SetupChoice simpler : setup.simpler()) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                    zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, simpler));
        }
        if (bulkTenthsOfSecond > 3) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, Math.max(3, bulkTenthsOfSecond / 2),
                    latencyIndex, downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup));
        }
        return out;
    }

    private Choices withDevices(List<DeviceChoice> ds) {
        return new Choices(chunkIndex, ds, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup);
    }

    private Choices withDevice(int i, DeviceChoice d) {
        List<DeviceChoice> ds = new ArrayList<>(devices);
        ds.set(i, d);
        return withDevices(ds);
    }
}
