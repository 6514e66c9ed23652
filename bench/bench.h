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
    const char *what;         /* comma-separated rows to time; NULL = all */
    int sections;             /* bit 1: MGH problems, bit 2: matrix layer */
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

/* The matrix-layer benchmarks (bench_mat.c); returns the number of
 * failures. */
int bench_matrix(const opts *o, FILE *csv);

#endif
