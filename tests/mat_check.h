/* mat_check.h - verifying a matrix operation's forward rule, shared by the
 * matrix test suites.
 *
 * mat_check runs a "program" (one or a few dj_mat operations on nin inputs)
 * three ways and compares:
 *   1. forward mode with p random tangent directions (drawn from each
 *      input's tangent space: general, symmetric or lower triangular);
 *   2. central finite differences of the primal along each direction k:
 *      (f(X + h dX_k) - f(X - h dX_k)) / 2h, against tangent block k;
 *   3. p separate forward runs with one tangent, seeded by direction k,
 *      against block k of the batched run (batching must not change a bit
 *      more than rounding);
 * and checks that the values in forward mode equal the primal run's. */
#ifndef DJ_MAT_CHECK_H
#define DJ_MAT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

enum { MC_GENERAL = 0, MC_SYMMETRIC = 1, MC_LOWER = 2, MC_UPPER = 3, MC_CONST = 4 };

typedef dj_mat *(*mc_prog)(dj_ctx *c, dj_mat **in, void *user);

typedef struct mc_input {
    size_t rows, cols;
    const double *val;     /* column-major, ld = rows */
    int kind;              /* MC_GENERAL, ... (the tangent space) */
} mc_input;

/* A random direction in the input's tangent space. */
static inline void mc_direction(uint64_t *seed, const mc_input *in, double *d)
{
    size_t r = in->rows, cc = in->cols;
    for (size_t j = 0; j < cc; ++j)
        for (size_t i = 0; i < r; ++i) {
            double v = dj_test_rand(seed, -1, 1);
            if ((in->kind == MC_LOWER && i < j) || (in->kind == MC_UPPER && i > j)
                || in->kind == MC_CONST)
                v = 0;
            d[i + j * r] = v;
        }
    if (in->kind == MC_SYMMETRIC)
        for (size_t j = 0; j < cc; ++j)
            for (size_t i = 0; i < j; ++i)
                d[i + j * r] = d[j + i * r];
}

/* Run prog once in c's current mode; inputs from vals (and tangents tans,
 * p blocks each, or NULL). Returns the output or NULL. */
static inline dj_mat *mc_run(dj_ctx *c, mc_prog prog, void *user, int nin,
                             const mc_input *in, double *const *vals,
                             double *const *tans)
{
    dj_mat *m[8];
    for (int i = 0; i < nin; ++i) {
        size_t n = in[i].rows * in[i].cols;
        m[i] = dj_mat_var(c, in[i].rows, in[i].cols, vals[i], in[i].rows,
                          (tans && in[i].kind != MC_CONST) ? tans[i] : NULL, n);
    }
    return prog(c, m, user);
}

/* Returns the number of failed comparisons (0 = pass); prints the first
 * few. fd_tol: relative tolerance against finite differences (about 1e-6 for
 * well-conditioned ops); exact_tol: batched vs one-at-a-time (about 1e-13). */
static inline int mat_check(const char *name, mc_prog prog, void *user, int nin,
                            const mc_input *in, size_t p, uint64_t seed,
                            double fd_tol, double exact_tol)
{
    int fails = 0;
    dj_ctx *c = dj_ctx_new();
    double *vals[8], *tans[8], *work[8];
    for (int i = 0; i < nin; ++i) {
        size_t n = in[i].rows * in[i].cols;
        vals[i] = malloc(n * sizeof(double));
        work[i] = malloc(n * sizeof(double));
        tans[i] = malloc(n * p * sizeof(double));
        memcpy(vals[i], in[i].val, n * sizeof(double));
        for (size_t k = 0; k < p; ++k)
            mc_direction(&seed, &in[i], tans[i] + k * n);
    }
    /* 1. batched forward run */
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
    dj_mat *Y = mc_run(c, prog, user, nin, in, vals, tans);
    if (Y == NULL) {
        fprintf(stderr, "\n  %s: forward run failed: %s: %s\n", name, dj_ctx_error_op(c),
                dj_ctx_error(c));
        fails++;
        goto done;
    }
    size_t ny = Y->rows * Y->cols;
    double *yv = malloc(ny * sizeof(double)), *yt = malloc(ny * p * sizeof(double));
    double *yp = malloc(ny * sizeof(double)), *ym = malloc(ny * sizeof(double));
    dj_mat_get(Y, yv, Y->rows);
    for (size_t k = 0; k < p; ++k)
        dj_mat_get_tangent(c, Y, k, yt + k * ny, Y->rows);
    double ymax = 0;
    for (size_t i = 0; i < ny; ++i)
        ymax = fmax(ymax, fabs(yv[i]));

    /* values equal the primal run's */
    dj_ctx *cp = dj_ctx_new();
    dj_mat *Yp = mc_run(cp, prog, user, nin, in, vals, NULL);
    if (Yp == NULL || Yp->rows != Y->rows || Yp->cols != Y->cols) {
        fprintf(stderr, "\n  %s: primal run failed or changed shape\n", name);
        fails++;
    } else {
        for (size_t i = 0; i < ny; ++i)
            if (!(Yp->val[i] == yv[i] || (isnan(Yp->val[i]) && isnan(yv[i])))) {
                if (fails++ < 3)
                    fprintf(stderr, "\n  %s: value %zu: forward %.17g, primal %.17g\n", name,
                            i, yv[i], Yp->val[i]);
            }
    }

    for (size_t k = 0; k < p; ++k) {
        const double *t = yt + k * ny;
        double tmax = 0;
        for (size_t i = 0; i < ny; ++i)
            tmax = fmax(tmax, fabs(t[i]));
        /* 2. central differences along direction k */
        double xmax = 0;
        for (int j = 0; j < nin; ++j)
            for (size_t i = 0; i < in[j].rows * in[j].cols; ++i)
                xmax = fmax(xmax, fabs(vals[j][i]));
        double h = 1e-6 * fmax(1.0, xmax);
        for (int s = 0; s < 2; ++s) {
            for (int j = 0; j < nin; ++j) {
                size_t n = in[j].rows * in[j].cols;
                for (size_t i = 0; i < n; ++i)
                    work[j][i] = vals[j][i] + (s ? -h : h) * tans[j][i + k * n];
            }
            dj_ctx_reset(cp);
            dj_mat *Z = mc_run(cp, prog, user, nin, in, work, NULL);
            if (Z == NULL) {
                fprintf(stderr, "\n  %s: perturbed primal run failed: %s\n", name,
                        dj_ctx_error(cp));
                fails++;
                goto free_out;
            }
            memcpy(s ? ym : yp, Z->val, ny * sizeof(double));
        }
        for (size_t i = 0; i < ny; ++i) {
            double fd = (yp[i] - ym[i]) / (2 * h);
            double tol = fd_tol * (tmax + 1e-3 * ymax + 1e-12);
            if (!(fabs(fd - t[i]) <= tol)) {
                if (fails++ < 3)
                    fprintf(stderr, "\n  %s: direction %zu entry %zu: tangent %.12g, "
                            "differences %.12g\n", name, k, i, t[i], fd);
            }
        }
        /* 3. a run with this direction alone */
        dj_ctx *c1 = dj_ctx_new();
        dj_ctx_set_mode(c1, DJ_MODE_FORWARD, 1);
        double *t1[8];
        for (int j = 0; j < nin; ++j)
            t1[j] = tans[j] + k * in[j].rows * in[j].cols;
        dj_mat *Y1 = mc_run(c1, prog, user, nin, in, vals, t1);
        if (Y1 == NULL) {
            fprintf(stderr, "\n  %s: single-direction run failed\n", name);
            fails++;
        } else {
            double *t1o = malloc(ny * sizeof(double));
            dj_mat_get_tangent(c1, Y1, 0, t1o, Y1->rows);
            for (size_t i = 0; i < ny; ++i)
                if (!(fabs(t1o[i] - t[i]) <= exact_tol * (tmax + 1e-300))) {
                    if (fails++ < 3)
                        fprintf(stderr, "\n  %s: direction %zu entry %zu: batched %.17g, "
                                "alone %.17g\n", name, k, i, t[i], t1o[i]);
                }
            free(t1o);
        }
        dj_ctx_free(c1);
    }
free_out:
    free(yv); free(yt); free(yp); free(ym);
    dj_ctx_free(cp);
done:
    for (int i = 0; i < nin; ++i) {
        free(vals[i]);
        free(work[i]);
        free(tans[i]);
    }
    dj_ctx_free(c);
    return fails;
}

static inline void mc_rand(uint64_t *seed, double *a, size_t n, double lo, double hi);

/* The dot-product (adjoint) test of a program's reverse rule against its
 * forward rule: for q random directions dX_k (in each input's tangent
 * space) and q random output adjoints Yb_k,
 *     <Yb_k, dY_k>  ==  sum over inputs <Xb_k, dX_k>
 * to tol relative to the sum of the magnitudes of the products. Also the
 * values of the reverse run equal the primal's. Returns the number of
 * failures. */
static inline int adjoint_check(const char *name, mc_prog prog, void *user, int nin,
                                const mc_input *in, size_t q, uint64_t seed, double tol)
{
    int fails = 0;
    double *vals[8], *tans[8];
    for (int i = 0; i < nin; ++i) {
        size_t n = in[i].rows * in[i].cols;
        vals[i] = malloc(n * sizeof(double));
        tans[i] = malloc(n * q * sizeof(double));
        memcpy(vals[i], in[i].val, n * sizeof(double));
        for (size_t k = 0; k < q; ++k)
            mc_direction(&seed, &in[i], tans[i] + k * n);
    }
    dj_ctx *cf = dj_ctx_new(), *cr = dj_ctx_new();
    dj_ctx_set_mode(cf, DJ_MODE_FORWARD, q);
    dj_ctx_set_mode(cr, DJ_MODE_REVERSE, q);
    dj_mat *m[8];
    dj_mat *Yf = mc_run(cf, prog, user, nin, in, vals, tans);
    for (int i = 0; i < nin; ++i)
        m[i] = dj_mat_var(cr, in[i].rows, in[i].cols, vals[i], in[i].rows,
                          in[i].kind != MC_CONST ? vals[i] : NULL, in[i].rows * in[i].cols);
    dj_mat *Yr = prog(cr, m, user);
    if (Yf == NULL || Yr == NULL) {
        fprintf(stderr, "\n  %s: %s run failed: %s: %s\n", name, Yf ? "reverse" : "forward",
                dj_ctx_error_op(Yf ? cr : cf), dj_ctx_error(Yf ? cr : cf));
        fails++;
        goto done;
    }
    size_t ny = Yr->rows * Yr->cols;
    for (size_t i = 0; i < ny; ++i)
        if (!(Yr->val[i] == Yf->val[i] || (isnan(Yr->val[i]) && isnan(Yf->val[i])))) {
            if (fails++ < 3)
                fprintf(stderr, "\n  %s: value %zu: reverse %.17g, forward %.17g\n", name, i,
                        Yr->val[i], Yf->val[i]);
        }
    double *yb = malloc(ny * q * sizeof(double)), *dy = malloc(ny * sizeof(double));
    mc_rand(&seed, yb, ny * q, -1, 1);
    if (dj_ctx_backward(cr, Yr, yb, ny) != DJ_OK) {
        fprintf(stderr, "\n  %s: backward sweep failed: %s\n", name, dj_ctx_error(cr));
        fails++;
    } else {
        for (size_t k = 0; k < q; ++k) {
            dj_mat_get_tangent(cf, Yf, k, dy, Yf->rows);
            double lhs = 0, rhs = 0, mag = 0;
            for (size_t i = 0; i < ny; ++i) {
                lhs += yb[i + k * ny] * dy[i];
                mag += fabs(yb[i + k * ny] * dy[i]);
            }
            for (int j = 0; j < nin; ++j) {
                if (in[j].kind == MC_CONST)
                    continue;
                size_t n = in[j].rows * in[j].cols;
                double *xb = malloc(n * sizeof(double));
                dj_mat_get_adjoint(cr, m[j], k, xb, in[j].rows);
                for (size_t i = 0; i < n; ++i) {
                    rhs += xb[i] * tans[j][i + k * n];
                    mag += fabs(xb[i] * tans[j][i + k * n]);
                }
                free(xb);
            }
            if (!(fabs(lhs - rhs) <= tol * (mag + 1e-300))) {
                if (fails++ < 3)
                    fprintf(stderr, "\n  %s: direction %zu: <Yb, dY> = %.17g, <Xb, dX> = %.17g\n",
                            name, k, lhs, rhs);
            }
        }
    }
    free(yb);
    free(dy);
done:
    dj_ctx_free(cf);
    dj_ctx_free(cr);
    for (int i = 0; i < nin; ++i) {
        free(vals[i]);
        free(tans[i]);
    }
    return fails;
}

/* Random matrices for tests. */
static inline void mc_rand(uint64_t *seed, double *a, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; ++i)
        a[i] = dj_test_rand(seed, lo, hi);
}

/* A well-conditioned n-by-n matrix: random plus n on the diagonal; with
 * spd, B B^T + n I. */
static inline void mc_wellcond(uint64_t *seed, double *a, size_t n, int spd)
{
    double *b = malloc(n * n * sizeof(double));
    mc_rand(seed, b, n * n, -1, 1);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i) {
            double v = b[i + j * n];
            if (spd) {
                v = 0;
                for (size_t k = 0; k < n; ++k)
                    v += b[i + k * n] * b[j + k * n];
            }
            a[i + j * n] = v + (i == j ? (double)n : 0.0);
        }
    free(b);
}

#endif
