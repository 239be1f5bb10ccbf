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
 * no workload, no features) shrinks the scenario. {@code realistic} choices ({@link #drawRealistic})
 * count a device's {@code chunks} in 64 KiB units whatever the chunk size, and time their bulk pass
 * by the chunks it is expected to send (sparse disks send few).
 */
public record Choices(int chunkIndex, List<DeviceChoice> devices, Workload.Kind workload, int dirtyPercent,
        int bulkTenthsOfSecond, int latencyIndex, int downtimeMillis, boolean zeroBlocks, boolean sharedBase,
        int allocatedPercent, boolean faults, long contentSeed, long seed, int ramIndex, SetupChoice setup,
        boolean realistic) {

    /** A device: whole chunks, extra sectors of a partial last chunk, read-only, its name ("": drive0, drive1, ...). */
    public record DeviceChoice(int chunks, int extraSectors, boolean readOnly, String name) {
        public DeviceChoice {
            java.util.Objects.requireNonNull(name, "name");
        }

        public DeviceChoice(int chunks, int extraSectors, boolean readOnly) {
            this(chunks, extraSectors, readOnly, "");
        }

        DeviceChoice withSize(int chunksNow, int extraSectorsNow) {
            return new DeviceChoice(chunksNow, extraSectorsNow, readOnly, name);
        }
    }

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

    /** Realistic draws: 32 MiB to 1 GiB of disks in all, in units of 64 KiB (the smallest chunk), up to 8 devices. */
    public static final long REALISTIC_MIN_BYTES = 32L << 20;
    public static final long REALISTIC_MAX_BYTES = 1L << 30;
    public static final int REALISTIC_UNIT_BYTES = 64 << 10;
    static final int REALISTIC_UNIT_SECTORS = REALISTIC_UNIT_BYTES / 512;
    public static final int REALISTIC_MAX_DEVICES = 8;
    /**
     * A realistic copy of every chunk (no zero blocks) of more than this would pass the harness's data
     * cap in its bulk pass alone (384 MiB: {@code ScenarioRunner.dataLimitBytes}), and the harness refuses
     * one past its stream bound even over a shared base: larger disks send zero blocks.
     */
    static final long REALISTIC_FULL_COPY_MAX_BYTES = 192L << 20;
    /** The guest's dirtying as a share of the rate limit: most above a quarter (many dirty rounds), some keeping pace. */
    static final int[] REALISTIC_DIRTY_PERCENTS = {0, 10, 25, 50, 75, 90, 100, 150};
    /** The top layer's allocated data at most, about: its clusters are real memory. */
    static final long REALISTIC_TOP_BYTES = 16L << 20;

    public Choices {
        devices = List.copyOf(devices);
        java.util.Objects.requireNonNull(setup, "setup");
    }

    /** Choices of the small draw. */
    public Choices(int chunkIndex, List<DeviceChoice> devices, Workload.Kind workload, int dirtyPercent, int bulkTenthsOfSecond,
            int latencyIndex, int downtimeMillis, boolean zeroBlocks, boolean sharedBase, int allocatedPercent, boolean faults,
            long contentSeed, long seed, int ramIndex, SetupChoice setup) {
        this(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis, zeroBlocks,
                sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup, false);
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
            long size = realistic ? (long) d.chunks() * REALISTIC_UNIT_BYTES
                    + (long) Math.min(d.extraSectors(), REALISTIC_UNIT_SECTORS - 1) * 512
                    : (long) Math.min(d.chunks(), maxChunks(chunkIndex)) * scale * chunk
                            + (long) Math.min(d.extraSectors(), sectorsPerChunk - 1) * 512;
            ds.add(new Scenario.Device(d.name().isEmpty() ? "drive" + i : d.name(), size, d.readOnly()));
            total += size;
        }
        // the bulk pass takes about bulkTenthsOfSecond/10 s: several slices; QEMU's runs take its own
        // range of max-bandwidth, 8 MiB/s to 1 GiB/s, whatever the disks; realistic ones time what their bulk pass sends
        long bandwidth = realistic
                ? Math.max(256L << 10, bulkBytesEstimate(ds, chunk) * 10 / Math.max(1, bulkTenthsOfSecond)) / 1024 * 1024
                : profile == Profile.QEMU_7_2 ? QEMU_BANDWIDTHS_BYTES[bulkTenthsOfSecond % QEMU_BANDWIDTHS_BYTES.length]
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

    /**
     * About what the bulk pass of these devices sends: every chunk in a full copy; else the chunks
     * holding data as {@code World} fills them (a share of 64 KiB regions, at most 8 MiB a disk) or
     * the top's allocated clusters.
     */
    private long bulkBytesEstimate(List<Scenario.Device> ds, int chunk) {
        long bytes = 0;
        int regionsPerChunk = Math.max(1, chunk / REALISTIC_UNIT_BYTES);
        for (Scenario.Device d : ds) {
            if (!d.migrated()) {
                continue;
            }
            long chunks = (d.sizeBytes() + chunk - 1) / chunk;
            if (!zeroBlocks && !sharedBase) {
                bytes += chunks * chunk;
                continue;
            }
            long regions = (d.sizeBytes() + REALISTIC_UNIT_BYTES - 1) / REALISTIC_UNIT_BYTES;
            double share = sharedBase ? allocatedPercent / 100.0 : Math.min(0.6, 128.0 / regions);
            bytes += (long) (chunks * (1 - StrictMath.pow(1 - share, regionsPerChunk))) * chunk;
        }
        return Math.max(bytes, chunk);
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

    /**
     * Realistic sizes ({@code campaign --sizes realistic}): 32 MiB to 1 GiB of disks in all, hundreds to
     * thousands of chunks, sizes off any chunk multiple, up to 8 devices with names that are prefixes
     * of each other, long (to the protocol's 255 bytes) or not ASCII, empty and tiny devices beside
     * large ones; guests that make many dirty rounds or keep pace with the rate limit. The initial
     * data stays sparse (at most 8 MiB a disk, as {@code World} fills it), so memory stays bounded.
     * Raw zeros draw one 32 MiB device named drive0.
     */
    public static Choices drawRealistic(Draws d) {
        int chunkIndex = d.pick(20, 10, 15, 55);
        int deviceCount = 1 + d.pick(30, 20, 12, 10, 7, 7, 7, 7);
        // the total in whole units, log-uniform; each device may add up to 16 units (rounding, a partial unit)
        int minUnits = (int) (REALISTIC_MIN_BYTES / REALISTIC_UNIT_BYTES);
        int maxUnits = (int) (REALISTIC_MAX_BYTES / REALISTIC_UNIT_BYTES) - 16 * REALISTIC_MAX_DEVICES;
        int totalUnits = (int) Math.round(minUnits * StrictMath.pow((double) maxUnits / minUnits, d.between(0, 1000) / 1000.0));
        int[] kinds = new int[deviceCount]; // 0 sized by its weight, 1 empty, 2 tiny: less than 1 MiB
        int[] weights = new int[deviceCount];
        int[] units = new int[deviceCount];
        int[] extraSectors = new int[deviceCount];
        boolean[] round = new boolean[deviceCount];
        boolean[] readOnly = new boolean[deviceCount];
        for (int i = 0; i < deviceCount; i++) {
            int kind = d.pick(80, 8, 12);
            weights[i] = d.between(1, 100);
            int tinyUnits = d.between(0, 15);
            boolean partial = d.chance(1, 2);
            int extra = d.between(1, REALISTIC_UNIT_SECTORS - 1);
            round[i] = d.chance(1, 4); // a whole number of MiB
            boolean ro = d.chance(1, 10);
            kinds[i] = i == 0 ? 0 : kind; // the first device carries the bulk of the total
            readOnly[i] = i != 0 && ro;
            units[i] = kinds[i] == 2 ? tinyUnits : 0;
            extraSectors[i] = kinds[i] == 2 || (kinds[i] == 0 && partial) ? extra : 0;
        }
        long left = totalUnits - java.util.Arrays.stream(units).sum();
        long weightSum = 0;
        for (int i = 0; i < deviceCount; i++) {
            weightSum += kinds[i] == 0 ? weights[i] : 0;
        }
        long given = 0;
        for (int i = 0; i < deviceCount; i++) {
            if (kinds[i] == 0) {
                units[i] = (int) (left * weights[i] / weightSum);
                given += units[i];
            }
        }
        units[0] += (int) (left - given);
        for (int i = 0; i < deviceCount; i++) {
            if (kinds[i] == 0 && round[i]) {
                units[i] = (units[i] + 15) / 16 * 16;
                extraSectors[i] = 0;
            }
        }
        List<String> names = DeviceNames.draw(d.pick(30, 25, 20, 25), deviceCount, d.anyLong());
        List<DeviceChoice> devices = new ArrayList<>();
        for (int i = 0; i < deviceCount; i++) {
            devices.add(new DeviceChoice(units[i], extraSectors[i], readOnly[i], names.get(i)));
        }
        // NONE, UNIFORM, HOTSPOT, SEQUENTIAL, BURST, HAMMER
        Workload.Kind kind = Workload.Kind.values()[d.pick(5, 25, 20, 15, 15, 20)];
        int dirtyPercent = REALISTIC_DIRTY_PERCENTS[d.pick(5, 10, 10, 15, 15, 15, 15, 15)];
        // the bulk pass from half a second to 30 s, log-uniform: dirty rounds take after it
        int bulkTenths = (int) Math.round(5 * StrictMath.pow(60, d.between(0, 1000) / 1000.0));
        int latencyIndex = d.between(0, LATENCIES.length - 1);
        // short enough, against a long bulk pass, for tens of rounds
        int downtimeMillis = d.chance(1, 2) ? d.between(10, 100) : d.between(100, 500);
        boolean sharedBase = d.chance(2, 10);
        long totalBytes = (long) totalUnits * REALISTIC_UNIT_BYTES;
        int allocatedPercent = d.between(1, (int) Math.max(1, Math.min(90, REALISTIC_TOP_BYTES * 100 / totalBytes)));
        // a full copy of large disks would only meet the data cap
        boolean zeroBlocks = d.coin() || migratedBytes(devices) > REALISTIC_FULL_COPY_MAX_BYTES;
        boolean faults = d.chance(1, 10);
        long contentSeed = d.anyLong();
        long seed = d.anyLong();
        int ramIndex = d.pick(40, 30, 20, 10);
        SetupChoice setup = SetupChoice.draw(d);
        return new Choices(chunkIndex, devices, kind, dirtyPercent, bulkTenths, latencyIndex, downtimeMillis, zeroBlocks,
                sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup, true);
    }

    /** The bytes of the writable devices, read as realistic units. */
    private static long migratedBytes(List<DeviceChoice> devices) {
        return devices.stream().filter(x -> !x.readOnly())
                .mapToLong(x -> (long) x.chunks() * REALISTIC_UNIT_BYTES + (long) x.extraSectors() * 512).sum();
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
                out.add(withDevice(i, d.withSize(d.chunks() / 2, d.extraSectors())));
                out.add(withDevice(i, d.withSize(d.chunks() - 1, d.extraSectors())));
            }
            if (d.extraSectors() > 0) {
                out.add(withDevice(i, d.withSize(d.chunks(), 0)));
            }
            if (d.readOnly()) {
                out.add(withDevice(i, new DeviceChoice(d.chunks(), d.extraSectors(), false, d.name())));
            }
        }
        if (devices.stream().anyMatch(d -> !d.name().isEmpty())) {
            out.add(withDevices(devices.stream().map(d -> new DeviceChoice(d.chunks(), d.extraSectors(), d.readOnly())).toList()));
        }
        if (faults) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, false,
                    contentSeed, seed, ramIndex, setup, realistic));
        }
        if (sharedBase) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, false, allocatedPercent, faults, contentSeed, seed, ramIndex, setup, realistic));
        }
        if (zeroBlocks) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, false, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup, realistic));
        }
        if (workload != Workload.Kind.NONE) {
            out.add(new Choices(chunkIndex, devices, Workload.Kind.NONE, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                    contentSeed, seed, ramIndex, setup, realistic));
            if (workload != Workload.Kind.UNIFORM) {
                out.add(new Choices(chunkIndex, devices, Workload.Kind.UNIFORM, dirtyPercent, bulkTenthsOfSecond,
                        latencyIndex, downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                        contentSeed, seed, ramIndex, setup, realistic));
            }
        }
        if (dirtyPercent > 5) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent / 2, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                    contentSeed, seed, ramIndex, setup, realistic));
        }
        if (latencyIndex > 0) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, 0,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                    contentSeed, seed, ramIndex, setup, realistic));
        }
        if (chunkIndex > 0) {
            out.add(new Choices(0, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex,
                    downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                    contentSeed, seed, ramIndex, setup, realistic));
        }
        if (ramIndex > 0) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                    zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, 0, setup, realistic));
        }
        for (SetupChoice simpler : setup.simpler()) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                    zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, simpler, realistic));
        }
        if (bulkTenthsOfSecond > 3) {
            out.add(new Choices(chunkIndex, devices, workload, dirtyPercent, Math.max(3, bulkTenthsOfSecond / 2),
                    latencyIndex, downtimeMillis, zeroBlocks, sharedBase, allocatedPercent, faults,
                    contentSeed, seed, ramIndex, setup, realistic));
        }
        out.removeIf(Choices::fullCopyTooLarge); // no zero blocks, or a read-only device made writable
        return out;
    }

    /** A realistic copy without zero blocks whose bulk pass alone would meet the data cap: never drawn, never tried. */
    private boolean fullCopyTooLarge() {
        return realistic && !zeroBlocks && migratedBytes(devices) > REALISTIC_FULL_COPY_MAX_BYTES;
    }

    private Choices withDevices(List<DeviceChoice> ds) {
        return new Choices(chunkIndex, ds, workload, dirtyPercent, bulkTenthsOfSecond, latencyIndex, downtimeMillis,
                zeroBlocks, sharedBase, allocatedPercent, faults, contentSeed, seed, ramIndex, setup, realistic);
    }

    private Choices withDevice(int i, DeviceChoice d) {
        List<DeviceChoice> ds = new ArrayList<>(devices);
        ds.set(i, d);
        return withDevices(ds);
    }
}
