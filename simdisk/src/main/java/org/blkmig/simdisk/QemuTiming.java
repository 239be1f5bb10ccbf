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
 * @param bottomHalfNanos   from the worker whose end schedules the completion bottom half to the main
 *                          loop running it (thread-pool.c worker_thread's qemu_bh_schedule ->
 *                          thread_pool_completion_bh), drawn once per scheduled bottom half
 * @param maxWorkers        thread-pool.c's max_threads
 * @param submitNanos       one bulk read's submission on the migration thread, BQL included (block.c
 *                          mig_save_device_bulk -> blk_aio_preadv -> thread-pool.c thread_pool_submit_aio)
 * @param sendNanosPerMiB   the migration thread writing a MiB of stream into the {@code exec:cat} pipe
 *                          (block.c flush_blks -> blk_send -> qemu-file.c qemu_put_buffer)
 * @param readNanos         a worker's 1 MiB read (file-posix.c handle_aiocb_rw_linear's pread64), or
 *                          null: the scenario's read latency
 * @param runs              the measured runs, one of which a simulated run takes whole ({@link #forRun}):
 *                          the machine's state (other jobs on its cores, the heap's pages) holds for a
 *                          migration's second or two, so the draws of one run are not independent of
 *                          each other; empty: this timing is one run's
 */
public record QemuTiming(long loopTailNanos, long iterateHeadNanos, long submitLoopNanos, long zeroCheckNanos,
        LatencyModel spawnNanos, Quantiles bottomHalfNanos, int maxWorkers, Quantiles submitNanos, long sendNanosPerMiB,
        Quantiles readNanos, java.util.List<QemuTiming> runs) {

    /** One run's timing, with no measured runs under it. */
    public QemuTiming(long loopTailNanos, long iterateHeadNanos, long submitLoopNanos, long zeroCheckNanos,
            LatencyModel spawnNanos, Quantiles bottomHalfNanos, int maxWorkers, Quantiles submitNanos, long sendNanosPerMiB) {
        this(loopTailNanos, iterateHeadNanos, submitLoopNanos, zeroCheckNanos, spawnNanos, bottomHalfNanos, maxWorkers,
                submitNanos, sendNanosPerMiB, null, java.util.List.of());
    }

    /** The timing a simulated run takes: one of the measured runs, drawn once, or this one if it has none. */
    public QemuTiming forRun(java.util.SplittableRandom random) {
        return runs.isEmpty() ? this : runs.get(random.nextInt(runs.size()));
    }

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

    /** The quantiles the measurements give: min, p10, p25, p50, p75, p90, p99, max. */
    private static final double[] SHARES = {0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1};

    // shared by every measured run, over the 21 runs of 18:42-18:53: the idle loop's phases (p50 of 22,404 idle
    // loops), the worker start-up (p10-p90 of 182 clone3 intervals), the pipe (p50 of 78 flushes of
    // random data), thread-pool.c's max_threads
    private static final long LOOP_TAIL = 5_007;
    private static final long ITERATE_HEAD = 3_815;
    private static final long SUBMIT_LOOP = 2_384;
    private static final LatencyModel SPAWN = new LatencyModel.Uniform(91 * Durations.MICRO, 5_263 * Durations.MICRO);
    private static final long SEND_PER_MIB = 856_000;
    private static final int MAX_WORKERS = 64;
    /** The zero check of the runs of data (no zero chunk in them): the median of the 21 runs of holes' (38.9 us). */
    private static final long ZERO_CHECK_MEDIAN = 38_930;

    /** One measured run: its zero check and its quantiles of reads, bottom halves and submissions (ns). */
    private static QemuTiming run(long zeroCheck, long[] reads, long[] bottomHalf, long[] submit) {
        return new QemuTiming(LOOP_TAIL, ITERATE_HEAD, SUBMIT_LOOP, zeroCheck == 0 ? ZERO_CHECK_MEDIAN : zeroCheck, SPAWN,
                new Quantiles(SHARES, bottomHalf), MAX_WORKERS, new Quantiles(SHARES, submit), SEND_PER_MIB,
                new Quantiles(SHARES, reads), java.util.List.of());
    }

    /**
     * Measured 2026-12-06 18:42-18:53 UTC on this project's 2-core machine at load 1.1-5.4 (other jobs):
     * 21 runs of bench/qemu_exec_migrate.py at 128 MiB/s under QEMU_TRACE and bench/qemu_perf_wrap.sh,
     * each run's figures printed by bench/qemu_timing_runs.py (FIDELITY.md, "QEMU's timing in the model,
     * measured"). Eleven of sparse:4G:64x1M (zero-blocks on; reads of holes), and ten more of it
     * measured 19:13-19:36 at load 4.0-5.7, each before one real run of each sparse cell of the grid.
     */
    public static final java.util.List<QemuTiming> HOLES_RUNS = java.util.List.of(
            run(40738, new long[] {45061, 60320, 81062, 152588, 264883, 580072, 2876520, 8628368},
                    new long[] {8106, 17881, 37909, 723124, 1519442, 2582550, 5264521, 5444527},
                    new long[] {5960, 6914, 8821, 15974, 97036, 319004, 955820, 3489971}),
            run(97752, new long[] {47207, 102997, 229836, 522375, 630379, 781775, 3919601, 9590149},
                    new long[] {4768, 17643, 30041, 324249, 2351761, 5177736, 8107662, 9243488},
                    new long[] {3099, 8106, 10014, 15020, 150919, 673056, 2475977, 5618095}),
            run(34690, new long[] {43154, 64135, 85831, 147820, 232697, 539780, 2330303, 6436586},
                    new long[] {6914, 15497, 45538, 437975, 1395464, 2575397, 4395962, 6409168},
                    new long[] {2861, 5007, 6914, 13113, 111103, 327826, 1170874, 3954172}),
            run(30681, new long[] {48637, 58651, 77724, 141621, 212193, 557661, 2601624, 9455919},
                    new long[] {5484, 13351, 25511, 274420, 1207829, 1735449, 7791758, 7791758},
                    new long[] {5007, 5960, 7153, 12875, 79155, 260830, 824928, 1161814}),
            run(32812, new long[] {45061, 58413, 71287, 136852, 204325, 588894, 2002478, 4093647},
                    new long[] {7153, 11683, 27418, 395298, 1263142, 2343416, 5629539, 5629539},
                    new long[] {3815, 5960, 7153, 17881, 133038, 276089, 1130104, 4027128}),
            run(35122, new long[] {46015, 57936, 76056, 154972, 438213, 571966, 3731728, 44620991},
                    new long[] {7629, 8583, 12159, 30279, 609875, 2356768, 6898880, 11599302},
                    new long[] {4053, 6914, 8106, 17881, 130892, 281096, 1870871, 9335041}),
            run(28312, new long[] {46968, 61512, 75102, 140190, 210285, 481367, 1632690, 7231951},
                    new long[] {1192, 10490, 30518, 198603, 1140594, 1670122, 2863646, 7981777},
                    new long[] {2861, 4053, 6914, 15020, 101089, 252008, 707865, 6631851}),
            run(33667, new long[] {45061, 59605, 81062, 165462, 442505, 625849, 5721807, 7555246},
                    new long[] {5007, 10252, 33855, 527382, 2155304, 3084898, 6516695, 7312298},
                    new long[] {5960, 7153, 9060, 27180, 200987, 398159, 1956940, 5394936}),
            run(25302, new long[] {43869, 59366, 73433, 142574, 224352, 540972, 1756430, 2878904},
                    new long[] {6914, 9775, 27180, 232697, 1041174, 2007723, 3653765, 5268097},
                    new long[] {2861, 5960, 7868, 15020, 102043, 262022, 699997, 2435207}),
            run(38930, new long[] {50783, 68188, 95129, 176430, 475407, 596523, 3962040, 22313356},
                    new long[] {6676, 13828, 15736, 43869, 526428, 2338648, 9618998, 10491848},
                    new long[] {5960, 6914, 9060, 18120, 184059, 402212, 2310991, 4538059}),
            run(34145, new long[] {46492, 62943, 77724, 138521, 213861, 495672, 1815557, 24071932},
                    new long[] {6914, 9537, 17166, 103235, 1384258, 2100468, 19339085, 31476498},
                    new long[] {5960, 6914, 9060, 21935, 177860, 345945, 760078, 3211975}),
            // interleaved with the calibration's real sparse runs, 19:13-19:36 UTC, load 4.0-5.7
            run(32991, new long[] {47684, 68665, 90361, 156164, 222921, 524282, 2962828, 6149292},
                    new long[] {7153, 16689, 21219, 82731, 1263618, 1815081, 11214018, 11214018},
                    new long[] {5960, 6914, 10967, 21935, 190973, 388861, 1569986, 3928900}),
            run(36061, new long[] {50068, 75340, 102520, 151634, 220776, 604630, 3036499, 5382776},
                    new long[] {6676, 21458, 30994, 297308, 1713037, 2588511, 5541325, 5541325},
                    new long[] {3815, 5960, 8106, 22888, 194073, 335932, 1948118, 3691912}),
            run(43198, new long[] {51260, 77248, 97990, 153065, 227213, 541210, 1859903, 41217566},
                    new long[] {6437, 11683, 25749, 617981, 1706362, 3499985, 33196449, 41275978},
                    new long[] {5007, 6914, 10014, 16212, 133991, 402927, 2239943, 39769888}),
            run(85488, new long[] {44107, 95129, 145435, 472546, 574112, 696182, 5305290, 42067051},
                    new long[] {6199, 10967, 17643, 61989, 1854181, 4568815, 10238409, 65998554},
                    new long[] {3815, 7868, 10014, 15974, 127077, 496149, 2350092, 39951086}),
            run(50275, new long[] {49114, 87738, 139236, 222445, 511169, 858307, 3302574, 5300522},
                    new long[] {4292, 8821, 30994, 133991, 1412630, 2720594, 5034924, 5530834},
                    new long[] {3815, 5960, 9060, 22888, 183821, 386953, 2817869, 6116867}),
            run(189617, new long[] {57459, 132561, 184298, 530720, 719070, 1132250, 6320953, 32237768},
                    new long[] {3815, 15974, 20266, 60797, 628948, 3360271, 10909081, 111918449},
                    new long[] {5007, 9060, 12159, 25988, 272036, 838995, 3715992, 105360031}),
            run(46620, new long[] {48637, 66757, 93222, 147343, 248909, 543594, 3198624, 102238417},
                    new long[] {7391, 15259, 19550, 31233, 597477, 2300262, 30277729, 94098091},
                    new long[] {5960, 7153, 9775, 46015, 208139, 397921, 1729965, 30904055}),
            run(58427, new long[] {48876, 85115, 135422, 221491, 460386, 794649, 4067659, 8492470},
                    new long[] {10967, 17881, 31948, 216484, 2079964, 3519535, 8755207, 10493994},
                    new long[] {5960, 6914, 8106, 15020, 123024, 363111, 3306866, 4410982}),
            run(57369, new long[] {51498, 86784, 129223, 214577, 409603, 679016, 3200769, 40285349},
                    new long[] {5484, 22888, 51737, 545502, 2217293, 3722906, 39593697, 42977095},
                    new long[] {3815, 6199, 9060, 20027, 185013, 454903, 1557827, 40249109}),
            run(45061, new long[] {53644, 75102, 106812, 176430, 313520, 616312, 4360199, 11513948},
                    new long[] {7629, 19073, 54359, 1045465, 2397060, 3111601, 5606651, 7115602},
                    new long[] {5960, 7868, 11921, 24080, 215054, 407934, 1751900, 10365963}));

    /** The ten runs of random:256M (zero-blocks off; reads of data from the page cache), as {@link #HOLES_RUNS}. */
    public static final java.util.List<QemuTiming> DATA_RUNS = java.util.List.of(
            run(0, new long[] {58889, 74148, 170708, 485182, 548601, 597477, 4883289, 9473085},
                    new long[] {7629, 10252, 16212, 55552, 1046658, 5228996, 27275324, 27275324},
                    new long[] {5960, 8106, 10967, 18120, 219107, 754833, 2213001, 2851009}),
            run(0, new long[] {509739, 522137, 527859, 571012, 669003, 1326561, 1745462, 1745462},
                    new long[] {9060, 9060, 20742, 36001, 155210, 2808332, 2808332, 2808332},
                    new long[] {19073, 26941, 36955, 575066, 701904, 1981974, 3923178, 3923178}),
            run(0, new long[] {513315, 528336, 573635, 694275, 1751184, 3308773, 3799677, 3799677},
                    new long[] {6914, 9537, 10014, 136852, 787973, 1810551, 1810551, 1810551},
                    new long[] {31948, 36955, 41962, 159025, 1024008, 1825094, 2446890, 2446890}),
            run(0, new long[] {49591, 70810, 97990, 150681, 490665, 579596, 1533508, 3186464},
                    new long[] {8821, 15259, 16212, 71287, 1311302, 3477573, 15499353, 15499353},
                    new long[] {4053, 6199, 7868, 19073, 163078, 370979, 2222061, 3085136}),
            run(0, new long[] {510931, 512123, 533342, 551462, 691414, 1832962, 1876831, 1876831},
                    new long[] {8106, 11683, 23842, 51498, 241995, 393152, 2350569, 2350569},
                    new long[] {15974, 16212, 19073, 25034, 55075, 776052, 2715111, 2715111}),
            run(0, new long[] {536680, 549078, 850201, 1113653, 1754522, 2987623, 3687620, 3687620},
                    new long[] {8821, 9298, 13590, 35524, 215292, 1191854, 3376484, 3376484},
                    new long[] {16928, 18120, 20027, 21935, 41962, 148058, 941038, 941038}),
            run(0, new long[] {63419, 77963, 103235, 165462, 228167, 509739, 692844, 5080700},
                    new long[] {7868, 11921, 17643, 105858, 1484871, 3079653, 6599426, 6599426},
                    new long[] {4053, 6914, 10014, 35048, 277042, 486851, 1075983, 6844997}),
            run(0, new long[] {513077, 515938, 527859, 559807, 653267, 2013445, 4169703, 4169703},
                    new long[] {25272, 32187, 72956, 354290, 536680, 1655579, 8688211, 8688211},
                    new long[] {15974, 16928, 18120, 25034, 33140, 586033, 601053, 601053}),
            run(0, new long[] {511408, 516176, 524521, 539064, 552177, 605106, 627756, 627756},
                    new long[] {8345, 9537, 42439, 162840, 566721, 2189636, 3174305, 3174305},
                    new long[] {15974, 15974, 16928, 20981, 24080, 803947, 1749039, 1749039}),
            run(0, new long[] {502586, 562191, 587463, 659466, 1448393, 2578497, 2816916, 2816916},
                    new long[] {13351, 13351, 26464, 817060, 1397371, 4558325, 4558325, 4558325},
                    new long[] {46015, 50068, 83923, 159979, 1104832, 1487970, 2346039, 2346039}));

    /**
     * The measured timing pooled over the 21 runs (bench/qemu_timing.py, bench/qemu_bh_delay.py); a
     * simulated run takes one measured run of its kind ({@link #forDisk}) instead.
     */
    public static final QemuTiming MEASURED = new QemuTiming(LOOP_TAIL, ITERATE_HEAD, SUBMIT_LOOP, 60 * Durations.MICRO, SPAWN,
            new Quantiles(SHARES, new long[] {1_000, 14_000, 22_000, 188_000, 1_399_000, 3_464_000, 7_792_000, 31_476_000}),
            MAX_WORKERS, new Quantiles(SHARES, new long[] {2_900, 6_900, 9_100, 16_900, 148_100, 493_000, 2_053_000, 9_335_000}),
            SEND_PER_MIB, null, java.util.List.of());

    /**
     * The measured timing for a disk of holes migrated with zero-blocks (its runs: {@link #HOLES_RUNS})
     * or for data ({@link #DATA_RUNS}).
     */
    public static QemuTiming forDisk(boolean holes) {
        return holes ? MEASURED_HOLES : MEASURED_DATA;
    }

    private static final QemuTiming MEASURED_HOLES = withRuns(HOLES_RUNS);
    private static final QemuTiming MEASURED_DATA = withRuns(DATA_RUNS);

    private static QemuTiming withRuns(java.util.List<QemuTiming> runs) {
        QemuTiming m = MEASURED;
        return new QemuTiming(m.loopTailNanos, m.iterateHeadNanos, m.submitLoopNanos, m.zeroCheckNanos, m.spawnNanos,
                m.bottomHalfNanos, m.maxWorkers, m.submitNanos, m.sendNanosPerMiB, null, runs);
    }

    public QemuTiming {
        if (loopTailNanos < 0 || iterateHeadNanos < 0 || submitLoopNanos < 0 || zeroCheckNanos < 0 || bottomHalfNanos == null
                || maxWorkers < 1 || submitNanos == null || sendNanosPerMiB <= 0 || runs == null
                || loopTailNanos + iterateHeadNanos + submitLoopNanos == 0) {
            throw new IllegalArgumentException("QEMU timing: times >= 0, a loop that takes time, at least one worker, a transport that takes time");
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
