/* linalg_ops.h - programs and shapes shared by the forward (test_linalg.c)
 * and reverse (test_linalg_rev.c) suites of the LU/Cholesky operations. */
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

#endif
