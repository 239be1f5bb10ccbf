// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.blkmig.simdisk.Sizes;

/**
 * One migration on the real QEMU 7.2: its disks, how they are stored, the migration's parameters and
 * the guest writes made through {@code qemu-io} on the source's monitor at points of the migration's
 * progress. It prints as one line that {@link #parse} reads back (the replay command's argument).
 */
public record QemuScenario(List<Device> devices, Image image, boolean zeroBlocks, long bandwidthBytesPerSecond,
        int ramMiB, List<Write> writes, long seed) {
    public static final long MIB = 1L << 20;
    public static final int SECTOR_BYTES = 512;
    public static final long MIN_BANDWIDTH = 8 * MIB;
    public static final long MAX_BANDWIDTH = 1024 * MIB;
    /** Guest RAM sizes drawn; the smallest is the README's source. */
    public static final List<Integer> RAM_MIB = List.of(32, 64, 128);
    /** A scenario's disks together: keeps one run's images (source, two targets) modest. */
    public static final long MAX_TOTAL_BYTES = 320 * MIB;
    /** A draw's disks take at most this long at its bandwidth, so a slow scenario stays short. */
    static final long MAX_SECONDS_AT_BANDWIDTH = 6;
    /** Half the disks drawn are at most this big. */
    static final long SMALL_DISK_BYTES = 8 * MIB;

    public enum Content {
        /** Random bytes everywhere. */
        RANDOM,
        /** Zeros with a few random regions of 4 KiB to 1 MiB, a sparse file. */
        SPARSE
    }

    public enum Image {
        /** Raw images, migrated whole. */
        RAW,
        /** A qcow2 top over a raw base (the content), with its own writes; migrated with {@code migrate -i}. */
        QCOW2
    }

    public record Device(long sizeBytes, Content content) {
        public Device {
            if (sizeBytes < SECTOR_BYTES || sizeBytes % SECTOR_BYTES != 0) {
                throw new IllegalArgumentException("a disk's size is a positive multiple of 512 bytes: " + sizeBytes);
            }
        }
    }

    /** A guest write once the migration's disk progress reaches {@code atPercent}; {@code pattern} 0 is {@code write -z}. */
    public record Write(int atPercent, int device, long offsetBytes, long lengthBytes, int pattern) {
        public Write {
            if (atPercent < 0 || atPercent > 99 || device < 0 || offsetBytes < 0 || lengthBytes <= 0
                    || offsetBytes % SECTOR_BYTES != 0 || lengthBytes % SECTOR_BYTES != 0 || pattern < 0 || pattern > 255) {
                throw new IllegalArgumentException("bad write: at 0..99%, sector-aligned offset and length, pattern 0..255");
            }
        }

        public boolean zero() {
            return pattern == 0;
        }

        @Override
        public String toString() {
            return atPercent + "%:" + QemuScenario.name(device) + "@" + offsetBytes + "+" + lengthBytes + ":"
                    + (zero() ? "z" : String.format("p%02x", pattern));
        }
    }

    public QemuScenario {
        devices = List.copyOf(devices);
        writes = List.copyOf(writes);
        if (devices.isEmpty() || devices.size() > 9) {
            throw new IllegalArgumentException("1 to 9 devices");
        }
        if (bandwidthBytesPerSecond < 1) {
            throw new IllegalArgumentException("bandwidth must be positive");
        }
        if (ramMiB < 16) {
            throw new IllegalArgumentException("guest RAM of at least 16M");
        }
        for (Write w : writes) {
            if (w.device() >= devices.size() || w.offsetBytes() + w.lengthBytes() > devices.get(w.device()).sizeBytes()) {
                throw new IllegalArgumentException("write " + w + " lies outside its device");
            }
        }
    }

    public static String name(int device) {
        return "drive" + device;
    }

    public long totalBytes() {
        return devices.stream().mapToLong(Device::sizeBytes).sum();
    }

    /** QEMU's migrate -i: only what the top holds is sent. */
    public boolean incremental() {
        return image == Image.QCOW2;
    }

    // ---- drawing ----

    /** A scenario drawn over QEMU's space. */
    public static QemuScenario random(SplittableRandom r) {
        long bandwidth = logUniform(r, MIN_BANDWIDTH, MAX_BANDWIDTH) / MIB * MIB;
        int n = 1 + r.nextInt(3);
        long capBytes = Math.min(MAX_TOTAL_BYTES, bandwidth * MAX_SECONDS_AT_BANDWIDTH) / n;
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // half small disks (fast runs), half up to the cap (the races need disks a window cannot finish)
            long mib = r.nextInt(10) == 0 ? 0 : r.nextBoolean() ? logUniform(r, MIB, Math.min(SMALL_DISK_BYTES, Math.max(MIB, capBytes))) / MIB
                    : logUniform(r, Math.min(SMALL_DISK_BYTES, Math.max(MIB, capBytes)), Math.max(MIB, capBytes)) / MIB;
            // a third of the disks end in a partial chunk
            long tailSectors = mib == 0 || r.nextInt(3) == 0 ? 1 + r.nextInt((int) (MIB / SECTOR_BYTES) - 1) : 0;
            devices.add(new Device(mib * MIB + tailSectors * SECTOR_BYTES, r.nextInt(5) < 3 ? Content.RANDOM : Content.SPARSE));
        }
        List<Write> writes = new ArrayList<>();
        int count = r.nextInt(10) < 3 ? 0 : 1 + r.nextInt(6);
        for (int i = 0; i < count; i++) {
            int d = r.nextInt(n);
            long sectors = devices.get(d).sizeBytes() / SECTOR_BYTES;
            long len = Math.min(sectors, 1 + r.nextInt(256));
            long off = r.nextLong(sectors - len + 1);
            writes.add(new Write(r.nextInt(100), d, off * SECTOR_BYTES, len * SECTOR_BYTES, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(255)));
        }
        writes.sort(java.util.Comparator.comparingInt(Write::atPercent));
        int ram = r.nextInt(6); // the smallest RAM in 3 of 6, as the README's source has
        return new QemuScenario(devices, r.nextInt(10) < 7 ? Image.RAW : Image.QCOW2, r.nextBoolean(), bandwidth,
                RAM_MIB.get(ram < 3 ? 0 : ram < 5 ? 1 : 2), writes, r.nextLong() & Long.MAX_VALUE);
    }

    private static long logUniform(SplittableRandom r, long lo, long hi) {
        if (hi <= lo) {
            return lo;
        }
        return (long) Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    // ---- shrinking ----

    /**
     * Simpler scenarios, the most reducing first: fewer devices, fewer writes, no capability, raw
     * images, the least RAM, lower bandwidth, smaller disks (a disk's whole MiBs and its partial tail
     * shrink separately, so a failure that needs the tail keeps it).
     */
    public List<QemuScenario> simpler() {
        LinkedHashSet<QemuScenario> out = new LinkedHashSet<>();
        for (int i = 0; devices.size() > 1 && i < devices.size(); i++) {
            out.add(withoutDevice(i));
        }
        if (!writes.isEmpty()) {
            out.add(with(devices, image, zeroBlocks, bandwidthBytesPerSecond, ramMiB, List.of()));
            if (writes.size() > 1) {
                out.add(with(devices, image, zeroBlocks, bandwidthBytesPerSecond, ramMiB, writes.subList(0, writes.size() / 2)));
            }
            for (int i = 0; writes.size() > 1 && i < writes.size(); i++) {
                List<Write> fewer = new ArrayList<>(writes);
                fewer.remove(i);
                out.add(with(devices, image, zeroBlocks, bandwidthBytesPerSecond, ramMiB, fewer));
            }
        }
        if (zeroBlocks) {
            out.add(with(devices, image, false, bandwidthBytesPerSecond, ramMiB, writes));
        }
        if (image != Image.RAW) {
            out.add(with(devices, Image.RAW, zeroBlocks, bandwidthBytesPerSecond, ramMiB, writes));
        }
        if (ramMiB > RAM_MIB.get(0)) {
            out.add(with(devices, image, zeroBlocks, bandwidthBytesPerSecond, RAM_MIB.get(0), writes));
        }
        if (bandwidthBytesPerSecond > MIN_BANDWIDTH) {
            out.add(with(devices, image, zeroBlocks, Math.max(MIN_BANDWIDTH, bandwidthBytesPerSecond / 2 / MIB * MIB), ramMiB,
                    writes));
        }
        for (int i = 0; i < devices.size(); i++) {
            long size = devices.get(i).sizeBytes();
            long whole = size / MIB * MIB;
            long tail = size - whole;
            for (long smaller : new long[] {whole / 2 / MIB * MIB + tail, whole + tail / 2 / SECTOR_BYTES * SECTOR_BYTES, whole}) {
                if (smaller >= SECTOR_BYTES && smaller < size) {
                    out.add(resized(i, smaller));
                }
            }
        }
        out.remove(this);
        return List.copyOf(out);
    }

    private QemuScenario with(List<Device> ds, Image img, boolean zero, long bw, int ram, List<Write> ws) {
        return new QemuScenario(ds, img, zero, bw, ram, ws, seed);
    }

    private QemuScenario withoutDevice(int gone) {
        List<Device> ds = new ArrayList<>(devices);
        ds.remove(gone);
        List<Write> ws = new ArrayList<>();
        for (Write w : writes) {
            if (w.device() != gone) {
                ws.add(new Write(w.atPercent(), w.device() > gone ? w.device() - 1 : w.device(), w.offsetBytes(), w.lengthBytes(),
                        w.pattern()));
            }
        }
        return with(ds, image, zeroBlocks, bandwidthBytesPerSecond, ramMiB, ws);
    }

    /** Device i at a new size; its writes that no longer fit are dropped. */
    private QemuScenario resized(int i, long sizeBytes) {
        List<Device> ds = new ArrayList<>(devices);
        ds.set(i, new Device(sizeBytes, devices.get(i).content()));
        List<Write> ws = writes.stream().filter(w -> w.device() != i || w.offsetBytes() + w.lengthBytes() <= sizeBytes).toList();
        return with(ds, image, zeroBlocks, bandwidthBytesPerSecond, ramMiB, ws);
    }

    // ---- the line ----

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("devices=");
        for (int i = 0; i < devices.size(); i++) {
            b.append(i == 0 ? "" : ",").append(Sizes.format(devices.get(i).sizeBytes())).append(':')
                    .append(devices.get(i).content().name().toLowerCase(Locale.ROOT));
        }
        b.append(" image=").append(image.name().toLowerCase(Locale.ROOT));
        b.append(" zero-blocks=").append(zeroBlocks ? "on" : "off");
        b.append(" bandwidth=").append(Sizes.format(bandwidthBytesPerSecond));
        b.append(" ram=").append(ramMiB).append('M');
        b.append(" writes=").append(writes.isEmpty() ? "none" : String.join(",", writes.stream().map(Write::toString).toList()));
        b.append(" seed=").append(seed);
        return b.toString();
    }

    /** Reads a line {@link #toString} printed; anything else is an IllegalArgumentException saying what is wrong. */
    public static QemuScenario parse(String line) {
        java.util.Map<String, String> kv = new java.util.LinkedHashMap<>();
        for (String part : line.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected KEY=VALUE, got '" + part + "'");
            }
            if (kv.put(part.substring(0, eq), part.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("'" + part.substring(0, eq) + "' given twice");
            }
        }
        List<String> keys = List.of("devices", "image", "zero-blocks", "bandwidth", "ram", "writes", "seed");
        for (String k : kv.keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException("unknown key '" + k + "' (expected " + String.join(", ", keys) + ")");
            }
        }
        for (String k : keys) {
            if (!kv.containsKey(k)) {
                throw new IllegalArgumentException("missing '" + k + "='");
            }
        }
        List<Device> devices = parseDevices(kv.get("devices"));
        Image image = enumOf(Image.class, kv.get("image"), "image");
        String zb = kv.get("zero-blocks");
        if (!zb.equals("on") && !zb.equals("off")) {
            throw new IllegalArgumentException("zero-blocks is on or off, got '" + zb + "'");
        }
        long bw = Sizes.parse(kv.get("bandwidth"));
        String ram = kv.get("ram");
        if (!ram.matches("\\d{1,6}M")) {
            throw new IllegalArgumentException("ram is a number of MiB such as 32M, got '" + ram + "'");
        }
        List<Write> writes = kv.get("writes").equals("none") ? List.of() : parseWrites(kv.get("writes"));
        long seed;
        try {
            seed = Long.parseLong(kv.get("seed"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed is a number, got '" + kv.get("seed") + "'");
        }
        return new QemuScenario(devices, image, zb.equals("on"), bw, Integer.parseInt(ram.substring(0, ram.length() - 1)), writes,
                seed);
    }

    private static List<Device> parseDevices(String list) {
        List<Device> devices = new ArrayList<>();
        for (String d : list.split(",")) {
            String[] p = d.split(":");
            if (p.length != 2) {
                throw new IllegalArgumentException("a device is SIZE:random or SIZE:sparse, got '" + d + "'");
            }
            devices.add(new Device(Sizes.parse(p[0]), enumOf(Content.class, p[1], "content")));
        }
        return devices;
    }

    private static final java.util.regex.Pattern WRITE =
            java.util.regex.Pattern.compile("(\\d{1,2})%:drive(\\d)@(\\d{1,15})\\+(\\d{1,15}):(z|p[0-9a-f]{2})");

    private static List<Write> parseWrites(String list) {
        List<Write> writes = new ArrayList<>();
        for (String w : list.split(",")) {
            java.util.regex.Matcher m = WRITE.matcher(w);
            if (!m.matches()) {
                throw new IllegalArgumentException("a write is PERCENT%:driveN@OFFSET+LENGTH:z or :pXX, got '" + w + "'");
            }
            writes.add(new Write(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), m.group(5).equals("z") ? 0 : Integer.parseInt(m.group(5).substring(1), 16)));
        }
        return writes;
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String text, String what) {
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(text)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + text + "'");
    }
}
