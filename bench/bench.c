/* bench.c - dualjac-bench: what a Jacobian costs, as a ratio to one primal
 * evaluation, on the Moré-Garbow-Hillstrom problems.
 *
 * For each problem and size it times the primal, one JVP, the forward
 * Jacobian and central finite differences; each time is the median of
 * several samples (each sample long enough for the clock), printed with its
 * min and max, and as R = T / T_primal. The forward Jacobian is also checked
 * against the problem's hand-derived Jacobian (column "err"). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dualjac.h"
#include "mgh.h"
#include "bench.h"

/* Median/min/max seconds per call over o->samples samples; each sample
 * repeats the call enough times to last o->min_sample seconds. */
int time_it(const opts *o, bench_fn run, void *ctx, stat3 *st)
{
    int rc = run(ctx);                      /* warm-up, and reps calibration */
    if (rc != 0)
        return rc;
    long reps = 1;
    for (;;) {
        double t0 = now();
        for (long r = 0; r < reps; ++r)
            run(ctx);
        double t = now() - t0;
        if (t >= o->min_sample || reps > (1L << 30))
            break;
        reps = t > 0 ? (long)(reps * fmin(100.0, 1.2 * o->min_sample / t)) + 1 : reps * 100;
    }
    double s[64];
    int ns = o->samples > 64 ? 64 : o->samples;
    for (int k = 0; k < ns; ++k) {
        double t0 = now();
        for (long r = 0; r < reps; ++r)
            run(ctx);
        s[k] = (now() - t0) / (double)reps;
    }
    qsort(s, (size_t)ns, sizeof *s, cmp_double);
    st->med = s[ns / 2];
    st->min = s[0];
    st->max = s[ns - 1];
    return 0;
}


#ifndef DJ_BENCH_FLAGS
#define DJ_BENCH_FLAGS "unknown"
#endif
#ifndef DJ_BENCH_COMPILER
#define DJ_BENCH_COMPILER "unknown"
#endif

typedef struct mgh_ctx {
    mgh_problem *p;
    const double *x;
    double *y, *v, *jv, *J;
    dj_jac_opts fo;
} mgh_ctx;

static int run_primal(void *c)
{
    mgh_ctx *k = c;
    return k->p->F.f(k->p->F.user, k->x, k->y);
}

static int run_jvp(void *c)
{
    mgh_ctx *k = c;
    return dj_jvp(&k->p->F, k->x, k->v, k->y, k->jv);
}

static int run_jacfwd(void *c)
{
    mgh_ctx *k = c;
    return dj_jacfwd(&k->p->F, k->x, k->y, k->J, k->p->m, &k->fo);
}

static int run_fd(void *c)
{
    mgh_ctx *k = c;
    return dj_fd_central(&k->p->F, k->x, 0.0, k->J, k->p->m, NULL);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dualjac-bench [options]\n"
        "Times the primal, one JVP, the forward Jacobian and central finite\n"
        "differences on Moré-Garbow-Hillstrom problems; reports each as a median\n"
        "time (min..max) and as R = T / T_primal.\n\n"
        "  --quick            small default workload (well under a minute)\n"
        "  --problem NAME     a problem (repeatable); default: trig, chebyquad,\n"
        "                     rosenbrock, broyden_tri, inteq, bvp, brown, vardim\n"
        "  --n N              a size (repeatable); default 16 32 64 128 (quick: 32 128)\n"
        "  --chunk W          force the chunk width (1, 8, 16, 32, 64)\n"
        "  --what LIST        rows to time, e.g. primal,jacfwd (default: all)\n"
        "  --only mgh|matrix  run one section (default: both)\n"
        "  --samples K        timed samples per measurement (default 9, quick 5)\n"
        "  --csv FILE         also write the rows as CSV\n"
        "  --list             list the problems\n"
        "  --help             this text\n");
}

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->samples = 9;
    o->min_sample = 0.02;
    o->sections = 3;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--list")) {
            for (size_t k = 0; k < mgh_count(); ++k)
                printf("%s\n", mgh_name(k));
            exit(0);
        } else if (!strcmp(a, "--quick")) {
            o->quick = 1;
        } else if (!strcmp(a, "--problem") && val && o->nproblems < 32) {
            o->problems[o->nproblems++] = val;
            ++i;
        } else if (!strcmp(a, "--n") && val && o->nsizes < 32) {
            o->sizes[o->nsizes++] = (size_t)strtoul(val, NULL, 10);
            ++i;
        } else if (!strcmp(a, "--chunk") && val) {
            o->chunk = atoi(val);
            ++i;
        } else if (!strcmp(a, "--samples") && val) {
            o->samples = atoi(val) > 0 ? atoi(val) : 1;
            ++i;
        } else if (!strcmp(a, "--only") && val) {
            o->sections = !strcmp(val, "mgh") ? 1 : !strcmp(val, "matrix") ? 2 : 0;
            if (o->sections == 0) {
                fprintf(stderr, "dualjac-bench: --only takes mgh or matrix\n");
                return 2;
            }
            ++i;
        } else if (!strcmp(a, "--what") && val) {
            o->what = val;
            ++i;
        } else if (!strcmp(a, "--csv") && val) {
            o->csv = val;
            ++i;
        } else {
            fprintf(stderr, "dualjac-bench: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o->quick) {
        o->samples = o->samples == 9 ? 5 : o->samples;
        o->min_sample = 0.01;
    }
    if (o->nproblems == 0) {
        static const char *def[] = { "trig", "chebyquad", "rosenbrock", "broyden_tri",
                                     "inteq", "bvp", "brown", "vardim" };
        for (size_t k = 0; k < sizeof def / sizeof *def; ++k)
            o->problems[o->nproblems++] = def[k];
    }
    if (o->nsizes == 0) {
        static const size_t full[] = { 16, 32, 64, 128 }, quick[] = { 32, 128 };
        const size_t *s = o->quick ? quick : full;
        size_t ns = o->quick ? 2 : 4;
        for (size_t k = 0; k < ns; ++k)
            o->sizes[o->nsizes++] = s[k];
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc;
    FILE *csv = NULL;
    if (o.csv) {
        csv = fopen(o.csv, "w");
        if (!csv) {
            fprintf(stderr, "dualjac-bench: cannot write %s\n", o.csv);
            return 2;
        }
        fprintf(csv, "problem,n,m,what,median_s,min_s,max_s,R\n");
    }
    printf("dualjac-bench %d.%d.%d\n", DJ_VERSION_MAJOR, DJ_VERSION_MINOR, DJ_VERSION_PATCH);
    printf("compiler: %s\nflags: %s\n", DJ_BENCH_COMPILER, DJ_BENCH_FLAGS);
    printf("timing: median of %d samples of >= %.0f ms each; R = T / T_primal\n\n",
           o.samples, o.min_sample * 1e3);
    if (o.sections & 1)
        printf("%-13s %5s %5s  %-8s %12s %12s %12s %9s  %s\n", "problem", "n", "m",
           "what", "median", "min", "max", "R", "note");
    int failures = 0;
    for (int pi = 0; pi < o.nproblems && (o.sections & 1); ++pi) {
        for (int si = 0; si < o.nsizes; ++si) {
            mgh_problem prob;
            size_t n = mgh_nearest_n(o.problems[pi], o.sizes[si]);
            if (mgh_init(&prob, o.problems[pi], n) != DJ_OK) {
                fprintf(stderr, "dualjac-bench: no problem '%s' with n = %zu\n",
                        o.problems[pi], o.sizes[si]);
                failures++;
                break;
            }
            size_t m = prob.m;
            double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v);
            double *y = malloc(m * sizeof *y), *jv = malloc(m * sizeof *jv);
            double *J = malloc(m * n * sizeof *J), *R = malloc(m * n * sizeof *R);
            if (!x || !v || !y || !jv || !J || !R) {
                fprintf(stderr, "dualjac-bench: out of memory\n");
                return 1;
            }
            mgh_start(&prob, 1.0, x);
            for (size_t j = 0; j < n; ++j)
                v[j] = 1.0 / (double)(j + 1);
            mgh_ctx ctx = { &prob, x, y, v, jv, J, { o.chunk, 0, NULL, 0, 0 } };
            struct { const char *what; bench_fn fn; } rows[] = {
                { "primal", run_primal }, { "jvp", run_jvp },
                { "jacfwd", run_jacfwd }, { "fd", run_fd },
            };
            stat3 st[4];
            for (int r = 0; r < 4; ++r) {
                if (r > 0 && o.what && !strstr(o.what, rows[r].what))
                    continue;          /* the primal is always timed: R needs it */
                rc = time_it(&o, rows[r].fn, &ctx, &st[r]);
                if (rc != 0) {
                    fprintf(stderr, "dualjac-bench: %s %s: %s\n", prob.name,
                            rows[r].what, dj_strerror(rc));
                    failures++;
                    st[r].med = st[r].min = st[r].max = NAN;
                }
                char note[96] = "";
                if (r == 2) {
                    /* the forward Jacobian against the analytic one */
                    dj_jacfwd(&prob.F, x, y, J, m, &ctx.fo);
                    mgh_jacobian(&prob, x, R, m);
                    double err = 0, mag = 0;
                    for (size_t k = 0; k < m * n; ++k) {
                        err = fmax(err, fabs(J[k] - R[k]));
                        mag = fmax(mag, fabs(R[k]));
                    }
                    dj_chunk_plan pl;
                    dj_chunk_plan_make(&prob.F, n, &ctx.fo, &pl);
                    snprintf(note, sizeof note, "err %.1e (rel %.1e), %zu pass%s of %d lanes",
                             err, mag > 0 ? err / mag : err, pl.passes,
                             pl.passes == 1 ? "" : "es", pl.width);
                    if (!(err <= 1e-12 * fmax(mag, 1.0))) {
                        strcat(note, "  WRONG");
                        failures++;
                    }
                }
                if (r == 3 && st[2].med > 0 && (!o.what || strstr(o.what, "jacfwd")))
                    snprintf(note, sizeof note, "jacfwd is %.1fx faster", st[3].med / st[2].med);
                double Rr = st[r].med / st[0].med;
                printf("%-13s %5zu %5zu  %-8s %9.3f us %9.3f us %9.3f us %9.2f  %s\n",
                       prob.name, n, m, rows[r].what, st[r].med * 1e6, st[r].min * 1e6,
                       st[r].max * 1e6, Rr, note);
                if (csv)
                    fprintf(csv, "%s,%zu,%zu,%s,%.6e,%.6e,%.6e,%.4f\n", prob.name, n, m,
                            rows[r].what, st[r].med, st[r].min, st[r].max, Rr);
            }
            free(x); free(v); free(y); free(jv); free(J); free(R);
        }
        printf("\n");
    }
    if (o.sections & 2)
        failures += bench_matrix(&o, csv);
    if (csv)
        fclose(csv);
    if (failures)
        fprintf(stderr, "dualjac-bench: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
