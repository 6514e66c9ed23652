/* bench.c - dualjac-bench: what a Jacobian costs, as a ratio to one primal
 * evaluation, on the Moré-Garbow-Hillstrom problems.
 *
 * For each problem and size it times the primal, one JVP, the forward
 * Jacobian and central finite differences; each time is the median of
 * several samples (each sample long enough for the clock), printed with its
 * min and max, and as R = T / T_primal. The forward Jacobian is also checked
 * against the problem's hand-derived Jacobian (column "err"). The matrix
 * section (bench_mat.c) and the forward/reverse shape sweeps with their plot
 * (bench_sweep.c, --sweep, --plot) follow; every row can also go to a CSV
 * (--csv) and a JSON (--json) file, each headed by the compiler, flags, BLAS
 * and thread count.
 *
 * When ADOL-C and/or Ceres were found at configure time (bench/peers), the
 * same Jacobians by them are timed in the same run, next to dualjac's, and
 * each row ends with a verdict: dualjac's automatic choice over the best
 * peer, and whether it is the fastest of {dualjac forward, dualjac reverse,
 * central differences, ADOL-C, Ceres Jet}; a summary of all rows closes the
 * run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "dualjac.h"
#include "mgh.h"
#include "bench.h"
#include "peers.h"

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

void time_group(const opts *o, int k, const bench_fn fns[], void *const ctxs[], stat3 st[],
                int rc[])
{
    int ns = o->samples > 64 ? 64 : o->samples;
    long *reps = malloc((size_t)k * sizeof *reps);
    double *s = malloc((size_t)k * (size_t)ns * sizeof *s);
    if (!reps || !s) {                          /* out of memory: one at a time */
        for (int i = 0; i < k; ++i)
            rc[i] = time_it(o, fns[i], ctxs[i], &st[i]);
        free(reps);
        free(s);
        return;
    }
    for (int i = 0; i < k; ++i) {               /* warm-up and calibration */
        reps[i] = 1;
        rc[i] = fns[i](ctxs[i]);
        while (rc[i] == 0) {
            double t0 = now();
            for (long r = 0; r < reps[i]; ++r)
                fns[i](ctxs[i]);
            double t = now() - t0;
            if (t >= o->min_sample || reps[i] > (1L << 30))
                break;
            reps[i] = t > 0 ? (long)(reps[i] * fmin(100.0, 1.2 * o->min_sample / t)) + 1
                            : reps[i] * 100;
        }
    }
    for (int q = 0; q < ns; ++q)                 /* the samples, in turn */
        for (int i = 0; i < k; ++i) {
            if (rc[i] != 0)
                continue;
            double t0 = now();
            for (long r = 0; r < reps[i]; ++r)
                fns[i](ctxs[i]);
            s[i * ns + q] = (now() - t0) / (double)reps[i];
        }
    for (int i = 0; i < k; ++i) {
        if (rc[i] != 0) {
            st[i].med = st[i].min = st[i].max = NAN;
            continue;
        }
        double *si = s + i * ns;
        qsort(si, (size_t)ns, sizeof *si, cmp_double);
        st[i].med = si[ns / 2];
        st[i].min = si[0];
        st[i].max = si[ns - 1];
    }
    free(reps);
    free(s);
}

/* ---- the result files ------------------------------------------------------ */

static FILE *g_csv, *g_json;
static int g_json_rows;

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6e", v);
    else
        fputs("null", f);
}

void bench_row(const char *problem, size_t n, size_t m, const char *what,
               double med, double min, double max, double R)
{
    if (g_csv) {
        if (strpbrk(problem, ",\"\n")) {             /* quoted only when it must be */
            fputc('"', g_csv);
            for (const char *c = problem; *c; ++c) {
                if (*c == '"')
                    fputc('"', g_csv);
                fputc(*c, g_csv);
            }
            fputc('"', g_csv);
        } else {
            fputs(problem, g_csv);
        }
        fprintf(g_csv, ",%zu,%zu,%s", n, m, what);
        const double v[4] = { med, min, max, R };
        for (int k = 0; k < 4; ++k)                     /* not measured: empty */
            if (isfinite(v[k]))
                fprintf(g_csv, k < 3 ? ",%.6e" : ",%.4f", v[k]);
            else
                fputc(',', g_csv);
        fputc('\n', g_csv);
    }
    if (g_json) {
        fputs(g_json_rows++ ? ",\n    {" : "\n    {", g_json);
        fputs("\"problem\": ", g_json);
        json_str(g_json, problem);
        fprintf(g_json, ", \"n\": %zu, \"m\": %zu, \"what\": ", n, m);
        json_str(g_json, what);
        fputs(", \"median_s\": ", g_json);
        json_num(g_json, med);
        fputs(", \"min_s\": ", g_json);
        json_num(g_json, min);
        fputs(", \"max_s\": ", g_json);
        json_num(g_json, max);
        fputs(", \"R\": ", g_json);
        json_num(g_json, R);
        fputc('}', g_json);
    }
}

/* ---- the verdicts and the closing summary ---------------------------------- */

enum { C_FWD, C_REV, C_FD, C_ADOLC, C_CERES, C_COUNT };
static const char *const cand_name[C_COUNT] = { "dualjac forward", "dualjac reverse",
                                                 "central differences", "ADOL-C", "Ceres Jet" };

typedef struct summary_row {
    char problem[40];
    size_t n, m;
    double tp, ta;            /* T_primal, T_auto */
    int arev;                 /* auto took reverse mode */
    double t[C_COUNT];        /* NaN: not timed */
    char who[C_COUNT][24];    /* the peers' best variant */
} summary_row;

#define SUMMARY_MAX 256
static summary_row g_sum[SUMMARY_MAX];
static int g_nsum, g_peers_wrong;

int bench_want_peers(const opts *o)
{
    if (o->no_peers || peers_built() == NULL)
        return 0;
    return !o->what || strstr(o->what, "peers") || strstr(o->what, "adolc") ||
           strstr(o->what, "jet");
}

void bench_verdict(const char *problem, size_t n, size_t m, double t_primal, double t_auto,
                   int auto_reverse, double t_fwd, double t_rev, double t_fd,
                   const struct peer_row *peers, int npeers, char *line, size_t len)
{
    summary_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.problem, sizeof r.problem, "%s", problem);
    r.n = n;
    r.m = m;
    r.tp = t_primal;
    r.ta = t_auto;
    r.arev = auto_reverse;
    r.t[C_FWD] = t_fwd;
    r.t[C_REV] = t_rev;
    r.t[C_FD] = t_fd;
    r.t[C_ADOLC] = r.t[C_CERES] = NAN;
    for (int k = 0; k < npeers; ++k) {
        const peer_row *p = &peers[k];
        int c = p->lib == PEER_ADOLC ? C_ADOLC : C_CERES;
        if (p->status != 0)
            g_peers_wrong++;
        if (!p->counted || p->status != 0 || !isfinite(p->t.med))
            continue;
        if (!(p->t.med >= r.t[c])) {
            r.t[c] = p->t.med;
            snprintf(r.who[c], sizeof r.who[c], "%.23s", p->what);
        }
    }
    if (g_nsum < SUMMARY_MAX)
        g_sum[g_nsum++] = r;
    /* the verdict line */
    int best = -1, bestp = -1;
    for (int c = 0; c < C_COUNT; ++c) {
        if (isfinite(r.t[c]) && (best < 0 || r.t[c] < r.t[best]))
            best = c;
        if (c >= C_ADOLC && isfinite(r.t[c]) && (bestp < 0 || r.t[c] < r.t[bestp]))
            bestp = c;
    }
    int k = 0;
    if (bestp >= 0)
        k = snprintf(line, len, "auto / best peer = %.2f (%s %s)", t_auto / r.t[bestp],
                     cand_name[bestp], r.who[bestp]);
    else
        k = snprintf(line, len, "no peer timed");
    if (k < 0 || (size_t)k >= len)
        return;
    if (!isfinite(t_auto) || best < 0)
        snprintf(line + k, len - (size_t)k, "; not compared");
    else if (t_auto <= r.t[best])
        snprintf(line + k, len - (size_t)k, "; auto is the fastest");
    else if (best == (auto_reverse ? C_REV : C_FWD))
        snprintf(line + k, len - (size_t)k, "; auto is the fastest but for %s, the same calls "
                 "timed separately (%.3fx: timing noise)", cand_name[best], t_auto / r.t[best]);
    else
        snprintf(line + k, len - (size_t)k, "; auto NOT the fastest: %s%s%s is %.2fx faster",
                 cand_name[best], best >= C_ADOLC ? " " : "", best >= C_ADOLC ? r.who[best] : "",
                 t_auto / r.t[best]);
}

static void summary_print(void)
{
    if (g_nsum == 0)
        return;
    printf("summary: dualjac's automatic choice (auto) against dualjac forward (fwd) and "
           "reverse (rev),\ncentral differences (fd), ADOL-C and Ceres Jet (their best "
           "variant); R = T / T_primal\n");
    printf("%-22s %5s %5s %8s %4s %8s %8s %8s %8s %-15s %8s %-8s %10s\n", "problem", "n", "m",
           "R auto", "mode", "R fwd", "R rev", "R fd", "R ADOL-C", " (variant)", "R Ceres",
           "(var.)", "auto/peer");
    for (int i = 0; i < g_nsum; ++i) {
        const summary_row *r = &g_sum[i];
        double bp = fmin(isfinite(r->t[C_ADOLC]) ? r->t[C_ADOLC] : INFINITY,
                         isfinite(r->t[C_CERES]) ? r->t[C_CERES] : INFINITY);
        char f[C_COUNT][16], ap[16];
        for (int c = 0; c < C_COUNT; ++c)             /* not timed: "-" */
            snprintf(f[c], sizeof f[c], isfinite(r->t[c]) ? "%.2f" : "-", r->t[c] / r->tp);
        snprintf(ap, sizeof ap, isfinite(bp) ? "%.2f" : "-", r->ta / bp);
        printf("%-22s %5zu %5zu %8.2f %4s %8s %8s %8s %8s  %-14s %8s %-8s %10s\n", r->problem,
               r->n, r->m, r->ta / r->tp, r->arev ? "rev" : "fwd", f[C_FWD], f[C_REV], f[C_FD],
               f[C_ADOLC], r->who[C_ADOLC], f[C_CERES], r->who[C_CERES], ap);
    }
    /* rows where something other than auto's own computation is faster,
     * then rows where only its own mode measured faster (the same calls:
     * timing noise) */
    int notfast = 0, noise = 0;
    for (int pass = 0; pass < 2; ++pass)
        for (int i = 0; i < g_nsum; ++i) {
            const summary_row *r = &g_sum[i];
            int own = r->arev ? C_REV : C_FWD, best = -1, bestx = -1;
            for (int c = 0; c < C_COUNT; ++c) {
                if (!isfinite(r->t[c]))
                    continue;
                if (best < 0 || r->t[c] < r->t[best])
                    best = c;
                if (c != own && (bestx < 0 || r->t[c] < r->t[bestx]))
                    bestx = c;
            }
            if (pass == 0 && bestx >= 0 && r->ta > r->t[bestx]) {
                if (notfast++ == 0)
                    printf("\nrows where auto is NOT the fastest:\n");
                printf("  %-22s n %4zu m %4zu: %s%s%s is %.2fx faster than auto\n", r->problem,
                       r->n, r->m, cand_name[bestx], bestx >= C_ADOLC ? " " : "",
                       bestx >= C_ADOLC ? r->who[bestx] : "", r->ta / r->t[bestx]);
            } else if (pass == 1 && best == own && r->ta > r->t[own] &&
                       !(bestx >= 0 && r->ta > r->t[bestx])) {
                if (noise++ == 0)
                    printf("\nrows where auto is the fastest but for its own mode timed "
                           "separately (the same calls: timing noise):\n");
                printf("  %-22s n %4zu m %4zu: %s %.3fx\n", r->problem, r->n, r->m,
                       cand_name[own], r->ta / r->t[own]);
            }
        }
    int any_peer = 0;
    for (int i = 0; i < g_nsum; ++i)
        any_peer |= isfinite(g_sum[i].t[C_ADOLC]) || isfinite(g_sum[i].t[C_CERES]);
    if (!any_peer)
        printf("\nno peer was timed (%s): auto is compared with dualjac's own modes and "
               "central differences only", peers_built() ? "--no-peers or --what" : "not built");
    if (notfast == 0)
        printf("\nauto fastest on all %d rows%s\n", g_nsum,
               noise ? " (but for timing noise against its own mode, above)" : "");
    else
        printf("\nauto fastest on %d of %d rows; NOT the fastest on %d (listed above)\n",
               g_nsum - notfast, g_nsum, notfast);
    if (g_peers_wrong)
        printf("%d peer Jacobian(s) failed or were wrong (marked WRONG/FAILED above)\n",
               g_peers_wrong);
    printf("\n");
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
    double *y, *v, *jv, *J, *w, *jtw;
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

static int run_vjp(void *c)
{
    mgh_ctx *k = c;
    return dj_vjp(&k->p->F, k->x, k->w, k->y, k->jtw);
}

static int run_jacrev(void *c)
{
    mgh_ctx *k = c;
    return dj_jacrev(&k->p->F, k->x, k->y, k->J, k->p->m, NULL);
}

static int run_auto(void *c)
{
    mgh_ctx *k = c;
    return dj_jacobian(&k->p->F, k->x, k->y, k->J, k->p->m, NULL);
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
        "Times the primal, one JVP, one VJP, the forward, reverse and automatic\n"
        "Jacobians and central finite differences on Moré-Garbow-Hillstrom\n"
        "problems (and the matrix layer); reports each as a median\n"
        "time (min..max) and as R = T / T_primal. When ADOL-C and/or Ceres were found\n"
        "at configure time, their Jacobians are timed side by side with dualjac's,\n"
        "and a summary says where dualjac's automatic choice is not the fastest.\n\n"
        "  --quick            small default workload (well under a minute)\n"
        "  --problem NAME     a problem (repeatable); default: all 12 (--list)\n"
        "  --n N              a size (repeatable); default 16 32 64 128 (quick: 32 128)\n"
        "  --chunk W          force the chunk width (1, 8, 16, 32, 64)\n"
        "  --what LIST        rows to time, e.g. primal,jacfwd,peers (default: all)\n"
        "  --no-peers         do not time ADOL-C and Ceres Jet (when built in)\n"
        "  --only mgh|matrix|sweep  run one section (default: mgh and matrix;\n"
        "                     sweep implies --sweep)\n"
        "  --samples K        timed samples per measurement (default 9, quick 5)\n"
        "  --sweep            also run the forward/reverse shape sweeps (mlp n x 64 x m\n"
        "                     and a scalar-code problem; m = 4, n = 4..256 and back)\n"
        "  --plot FILE.png    plot the sweeps' R against n and m (implies --sweep;\n"
        "                     needs gnuplot: apt-get install gnuplot-nox)\n"
        "  --threads N        OpenBLAS threads (default 1 unless OPENBLAS_NUM_THREADS\n"
        "                     is set)\n"
        "  --csv FILE         also write every row as CSV (header lines start with #)\n"
        "  --json FILE        also write every row as JSON (an object: header fields\n"
        "                     and \"rows\", an array of objects)\n"
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
            o->sections = !strcmp(val, "mgh") ? 1 : !strcmp(val, "matrix") ? 2
                         : !strcmp(val, "sweep") ? 4 : 0;
            if (o->sections == 0) {
                fprintf(stderr, "dualjac-bench: --only takes mgh, matrix or sweep\n");
                return 2;
            }
            ++i;
        } else if (!strcmp(a, "--what") && val) {
            o->what = val;
            ++i;
        } else if (!strcmp(a, "--csv") && val) {
            o->csv = val;
            ++i;
        } else if (!strcmp(a, "--json") && val) {
            o->json = val;
            ++i;
        } else if (!strcmp(a, "--plot") && val) {
            o->plot = val;
            o->sweep = 1;
            ++i;
        } else if (!strcmp(a, "--no-peers")) {
            o->no_peers = 1;
        } else if (!strcmp(a, "--sweep")) {
            o->sweep = 1;
        } else if (!strcmp(a, "--threads") && val) {
            o->threads = atoi(val);
            if (o->threads < 1) {
                fprintf(stderr, "dualjac-bench: --threads takes a number >= 1\n");
                return 2;
            }
            ++i;
        } else {
            fprintf(stderr, "dualjac-bench: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o->sections & 4)
        o->sweep = 1;
    else if (o->sweep)
        o->sections |= 4;               /* also with --only mgh|matrix */
    if (o->quick) {
        o->samples = o->samples == 9 ? 5 : o->samples;
        o->min_sample = 0.005;      /* peers included: the whole run within a minute */
    }
    if (o->nproblems == 0) {
        static const char *def[] = { "trig", "chebyquad", "rosenbrock", "powell", "penalty1",
                                     "vardim", "brown", "bvp", "inteq", "broyden_tri",
                                     "broyden_band", "linear_full" };
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
    /* threads: one unless the environment or --threads says otherwise */
    char blas[256] = "unknown (not OpenBLAS: thread count not controlled)";
    char threads[160] = "unknown";
    int nthreads = 0;
#ifdef OPENBLAS_VERSION
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    const char *why;
    if (o.threads > 0) {
        openblas_set_num_threads(o.threads);
        why = "set by --threads";
    } else if (env && *env) {
        why = "from OPENBLAS_NUM_THREADS";
    } else {
        openblas_set_num_threads(1);
        why = "single-threaded: OPENBLAS_NUM_THREADS not set, --threads N to change";
    }
    snprintf(blas, sizeof blas, "%s (core %s)", openblas_get_config(), openblas_get_corename());
    nthreads = openblas_get_num_threads();
    snprintf(threads, sizeof threads, "%d (%s)", nthreads, why);
#else
    if (o.threads > 0)
        fprintf(stderr, "dualjac-bench: --threads ignored: the BLAS is not OpenBLAS\n");
#endif
    if (o.csv) {
        g_csv = fopen(o.csv, "w");
        if (!g_csv) {
            fprintf(stderr, "dualjac-bench: cannot write %s\n", o.csv);
            return 2;
        }
        fprintf(g_csv, "# dualjac-bench %d.%d.%d\n# compiler: %s\n# flags: %s\n# blas: %s\n"
                "# threads: %s\n# timing: median of %d samples of >= %.0f ms each\n",
                DJ_VERSION_MAJOR, DJ_VERSION_MINOR, DJ_VERSION_PATCH, DJ_BENCH_COMPILER,
                DJ_BENCH_FLAGS, blas, threads, o.samples, o.min_sample * 1e3);
        if (peers_built())
            fprintf(g_csv, "# peers: %s; C++: %s\n", peers_built(), peers_flags());
        else
            fprintf(g_csv, "# peers: not built (%s)\n", peers_why_not());
        fprintf(g_csv, "problem,n,m,what,median_s,min_s,max_s,R\n");
    }
    if (o.json) {
        g_json = fopen(o.json, "w");
        if (!g_json) {
            fprintf(stderr, "dualjac-bench: cannot write %s\n", o.json);
            if (g_csv)
                fclose(g_csv);
            return 2;
        }
        char ver[32];
        snprintf(ver, sizeof ver, "%d.%d.%d", DJ_VERSION_MAJOR, DJ_VERSION_MINOR,
                 DJ_VERSION_PATCH);
        fputs("{\n  \"version\": ", g_json);
        json_str(g_json, ver);
        fputs(",\n  \"compiler\": ", g_json);
        json_str(g_json, DJ_BENCH_COMPILER);
        fputs(",\n  \"flags\": ", g_json);
        json_str(g_json, DJ_BENCH_FLAGS);
        fputs(",\n  \"blas\": ", g_json);
        json_str(g_json, blas);
        fputs(",\n  \"peers\": ", g_json);
        if (peers_built())
            json_str(g_json, peers_built());
        else
            fputs("null", g_json);
        fputs(",\n  \"peers_flags\": ", g_json);
        json_str(g_json, peers_built() ? peers_flags() : peers_why_not());
        fprintf(g_json, ",\n  \"threads\": %d,\n  \"threads_note\": ", nthreads);
        json_str(g_json, threads);
        fprintf(g_json, ",\n  \"samples\": %d,\n  \"min_sample_s\": %g,\n  \"rows\": [",
                o.samples, o.min_sample);
    }
    printf("dualjac-bench %d.%d.%d\n", DJ_VERSION_MAJOR, DJ_VERSION_MINOR, DJ_VERSION_PATCH);
    printf("compiler: %s\nflags: %s\n", DJ_BENCH_COMPILER, DJ_BENCH_FLAGS);
    printf("blas: %s\nthreads: %s\n", blas, threads);
    if (peers_built())
        printf("peers: %s%s; C++: %s\n", peers_built(),
               o.no_peers ? " (not timed: --no-peers)" : "", peers_flags());
    else
        printf("peers: not built (%s)\n", peers_why_not());
    printf("timing: median of %d samples of >= %.0f ms each; R = T / T_primal\n",
           o.samples, o.min_sample * 1e3);
    if (o.sections & 1)
        printf("point (MGH): x0_j + 1e-3 (j+1)/(n+1) max(1, |x0_j|) (x0 repeats components)\n");
    printf("\n");
    if (o.sections & 1)
        printf("%-13s %5s %5s  %-15s %12s %12s %12s %9s  %s\n", "problem", "n", "m",
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
            double *w = malloc(m * sizeof *w), *jtw = malloc(n * sizeof *jtw);
            if (!x || !v || !y || !jv || !J || !R || !w || !jtw) {
                fprintf(stderr, "dualjac-bench: out of memory\n");
                return 1;
            }
            /* the standard starting point moved by small distinct offsets:
               x0 repeats components (Trigonometric's are all 1/n), and
               dualjac's sin/cos sharing would then serve n sincos calls
               from one, which says nothing about other points */
            mgh_start(&prob, 1.0, x);
            for (size_t j = 0; j < n; ++j)
                x[j] += 1e-3 * (double)(j + 1) / (double)(n + 1) * fmax(1.0, fabs(x[j]));
            for (size_t j = 0; j < n; ++j)
                v[j] = 1.0 / (double)(j + 1);
            for (size_t i = 0; i < m; ++i)
                w[i] = 1.0 / (double)(i + 2);
            mgh_jacobian(&prob, x, R, m);
            mgh_ctx ctx = { &prob, x, y, v, jv, J, w, jtw, { o.chunk, 0, NULL, 0, 0 } };
            enum { R_PRIMAL, R_JVP, R_VJP, R_JACFWD, R_JACREV, R_AUTO, R_FD, R_COUNT };
            struct { const char *what; bench_fn fn; } rows[R_COUNT] = {
                { "primal", run_primal }, { "jvp", run_jvp },       { "vjp", run_vjp },
                { "jacfwd", run_jacfwd }, { "jacrev", run_jacrev }, { "auto", run_auto },
                { "fd", run_fd },
            };
            /* the peers: the same Jacobian by ADOL-C and Ceres Jet */
            peer_set *ps = bench_want_peers(&o) ? peers_mgh(prob.name, n, m, x, R) : NULL;
            int np = 0;
            peer_row *pr = peers_rows(ps, &np);
            np = np > 16 ? 16 : np;
            /* every row, dualjac's and the peers', timed side by side */
            enum { NT = R_COUNT + 16 };
            bench_fn fns[NT];
            void *cs[NT];
            stat3 tt[NT], st[R_COUNT];
            int rcs[NT], idx[R_COUNT], nt = 0;
            for (int r = 0; r < R_COUNT; ++r) {
                idx[r] = -1;          /* the primal is always timed: R needs it */
                if (r > 0 && o.what && !strstr(o.what, rows[r].what))
                    continue;
                idx[r] = nt;
                fns[nt] = rows[r].fn;
                cs[nt++] = &ctx;
            }
            int p0 = nt;
            for (int k = 0; k < np; ++k) {
                fns[nt] = pr[k].run;
                cs[nt++] = pr[k].ctx;
            }
            time_group(&o, nt, fns, cs, tt, rcs);
            peers_check(ps);
            for (int k = 0; k < np; ++k) {
                pr[k].t = tt[p0 + k];
                if (rcs[p0 + k] != 0)
                    pr[k].status = 2;
            }
            for (int r = 0; r < R_COUNT; ++r) {
                st[r].med = st[r].min = st[r].max = NAN;      /* not timed: NaN */
                if (idx[r] < 0)
                    continue;
                rc = rcs[idx[r]];
                st[r] = tt[idx[r]];
                if (rc != 0) {
                    fprintf(stderr, "dualjac-bench: %s %s: %s\n", prob.name,
                            rows[r].what, dj_strerror(rc));
                    failures++;
                }
            }
            for (int r = 0; r < R_COUNT; ++r) {
                if (idx[r] < 0)
                    continue;
                rc = rcs[idx[r]];
                char note[128] = "";
                if (rc == 0 && (r == R_JACFWD || r == R_JACREV || r == R_AUTO)) {
                    /* each Jacobian against the hand-derived one */
                    rows[r].fn(&ctx);
                    double err = 0, mag = 0;
                    for (size_t k = 0; k < m * n; ++k) {
                        err = fmax(err, fabs(J[k] - R[k]));
                        mag = fmax(mag, fabs(R[k]));
                    }
                    int len = snprintf(note, sizeof note, "err %.1e (rel %.1e)", err,
                                       mag > 0 ? err / mag : err);
                    if (r == R_JACFWD) {
                        dj_chunk_plan pl;
                        dj_chunk_plan_make(&prob.F, n, &ctx.fo, &pl);
                        if (pl.passes == 1 || pl.last_width == pl.width)
                            snprintf(note + len, sizeof note - (size_t)len,
                                     ", %zu pass%s of %d lanes", pl.passes,
                                     pl.passes == 1 ? "" : "es", pl.last_width);
                        else
                            snprintf(note + len, sizeof note - (size_t)len,
                                     ", %zu passes of %d lanes, the last %d", pl.passes,
                                     pl.width, pl.last_width);
                    } else if (r == R_AUTO) {
                        snprintf(note + len, sizeof note - (size_t)len, ", chose %s",
                                 dj_jacobian_mode(&prob.F, NULL) == DJ_JAC_REVERSE
                                     ? "reverse" : "forward");
                    }
                    if (!(err <= 1e-12 * fmax(mag, 1.0))) {
                        strcat(note, "  WRONG");
                        failures++;
                    }
                }
                if (r == R_FD && st[R_JACFWD].med > 0)
                    snprintf(note, sizeof note, "jacfwd is %.1fx faster",
                             st[R_FD].med / st[R_JACFWD].med);
                double Rr = st[r].med / st[0].med;
                printf("%-13s %5zu %5zu  %-15s %9.3f us %9.3f us %9.3f us %9.2f  %s\n",
                       prob.name, n, m, rows[r].what, st[r].med * 1e6, st[r].min * 1e6,
                       st[r].max * 1e6, Rr, note);
                bench_row(prob.name, n, m, rows[r].what, st[r].med, st[r].min, st[r].max, Rr);
            }
            for (int k = 0; k < np; ++k) {
                double Rr = pr[k].t.med / st[0].med;
                printf("%-13s %5zu %5zu  %-15s %9.3f us %9.3f us %9.3f us %9.2f  %s, err %.1e%s\n",
                       prob.name, n, m, pr[k].what, pr[k].t.med * 1e6, pr[k].t.min * 1e6,
                       pr[k].t.max * 1e6, Rr, pr[k].note, pr[k].err,
                       pr[k].status == 1 ? "  WRONG" : pr[k].status == 2 ? "  FAILED" : "");
                char what[48];
                snprintf(what, sizeof what, "%.23s%s", pr[k].what,
                         pr[k].status == 1 ? "_WRONG" : pr[k].status == 2 ? "_FAILED" : "");
                bench_row(prob.name, n, m, what, pr[k].t.med, pr[k].t.min, pr[k].t.max, Rr);
            }
            if (idx[R_AUTO] >= 0) {
                char line[256];
                int rev = dj_jacobian_mode(&prob.F, NULL) == DJ_JAC_REVERSE;
                bench_verdict(prob.name, n, m, st[0].med, st[R_AUTO].med, rev, st[R_JACFWD].med,
                              st[R_JACREV].med, st[R_FD].med, pr, np, line, sizeof line);
                printf("%-13s %5zu %5zu  %s\n", prob.name, n, m, line);
            }
            peers_free(ps);
            free(w); free(jtw);
            free(x); free(v); free(y); free(jv); free(J); free(R);
        }
        printf("\n");
    }
    if (o.sections & 2)
        failures += bench_matrix(&o);
    summary_print();
    if (o.sections & 4)
        failures += bench_sweep(&o);
    if (g_csv && fclose(g_csv) != 0) {
        fprintf(stderr, "dualjac-bench: error writing %s\n", o.csv);
        failures++;
    }
    if (g_json) {
        fputs(g_json_rows ? "\n  ]\n}\n" : "]\n}\n", g_json);
        if (fclose(g_json) != 0) {
            fprintf(stderr, "dualjac-bench: error writing %s\n", o.json);
            failures++;
        }
    }
    if (failures)
        fprintf(stderr, "dualjac-bench: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
