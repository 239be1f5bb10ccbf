// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/**
 * The timing that decides QEMU 7.2's block-migration races, measured on the real QEMU 7.2 here
 * (FIDELITY.md lists each value with the command that measured it and the source it models):
 * where the migration thread spends its time between two pending checks, and the thread pool
 * that runs its reads (workers started on demand one after another, completions run by a bottom
 * half of the main loop, newest first). A {@link SimIoContext} given one runs its reads and its
 * loop this way; without one (every profile but the calibration's) nothing changes.
 *
 * @param loopTailNanos     from the end of an iterate call to the next pending check (migration.c
 *                          migration_thread: the RAM section's turn, the rate-limit check)
 * @param iterateHeadNanos  from the pending check to block_save_iterate's first flush_blks
 * @param submitLoopNanos   the first flush and the submission loop when they find nothing to do,
 *                          up to the final flush_blks of block_save_iterate
 * @param zeroCheckNanos    blk_send's buffer_is_zero over a chunk that is zero (block.c blk_send,
 *                          on the migration thread, within flush_blks)
 * @param spawnNanos        the time one worker thread takes to start (thread-pool.c do_spawn_thread:
 *                          each new worker starts the next)
 * @param bottomHalfNanos   from a worker's end to the main loop running the completion bottom half
 * @param maxWorkers        thread-pool.c's max_threads
 */
public record QemuTiming(long loopTailNanos, long iterateHeadNanos, long submitLoopNanos, long zeroCheckNanos,
        LatencyModel spawnNanos, Quantiles bottomHalfNanos, int maxWorkers) {

    /**
     * A measured distribution by its quantiles: {@code values[i]} at cumulative share {@code shares[i]}
     * (0 first, 1 last); a draw interpolates between two neighbours on a log scale.
     */
    public record Quantiles(double[] shares, long[] values) {
        public Quantiles {
            if (shares.length != values.length || shares.length < 2 || shares[0] != 0 || shares[shares.length - 1] != 1) {
                throw new IllegalArgumentException("quantiles: as many shares as values, from 0 to 1");
            }
            for (int i = 1; i < shares.length; i++) {
                if (shares[i] <= shares[i - 1] || values[i] < values[i - 1] || values[i - 1] <= 0) {
                    throw new IllegalArgumentException("quantiles: shares rising, values positive and not falling");
                }
            }
        }

        public static Quantiles fixed(long nanos) {
            return new Quantiles(new double[] {0, 1}, new long[] {nanos, nanos});
        }

        public long draw(java.util.SplittableRandom random) {
            double u = random.nextDouble();
            int i = 1;
            while (shares[i] < u) {
                i++;
            }
            double f = (u - shares[i - 1]) / (shares[i] - shares[i - 1]);
            return Math.round(Math.exp(Math.log(values[i - 1]) + f * (Math.log(values[i]) - Math.log(values[i - 1]))));
        }
    }

    /** Measured 2026-12-06 on this project's 2-core machine at load 9-10 (FIDELITY.md, "Timing"). */
    public static final QemuTiming MEASURED = new QemuTiming(4_100, 3_100, 2_400, 100 * Durations.MICRO,
            new LatencyModel.Uniform(1_100 * Durations.MICRO, 8_500 * Durations.MICRO),
            // a pread64's end (strace) to its completion's run (trace), 3,482 reads: min, p10, p25, p50, p75, p90, p99, max
            new Quantiles(new double[] {0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1},
                    new long[] {20_000, 111_000, 321_000, 1_151_000, 4_369_000, 11_897_000, 93_897_000, 500_497_000}), 64);

    public QemuTiming {
        if (loopTailNanos < 0 || iterateHeadNanos < 0 || submitLoopNanos < 0 || zeroCheckNanos < 0 || bottomHalfNanos == null
                || maxWorkers < 1
                || loopTailNanos + iterateHeadNanos + submitLoopNanos == 0) {
            throw new IllegalArgumentException("QEMU timing: times >= 0, a loop that takes time, at least one worker");
        }
    }

    /** The time the migration thread spends in {@code phase}. */
    public long nanos(IoContext.LoopPhase phase) {
        return switch (phase) {
            case LOOP_TAIL -> loopTailNanos;
            case ITERATE_HEAD -> iterateHeadNanos;
            case SUBMIT_LOOP -> submitLoopNanos;
            case ZERO_CHECK -> zeroCheckNanos;
        };
    }
}
