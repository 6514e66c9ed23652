/* decomp_ops.h - test matrices, sizes and shapes, and programs shared by the
 * forward (test_decomp.c) and reverse (test_decomp_rev.c) suites of the
 * decompositions. Each builder draws from the caller's seed in a fixed
 * order, so a suite's random sequence is that of the code it replaced. */
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
/* The transpose-aware form: m-by-n of either orientation, the transpose of
 * an n-by-m separated matrix when m < n. */
static void svd_separated_any(uint64_t *seed, double *a, size_t m, size_t n, double scale)
{
    if (m >= n) {
        svd_separated(seed, a, m, n, scale);
        return;
    }
    double *t = malloc(m * n * sizeof *t);
    svd_separated(seed, t, n, m, scale);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < m; ++i)
            a[i + j * m] = t[j + i * n];
    free(t);
}
/* A symmetric matrix with the spectrum d: Q diag(d) Q^T with Q a product of
 * three reflectors (dense). */
static void sym_known(uint64_t *seed, double *a, size_t n, const double *d)
{
    double *q = calloc(n * n, sizeof *q);
    for (size_t i = 0; i < n; ++i)
        q[i + i * n] = 1;
    for (int t = 0; t < 3; ++t)
        reflect(seed, q, n, n, 0);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i) {
            double s = 0;
            for (size_t k = 0; k < n; ++k)
                s += q[i + k * n] * d[k] * q[j + k * n];
            a[i + j * n] = s;
        }
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < j; ++i)
            a[i + j * n] = a[j + i * n];
    free(q);
}
/* symmetric, eigenvalues about i - n/2 + 0.25 (gaps near 1), dense */
static void sym_test_matrix(uint64_t *seed, double *a, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; ++i)
        d[i] = (double)i - (double)n / 2 + 0.25 + 0.1 * dj_test_rand(seed, 0, 1);
    sym_known(seed, a, n, d);
    free(d);
}
/* m-by-n uniform in [-1, 1] plus a strong alternating diagonal +-n: well
 * conditioned, full column rank (for QR). */
static void qr_test_matrix(uint64_t *seed, double *a, size_t m, size_t n)
{
    mc_rand(seed, a, m * n, -1, 1);
    for (size_t j = 0; j < n; ++j)
        a[j + j * m] += (double)n * (j % 2 ? -1 : 1);
}
/* n-by-n uniform in [-1, 1], scaled to the 1-norm r (for expm: r selects
 * the Pade degree and the scaling). */
static void rand_norm1(uint64_t *seed, double *a, size_t n, double r)
{
    double nrm = 0;
    mc_rand(seed, a, n * n, -1, 1);
    for (size_t j = 0; j < n; ++j) {
        double cs = 0;
        for (size_t i = 0; i < n; ++i)
            cs += fabs(a[i + j * n]);
        nrm = fmax(nrm, cs);
    }
    for (size_t i = 0; i < n * n; ++i)
        a[i] *= r / nrm;
}

/* The sizes and shapes both suites run: eigh and expm orders, the 1-norms
 * of the expm inputs (each Pade degree 3, 5, 7, 9, 13, and several
 * scalings), the QR and SVD shapes (m >= n), the norms' shapes (wide too). */
static const size_t dec_ns[] = { 1, 2, 5, 16, 32 };
#define DEC_NNS (sizeof dec_ns / sizeof *dec_ns)
static const double expm_norms[] = { 0.01, 0.2, 0.8, 1.9, 4.5, 20.0, 60.0 };
#define NEXPM_NORMS (sizeof expm_norms / sizeof *expm_norms)
static const size_t qr_shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 32, 32 }, { 64, 16 }, { 9, 1 } };
#define NQR_SHAPES (sizeof qr_shapes / sizeof *qr_shapes)
static const size_t svd_shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 32, 32 }, { 64, 16 }, { 6, 1 } };
#define NSVD_SHAPES (sizeof svd_shapes / sizeof *svd_shapes)
static const size_t norm_shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 3, 7 }, { 32, 32 },
                                         { 64, 16 }, { 16, 64 }, { 1, 6 } };
#define NNORM_SHAPES (sizeof norm_shapes / sizeof *norm_shapes)

/* Programs with one output each of eigh, qr and svd (the others asked for
 * or not), and the norms. */
typedef struct { const char *name; mc_prog f; } prog_entry;
static dj_mat *p_eig_vals(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_eigh(c, in[0], NULL); }
static dj_mat *p_eig_vals_v(dj_ctx *c, dj_mat **in, void *u)   /* V asked, unused */
{
    (void)u;
    dj_mat *V;
    return dj_mat_eigh(c, in[0], &V);
}
static dj_mat *p_eig_vecs(dj_ctx *c, dj_mat **in, void *u)     /* lam unused */
{
    (void)u;
    dj_mat *V = NULL;
    return dj_mat_eigh(c, in[0], &V) ? V : NULL;
}
static dj_mat *p_qr_q(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_qr(c, in[0], NULL); }
static dj_mat *p_qr_q_r(dj_ctx *c, dj_mat **in, void *u)       /* R asked, unused */
{
    (void)u;
    dj_mat *R;
    return dj_mat_qr(c, in[0], &R);
}
static dj_mat *p_qr_r(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *R = NULL;
    return dj_mat_qr(c, in[0], &R) ? R : NULL;
}
static dj_mat *p_svd_s(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_svd(c, in[0], NULL, NULL); }
static dj_mat *p_svd_s_uv(dj_ctx *c, dj_mat **in, void *u)     /* U, V asked, unused */
{
    (void)u;
    dj_mat *U, *V;
    return dj_mat_svd(c, in[0], &U, &V);
}
static dj_mat *p_svd_u(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *U = NULL;
    return dj_mat_svd(c, in[0], &U, NULL) ? U : NULL;
}
static dj_mat *p_svd_v(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *V = NULL;
    return dj_mat_svd(c, in[0], NULL, &V) ? V : NULL;
}
static dj_mat *p_svd_uv_u(dj_ctx *c, dj_mat **in, void *u)     /* both asked, U out */
{
    (void)u;
    dj_mat *U = NULL, *V = NULL;
    return dj_mat_svd(c, in[0], &U, &V) ? U : NULL;
}
static dj_mat *p_svd_uv_v(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *U = NULL, *V = NULL;
    return dj_mat_svd(c, in[0], &U, &V) ? V : NULL;
}
static dj_mat *p_norm2(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_norm_2(c, in[0]); }
static dj_mat *p_expm(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_expm(c, in[0]); }
static dj_mat *p_fro(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_norm_fro(c, in[0]); }
static dj_mat *p_nuc(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_norm_nuc(c, in[0]); }

#endif
