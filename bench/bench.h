/* bench.h - what the benchmark's parts share: options, timing. */
#ifndef DJ_BENCH_H
#define DJ_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct opts {
    int quick;
    int samples;
    double min_sample;        /* seconds per sample */
    const char *problems[32];
    int nproblems;
    size_t sizes[32];
    int nsizes;
    int chunk;                /* forced chunk width, 0 = automatic */
    const char *csv;
    const char *json;         /* --json FILE: the same rows as JSON */
    const char *plot;         /* --plot FILE.png: the sweeps, with gnuplot */
    int threads;              /* --threads N: OpenBLAS threads; 0 = default (1
                                 unless OPENBLAS_NUM_THREADS is set) */
    int sweep;                /* --sweep: the forward/reverse shape sweeps */
    const char *what;         /* comma-separated rows to time; NULL = all */
    int sections;             /* bit 1: MGH problems, bit 2: matrix layer */
    int no_peers;             /* --no-peers: do not time ADOL-C / Ceres */
} opts;

typedef struct stat3 { double med, min, max; } stat3;

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What is timed: one call of `run` on `ctx`. */
typedef int (*bench_fn)(void *ctx);

/* Median/min/max seconds per call over o->samples samples; each sample
 * repeats the call enough times to last o->min_sample seconds. Returns the
 * first non-zero return of run. */
int time_it(const opts *o, bench_fn run, void *ctx, stat3 *st);

/* Times k calls side by side: each is calibrated as in time_it (repeated
 * to last o->min_sample seconds per sample), then the samples are taken in
 * turn, sample s of every call before sample s + 1, so that load from
 * elsewhere falls on all of them alike (what the comparisons of the rows
 * need). rc[i]: the first non-zero return of fns[i], 0 when it ran; st[i]
 * is NaN for a call that failed. */
void time_group(const opts *o, int k, const bench_fn fns[], void *const ctxs[], stat3 st[],
                int rc[]);

/* One result row, written to the --csv and --json files when they are
 * open (bench.c): problem, its sizes, what was timed, the median/min/max
 * seconds and R = T / T_primal (or the ratio the section defines). */
void bench_row(const char *problem, size_t n, size_t m, const char *what,
               double med, double min, double max, double R);

/* The closing summary (bench.c). For one problem and size: dualjac's
 * automatic choice against everything else that computed the same
 * Jacobian (seconds, NaN when not timed): dualjac forward and reverse,
 * central differences, and the best counted, right row of each peer
 * library among peers[npeers] (peers.h). Remembers the row for the summary
 * and writes into line[len] the verdict: auto / best peer, and whether
 * auto is the fastest of them all. */
struct peer_row;
void bench_verdict(const char *problem, size_t n, size_t m, double t_primal, double t_auto,
                   int auto_reverse, double t_fwd, double t_rev, double t_fd,
                   const struct peer_row *peers, int npeers, char *line, size_t len);

/* Whether to time the peers (built, and not excluded by --no-peers or by
 * --what without "peers", "adolc" or "jet"). */
int bench_want_peers(const opts *o);

/* The matrix-layer benchmarks (bench_mat.c); returns the number of
 * failures. */
int bench_matrix(const opts *o);

/* The forward/reverse shape sweeps (bench_sweep.c), and with o->plot the
 * plot; returns the number of failures. */
int bench_sweep(const opts *o);

#endif
