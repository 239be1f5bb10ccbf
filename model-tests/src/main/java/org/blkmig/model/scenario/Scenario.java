// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.protocol.Wire;
import org.blkmig.sender.RamModel;
import org.blkmig.simdisk.Durations;
import org.blkmig.simdisk.Faults;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.QemuTiming;
import org.blkmig.simdisk.Sizes;
import org.blkmig.simdisk.Workload;

/**
 * One simulated migration, as a value: it prints as one line and parses back, so a failure can be
 * rerun with {@code blkmig simulate --scenario '<line>'}.
 */
public record Scenario(List<Device> devices, long contentSeed, Workload workload, long bandwidthBytesPerSecond,
        long maxDowntimeNanos, LatencyModel latency, int chunkSizeBytes, boolean zeroBlocks, boolean sharedBase,
        int allocatedPercent, Faults faults, long seed, RamModel.Settings ram, RunSetup setup, DiskLayout layout,
        QemuTiming qemuTiming) {

    /** A source disk: a name, a size in bytes (whole sectors), read-only or not. */
    public record Device(String name, long sizeBytes, boolean readOnly) {
        public Device {
            if (name.isEmpty() || name.contains(",") || name.contains(":") || name.contains(";") || name.contains("=")) {
                throw new IllegalArgumentException("device name '" + name + "' must be non-empty without , : ; =");
            }
            if (sizeBytes < 0 || sizeBytes % Wire.SECTOR_SIZE_BYTES != 0) {
                throw new IllegalArgumentException("device " + name + ": size " + sizeBytes + " is not whole 512-byte sectors");
            }
        }

        /** A device the migration must carry: writable with a size. */
        public boolean migrated() {
            return !readOnly && sizeBytes > 0;
        }

        String spec() {
            return name + ":" + Sizes.format(sizeBytes) + (readOnly ? ":ro" : "");
        }
    }

    /** A scenario whose disks have World's layout, in a world without QEMU's timing. */
    public Scenario(List<Device> devices, long contentSeed, Workload workload, long bandwidthBytesPerSecond,
            long maxDowntimeNanos, LatencyModel latency, int chunkSizeBytes, boolean zeroBlocks, boolean sharedBase,
            int allocatedPercent, Faults faults, long seed, RamModel.Settings ram, RunSetup setup) {
        this(devices, contentSeed, workload, bandwidthBytesPerSecond, maxDowntimeNanos, latency, chunkSizeBytes, zeroBlocks,
                sharedBase, allocatedPercent, faults, seed, ram, setup, DiskLayout.WORLD, null);
    }

    /** A scenario of the shipped setup over an ideal link. */
    public Scenario(List<Device> devices, long contentSeed, Workload workload, long bandwidthBytesPerSecond,
            long maxDowntimeNanos, LatencyModel latency, int chunkSizeBytes, boolean zeroBlocks, boolean sharedBase,
            int allocatedPercent, Faults faults, long seed, RamModel.Settings ram) {
        this(devices, contentSeed, workload, bandwidthBytesPerSecond, maxDowntimeNanos, latency, chunkSizeBytes, zeroBlocks,
                sharedBase, allocatedPercent, faults, seed, ram, RunSetup.SHIPPED);
    }

    /** A scenario without guest RAM in the model (the default of the blkmig profile). */
    public Scenario(List<Device> devices, long contentSeed, Workload workload, long bandwidthBytesPerSecond,
            long maxDowntimeNanos, LatencyModel latency, int chunkSizeBytes, boolean zeroBlocks, boolean sharedBase,
            int allocatedPercent, Faults faults, long seed) {
        this(devices, contentSeed, workload, bandwidthBytesPerSecond, maxDowntimeNanos, latency, chunkSizeBytes, zeroBlocks,
                sharedBase, allocatedPercent, faults, seed, RamModel.Settings.NONE);
    }

    public Scenario {
        devices = List.copyOf(devices);
        java.util.Objects.requireNonNull(ram, "ram");
        java.util.Objects.requireNonNull(setup, "setup");
        java.util.Objects.requireNonNull(layout, "layout");
        if (layout.kind() != DiskLayout.Kind.WORLD && sharedBase) {
            throw new IllegalArgumentException("layout " + layout.spec() + " is for a disk without a shared base");
        }
        Wire.checkChunkSize(chunkSizeBytes);
        if (bandwidthBytesPerSecond <= 0) {
            throw new IllegalArgumentException("bandwidth must be > 0");
        }
        if (allocatedPercent < 0 || allocatedPercent > 100) {
            throw new IllegalArgumentException("alloc must be 0..100");
        }
        if (devices.stream().map(Device::name).distinct().count() != devices.size()) {
            throw new IllegalArgumentException("device names must be distinct");
        }
    }

    public long totalBytes() {
        return devices.stream().mapToLong(Device::sizeBytes).sum();
    }

    /** The one-line form. */
    @Override
    public String toString() {
        List<String> d = new ArrayList<>();
        devices.forEach(x -> d.add(x.spec()));
        return "devices=" + String.join(",", d)
                + ";content=" + contentSeed
                + ";workload=" + workload.spec()
                + ";bandwidth=" + Sizes.format(bandwidthBytesPerSecond)
                + ";downtime=" + Durations.format(maxDowntimeNanos)
                + ";latency=" + latency.spec()
                + ";chunk=" + Sizes.format(chunkSizeBytes)
                + ";zero-blocks=" + zeroBlocks
                + ";shared-base=" + sharedBase
                + ";alloc=" + allocatedPercent
                + ";faults=" + faults
                + ";seed=" + seed
                + (ram.ramBytes() == 0 ? "" : ";ram=" + ramSpec(ram))
                + setup.specDifferences()
                + (layout.equals(DiskLayout.WORLD) ? "" : ";layout=" + layout.spec())
                + (qemuTiming == null ? "" : ";timing=" + QEMU_MEASURED_TIMING);
    }

    /**
     * The scenario key {@code timing}'s one value: the world runs reads and the migration thread's
     * loop with QEMU 7.2's measured timing ({@link QemuTiming#forDisk}: each run takes one measured run's
     * timing, of a disk of holes when zero-blocks is on, else of data; its reads take that run's measured
     * times, not the key {@code latency}); absent, it has none.
     */
    public static final String QEMU_MEASURED_TIMING = "qemu-measured";

    /** {@code SIZE:DATA%:RATE}: guest RAM, its share of data pages, the guest's page-dirtying rate per second. */
    static String ramSpec(RamModel.Settings r) {
        return Sizes.format(r.ramBytes()) + ":" + r.dataPercent() + "%:" + Sizes.format(r.dirtyBytesPerSecond());
    }

    /**
     * The RAM of the real QEMU runs here: {@code -m 32M} and its ROM blocks (8,322 pages, 34,086,912
     * bytes, as QEMU's own migrate_pending trace reports it), no guest, a few percent of pages with data.
     */
    public static final RamModel.Settings QEMU_GUESTLESS_RAM = new RamModel.Settings(34_086_912L, 2, 0);

    public static RamModel.Settings parseRam(String v) {
        if (v.equals("none")) {
            return RamModel.Settings.NONE;
        }
        String[] p = v.split(":");
        if (p.length != 3 || !p[1].endsWith("%")) {
            throw new IllegalArgumentException("scenario: ram '" + v + "': expected SIZE:DATA%:RATE, such as 32M:2%:0");
        }
        return new RamModel.Settings(Sizes.parse(p[0]), Integer.parseInt(p[1].substring(0, p[1].length() - 1)),
                Sizes.parse(p[2]));
    }

    /**
     * Parses the one-line form; every key is required but {@code ram} (none when absent), the
     * setup's (shipped), {@code layout} (World's) and {@code timing} (none).
     */
    public static Scenario parse(String line) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : line.trim().split(";")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("scenario: '" + part + "' is not key=value");
            }
            kv.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        List<String> keys = List.of("devices", "content", "workload", "bandwidth", "downtime", "latency", "chunk",
                "zero-blocks", "shared-base", "alloc", "faults", "seed");
        for (String k : kv.keySet()) {
            if (!keys.contains(k) && !k.equals("ram") && !k.equals("layout") && !k.equals("timing") && !RunSetup.KEYS.contains(k)) {
                throw new IllegalArgumentException("scenario: unknown key '" + k + "'");
            }
        }
        for (String k : keys) {
            if (!kv.containsKey(k)) {
                throw new IllegalArgumentException("scenario: missing key '" + k + "'");
            }
        }
        List<Device> devices = new ArrayList<>();
        if (!kv.get("devices").isEmpty()) {
            for (String d : kv.get("devices").split(",")) {
                String[] p = d.split(":");
                if (p.length < 2 || p.length > 3 || (p.length == 3 && !p[2].equals("ro"))) {
                    throw new IllegalArgumentException("scenario: device '" + d + "': expected NAME:SIZE[:ro]");
                }
                devices.add(new Device(p[0], Sizes.parse(p[1]), p.length == 3));
            }
        }
        try {
            return new Scenario(devices, Long.parseLong(kv.get("content")), Workload.parse(kv.get("workload")),
                    Sizes.parse(kv.get("bandwidth")), Durations.parse(kv.get("downtime")), LatencyModel.parse(kv.get("latency")),
                    (int) Sizes.parse(kv.get("chunk")), parseBoolean(kv.get("zero-blocks")), parseBoolean(kv.get("shared-base")),
                    Integer.parseInt(kv.get("alloc")), Faults.parse(kv.get("faults")), Long.parseLong(kv.get("seed")),
                    parseRam(kv.getOrDefault("ram", "none")), RunSetup.parse(kv), DiskLayout.parse(kv.getOrDefault("layout", "world")),
                    parseTiming(kv.get("timing"), parseBoolean(kv.get("zero-blocks"))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("scenario: bad number: " + e.getMessage());
        }
    }

    /** QEMU's measured timing: the runs measured on a disk of holes with zero-blocks on, else those of data. */
    private static QemuTiming parseTiming(String v, boolean zeroBlocks) {
        if (v == null) {
            return null;
        }
        if (!v.equals(QEMU_MEASURED_TIMING)) {
            throw new IllegalArgumentException("scenario: timing '" + v + "': expected " + QEMU_MEASURED_TIMING);
        }
        return QemuTiming.forDisk(zeroBlocks);
    }

    private static boolean parseBoolean(String v) {
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("scenario: '" + v + "' is not true or false");
        }
        return Boolean.parseBoolean(v);
    }

    /** The default of `blkmig simulate`: two devices, one with a partial last chunk, a uniform workload that converges. */
    public static Scenario defaults() {
        return new Scenario(List.of(new Device("drive0", 64L << 20, false), new Device("drive1", (3L << 20) + 1536, false)),
                1, Workload.of(Workload.Kind.UNIFORM, 256L << 10), 32L << 20, 300 * Durations.MILLI,
                new LatencyModel.Uniform(100 * Durations.MICRO, 2 * Durations.MILLI), Wire.QEMU_CHUNK_SIZE_BYTES,
                false, false, 60, Faults.NONE, 1);
    }

    public Scenario withSeed(long s) {
        return new Scenario(devices, contentSeed, workload, bandwidthBytesPerSecond, maxDowntimeNanos, latency,
                chunkSizeBytes, zeroBlocks, sharedBase, allocatedPercent, faults, s, ram, setup, layout, qemuTiming);
    }

    public Scenario withSetup(RunSetup r) {
        return new Scenario(devices, contentSeed, workload, bandwidthBytesPerSecond, maxDowntimeNanos, latency,
                chunkSizeBytes, zeroBlocks, sharedBase, allocatedPercent, faults, seed, ram, r, layout, qemuTiming);
    }
}
