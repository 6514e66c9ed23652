/* plant.h - planted errors in a correct Jacobian, shared by the suites that
 * test a check against a reference (test_check_fd.c: Richardson
 * differences; test_complex_step.c: the complex step). A check that never
 * says "wrong" proves nothing, so each suite copies the correct Jacobian J
 * of an MGH problem to W, plants one error of a kind in W, and runs its own
 * check (a plant_check_fn, with its own tolerances) on W. The kinds, by
 * index into g_kind_planted / g_kind_caught:
 *   0. sign: the largest entry of the middle column negated;
 *   1. 1e-4 entry: one entry, which the suite picks, times 1 + 1e-4;
 *   2. swap: the two columns that differ most exchanged;
 *   3. transpose: J^T, on square problems;
 *   4. scale: every entry times 1 + 1e-6.
 * An error that would leave J as it is is not planted and not counted: a
 * zero entry negated, columns all equal, a symmetric J (linear_full's
 * I - 2/m 11^T: its transpose is not an error).
 *
 * "Caught" means the check returns DJ_ECHECK and its report names an entry
 * the error changed: the planted entry itself for kinds 0 and 1, an entry of
 * one of the swapped columns that differs from J for 2, an off-diagonal entry
 * with J_rc != J_cr for 3, any nonzero entry with a failure for 4 (and, where
 * the suite asks, out of tolerance by more than a given factor). A check
 * that fails somewhere else has not found the error. A miss is counted and
 * printed with the check's report; the suites assert g_caught == g_planted. */
#ifndef DJ_PLANT_H
#define DJ_PLANT_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"
#include "mgh.h"

/* the counts, in total and by kind (sign, 1e-4, swap, transpose, scale) */
static int g_planted, g_caught;
static int g_kind_planted[5], g_kind_caught[5];

/* the check under test on W (ld m): DJ_OK, DJ_ECHECK or an error */
typedef int (*plant_check_fn)(const dj_function *F, const double *x, const double *W,
                              size_t m, dj_check_report *rep);

typedef struct plant_ctx {
    const mgh_problem *p;
    double factor;          /* x = factor x0, named in a miss; 0: not named */
    const double *x, *J;    /* the point and the correct Jacobian, ld p->m */
    double *W;              /* p->m * p->n scratch for the planted Jacobian */
    plant_check_fn check;
    size_t big, bigm;       /* the largest |entry|: of J, of its middle column */
} plant_ctx;

/* the context for J at x, with the entries to plant at */
static plant_ctx plant_begin(const mgh_problem *p, double factor, const double *x,
                             const double *J, double *W, plant_check_fn check)
{
    size_t n = p->n, m = p->m;
    size_t big = 0, jm = n / 2, bigm = jm * m;
    for (size_t e = 0; e < m * n; ++e)
        if (fabs(J[e]) > fabs(J[big]))
            big = e;
    for (size_t e = jm * m; e < (jm + 1) * m; ++e)
        if (fabs(J[e]) > fabs(J[bigm]))
            bigm = e;
    plant_ctx c = { p, factor, x, J, W, check, big, bigm };
    return c;
}

/* count one planted error of kind k, caught or not */
static int plant_count(int k, int caught)
{
    g_planted++;
    g_kind_planted[k]++;
    if (caught) {
        g_caught++;
        g_kind_caught[k]++;
    }
    return caught;
}

static void plant_miss(const plant_ctx *c, const char *what, const dj_check_report *rep,
                       size_t wi, size_t wj)
{
    char at[32] = "";
    if (c->factor > 0)
        snprintf(at, sizeof at, " x%g", c->factor);
    fprintf(stderr, "\n  %s on %s n=%zu%s not caught (expected (%zu, %zu))\n", what,
            c->p->name, c->p->n, at, wi, wj);
    dj_check_report_fprint(stderr, rep);
}

/* 0. a sign flipped: the largest entry of the middle column */
static void plant_sign(const plant_ctx *c)
{
    size_t n = c->p->n, m = c->p->m, e = c->bigm;
    double *W = c->W;
    dj_check_report rep;
    memcpy(W, c->J, m * n * sizeof *W);
    if (W[e] != 0) {
        W[e] = -W[e];
        if (!plant_count(0, c->check(&c->p->F, c->x, W, m, &rep) == DJ_ECHECK
                                && rep.worst_row == e % m && rep.worst_col == e / m))
            plant_miss(c, "sign flip", &rep, e % m, e / m);
    }
}

/* 1. entry e off by 1e-4 relative (planted even where J_e is 0: the
 * caller skips those it does not want) */
static void plant_entry(const plant_ctx *c, size_t e)
{
    size_t n = c->p->n, m = c->p->m;
    double *W = c->W;
    dj_check_report rep;
    memcpy(W, c->J, m * n * sizeof *W);
    W[e] *= 1 + 1e-4;
    if (!plant_count(1, c->check(&c->p->F, c->x, W, m, &rep) == DJ_ECHECK
                            && rep.worst_row == e % m && rep.worst_col == e / m))
        plant_miss(c, "1e-4 entry", &rep, e % m, e / m);
}

/* 2. two columns swapped: the pair that differs most (n >= 2) */
static void plant_swap(const plant_ctx *c)
{
    size_t n = c->p->n, m = c->p->m;
    const double *J = c->J;
    double *W = c->W;
    if (n < 2)
        return;
    size_t c1 = 0, c2 = 1;
    double dmax = -1;
    for (size_t a = 0; a < n; ++a)
        for (size_t b = a + 1; b < n; ++b) {
            double d = 0;
            for (size_t i = 0; i < m; ++i)
                d = fmax(d, fabs(J[i + a * m] - J[i + b * m]));
            if (d > dmax) {
                dmax = d;
                c1 = a;
                c2 = b;
            }
        }
    if (dmax > 0) {
        dj_check_report rep;
        memcpy(W, J, m * n * sizeof *W);
        for (size_t i = 0; i < m; ++i) {
            W[i + c1 * m] = J[i + c2 * m];
            W[i + c2 * m] = J[i + c1 * m];
        }
        if (!plant_count(2, c->check(&c->p->F, c->x, W, m, &rep) == DJ_ECHECK
                                && (rep.worst_col == c1 || rep.worst_col == c2)
                                && W[rep.worst_row + rep.worst_col * m]
                                       != J[rep.worst_row + rep.worst_col * m]))
            plant_miss(c, "column swap", &rep, 0, c1);
    }
}

/* 3. transposed, on square problems whose Jacobian is not symmetric */
static void plant_transpose(const plant_ctx *c)
{
    size_t n = c->p->n, m = c->p->m;
    const double *J = c->J;
    double *W = c->W;
    if (m != n)
        return;
    double asym = 0;
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j)
            asym = fmax(asym, fabs(J[i + j * m] - J[j + i * m]));
    if (asym > 0) {
        dj_check_report rep;
        for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < n; ++j)
                W[i + j * m] = J[j + i * m];
        size_t r = 0, cc = 0;
        if (!plant_count(3, c->check(&c->p->F, c->x, W, m, &rep) == DJ_ECHECK
                                && (r = rep.worst_row, cc = rep.worst_col, r != cc)
                                && J[r + cc * m] != J[cc + r * m]))
            plant_miss(c, "transpose", &rep, 0, 0);
    }
}

/* 4. the whole Jacobian scaled by 1 + 1e-6, caught at any entry; where
 * min_ratio > 0 the worst entry must also be out of tolerance by more than
 * that (a check far tighter than 1e-6 should not fail it narrowly). W is
 * left scaled, for the caller to try other checks on. */
static void plant_scale(const plant_ctx *c, double min_ratio)
{
    size_t n = c->p->n, m = c->p->m;
    double *W = c->W;
    dj_check_report rep;
    for (size_t e = 0; e < m * n; ++e)
        W[e] = c->J[e] * (1 + 1e-6);
    if (!plant_count(4, c->check(&c->p->F, c->x, W, m, &rep) == DJ_ECHECK && rep.n_fail > 0
                            && (min_ratio <= 0 || rep.worst_ratio > min_ratio)
                            && W[rep.worst_row + rep.worst_col * m] != 0))
        plant_miss(c, "1e-6 scaling", &rep, 0, 0);
}

/* The checker suites' function with known derivatives,
 * y_0 = exp(x_0) sin(x_1), y_1 = log(1 + x_0^2) / x_1, y_2 = atan(x_0 x_1)
 * (each suite writes f in its own form): its Jacobian by hand. */
static void known_jac(const double *x, double *J)   /* 3-by-2, ld 3 */
{
    double a = x[0], b = x[1], t = 1 + a * a * b * b;
    J[0] = exp(a) * sin(b);
    J[3] = exp(a) * cos(b);
    J[1] = 2 * a / ((1 + a * a) * b);
    J[4] = -log(1 + a * a) / (b * b);
    J[2] = b / t;
    J[5] = a / t;
}

#endif
