/* linalg_ops.h - programs, shapes and test matrices shared by the forward
 * (test_linalg.c) and reverse (test_linalg_rev.c) suites of the LU/Cholesky
 * operations. Each builder draws from the caller's seed in a fixed order, so
 * a suite's random sequence is that of the code it replaced. */
#ifndef DJ_LINALG_OPS_H
#define DJ_LINALG_OPS_H

#include "mat_check.h"

typedef struct { int upper, trans, unit; } tri_opts;
static dj_mat *p_inv(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_inv(c, in[0]); }
static dj_mat *p_solve(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_solve(c, in[0], in[1]); }
static dj_mat *p_det(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_det(c, in[0]); }
static dj_mat *p_logdet(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_logdet(c, in[0], NULL); }
static dj_mat *p_chol(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_chol(c, in[0]); }
static dj_mat *p_cholsolve(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_cholsolve(c, in[0], in[1]); }
/* chol then cholsolve: the composition (L L^T)^-1 B = A^-1 B */
static dj_mat *p_chol_solve(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_cholsolve(c, dj_mat_chol(c, in[0]), in[1]);
}
static dj_mat *p_trisolve(dj_ctx *c, dj_mat **in, void *u)
{
    tri_opts *o = u;
    return dj_mat_trisolve(c, in[0], in[1], o->upper, o->trans, o->unit);
}
/* The kinds of a two-input check: both inputs vary, A constant, B constant. */
static const char *kind_name[] = { "both vary", "A const", "B const" };
/* Shapes of B for an n-by-n A: one column, tall (fewer columns than rows),
 * square, wide. */
static size_t bcols(size_t n, int which)
{
    switch (which) {
    case 0: return 1;
    case 1: return n > 2 ? n / 2 : 2;
    case 2: return n;
    default: return 2 * n + 1;
    }
}

/* ---- test matrices (all well conditioned, from mc_wellcond) ---------------- */

/* mc_wellcond's general matrix with its first column negated (n > 1): a
 * negative determinant, for det and logdet's sign. */
static void wellcond_negdet(uint64_t *seed, double *a, size_t n)
{
    mc_wellcond(seed, a, n, 0);
    if (n > 1)
        for (size_t i = 0; i < n; ++i)
            a[i] = -a[i];
}
/* Random numbers in [-1, 1] above the diagonal of the n-by-n a: garbage an
 * op that reads the lower triangle (chol, cholsolve's L) must not see. */
static void rand_upper(uint64_t *seed, double *a, size_t n)
{
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < j; ++i)
            a[i + j * n] = dj_test_rand(seed, -1, 1);
}
/* A full random n-by-n t for trisolve (the other triangle must not be
 * read) whose triangle is well conditioned: a dominant diagonal n + 1, or
 * for a unit triangle off-diagonal entries scaled down by n and a diagonal
 * of 7 (not read: 7 would show). */
static void tri_test_matrix(uint64_t *seed, double *t, size_t n, int unit)
{
    mc_rand(seed, t, n * n, -1, 1);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i) {
            if (i == j)
                t[i + j * n] = unit ? 7.0 : (double)n + 1.0;
            else if (unit)
                t[i + j * n] /= (double)n;
        }
}
/* Singular matrices for det (the adjugate): rank n-1 with a zero last row
 * (one zero pivot, the last) or a zero middle column (a zero pivot not the
 * last); a superdiagonal (Jordan-like) block, rank n-1 with several zero
 * pivots (n >= 2); rank n-2 with the last two rows zero (n >= 3), where the
 * derivative is zero. */
static void det_zero_row(uint64_t *seed, double *a, size_t n)
{
    mc_wellcond(seed, a, n, 0);
    for (size_t j = 0; j < n; ++j)
        a[n - 1 + j * n] = 0;
}
static void det_zero_column(uint64_t *seed, double *a, size_t n)
{
    mc_wellcond(seed, a, n, 0);
    for (size_t i = 0; i < n; ++i)
        a[i + (n / 2) * n] = 0;
}
static void det_jordan(double *a, size_t n)
{
    memset(a, 0, n * n * sizeof *a);
    for (size_t i = 0; i + 1 < n; ++i)
        a[i + (i + 1) * n] = 1.0 + 0.25 * (double)i;      /* superdiagonal */
}
static void det_rank_n2(uint64_t *seed, double *a, size_t n)
{
    mc_wellcond(seed, a, n, 0);
    for (size_t j = 0; j < n; ++j)
        a[n - 1 + j * n] = a[n - 2 + j * n] = 0;
}
/* The orders of test_det_singular (both suites). */
static const size_t det_singular_ns[] = { 1, 2, 4, 9, 20 };
#define NDET_SINGULAR (sizeof det_singular_ns / sizeof *det_singular_ns)

#endif
