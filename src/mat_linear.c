/* mat_linear.c - linear matrix operations: scaling, axpy, reductions, dot,
 * matrix products. Each acts on the tangent blocks as on the values (for
 * products, by the product rule). */
#include <limits.h>
#include <string.h>
#include <cblas.h>
#include "mat_internal.h"

/* ---- adjoint rules ---------------------------------------------------------- */

/* scale: Ab += s Yb; axpy Z = a X + Y: Xb += a Zb, Yb += Zb. */
static void bw_scale(dj_ctx *c, const dj_tape_entry_ *e)
{
    size_t n = dj_numel_(e->out) * c->p;
    for (int t = 0; t < 2; ++t) {
        double *xb = dj_adj_(c, e->in[t]);
        double f = t == 0 ? e->s : 1.0;
        if (xb)
            for (size_t i = 0; i < n; ++i)
                xb[i] += f * e->out->adj[i];
    }
}

/* The reductions (z[0] = how, as in reduce()), scaled by s. */
static void bw_reduce(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    size_t r = A->rows, cc = A->cols, n = r * cc, ny = dj_numel_(e->out);
    for (size_t k = 0; k < c->p; ++k) {
        const double *yb = e->out->adj + k * ny;
        double *a = ab + k * n;
        switch (e->z[0]) {
        case 0:
            for (size_t i = 0; i < n; ++i)
                a[i] += e->s * yb[0];
            break;
        case 1:
            for (size_t j = 0; j < cc; ++j)
                for (size_t i = 0; i < r; ++i)
                    a[i + j * r] += e->s * yb[j];
            break;
        case 2:
            for (size_t j = 0; j < cc; ++j)
                for (size_t i = 0; i < r; ++i)
                    a[i + j * r] += e->s * yb[i];
            break;
        default:
            for (size_t i = 0; i < r; ++i)
                a[i + i * r] += e->s * yb[0];
        }
    }
}

/* <A, B>: Ab_k += yb_k B, Bb_k += yb_k A. */
static void bw_dot(dj_ctx *c, const dj_tape_entry_ *e)
{
    size_t n = dj_numel_(e->in[0]);
    for (int t = 0; t < 2; ++t) {
        double *xb = dj_adj_(c, e->in[t]);
        const double *other = e->in[1 - t]->val;
        if (xb == NULL)
            continue;
        for (size_t k = 0; k < c->p; ++k) {
            double yb = e->out->adj[k];
            for (size_t i = 0; i < n; ++i)
                xb[i + k * n] += yb * other[i];
        }
    }
}

dj_mat *dj_mat_scale(dj_ctx *c, const dj_mat *A, double s)
{
    const char *op = "dj_mat_scale";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    dj_mat *B = dj_mat_alloc_(c, A->rows, A->cols, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    for (size_t i = 0; i < n; ++i)
        B->val[i] = s * A->val[i];
    if (B->tan)
        for (size_t i = 0; i < n * c->p; ++i)
            B->tan[i] = s * A->tan[i];
    if (B->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_scale, B, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->s = s;
    }
    return B;
}

dj_mat *dj_mat_axpy(dj_ctx *c, double a, const dj_mat *X, const dj_mat *Y)
{
    const char *op = "dj_mat_axpy";
    if (!DJ_CHECK2_(c, op, X, Y))
        return NULL;
    if (X->rows != Y->rows || X->cols != Y->cols)
        return dj_fail_(c, DJ_EDIM, op, "shapes %zux%zu and %zux%zu differ",
                        X->rows, X->cols, Y->rows, Y->cols);
    dj_mat *Z = dj_mat_alloc_(c, X->rows, X->cols, dj_fwd_(c, X, Y), op);
    if (Z == NULL)
        return NULL;
    size_t n = dj_numel_(X);
    for (size_t i = 0; i < n; ++i)
        Z->val[i] = a * X->val[i] + Y->val[i];
    if (Z->tan) {
        size_t nt = n * c->p;
        if (Y->tan)
            memcpy(Z->tan, Y->tan, nt * sizeof(double));
        else
            memset(Z->tan, 0, nt * sizeof(double));
        if (X->tan)
            for (size_t i = 0; i < nt; ++i)
                Z->tan[i] += a * X->tan[i];
    }
    if (Z->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_scale, Z, X, Y, op);
        if (e == NULL)
            return NULL;
        e->s = a;
    }
    return Z;
}

/* ---- reductions ----------------------------------------------------------- */

/* out[r] = sum over the entries of `src` (rows-by-cols) that map to output r
 * under `how`: 0 all -> 1 output, 1 each column -> cols outputs, 2 each row
 * -> rows outputs, 3 the diagonal -> 1 output. */
static void reduce(double *out, const double *src, size_t rows, size_t cols, int how)
{
    switch (how) {
    case 0: {
        double s = 0;
        for (size_t i = 0; i < rows * cols; ++i)
            s += src[i];
        out[0] = s;
        break;
    }
    case 1:
        for (size_t j = 0; j < cols; ++j) {
            double s = 0;
            for (size_t i = 0; i < rows; ++i)
                s += src[i + j * rows];
            out[j] = s;
        }
        break;
    case 2:
        for (size_t i = 0; i < rows; ++i)
            out[i] = 0;
        for (size_t j = 0; j < cols; ++j)
            for (size_t i = 0; i < rows; ++i)
                out[i] += src[i + j * rows];
        break;
    default: {
        double s = 0;
        for (size_t i = 0; i < rows; ++i)
            s += src[i + i * rows];
        out[0] = s;
        break;
    }
    }
}

static dj_mat *reduction(dj_ctx *c, const dj_mat *A, int how, double scale, const char *op)
{
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (how == 3 && A->rows != A->cols)
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu is not square", A->rows, A->cols);
    size_t r = how == 2 ? A->rows : 1, cc = how == 1 ? A->cols : 1;
    dj_mat *B = dj_mat_alloc_(c, r, cc, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    if (B->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_reduce, B, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->z[0] = (size_t)how;
        e->s = scale;
    }
    size_t n = dj_numel_(A), nb = r * cc;
    reduce(B->val, A->val, A->rows, A->cols, how);
    if (B->tan)
        for (size_t k = 0; k < c->p; ++k)
            reduce(B->tan + k * nb, A->tan + k * n, A->rows, A->cols, how);
    if (scale != 1.0) {
        for (size_t i = 0; i < nb; ++i)
            B->val[i] *= scale;
        if (B->tan)
            for (size_t i = 0; i < nb * c->p; ++i)
                B->tan[i] *= scale;
    }
    return B;
}

dj_mat *dj_mat_sum(dj_ctx *c, const dj_mat *A) { return reduction(c, A, 0, 1.0, "dj_mat_sum"); }
dj_mat *dj_mat_sum_cols(dj_ctx *c, const dj_mat *A) { return reduction(c, A, 1, 1.0, "dj_mat_sum_cols"); }
dj_mat *dj_mat_sum_rows(dj_ctx *c, const dj_mat *A) { return reduction(c, A, 2, 1.0, "dj_mat_sum_rows"); }
dj_mat *dj_mat_trace(dj_ctx *c, const dj_mat *A) { return reduction(c, A, 3, 1.0, "dj_mat_trace"); }

dj_mat *dj_mat_mean(dj_ctx *c, const dj_mat *A)
{
    if (!DJ_CHECK1_(c, "dj_mat_mean", A))
        return NULL;
    return reduction(c, A, 0, 1.0 / (double)dj_numel_(A), "dj_mat_mean");
}

/* <A, B> = sum A_ij B_ij; d<A, B> = <dA, B> + <A, dB>: one GEMV per side
 * over all p blocks (the blocks are the columns of an n-by-p matrix). */
dj_mat *dj_mat_dot(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    const char *op = "dj_mat_dot";
    if (!DJ_CHECK2_(c, op, A, B))
        return NULL;
    if (A->rows != B->rows || A->cols != B->cols)
        return dj_fail_(c, DJ_EDIM, op, "shapes %zux%zu and %zux%zu differ",
                        A->rows, A->cols, B->rows, B->cols);
    size_t n = dj_numel_(A);
    if (n > (size_t)INT_MAX || c->p > (size_t)INT_MAX)
        return dj_fail_(c, DJ_EDIM, op, "too large for BLAS int sizes");
    dj_mat *D = dj_mat_alloc_(c, 1, 1, dj_fwd_(c, A, B), op);
    if (D == NULL)
        return NULL;
    double s = 0;
    for (size_t i = 0; i < n; ++i)
        s += A->val[i] * B->val[i];
    D->val[0] = s;
    if (D->on_tape && dj_tape_push_(c, bw_dot, D, A, B, op) == NULL)
        return NULL;
    if (D->tan) {
        double beta = 0.0;
        if (A->tan) {
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)c->p, 1.0, A->tan, (int)n,
                        B->val, 1, 0.0, D->tan, 1);
            beta = 1.0;
        }
        if (B->tan)
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)c->p, 1.0, B->tan, (int)n,
                        A->val, 1, beta, D->tan, 1);
    }
    return D;
}

/* ---- products ------------------------------------------------------------- */

/* BLAS takes int sizes: everything a product touches must fit. */
static int fits_int(size_t a, size_t b)
{
    return a <= (size_t)INT_MAX && b <= (size_t)INT_MAX;
}

/* C = op(A) op(B) (z[0] = transA, z[1] = transB).
 * Ab: A = op(A) plain: Ab_k += Cb_k op(B)^T; transposed: Ab_k += op(B) Cb_k^T
 *     (one GEMM per block: a right multiplication of the blocks).
 * Bb: B plain: Bb_k += op(A)^T Cb_k for all k in ONE GEMM (the blocks of Cb
 *     side by side); transposed: Bb_k += Cb_k^T op(A). */
static void bw_matmul(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0], *B = e->in[1], *C = e->out;
    int ta = (int)e->z[0], tb = (int)e->z[1];
    size_t m = C->rows, n = C->cols, k = ta ? A->rows : A->cols, q = c->p;
    size_t na = dj_numel_(A), nb = dj_numel_(B), nc = m * n;
    int lda = (int)A->rows, ldb = (int)B->rows;
    double *ab = dj_adj_(c, A), *bb = dj_adj_(c, B);
    if (ab)
        for (size_t r = 0; r < q; ++r) {
            if (!ta)
                cblas_dgemm(CblasColMajor, CblasNoTrans, tb ? CblasNoTrans : CblasTrans,
                            (int)m, (int)k, (int)n, 1.0, C->adj + r * nc, (int)m, B->val, ldb,
                            1.0, ab + r * na, lda);
            else
                cblas_dgemm(CblasColMajor, tb ? CblasTrans : CblasNoTrans, CblasTrans,
                            (int)k, (int)m, (int)n, 1.0, B->val, ldb, C->adj + r * nc, (int)m,
                            1.0, ab + r * na, lda);
        }
    if (bb) {
        if (!tb)
            cblas_dgemm(CblasColMajor, ta ? CblasNoTrans : CblasTrans, CblasNoTrans, (int)k,
                        (int)(n * q), (int)m, 1.0, A->val, lda, C->adj, (int)m, 1.0, bb, ldb);
        else
            for (size_t r = 0; r < q; ++r)
                cblas_dgemm(CblasColMajor, CblasTrans, ta ? CblasTrans : CblasNoTrans, (int)n,
                            (int)k, (int)m, 1.0, C->adj + r * nc, (int)m, A->val, lda, 1.0,
                            bb + r * nb, ldb);
    }
}

dj_mat *dj_mat_matmul(dj_ctx *c, const dj_mat *A, int transA, const dj_mat *B, int transB)
{
    const char *op = "dj_mat_matmul";
    if (!DJ_CHECK2_(c, op, A, B))
        return NULL;
    size_t m = transA ? A->cols : A->rows, k = transA ? A->rows : A->cols;
    size_t kb = transB ? B->cols : B->rows, n = transB ? B->rows : B->cols;
    if (k != kb)
        return dj_fail_(c, DJ_EDIM, op, "inner dimensions differ: %zux%zu%s times %zux%zu%s",
                        A->rows, A->cols, transA ? "^T" : "", B->rows, B->cols,
                        transB ? "^T" : "");
    if (!fits_int(m, n) || !fits_int(k, A->rows) || !fits_int(B->rows, c->p + 1)
        || dj_mul_overflows_(n, c->p + 1) || !fits_int(k, n * (c->p + 1)))
        return dj_fail_(c, DJ_EDIM, op, "too large for BLAS int sizes");
    dj_mat *C = dj_mat_alloc_(c, m, n, dj_fwd_(c, A, B), op);
    if (C == NULL)
        return NULL;
    enum CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
    int M = (int)m, N = (int)n, K = (int)k, lda = (int)A->rows, ldb = (int)B->rows;
    size_t p = c->p, na = dj_numel_(A), nb = dj_numel_(B), nc = m * n;
    double beta = 0.0;
    /* the values by their own GEMM, in every mode: one GEMM over values and
       tangents side by side ([B | dB_1 .. dB_p], which the storage allows)
       rounds the values differently from the primal's call (OpenBLAS picks
       kernels by shape), and values must not depend on the mode */
    if (N == 1)          /* a matrix-vector product: GEMV streams A once, faster */
        cblas_dgemv(CblasColMajor, ta, (int)A->rows, (int)A->cols, 1.0, A->val, lda, B->val,
                    transB ? ldb : 1, 0.0, C->val, 1);
    else
        cblas_dgemm(CblasColMajor, ta, tb, M, N, K, 1.0, A->val, lda, B->val, ldb, 0.0,
                    C->val, M);
    if (C->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_matmul, C, A, B, op);
        if (e == NULL)
            return NULL;
        e->z[0] = (size_t)(transA != 0);
        e->z[1] = (size_t)(transB != 0);
    }
    if (C->tan == NULL)
        return C;
    if (B->tan && B->seeded && !transB) {
        /* seeded B: dB_k = E_k (1 at (i, j)), so op(A) E_k is column i of
           op(A) placed in column j: copies instead of a GEMM */
        memset(C->tan, 0, nc * p * sizeof(double));
        for (size_t q = 0; q < p; ++q) {
            ptrdiff_t u = (ptrdiff_t)q + B->seed_off;
            if (u < 0 || (size_t)u >= nb)
                continue;
            size_t i = (size_t)u % B->rows, j = (size_t)u / B->rows;
            double *dst = C->tan + q * nc + j * m;
            if (!transA)
                memcpy(dst, A->val + i * A->rows, m * sizeof(double));
            else
                for (size_t r = 0; r < m; ++r)
                    dst[r] = A->val[i + r * A->rows];
        }
        beta = 1.0;
    } else if (B->tan) {
        if (!transB) {
            /* op(A) [dB_1 .. dB_p]: the blocks side by side are k-by-(n p) */
            cblas_dgemm(CblasColMajor, ta, CblasNoTrans, M, (int)(n * p), K, 1.0, A->val, lda,
                        B->tan, ldb, 0.0, C->tan, M);
        } else {
            for (size_t q = 0; q < p; ++q)
                cblas_dgemm(CblasColMajor, ta, CblasTrans, M, N, K, 1.0, A->val, lda,
                            B->tan + q * nb, ldb, 0.0, C->tan + q * nc, M);
        }
        beta = 1.0;
    }
    if (A->tan && A->seeded && !transA) {
        /* seeded A: E_k op(B) is row j of op(B) placed in row i */
        if (beta == 0.0)
            memset(C->tan, 0, nc * p * sizeof(double));
        for (size_t q = 0; q < p; ++q) {
            ptrdiff_t u = (ptrdiff_t)q + A->seed_off;
            if (u < 0 || (size_t)u >= na)
                continue;
            size_t i = (size_t)u % A->rows, j = (size_t)u / A->rows;
            double *dst = C->tan + q * nc + i;
            for (size_t col = 0; col < n; ++col)
                dst[col * m] += transB ? B->val[col + j * B->rows] : B->val[j + col * B->rows];
        }
    } else if (A->tan) {
        if (n == 1 && !transA) {
            /* op(B) is a column b: dA_q b = sum_j b_j dA_q(:, j), and column j
               of every block, side by side, is an m-by-p matrix with leading
               dimension m k: k GEMV-like sweeps over A's tangents, once each */
            if (beta == 0.0)
                memset(C->tan, 0, nc * p * sizeof(double));
            for (size_t j = 0; j < k; ++j) {
                double bj = B->val[j];      /* op(B) is k-by-1 either way */
                if (bj == 0.0)
                    continue;
                for (size_t q = 0; q < p; ++q) {
                    const double *src = A->tan + q * na + j * m;
                    double *dst = C->tan + q * m;
                    for (size_t i = 0; i < m; ++i)
                        dst[i] += bj * src[i];
                }
            }
        } else {
            for (size_t q = 0; q < p; ++q)
                cblas_dgemm(CblasColMajor, ta, tb, M, N, K, 1.0, A->tan + q * na, lda, B->val,
                            ldb, beta, C->tan + q * nc, M);
        }
    }
    return C;
}

dj_mat *dj_mat_matvec(dj_ctx *c, const dj_mat *A, const dj_mat *x)
{
    const char *op = "dj_mat_matvec";
    if (!DJ_CHECK2_(c, op, A, x))
        return NULL;
    if (x->cols != 1)
        return dj_fail_(c, DJ_EDIM, op, "x is %zux%zu, not a column", x->rows, x->cols);
    return dj_mat_matmul(c, A, 0, x, 0);
}

dj_mat *dj_mat_outer(dj_ctx *c, const dj_mat *x, const dj_mat *y)
{
    const char *op = "dj_mat_outer";
    if (!DJ_CHECK2_(c, op, x, y))
        return NULL;
    if (x->cols != 1 || y->cols != 1)
        return dj_fail_(c, DJ_EDIM, op, "x and y must be columns");
    return dj_mat_matmul(c, x, 0, y, 1);
}
