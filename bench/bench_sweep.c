/* bench_sweep.c - where reverse mode overtakes forward mode: shape sweeps
 * of R = T_Jacobian / T_primal for the forward, reverse and automatic
 * Jacobians, against the textbook costs, and (--plot) a log-log plot with
 * gnuplot.
 *
 * Two problems, each swept twice (m = 4 and n = 4..256; n = 4 and
 * m = 4..256):
 *   mlp     the matrix program y = W2 tanh(W1 x + b1), n x 64 x m
 *           (problems/matprob.h); T_primal is its plain C loop primal;
 *   scalar  y_i = sum_j sin(a_ij x_j), written once with the generic
 *           operations below and instantiated for every scalar type
 *           (double, dj_dual, the chunks, dj_rvar); T_primal is the double
 *           form. Every output depends on every input (a dense Jacobian).
 *
 * Theory (Griewank and Walther, "Evaluating Derivatives", ch. 4), in primal
 * evaluations: one tangent about 2-2.5, p tangents at once about 1 + 1.5 p,
 * one reverse sweep (one row) about 3-4. So the forward Jacobian costs about
 * 1 + 1.5 n, the reverse one about 3.5 m, and reverse should win once
 * n > (3.5 m - 1) / 1.5.
 *
 * Each shape's primal and three Jacobians are sampled in turn (round by
 * round), so that load from elsewhere on a shared machine falls on all four
 * alike; R is the ratio of the medians. */

#ifdef DJ_T
/* ---- the template part: included once per scalar type by instantiate.h -- */

static int DJ_NAME(sweepf)(void *user, const DJ_T *x, DJ_T *y)
{
    const sweep_fn *s = user;
    for (size_t i = 0; i < s->m; ++i) {
        DJ_T acc = dj_sin(dj_mul(s->a[i], x[0]));
        for (size_t j = 1; j < s->n; ++j)
            acc = dj_add(acc, dj_sin(dj_mul(s->a[i + j * s->m], x[j])));
        y[i] = acc;
    }
    return 0;
}

#else /* ---- the benchmark ------------------------------------------------- */

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dualjac.h"
#include "matprob.h"
#include "bench.h"

typedef struct sweep_fn {
    size_t n, m;
    double *a;            /* m-by-n coefficients, column-major */
} sweep_fn;

/* This file is its own template (the part under #ifdef DJ_T above); bench/
 * is on the include path, where instantiate.h finds it. */
#define DJ_TEMPLATE "bench_sweep.c"
#include <dualjac/instantiate.h>

#define NPTS 7
static const size_t sweep_sizes[NPTS] = { 4, 8, 16, 32, 64, 128, 256 };
#define FIXED 4          /* the other dimension of each sweep */
#define HIDDEN 64        /* the MLP's hidden width */

/* the textbook costs, in primal evaluations */
static double theory_fwd(size_t n) { return 1.0 + 1.5 * (double)n; }
static double theory_rev(size_t m) { return 3.5 * (double)m; }

typedef struct point {
    size_t n, m;
    int ok;                 /* all three Jacobians ran */
    double tp;              /* T_primal, seconds */
    double rf, rr, ra;      /* R forward, reverse, auto */
    int chosen;             /* the mode auto chose */
    double err;             /* |J_rev - J_fwd| / max |J_fwd| */
} point;

typedef struct series {
    const char *problem;    /* "mlp" or "scalar" */
    int vary_n;             /* 1: n grows (m = FIXED); 0: m grows (n = FIXED) */
    point pts[NPTS];
    int np;
} series;

/* ---- timing one point ------------------------------------------------------- */

typedef struct run_ctx {
    const dj_function *F;
    const matprob *mp;      /* the MLP (loop primal), or NULL: F->f */
    const double *x;
    double *y, *J;
    dj_jac_opts jo;
} run_ctx;

static int run_primal(void *u)
{
    run_ctx *k = u;
    return k->mp ? matprob_primal_loops(k->mp, k->x, k->y) : k->F->f(k->F->user, k->x, k->y);
}

static int run_jac(void *u)
{
    run_ctx *k = u;
    return dj_jacobian(k->F, k->x, k->y, k->J, k->F->m, &k->jo);
}

/* Like time_it, for nf calls at once, interleaved: each round takes one
 * sample of every call in turn, so that load from elsewhere on a shared
 * machine falls on the primal and the Jacobians alike and their ratios R
 * stay steady. k->jo.mode is set to modes[i] before call i (the primal's
 * entry is ignored). */
static int time_interleaved(const opts *o, run_ctx *k, const bench_fn *fn, const int *modes,
                            int nf, stat3 *st)
{
    long reps[4];
    double s[4][64];
    int ns = o->samples > 64 ? 64 : o->samples;
    for (int i = 0; i < nf; ++i) {            /* warm-up and calibration */
        k->jo.mode = modes[i];
        int rc = fn[i](k);
        if (rc != 0)
            return rc;
        reps[i] = 1;
        for (;;) {
            double t0 = now();
            for (long r = 0; r < reps[i]; ++r)
                fn[i](k);
            double t = now() - t0;
            if (t >= o->min_sample || reps[i] > (1L << 30))
                break;
            reps[i] = t > 0 ? (long)(reps[i] * fmin(100.0, 1.2 * o->min_sample / t)) + 1
                            : reps[i] * 100;
        }
    }
    for (int q = 0; q < ns; ++q)
        for (int i = 0; i < nf; ++i) {
            k->jo.mode = modes[i];
            double t0 = now();
            for (long r = 0; r < reps[i]; ++r)
                fn[i](k);
            s[i][q] = (now() - t0) / (double)reps[i];
        }
    for (int i = 0; i < nf; ++i) {
        qsort(s[i], (size_t)ns, sizeof(double), cmp_double);
        st[i].med = s[i][ns / 2];
        st[i].min = s[i][0];
        st[i].max = s[i][ns - 1];
    }
    return 0;
}

static int measure(const opts *o, const dj_function *F, const matprob *mp, const double *x,
                   point *pt)
{
    size_t n = F->n, m = F->m;
    double *y = malloc(m * sizeof *y), *J = malloc(m * n * sizeof *J);
    double *Jf = malloc(m * n * sizeof *Jf);
    dj_ctx *c = mp ? dj_ctx_new() : NULL;
    int fails = 0;
    pt->n = n;
    pt->m = m;
    pt->ok = 0;
    if (!y || !J || !Jf || (mp && !c)) {
        fprintf(stderr, "dualjac-bench: out of memory\n");
        fails = 1;
        goto done;
    }
    run_ctx k = { F, mp, x, y, J, { 0, 0, c, DJ_JAC_FORWARD, 0 } };
    /* the Jacobians first, one at a time, to check reverse against forward */
    static const int modes[4] = { DJ_JAC_FORWARD, DJ_JAC_FORWARD, DJ_JAC_REVERSE, DJ_JAC_AUTO };
    int rc = dj_jacfwd(F, x, y, Jf, m, &k.jo);
    if (rc == 0)
        rc = dj_jacrev(F, x, y, J, m, &k.jo);
    if (rc == 0) {
        double err = 0, mag = 0;
        for (size_t q = 0; q < m * n; ++q) {
            err = fmax(err, fabs(J[q] - Jf[q]));
            mag = fmax(mag, fabs(Jf[q]));
        }
        pt->err = err / fmax(mag, 1e-300);
    }
    stat3 st[4], tp, *t = st + 1;
    static const bench_fn fns[4] = { run_primal, run_jac, run_jac, run_jac };
    if (rc == 0)
        rc = time_interleaved(o, &k, fns, modes, 4, st);
    tp = st[0];
    if (rc != 0) {
        fprintf(stderr, "dualjac-bench: sweep %zu x %zu: %s\n", n, m, dj_strerror(rc));
        fails = 1;
        goto done;
    }
    k.jo.mode = DJ_JAC_AUTO;
    pt->ok = 1;
    pt->tp = tp.med;
    pt->rf = t[0].med / tp.med;
    pt->rr = t[1].med / tp.med;
    pt->ra = t[2].med / tp.med;
    pt->chosen = dj_jacobian_mode(F, &k.jo);
    if (!(pt->err <= 1e-12))
        fails++;
    char label[48];
    snprintf(label, sizeof label, "sweep %s", mp ? "mlp" : "scalar");
    bench_row(label, n, m, "primal", tp.med, tp.min, tp.max, 1.0);
    bench_row(label, n, m, "jac_forward", t[0].med, t[0].min, t[0].max, pt->rf);
    bench_row(label, n, m, "jac_reverse", t[1].med, t[1].min, t[1].max, pt->rr);
    bench_row(label, n, m, "jac_auto", t[2].med, t[2].min, t[2].max, pt->ra);
    bench_row(label, n, m, "theory_forward", NAN, NAN, NAN, theory_fwd(n));
    bench_row(label, n, m, "theory_reverse", NAN, NAN, NAN, theory_rev(m));
done:
    if (c)
        dj_ctx_free(c);
    free(y); free(J); free(Jf);
    return fails;
}

static void fill(double *a, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; ++i) {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        a[i] = (double)((seed * 2685821657736338717ull) >> 11) / 9007199254740992.0;
    }
}

static int point_mlp(const opts *o, size_t n, size_t m, point *pt)
{
    matprob p;
    if (matprob_mlp(&p, n, HIDDEN, m, 1) != DJ_OK) {
        fprintf(stderr, "dualjac-bench: cannot set up mlp %zux%dx%zu\n", n, HIDDEN, m);
        pt->ok = 0;
        return 1;
    }
    double *x = malloc(n * sizeof *x);
    int fails = 1;
    if (x) {
        matprob_start(&p, 42, x);
        fails = measure(o, &p.F, &p, x, pt);
    }
    free(x);
    matprob_free(&p);
    return fails;
}

static int point_scalar(const opts *o, size_t n, size_t m, point *pt)
{
    sweep_fn s = { n, m, malloc(m * n * sizeof(double)) };
    double *x = malloc(n * sizeof *x);
    int fails = 1;
    pt->ok = 0;
    if (s.a && x) {
        fill(s.a, m * n, 11 + n + 1000 * m);
        for (size_t q = 0; q < m * n; ++q)
            s.a[q] = 0.5 + s.a[q];              /* in [0.5, 1.5) */
        fill(x, n, 17 + n);
        dj_function F = { .n = n, .m = m, .user = &s, DJ_FORMS(sweepf) };
        fails = measure(o, &F, NULL, x, pt);
    }
    free(s.a);
    free(x);
    return fails;
}

/* ---- reporting -------------------------------------------------------------- */

static const char *mode_name(int mode)
{
    return mode == DJ_JAC_REVERSE ? "reverse" : mode == DJ_JAC_FORWARD ? "forward" : "n/a";
}

/* The size that varies, as a double. */
static double var_of(const series *s, const point *p)
{
    return (double)(s->vary_n ? p->n : p->m);
}

/* Where the better mode changes, measured (interpolated log-log between the
 * bracketing points) and in theory (1 + 1.5 n = 3.5 m). */
static void print_crossover(const series *s)
{
    const char *v = s->vary_n ? "n" : "m";
    double theory = s->vary_n ? (3.5 * FIXED - 1.0) / 1.5 : (1.0 + 1.5 * FIXED) / 3.5;
    int found = 0;
    for (int k = 1; k < s->np; ++k) {
        const point *a = &s->pts[k - 1], *b = &s->pts[k];
        if (!a->ok || !b->ok)
            continue;
        double la = log(a->rr / a->rf), lb = log(b->rr / b->rf);
        if ((la < 0) == (lb < 0))
            continue;
        double xa = log(var_of(s, a)), xb = log(var_of(s, b));
        double xc = exp(xa + (xb - xa) * la / (la - lb));
        printf("  crossover: %s wins from %s = %.0f on (between %.0f and %.0f: "
               "interpolated %s = %.1f); theory %s = %.1f\n",
               lb < 0 ? "reverse" : "forward", v, var_of(s, b), var_of(s, a), var_of(s, b),
               v, xc, v, theory);
        found = 1;
    }
    if (!found && s->np > 0) {
        int rev = s->pts[0].ok && s->pts[0].rr < s->pts[0].rf;
        printf("  crossover: none measured, %s wins at every %s here; theory %s = %.1f "
               "(reverse wins for %s %s it)\n",
               rev ? "reverse" : "forward", v, v, theory, v, s->vary_n ? "above" : "below");
    }
}

static void print_series(const series *s)
{
    printf("\n%s, %s = %d, %s growing%s\n", s->problem, s->vary_n ? "m" : "n", FIXED,
           s->vary_n ? "n" : "m",
           strcmp(s->problem, "mlp") ? " (y_i = sum_j sin(a_ij x_j), scalar forms)"
                                     : " (n x 64 x m, matrix program, loop primal)");
    printf("  %5s %5s %11s  %9s %9s  %9s %9s  %9s %-8s  %s\n", "n", "m", "T_primal",
           "R fwd", "theory", "R rev", "theory", "R auto", "(chose)", "winner");
    for (int k = 0; k < s->np; ++k) {
        const point *p = &s->pts[k];
        if (!p->ok) {
            printf("  %5zu %5zu  failed\n", p->n, p->m);
            continue;
        }
        double best = fmin(p->rf, p->rr);
        printf("  %5zu %5zu %8.2f us  %9.2f %9.1f  %9.2f %9.1f  %9.2f %-8s  %s%s%s\n", p->n,
               p->m, p->tp * 1e6, p->rf, theory_fwd(p->n), p->rr, theory_rev(p->m), p->ra,
               mode_name(p->chosen), p->rr < p->rf ? "reverse" : "forward",
               p->ra > 1.2 * best ? "  (auto > 1.2x the better mode)" : "",
               p->err <= 1e-12 ? "" : "  WRONG: |Jrev-Jfwd| too large");
    }
    print_crossover(s);
}

/* ---- the plot ---------------------------------------------------------------- */

/* gnuplot on PATH? */
static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[4096];
    while (*path) {
        const char *e = strchr(path, ':');
        size_t len = e ? (size_t)(e - path) : strlen(path);
        if (len > 0 && len + 9 < sizeof buf) {
            memcpy(buf, path, len);
            memcpy(buf + len, "/gnuplot", 9);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        path += len + (e ? 1 : 0);
    }
    return 0;
}

static const char *series_title(const series *s)
{
    static char t[4][96];
    static int k;
    char *b = t[k++ & 3];
    snprintf(b, 96, "%s: %s grows, %s = %d", !strcmp(s->problem, "mlp") ? "MLP n x 64 x m"
             : "scalar code, y_i = {/Symbol S}_j sin(a_{ij} x_j)",
             s->vary_n ? "n" : "m", s->vary_n ? "m" : "n", FIXED);
    return b;
}

/* Writes the data and script in a temporary directory and runs gnuplot on
 * them; returns 0, or 1 when gnuplot ran and failed. A missing gnuplot is
 * reported and is not a failure. */
static int plot(const char *out, const series *ss, int ns)
{
    if (!have_gnuplot()) {
        printf("\nplot: gnuplot not found: apt-get install gnuplot-nox, then rerun with "
               "--plot\n");
        return 0;
    }
    if (strchr(out, '\'') || strchr(out, '\n')) {
        fprintf(stderr, "dualjac-bench: --plot: the file name may not hold ' or a newline\n");
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[512], data[600], script[600], cmd[700];
    snprintf(dir, sizeof dir, "%s/dualjac-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "dualjac-bench: --plot: cannot make a temporary directory: %s\n",
                strerror(errno));
        return 1;
    }
    snprintf(data, sizeof data, "%s/sweep.dat", dir);
    snprintf(script, sizeof script, "%s/sweep.gp", dir);
    int fails = 0;
    FILE *f = fopen(data, "w");
    if (f) {
        /* one block per series (gnuplot: index k) */
        for (int k = 0; k < ns; ++k) {
            fprintf(f, "# %s\n# size n m T_primal R_fwd R_rev R_auto theory_fwd theory_rev\n",
                    series_title(&ss[k]));
            for (int q = 0; q < ss[k].np; ++q) {
                const point *p = &ss[k].pts[q];
                if (p->ok)
                    fprintf(f, "%g %zu %zu %.6e %.6g %.6g %.6g %.6g %.6g\n", var_of(&ss[k], p),
                            p->n, p->m, p->tp, p->rf, p->rr, p->ra, theory_fwd(p->n),
                            theory_rev(p->m));
            }
            fprintf(f, "\n\n");
        }
        fails += fclose(f) != 0;
    } else {
        fails++;
    }
    f = fopen(script, "w");
    if (f && !fails) {
        fprintf(f,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 1400,1000 enhanced font 'sans,11'\n"
            "} else {\n"
            "  set terminal png size 1400,1000 enhanced\n"
            "}\n"
            "set output '%s'\n"
            "set multiplot layout 2,2 title 'dualjac: forward against reverse Jacobian, "
            "R = T_{Jacobian} / T_{primal} (log-log; dashed: theory 1 + 1.5 n and 3.5 m)' "
            "font ',13'\n"
            "set logscale xy 2\n"
            "set format y '%%g'\n"
            "set grid xtics ytics mxtics mytics lc rgb '#dddddd'\n"
            "set key top left box opaque Left reverse\n"
            "set ylabel 'R = T / T_{primal}'\n"
            "set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1.2\n"
            "set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 1.2\n"
            "set style line 3 lc rgb '#000000' lw 1 pt 2 ps 1.8\n"
            "set style line 4 lc rgb '#1f77b4' lw 1.5 dt 2\n"
            "set style line 5 lc rgb '#d62728' lw 1.5 dt 2\n",
            out);
        for (int k = 0; k < ns; ++k) {
            const char *v = ss[k].vary_n ? "n" : "m";
            fprintf(f,
                "set title \"%s\"\n"
                "set xlabel '%s (%s, %s = %d)'\n"
                "set xrange [3:320]\n"
                "plot '%s' index %d using 1:5 with linespoints ls 1 title 'forward', \\\n"
                "     '' index %d using 1:6 with linespoints ls 2 title 'reverse', \\\n"
                "     '' index %d using 1:7 with points ls 3 title 'auto (the mode it chose)', \\\n"
                "     '' index %d using 1:8 with lines ls 4 title 'forward, theory 1 + 1.5 n', \\\n"
                "     '' index %d using 1:9 with lines ls 5 title 'reverse, theory 3.5 m'\n",
                series_title(&ss[k]), v, ss[k].vary_n ? "inputs" : "outputs",
                ss[k].vary_n ? "m" : "n", FIXED, data, k, k, k, k, k);
        }
        fprintf(f, "unset multiplot\n");
    }
    if (!f || fclose(f) != 0)
        fails++;
    if (!fails) {
        snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", script);
        FILE *g = popen(cmd, "r");
        if (!g) {
            fails++;
        } else {
            char line[512];
            while (fgets(line, sizeof line, g))
                fprintf(stderr, "gnuplot: %s", line);
            int st = pclose(g);
            if (st != 0)
                fails++;
        }
    }
    if (fails) {
        fprintf(stderr, "dualjac-bench: --plot: gnuplot failed; its input is kept in %s\n",
                dir);
        return 1;
    }
    remove(data);
    remove(script);
    rmdir(dir);
    printf("\nplot: %s\n", out);
    return 0;
}

/* ---- the section -------------------------------------------------------------- */

int bench_sweep(const opts *o)
{
    static series ss[4] = {
        { "mlp", 1, { { 0 } }, 0 }, { "mlp", 0, { { 0 } }, 0 },
        { "scalar", 1, { { 0 } }, 0 }, { "scalar", 0, { { 0 } }, 0 },
    };
    int fails = 0;
    printf("forward against reverse: shape sweeps, R = T / T_primal; theory: forward "
           "1 + 1.5 n, reverse 3.5 m\n(one tangent ~2-2.5 primals, p tangents ~1 + 1.5 p, "
           "a reverse sweep ~3-4 per output row)\n");
    /* with --quick, a tiny sweep: every other size */
    int step = o->quick ? 2 : 1;
    for (int k = 0; k < 4; ++k) {
        series *s = &ss[k];
        s->np = 0;
        for (int q = 0; q < NPTS; q += step) {
            size_t n = s->vary_n ? sweep_sizes[q] : FIXED;
            size_t m = s->vary_n ? FIXED : sweep_sizes[q];
            point *p = &s->pts[s->np++];
            memset(p, 0, sizeof *p);
            fails += !strcmp(s->problem, "mlp") ? point_mlp(o, n, m, p)
                                                : point_scalar(o, n, m, p);
        }
        print_series(s);
        fflush(stdout);
    }
    if (o->plot)
        fails += plot(o->plot, ss, 4);
    printf("\n");
    return fails;
}

#endif
