/* decomp_ops.h - test matrices and programs shared by the forward (test_decomp.c)
 * and reverse (test_decomp_rev.c) suites of the decompositions. */
#ifndef DJ_DECOMP_OPS_H
#define DJ_DECOMP_OPS_H

#include "mat_check.h"

/* a <- H a (side 0) or a H (side 1), H = I - 2 w w^T / (w^T w) of order k;
 * a is r-by-cc. */
static void reflect(uint64_t *seed, double *a, size_t r, size_t cc, int side)
{
    size_t k = side ? cc : r;
    double *w = malloc(k * sizeof *w), ww = 0;
    mc_rand(seed, w, k, -1, 1);
    for (size_t i = 0; i < k; ++i)
        ww += w[i] * w[i];
    if (side == 0)
        for (size_t j = 0; j < cc; ++j) {
            double d = 0;
            for (size_t i = 0; i < r; ++i)
                d += w[i] * a[i + j * r];
            for (size_t i = 0; i < r; ++i)
                a[i + j * r] -= 2 * d / ww * w[i];
        }
    else
        for (size_t i = 0; i < r; ++i) {
            double d = 0;
            for (size_t j = 0; j < cc; ++j)
                d += a[i + j * r] * w[j];
            for (size_t j = 0; j < cc; ++j)
                a[i + j * r] -= 2 * d / ww * w[j];
        }
    free(w);
}
/* m-by-n (m >= n) with singular values n, n-1, .., 1 (times scale), dense. */
static void svd_separated(uint64_t *seed, double *a, size_t m, size_t n, double scale)
{
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < m; ++i)
            a[i + j * m] = i == j ? scale * (double)(n - j) : 0.0;
    for (int t = 0; t < 3; ++t) {
        reflect(seed, a, m, n, 0);
        reflect(seed, a, m, n, 1);
    }
}
static dj_mat *p_expm(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_expm(c, in[0]); }
static dj_mat *p_fro(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_norm_fro(c, in[0]); }
static dj_mat *p_nuc(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_norm_nuc(c, in[0]); }

#endif
