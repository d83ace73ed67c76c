import v8 from 'node:v8'

/**
 * How far V8 lets the old generation grow past what survived the last full GC before marking again.
 *
 * Measured with bench/relay.bench.mjs (whose gateway idles while the baseline runs): after an idle spell V8
 * often set that headroom to live size + 8 MiB, less than its young generation, so under load it started
 * incremental marking right after every full GC — a mark-compact about every 70 ms (--trace-gc,
 * --trace-incremental-marking: "Start (allocation limit) 17MB / 41MB") and the relay fell from 0.9× to
 * 0.55× a bare Node proxy. Growing by 3× the live size (a heap of ~20 MiB may reach ~60 MiB) left no
 * mark-compact in 3 s of the same load in 9 runs of 9; 2× still let some through.
 * Read by V8 at each limit computation, so setting it at start-up is enough; imported first by server.ts.
 */
v8.setFlagsFromString('--heap-growing-percent=200')
