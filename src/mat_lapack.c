/* mat_lapack.c - LU, triangular and Cholesky based operations: inverse,
 * solves, determinant, log-determinant, Cholesky factor and solve, with the
 * forward rules of RULES.md.
 *
 * Every factorization works on an arena copy (the arguments are never
 * written); scratch comes from the context's arena. The tangent side runs
 * only when the output has tangents (forward mode and a varying input), and
 * a constant input's term is skipped.
 *
 * Batching. The p tangent blocks of an n-by-m matrix lie side by side as
 * one n-by-(m p) matrix, so anything applied on the LEFT of every block is
 * one wide BLAS/LAPACK call: getrs/potrs/trsm with m p right-hand sides,
 * C [W_1 .. W_p] as one GEMM, L [..] as one trmm; det and logdet contract
 * all p flattened blocks with one GEMV. A product on the RIGHT of varying
 * blocks (dA_k X, dA_k C, tri(dT_k) X) cannot be one call in that layout;
 * blocks_times makes one GEMM (GEMV, or trmm on a triangle) per block. The
 * alternative, copying the blocks into their vertical stack [S_1; ..; S_p]
 * ((n p)-by-n) for one GEMM and copying the result back, was measured
 * slower here (OpenBLAS, one thread, p = 16: 0.45 vs 0.37 us at n = 4,
 * 34 vs 20 us at n = kc = 32, 162 vs 41 us at n = 128, kc = 4): the copies
 * double the memory traffic and a small GEMM call costs little. The
 * Cholesky rule needs no per-block product: X_k = L^-1 dA_k L^-T is
 * symmetric, so X_k = L^-1 (L^-1 dA_k)^T: two wide trsm with
 * an in-place transpose of each block between them.
 *
 * Reverse mode. When the result is on the tape, each op records an entry
 * whose rule (bw_*, RULES.md) adds J^T (result adjoint) into its arguments'
 * adjoints for all q adjoint blocks at once. The entry keeps what the
 * primal computed (the LU factors and pivots, the inverse, the Cholesky
 * factor, the solution; all in the arena until the reset): the sweep never
 * factors again. The q adjoint blocks lie side by side like the tangents,
 * so the left solves and products are one wide call (getrs 'T', trsm,
 * potrs, trmm, C^T [..]) and the right products one GEMM per block. An
 * argument's adjoint covers exactly what the forward rule reads: the
 * triangle for trisolve/cholsolve (strict when unit), and for chol the
 * lower triangle of A with the off-diagonal entries doubled (see bw_chol). */
#include <limits.h>
#include <math.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dualjac/linalg.h"
#include "mat_internal.h"

#define COLM_ LAPACK_COL_MAJOR

/* ---- helpers ----------------------------------------------------------------- */

static int int_fits(size_t a) { return a <= (size_t)INT_MAX; }

/* Everything BLAS/LAPACK will see as an int: n, kc, p (tangent or adjoint
 * blocks), the wide calls' kc p and n p columns and (flat) the n^2-long
 * vectors that det and logdet
 * contract with one GEMV. */
static int sizes_ok(dj_ctx *c, const char *op, size_t n, size_t kc, int flat)
{
    size_t p = c->mode == DJ_MODE_PRIMAL ? 1 : c->p;   /* tangent or adjoint blocks */
    if (!int_fits(n) || !int_fits(kc) || !int_fits(p) || dj_mul_overflows_(n, p)
        || !int_fits(n * p)
        || dj_mul_overflows_(kc, p) || !int_fits(kc * p)
        || (flat && (dj_mul_overflows_(n, n) || !int_fits(n * n)))) {
        dj_fail_(c, DJ_EDIM, op, "%zux%zu is too large for BLAS/LAPACK int sizes", n, kc);
        return 0;
    }
    return 1;
}

/* Rows [*lo, *hi) of column j of an n-by-n matrix inside the part read:
 * uplo 0 everything, 'L' the lower, 'U' the upper triangle; strict leaves
 * the diagonal out. */
static void col_range(int uplo, int strict, size_t n, size_t j, size_t *lo, size_t *hi)
{
    if (uplo == 'L') {
        *lo = j + (strict ? 1 : 0);
        *hi = n;
    } else if (uplo == 'U') {
        *lo = 0;
        *hi = j + (strict ? 0 : 1);
    } else {
        *lo = 0;
        *hi = n;
    }
}

/* Are all entries of the part read finite (rows-by-cols, ld rows)? */
static int all_finite(const double *a, size_t rows, size_t cols, int uplo, int strict)
{
    for (size_t j = 0; j < cols; ++j) {
        size_t lo, hi;
        col_range(uplo, strict, rows, j, &lo, &hi);
        for (size_t i = lo; i < hi; ++i)
            if (!isfinite(a[i + j * rows]))
                return 0;
    }
    return 1;
}

static void *scratch(dj_ctx *c, size_t count, size_t size, const char *op)
{
    if (dj_mul_overflows_(count, size)) {
        dj_fail_(c, DJ_EDIM, op, "scratch size overflows");
        return NULL;
    }
    return dj_ctx_alloc_(c, count * size, op);
}

static int need_square(dj_ctx *c, const char *op, const dj_mat *A, const char *name)
{
    if (A->rows != A->cols) {
        dj_fail_(c, DJ_EDIM, op, "%s is %zux%zu, not square", name, A->rows, A->cols);
        return 0;
    }
    return 1;
}

/* The arguments of a solve: M square (named name), B with as many rows,
 * and sizes BLAS and LAPACK can take. Returns 1 when they are. */
static int solve_args(dj_ctx *c, const char *op, const dj_mat *M, const char *name,
                      const dj_mat *B)
{
    if (!need_square(c, op, M, name))
        return 0;
    if (B->rows != M->rows) {
        dj_fail_(c, DJ_EDIM, op, "%s is %zux%zu but B is %zux%zu", name, M->rows, M->cols,
                 B->rows, B->cols);
        return 0;
    }
    return sizes_ok(c, op, M->rows, B->cols, 0);
}

/* LU (getrf) of a copy of the square A: *lu and *ipiv in the arena.
 * Returns getrf's info (0, or > 0: U(info, info) is exactly zero), or -1
 * after recording a failure (non-finite entry, memory, LAPACK error). */
static int lu_factor(dj_ctx *c, const dj_mat *A, double **lu, lapack_int **ipiv, const char *op)
{
    size_t n = A->rows;
    if (!all_finite(A->val, n, n, 0, 0)) {
        dj_fail_(c, DJ_ENONFINITE, op, "the matrix to factor has a NaN or Inf entry");
        return -1;
    }
    double *f = scratch(c, n * n, sizeof(double), op);
    lapack_int *piv = scratch(c, n, sizeof(lapack_int), op);
    if (f == NULL || piv == NULL)
        return -1;
    memcpy(f, A->val, n * n * sizeof(double));
    lapack_int N = (lapack_int)n;
    lapack_int info = LAPACKE_dgetrf_work(COLM_, N, N, f, N, piv);
    if (info < 0) {
        dj_fail_(c, DJ_ELAPACK, op, "dgetrf: info %d", (int)info);
        return -1;
    }
    *lu = f;
    *ipiv = piv;
    return (int)info;
}

/* lu_factor for an operation that needs A invertible: 1 when A is, else 0
 * with the failure recorded (DJ_ESINGULAR for an exactly zero pivot). */
static int lu_nonsingular(dj_ctx *c, const dj_mat *A, double **lu, lapack_int **ipiv,
                          const char *op)
{
    int info = lu_factor(c, A, lu, ipiv, op);
    if (info > 0)
        dj_fail_(c, DJ_ESINGULAR, op, "A is singular (U(%d,%d) = 0)", info, info);
    return info == 0;
}

/* det P of getrf's row interchanges: +1 or -1. */
static double perm_sign(const lapack_int *ipiv, size_t n)
{
    double s = 1.0;
    for (size_t i = 0; i < n; ++i)
        if (ipiv[i] != (lapack_int)(i + 1))
            s = -s;
    return s;
}

/* A^-1 in place from getrf's factors (getri, workspace from the arena). */
static int inverse_in_place(dj_ctx *c, double *a, size_t n, const lapack_int *ipiv,
                            const char *op)
{
    lapack_int N = (lapack_int)n;
    double q = 0;
    lapack_int info = LAPACKE_dgetri_work(COLM_, N, a, N, ipiv, &q, -1);
    if (info != 0) {
        dj_fail_(c, DJ_ELAPACK, op, "dgetri workspace query: info %d", (int)info);
        return 0;
    }
    size_t lw = q > (double)n ? (size_t)q : n;
    if (!int_fits(lw))
        lw = n;
    double *work = scratch(c, lw, sizeof(double), op);
    if (work == NULL)
        return 0;
    info = LAPACKE_dgetri_work(COLM_, N, a, N, ipiv, work, (lapack_int)lw);
    if (info != 0) {
        dj_fail_(c, info > 0 ? DJ_ESINGULAR : DJ_ELAPACK, op, "dgetri: info %d", (int)info);
        return 0;
    }
    return 1;
}

/* D_k = beta D_k + alpha op(S_k) M for the p n-by-n blocks S_k of S
 * (tangent-major), masked to the part read (uplo 'L'/'U': that triangle,
 * without its diagonal when strict; 0: all), op = transpose when trans; M is
 * n-by-kc, D_k the n-by-kc blocks of D. beta == 0 does not read D. A
 * product on the right of varying blocks: one call per block (see the file
 * comment). Whole blocks: GEMM (GEMV for one column) straight into D_k.
 * Triangles: trmm (trmv) of a copy of M, which reads only the triangle, so
 * the mask costs no copy of S_k; a strict triangle is trmm with a unit
 * diagonal minus M. Returns 0 after recording a failure. */
static int blocks_times(dj_ctx *c, double *D, double beta, double alpha, const double *S,
                        int uplo, int strict, int trans, size_t p, size_t n,
                        const double *M, size_t kc, const char *op)
{
    size_t nn = n * n, nk = n * kc;
    int N = (int)n, K = (int)kc;
    enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
    if (uplo == 0) {
        for (size_t k = 0; k < p; ++k) {
            if (kc == 1)
                cblas_dgemv(CblasColMajor, tr, N, N, alpha, S + k * nn, N, M, 1, beta,
                            D + k * n, 1);
            else
                cblas_dgemm(CblasColMajor, tr, CblasNoTrans, N, K, N, alpha, S + k * nn, N, M,
                            N, beta, D + k * nk, N);
        }
        return 1;
    }
    double *W = scratch(c, nk, sizeof(double), op);
    if (W == NULL)
        return 0;
    enum CBLAS_UPLO ul = uplo == 'U' ? CblasUpper : CblasLower;
    enum CBLAS_DIAG dg = strict ? CblasUnit : CblasNonUnit;
    for (size_t k = 0; k < p; ++k) {
        memcpy(W, M, nk * sizeof(double));
        if (kc == 1)
            cblas_dtrmv(CblasColMajor, ul, tr, dg, N, S + k * nn, N, W, 1);
        else
            cblas_dtrmm(CblasColMajor, CblasLeft, ul, tr, dg, N, K, 1.0, S + k * nn, N, W, N);
        double *d = D + k * nk;
        if (strict)
            for (size_t i = 0; i < nk; ++i)
                W[i] -= M[i];
        if (beta == 0.0)
            for (size_t i = 0; i < nk; ++i)
                d[i] = alpha * W[i];
        else
            for (size_t i = 0; i < nk; ++i)
                d[i] = beta * d[i] + alpha * W[i];
    }
    return 1;
}

/* ---- the sweep's helpers ------------------------------------------------------- */

/* Where a rule's scratch and failures in the sweep are charged. */
#define BW_OP_ "dj_ctx_backward"

/* A copy of the q adjoint blocks of Y (n-by-(kc q) side by side), for a
 * wide call to work on in place. */
static double *adj_copy(dj_ctx *c, const dj_mat *Y)
{
    size_t n = dj_numel_(Y) * c->p;
    double *W = scratch(c, n, sizeof(double), BW_OP_);
    if (W)
        memcpy(W, Y->adj, n * sizeof(double));
    return W;
}

/* dst += src over all q blocks (n entries in all). */
static void add_into(double *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        dst[i] += src[i];
}

/* D += alpha * the part of the n-by-n F read by the forward rule: uplo 0
 * all, 'L'/'U' that triangle, strict without the diagonal (col_range). */
static void add_part(double *D, double alpha, const double *F, size_t n, int uplo, int strict)
{
    for (size_t j = 0; j < n; ++j) {
        size_t lo, hi;
        col_range(uplo, strict, n, j, &lo, &hi);
        for (size_t i = lo; i < hi; ++i)
            D[i + j * n] += alpha * F[i + j * n];
    }
}

/* ---- inverse and solves ----------------------------------------------------- */

/* Adjoint of C = A^-1: Ab_k += -C^T Cb_k C^T. The left product W = C^T [Cb_1
 * .. Cb_q] is one GEMM over all blocks; the right product by C^T one GEMM
 * per block, accumulated straight into Ab_k. */
static void bw_inv(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *C = e->out;
    double *ab = dj_adj_(c, e->in[0]);
    if (ab == NULL)
        return;
    size_t n = C->rows, nn = n * n, q = c->p;
    int N = (int)n;
    double *W = scratch(c, nn * q, sizeof(double), BW_OP_);
    if (W == NULL)
        return;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, N, (int)(n * q), N, 1.0, C->val, N,
                C->adj, N, 0.0, W, N);
    for (size_t k = 0; k < q; ++k)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, N, N, N, -1.0, W + k * nn, N,
                    C->val, N, 1.0, ab + k * nn, N);
}

/* C = A^-1: getrf + getri. dC_k = -C dA_k C: the right products W_k =
 * dA_k C, one GEMM per block (blocks_times), then the left product by -C as
 * ONE GEMM over the n-by-(n p) [W_1 .. W_p]. */
dj_mat *dj_mat_inv(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_inv";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!need_square(c, op, A, "A"))
        return NULL;
    size_t n = A->rows;
    if (!sizes_ok(c, op, n, n, 0))
        return NULL;
    double *lu;
    lapack_int *ipiv;
    if (!lu_nonsingular(c, A, &lu, &ipiv, op))
        return NULL;
    dj_mat *C = dj_mat_alloc_(c, n, n, dj_fwd_(c, A, NULL), op);
    if (C == NULL)
        return NULL;
    memcpy(C->val, lu, n * n * sizeof(double));
    if (!inverse_in_place(c, C->val, n, ipiv, op))
        return NULL;
    if (C->on_tape && dj_tape_push_(c, bw_inv, C, A, NULL, op) == NULL)
        return NULL;        /* the rule needs only C */
    if (C->tan && A->seeded) {
        /* seeded A (dA_k = E_k, 1 at (i, j)): dC_k = -C E_k C = -C(:, i) C(j, :),
           one outer product per block instead of two GEMMs */
        size_t p = c->p, nn = n * n;
        for (size_t q = 0; q < p; ++q) {
            double *dst = C->tan + q * nn;
            ptrdiff_t u = (ptrdiff_t)q + A->seed_off;
            if (u < 0 || (size_t)u >= nn) {
                memset(dst, 0, nn * sizeof(double));
                continue;
            }
            size_t i = (size_t)u % n, j = (size_t)u / n;
            const double *ci = C->val + i * n;
            for (size_t col = 0; col < n; ++col) {
                double r = -C->val[j + col * n];
                for (size_t row = 0; row < n; ++row)
                    dst[row + col * n] = ci[row] * r;
            }
        }
    } else if (C->tan) {
        size_t p = c->p;
        double *W = scratch(c, n * n * p, sizeof(double), op);
        if (W == NULL || !blocks_times(c, W, 0.0, 1.0, A->tan, 0, 0, 0, p, n, C->val, n, op))
            return NULL;
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)(n * p), (int)n,
                    -1.0, C->val, (int)n, W, (int)n, 0.0, C->tan, (int)n);
    }
    return C;
}

/* Adjoint of X = A^-1 B on the primal LU (d0, ipiv in ptr): W = A^-T [Xb_1
 * .. Xb_q], ONE getrs with 'T' and kc q right-hand sides; Bb += W,
 * Ab_k += -W_k X^T (a GEMM per block, rank kc). */
static void bw_solve(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0], *B = e->in[1], *X = e->out;
    size_t n = X->rows, kc = X->cols, q = c->p, nn = n * n, nk = n * kc;
    double *W = adj_copy(c, X);
    if (W == NULL)
        return;
    lapack_int N = (lapack_int)n;
    lapack_int info = LAPACKE_dgetrs_work(COLM_, 'T', N, (lapack_int)(kc * q), e->d0, N,
                                          (const lapack_int *)e->ptr, W, N);
    if (info != 0) {
        dj_fail_(c, DJ_ELAPACK, BW_OP_, "dj_mat_solve's adjoint: dgetrs: info %d", (int)info);
        return;
    }
    double *bb = dj_adj_(c, B);
    if (bb)
        add_into(bb, W, nk * q);
    double *ab = dj_adj_(c, A);
    if (ab)
        for (size_t k = 0; k < q; ++k)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)kc, -1.0,
                        W + k * nk, (int)n, X->val, (int)n, 1.0, ab + k * nn, (int)n);
}

/* X = A^-1 B: getrf, getrs. dX = A^-1 (dB - dA X): R = dB - [dA_k X]
 * (blocks_times: a GEMM, or GEMV for a column B, per block, accumulated onto
 * dB in X's tangent storage), then ONE getrs with kc p right-hand sides on
 * the primal LU. */
dj_mat *dj_mat_solve(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    const char *op = "dj_mat_solve";
    if (!DJ_CHECK2_(c, op, A, B))
        return NULL;
    if (!solve_args(c, op, A, "A", B))
        return NULL;
    size_t n = A->rows, kc = B->cols;
    double *lu;
    lapack_int *ipiv;
    if (!lu_nonsingular(c, A, &lu, &ipiv, op))
        return NULL;
    dj_mat *X = dj_mat_alloc_(c, n, kc, dj_fwd_(c, A, B), op);
    if (X == NULL)
        return NULL;
    lapack_int N = (lapack_int)n;
    memcpy(X->val, B->val, n * kc * sizeof(double));
    int info = LAPACKE_dgetrs_work(COLM_, 'N', N, (lapack_int)kc, lu, N, ipiv, X->val, N);
    if (info != 0)
        return dj_fail_(c, DJ_ELAPACK, op, "dgetrs: info %d", info);
    if (X->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_solve, X, A, B, op);
        if (e == NULL)
            return NULL;
        e->d0 = lu;           /* the arena keeps the factors until the reset */
        e->ptr = ipiv;
    }
    if (X->tan) {
        size_t p = c->p;
        if (B->tan)
            memcpy(X->tan, B->tan, n * kc * p * sizeof(double));
        if (A->tan && !blocks_times(c, X->tan, B->tan ? 1.0 : 0.0, -1.0, A->tan, 0, 0, 0, p,
                                    n, X->val, kc, op))
            return NULL;
        info = LAPACKE_dgetrs_work(COLM_, 'N', N, (lapack_int)(kc * p), lu, N, ipiv, X->tan, N);
        if (info != 0)
            return dj_fail_(c, DJ_ELAPACK, op, "dgetrs: info %d", info);
    }
    return X;
}

/* Adjoint of X = op(T)^-1 B (z: upper, trans, unit): W = op(T)^-T [Xb_1 ..
 * Xb_q], ONE trsm over kc q columns; Bb += W; Tb_k += -(W_k X^T), or
 * -(X W_k^T) when trans, on the triangle the forward rule reads (strict when
 * unit): a GEMM per block into scratch, then the masked add. */
static void bw_trisolve(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *T = e->in[0], *B = e->in[1], *X = e->out;
    int upper = (int)e->z[0], trans = (int)e->z[1], unit = (int)e->z[2];
    size_t n = X->rows, kc = X->cols, q = c->p, nn = n * n, nk = n * kc;
    int N = (int)n, K = (int)kc;
    double *W = adj_copy(c, X);
    if (W == NULL)
        return;
    cblas_dtrsm(CblasColMajor, CblasLeft, upper ? CblasUpper : CblasLower,
                trans ? CblasNoTrans : CblasTrans, unit ? CblasUnit : CblasNonUnit, N,
                (int)(kc * q), 1.0, T->val, N, W, N);
    double *bb = dj_adj_(c, B);
    if (bb)
        add_into(bb, W, nk * q);
    double *tb = dj_adj_(c, T);
    if (tb == NULL)
        return;
    double *F = scratch(c, nn, sizeof(double), BW_OP_);
    if (F == NULL)
        return;
    for (size_t k = 0; k < q; ++k) {
        if (!trans)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, N, N, K, 1.0, W + k * nk, N,
                        X->val, N, 0.0, F, N);
        else
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, N, N, K, 1.0, X->val, N,
                        W + k * nk, N, 0.0, F, N);
        add_part(tb + k * nn, -1.0, F, n, upper ? 'U' : 'L', unit);
    }
}

/* X = op(T)^-1 B: trsm on T's triangle (no copy of T). dX = op(T)^-1 (dB -
 * op(tri dT) X): a trmm per block on a copy of X (it reads only dT_k's
 * triangle; a unit diagonal's tangent is zero), then ONE trsm with kc p
 * columns. */
dj_mat *dj_mat_trisolve(dj_ctx *c, const dj_mat *T, const dj_mat *B, int upper, int trans,
                        int unit)
{
    const char *op = "dj_mat_trisolve";
    if (!DJ_CHECK2_(c, op, T, B))
        return NULL;
    if (!solve_args(c, op, T, "T", B))
        return NULL;
    size_t n = T->rows, kc = B->cols;
    int uplo = upper ? 'U' : 'L';
    if (!all_finite(T->val, n, n, uplo, unit))
        return dj_fail_(c, DJ_ENONFINITE, op, "T has a NaN or Inf entry in its triangle");
    if (!unit)
        for (size_t i = 0; i < n; ++i)
            if (T->val[i + i * n] == 0.0)
                return dj_fail_(c, DJ_ESINGULAR, op, "T is singular (T(%zu,%zu) = 0)", i + 1,
                                i + 1);
    dj_mat *X = dj_mat_alloc_(c, n, kc, dj_fwd_(c, T, B), op);
    if (X == NULL)
        return NULL;
    enum CBLAS_UPLO ul = upper ? CblasUpper : CblasLower;
    enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
    enum CBLAS_DIAG dg = unit ? CblasUnit : CblasNonUnit;
    memcpy(X->val, B->val, n * kc * sizeof(double));
    cblas_dtrsm(CblasColMajor, CblasLeft, ul, tr, dg, (int)n, (int)kc, 1.0, T->val, (int)n,
                X->val, (int)n);
    if (X->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_trisolve, X, T, B, op);
        if (e == NULL)
            return NULL;
        e->z[0] = (size_t)(upper != 0);
        e->z[1] = (size_t)(trans != 0);
        e->z[2] = (size_t)(unit != 0);
    }
    if (X->tan) {
        size_t p = c->p;
        if (B->tan)
            memcpy(X->tan, B->tan, n * kc * p * sizeof(double));
        if (T->tan && !blocks_times(c, X->tan, B->tan ? 1.0 : 0.0, -1.0, T->tan, uplo, unit,
                                    trans, p, n, X->val, kc, op))
            return NULL;
        cblas_dtrsm(CblasColMajor, CblasLeft, ul, tr, dg, (int)n, (int)(kc * p), 1.0, T->val,
                    (int)n, X->tan, (int)n);
    }
    return X;
}

/* ---- determinants ------------------------------------------------------------ */

/* G = adj(A)^T for a singular A = P L U (getrf's factors with info > 0),
 * so that d det = tr(adj(A) dA) = <G, dA>.
 * One zero pivot U(r,r): A has rank n-1 and adj(A) = det(B) B^-1 u v^T B^-1
 * for any B = A + u v^T that is invertible; B = P L U' with U' = U and
 * U'(r,r) = 1 (u = P L e_r, v = e_r) gives adj(A) = sign(P) prod_{i!=r}
 * U(i,i) x y^T with x = U'^-1 e_r, y = B^-T e_r: two triangular solves.
 * Several zero pivots (A may still have rank n-1, e.g. [0 1; 0 0]):
 * adj(A) = sign(P) adj(U) L^-1 P^T, with the cofactors of U exactly:
 * adj(U)(i,j) = (-1)^(i+j) prod_{m<i} U(m,m) prod_{m>j} U(m,m) det H_ij,
 * H_ij = U(i:j-1, i+1:j) upper Hessenberg; it vanishes unless every zero
 * pivot lies in [i, j], and the determinants of the leading blocks of the
 * Hessenberg U(i:, i+1:) follow from one recurrence (no division), O(n^2)
 * per row i. When rank A < n-1 every cofactor is zero and so is G. */
static int adjugate_t(dj_ctx *c, const double *lu, const lapack_int *ipiv, size_t n,
                      double *G, const char *op)
{
    size_t zeros = 0, z1 = n, zm = 0;
    for (size_t i = 0; i < n; ++i)
        if (lu[i + i * n] == 0.0) {
            zeros++;
            if (z1 == n)
                z1 = i;
            zm = i;
        }
    double sign = perm_sign(ipiv, n);
    lapack_int N = (lapack_int)n;
    if (zeros == 1) {
        size_t r = z1;
        double prod = sign;
        for (size_t i = 0; i < n; ++i)
            if (i != r)
                prod *= lu[i + i * n];
        double *f = scratch(c, n * n, sizeof(double), op);
        double *x = scratch(c, n, sizeof(double), op), *y = scratch(c, n, sizeof(double), op);
        if (f == NULL || x == NULL || y == NULL)
            return 0;
        memcpy(f, lu, n * n * sizeof(double));
        f[r + r * n] = 1.0;
        memset(x, 0, n * sizeof(double));
        memset(y, 0, n * sizeof(double));
        x[r] = 1.0;
        y[r] = 1.0;
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)n, f, (int)n,
                    x, 1);
        lapack_int info = LAPACKE_dgetrs_work(COLM_, 'T', N, 1, f, N, ipiv, y, N);
        if (info != 0) {
            dj_fail_(c, DJ_ELAPACK, op, "dgetrs: info %d", (int)info);
            return 0;
        }
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i)
                G[i + j * n] = prod * y[i] * x[j];
        return 1;
    }
    /* M = adj(U)^T, then G = sign P L^-T M (as getrs with 'T' applies them) */
    double *D = scratch(c, n, sizeof(double), op);
    if (D == NULL)
        return 0;
    memset(G, 0, n * n * sizeof(double));
    double pre = 1.0;                   /* prod_{m<i} U(m,m) */
    for (size_t i = 0; i <= z1; ++i) {
        size_t K = n - 1 - i;           /* H = U(i:n-2, i+1:n-1), K-by-K */
        D[0] = 1.0;
        for (size_t k = 1; k <= K; ++k) {
            /* D_k = sum_m (-1)^(k-m) h(m,k) prod_{l=m}^{k-1} h(l+1,l) D_{m-1},
               1-based in H; h(l+1,l) = U(i+l, i+l) (0-based l) */
            double s = 0, prod = 1.0, sg = 1.0;
            for (size_t m = k; m >= 1; --m) {
                double h = lu[(i + m - 1) + (i + k) * n];
                s += sg * h * prod * D[m - 1];
                prod *= lu[(i + m - 1) + (i + m - 1) * n];
                sg = -sg;
            }
            D[k] = s;
        }
        double post = 1.0;              /* prod_{m>j} U(m,m) */
        for (size_t j = n; j-- > (i > zm ? i : zm);) {
            double v = pre * post * D[j - i];
            if ((i + j) % 2)
                v = -v;
            G[j + i * n] = v;           /* M(j, i) = adj(U)(i, j) */
            post *= lu[j + j * n];
        }
        pre *= lu[i + i * n];
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasUnit, (int)n, (int)n, 1.0,
                lu, (int)n, G, (int)n);
    lapack_int info = LAPACKE_dlaswp_work(COLM_, N, G, N, 1, N, ipiv, -1);
    if (info != 0) {
        dj_fail_(c, DJ_ELAPACK, op, "dlaswp: info %d", (int)info);
        return 0;
    }
    if (sign < 0)
        for (size_t i = 0; i < n * n; ++i)
            G[i] = -G[i];
    return 1;
}

/* G = A^-T from the LU (getri in place on lu, then a transpose into G). */
static int inverse_t(dj_ctx *c, double *lu, const lapack_int *ipiv, size_t n, double *G,
                     const char *op)
{
    if (!inverse_in_place(c, lu, n, ipiv, op))
        return 0;
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            G[i + j * n] = lu[j + i * n];
    return 1;
}

/* Adjoint of d = det A and of l = log|det A| on the primal LU (d0, ipiv in
 * ptr; z[0] = getrf's info): Ab_k += db_k s G with G = A^-T and s = det A
 * (s = 1 for logdet) when A is invertible, G = adj(A)^T and s = 1 when it
 * is not (det only: logdet fails there). G is formed once from the saved
 * factors (getri on a copy, or adjugate_t: no new factorization); all q
 * blocks are then one rank-one update vec(Ab) += s vec(G) db^T. */
static void bw_det(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    size_t n = A->rows, nn = n * n;
    const lapack_int *ipiv = e->ptr;
    double *G = scratch(c, nn, sizeof(double), BW_OP_);
    if (G == NULL)
        return;
    double s = e->s;
    if (e->z[0] == 0) {
        double *f = scratch(c, nn, sizeof(double), BW_OP_);
        if (f == NULL)
            return;
        memcpy(f, e->d0, nn * sizeof(double));
        if (!inverse_t(c, f, ipiv, n, G, BW_OP_))
            return;
    } else {
        if (!adjugate_t(c, e->d0, ipiv, n, G, BW_OP_))
            return;
        s = 1.0;
    }
    cblas_dger(CblasColMajor, (int)nn, (int)c->p, s, G, 1, e->out->adj, 1, ab, (int)nn);
}

/* d = det A = sign(P) prod U(i,i). dd_k = <G, dA_k> with G = adj(A)^T
 * (det A^-T when A is invertible, adjugate_t when not): one GEMV over the
 * p flattened blocks. */
dj_mat *dj_mat_det(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_det";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!need_square(c, op, A, "A"))
        return NULL;
    size_t n = A->rows;
    if (!sizes_ok(c, op, n, 1, 1))
        return NULL;
    double *lu;
    lapack_int *ipiv;
    int info = lu_factor(c, A, &lu, &ipiv, op);
    if (info < 0)
        return NULL;
    dj_mat *Dm = dj_mat_alloc_(c, 1, 1, dj_fwd_(c, A, NULL), op);
    if (Dm == NULL)
        return NULL;
    double det = perm_sign(ipiv, n);
    for (size_t i = 0; i < n; ++i)
        det *= lu[i + i * n];
    Dm->val[0] = det;
    if (Dm->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_det, Dm, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->d0 = lu;
        e->ptr = ipiv;
        e->s = det;
        e->z[0] = (size_t)info;
    }
    if (Dm->tan) {
        double *G = scratch(c, n * n, sizeof(double), op);
        if (G == NULL)
            return NULL;
        double alpha = 1.0;
        if (info == 0) {
            if (!inverse_t(c, lu, ipiv, n, G, op))
                return NULL;
            alpha = det;
        } else if (!adjugate_t(c, lu, ipiv, n, G, op)) {
            return NULL;
        }
        cblas_dgemv(CblasColMajor, CblasTrans, (int)(n * n), (int)c->p, alpha, A->tan,
                    (int)(n * n), G, 1, 0.0, Dm->tan, 1);
    }
    return Dm;
}

/* l = log|det A| = sum log|U(i,i)|, sign = sign(P) prod sign U(i,i).
 * dl_k = <A^-T, dA_k>: one GEMV over the p flattened blocks. */
dj_mat *dj_mat_logdet(dj_ctx *c, const dj_mat *A, double *sign)
{
    const char *op = "dj_mat_logdet";
    if (sign)
        *sign = 0.0;
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!need_square(c, op, A, "A"))
        return NULL;
    size_t n = A->rows;
    if (!sizes_ok(c, op, n, 1, 1))
        return NULL;
    double *lu;
    lapack_int *ipiv;
    if (!lu_nonsingular(c, A, &lu, &ipiv, op))
        return NULL;
    dj_mat *Lm = dj_mat_alloc_(c, 1, 1, dj_fwd_(c, A, NULL), op);
    if (Lm == NULL)
        return NULL;
    double s = perm_sign(ipiv, n), l = 0;
    for (size_t i = 0; i < n; ++i) {
        double u = lu[i + i * n];
        l += log(fabs(u));
        if (u < 0)
            s = -s;
    }
    Lm->val[0] = l;
    if (Lm->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_det, Lm, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->d0 = lu;
        e->ptr = ipiv;
        e->s = 1.0;           /* z[0] = 0: A is invertible here */
    }
    if (Lm->tan) {
        double *G = scratch(c, n * n, sizeof(double), op);
        if (G == NULL || !inverse_t(c, lu, ipiv, n, G, op))
            return NULL;
        cblas_dgemv(CblasColMajor, CblasTrans, (int)(n * n), (int)c->p, 1.0, A->tan,
                    (int)(n * n), G, 1, 0.0, Lm->tan, 1);
    }
    if (sign)
        *sign = s;
    return Lm;
}

/* ---- Cholesky ------------------------------------------------------------------ */

/* Adjoint of L = chol(A). Only tril(Lb) counts (L's upper triangle is a
 * constant zero): M_k = L^T tril(Lb_k), ONE trmm over the n-by-(n q)
 * blocks; Z_k = (P + P^T - diag P)/2 with P = tril(M_k) (symmetric); S_k =
 * L^-T Z_k L^-1 as in the forward rule: one wide trsm, each block
 * transposed in place (L^-T Z_k is transposed to Z_k L^-1), a second wide
 * trsm. S_k is the adjoint with respect to the symmetric matrix the
 * forward rule builds from tril(dA); since it reads only A's lower
 * triangle, Ab's convention is: Ab_k(i,j) += S(i,j) + S(j,i) for i > j,
 * Ab_k(i,i) += S(i,i), and the upper triangle gets nothing. Thus <Ab, dA>
 * = <Lb, dL> for ANY dA (symmetric or not), and the reverse Jacobian equals
 * the forward one column by column (zero for the upper entries). */
static void bw_chol(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *Lm = e->out;
    double *ab = dj_adj_(c, e->in[0]);
    if (ab == NULL)
        return;
    size_t n = Lm->rows, nn = n * n, q = c->p;
    int N = (int)n, NQ = (int)(n * q);
    double *W = scratch(c, nn * q, sizeof(double), BW_OP_);
    if (W == NULL)
        return;
    for (size_t k = 0; k < q; ++k) {
        const double *s = Lm->adj + k * nn;
        double *d = W + k * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i)
                d[i + j * n] = i >= j ? s[i + j * n] : 0.0;
    }
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, NQ, 1.0,
                Lm->val, N, W, N);
    for (size_t k = 0; k < q; ++k) {                /* Z from tril(M) */
        double *d = W + k * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = j; i < n; ++i) {
                double v = 0.5 * d[i + j * n];
                d[i + j * n] = v;
                d[j + i * n] = v;
            }
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, NQ, 1.0,
                Lm->val, N, W, N);
    dj_transpose_blocks_(W, n, q);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, NQ, 1.0,
                Lm->val, N, W, N);
    dj_add_sym_lower_(ab, W, n, q);
}

/* L = chol(A) from A's lower triangle (potrf). dL_k = L Phi(X_k), X_k =
 * L^-1 dA_k L^-T, computed in L's tangent storage: the symmetric dA_k
 * (from its lower triangle), one trsm L^-1 [..] over all blocks, each block
 * transposed in place, a second wide trsm (X_k is symmetric, so L^-1
 * (L^-1 dA_k)^T = X_k), Phi, then one trmm L [..]. */
dj_mat *dj_mat_chol(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_chol";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!need_square(c, op, A, "A"))
        return NULL;
    size_t n = A->rows;
    if (!sizes_ok(c, op, n, n, 0))
        return NULL;
    if (!all_finite(A->val, n, n, 'L', 0))
        return dj_fail_(c, DJ_ENONFINITE, op, "A has a NaN or Inf entry in its lower triangle");
    dj_mat *L = dj_mat_alloc_(c, n, n, dj_fwd_(c, A, NULL), op);
    if (L == NULL)
        return NULL;
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            L->val[i + j * n] = i >= j ? A->val[i + j * n] : 0.0;
    lapack_int info = LAPACKE_dpotrf_work(COLM_, 'L', (lapack_int)n, L->val, (lapack_int)n);
    if (info > 0)
        return dj_fail_(c, DJ_ENOTSPD, op, "A is not positive definite (leading minor %d)",
                        (int)info);
    if (info < 0)
        return dj_fail_(c, DJ_ELAPACK, op, "dpotrf: info %d", (int)info);
    if (L->on_tape && dj_tape_push_(c, bw_chol, L, A, NULL, op) == NULL)
        return NULL;        /* the rule needs only L */
    if (L->tan) {
        size_t p = c->p, nn = n * n;
        int N = (int)n, NP = (int)(n * p);
        double *T = L->tan;
        for (size_t k = 0; k < p; ++k) {
            const double *s = A->tan + k * nn;
            double *d = T + k * nn;
            for (size_t j = 0; j < n; ++j)
                for (size_t i = 0; i < n; ++i)
                    d[i + j * n] = i >= j ? s[i + j * n] : s[j + i * n];
        }
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, N, NP,
                    1.0, L->val, N, T, N);
        for (size_t k = 0; k < p; ++k) {
            double *d = T + k * nn;
            for (size_t j = 0; j < n; ++j)
                for (size_t i = j + 1; i < n; ++i) {
                    double t = d[i + j * n];
                    d[i + j * n] = d[j + i * n];
                    d[j + i * n] = t;
                }
        }
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, N, NP,
                    1.0, L->val, N, T, N);
        for (size_t k = 0; k < p; ++k) {            /* Phi */
            double *d = T + k * nn;
            for (size_t j = 0; j < n; ++j) {
                for (size_t i = 0; i < j; ++i)
                    d[i + j * n] = 0.0;
                d[j + j * n] *= 0.5;
            }
        }
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, N, NP,
                    1.0, L->val, N, T, N);
        for (size_t k = 0; k < p; ++k)              /* exactly lower */
            for (size_t j = 1; j < n; ++j)
                memset(T + k * nn + j * n, 0, j * sizeof(double));
    }
    return L;
}

/* Adjoint of X = (L L^T)^-1 B: W = (L L^T)^-1 [Xb_1 .. Xb_q], ONE potrs with
 * kc q right-hand sides; Bb += W; Lb_k += -tril((W_k X^T + X W_k^T) L) (the
 * forward rule reads only tril(dL)), computed as W_k Y^T + X V_k^T with
 * Y = L^T X (one trmm) and V = L^T W (ONE trmm over all blocks): two
 * rank-kc GEMMs per block into scratch, then the masked add. */
static void bw_cholsolve(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *Lm = e->in[0], *B = e->in[1], *X = e->out;
    size_t n = X->rows, kc = X->cols, q = c->p, nn = n * n, nk = n * kc;
    int N = (int)n, K = (int)kc;
    double *W = adj_copy(c, X);
    if (W == NULL)
        return;
    lapack_int info = LAPACKE_dpotrs_work(COLM_, 'L', (lapack_int)n, (lapack_int)(kc * q),
                                          Lm->val, (lapack_int)n, W, (lapack_int)n);
    if (info != 0) {
        dj_fail_(c, DJ_ELAPACK, BW_OP_, "dj_mat_cholsolve's adjoint: dpotrs: info %d",
                 (int)info);
        return;
    }
    double *bb = dj_adj_(c, B);
    if (bb)
        add_into(bb, W, nk * q);
    double *lb = dj_adj_(c, Lm);
    if (lb == NULL)
        return;
    double *Y = scratch(c, nk, sizeof(double), BW_OP_);
    double *V = scratch(c, nk * q, sizeof(double), BW_OP_);
    double *F = scratch(c, nn, sizeof(double), BW_OP_);
    if (Y == NULL || V == NULL || F == NULL)
        return;
    memcpy(Y, X->val, nk * sizeof(double));
    memcpy(V, W, nk * q * sizeof(double));
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, K, 1.0,
                Lm->val, N, Y, N);
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N,
                (int)(kc * q), 1.0, Lm->val, N, V, N);
    for (size_t k = 0; k < q; ++k) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, N, N, K, 1.0, W + k * nk, N, Y, N,
                    0.0, F, N);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, N, N, K, 1.0, X->val, N,
                    V + k * nk, N, 1.0, F, N);
        add_part(lb + k * nn, -1.0, F, n, 'L', 0);
    }
}

/* X = (L L^T)^-1 B (potrs on L's lower triangle). dX = (L L^T)^-1 (dB - dS X),
 * dS X = dL_k (L^T X) + L (dL_k^T X): per block a trmm with tril(dL_k)^T and
 * one with tril(dL_k) (blocks_times), ONE trmm L [..] over all blocks
 * between them, then ONE potrs with kc p right-hand sides. */
dj_mat *dj_mat_cholsolve(dj_ctx *c, const dj_mat *L, const dj_mat *B)
{
    const char *op = "dj_mat_cholsolve";
    if (!DJ_CHECK2_(c, op, L, B))
        return NULL;
    if (!solve_args(c, op, L, "L", B))
        return NULL;
    size_t n = L->rows, kc = B->cols;
    if (!all_finite(L->val, n, n, 'L', 0))
        return dj_fail_(c, DJ_ENONFINITE, op, "L has a NaN or Inf entry in its lower triangle");
    for (size_t i = 0; i < n; ++i)
        if (L->val[i + i * n] == 0.0)
            return dj_fail_(c, DJ_ESINGULAR, op, "L is singular (L(%zu,%zu) = 0)", i + 1, i + 1);
    dj_mat *X = dj_mat_alloc_(c, n, kc, dj_fwd_(c, L, B), op);
    if (X == NULL)
        return NULL;
    lapack_int N = (lapack_int)n;
    memcpy(X->val, B->val, n * kc * sizeof(double));
    lapack_int info = LAPACKE_dpotrs_work(COLM_, 'L', N, (lapack_int)kc, L->val, N, X->val, N);
    if (info != 0)
        return dj_fail_(c, DJ_ELAPACK, op, "dpotrs: info %d", (int)info);
    if (X->on_tape && dj_tape_push_(c, bw_cholsolve, X, L, B, op) == NULL)
        return NULL;        /* the rule needs L, X (values) only */
    if (X->tan) {
        size_t p = c->p, nt = n * kc * p;
        if (L->tan) {
            double *T = scratch(c, nt, sizeof(double), op);
            double *Y = scratch(c, n * kc, sizeof(double), op);
            if (T == NULL || Y == NULL)
                return NULL;
            /* T_k = L (tril(dL_k)^T X) */
            if (!blocks_times(c, T, 0.0, 1.0, L->tan, 'L', 0, 1, p, n, X->val, kc, op))
                return NULL;
            cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                        (int)(kc * p), 1.0, L->val, (int)n, T, (int)n);
            /* T_k += tril(dL_k) (L^T X) */
            memcpy(Y, X->val, n * kc * sizeof(double));
            cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n,
                        (int)kc, 1.0, L->val, (int)n, Y, (int)n);
            if (!blocks_times(c, T, 1.0, 1.0, L->tan, 'L', 0, 0, p, n, Y, kc, op))
                return NULL;
            if (B->tan)
                for (size_t i = 0; i < nt; ++i)
                    X->tan[i] = B->tan[i] - T[i];
            else
                for (size_t i = 0; i < nt; ++i)
                    X->tan[i] = -T[i];
        } else {
            memcpy(X->tan, B->tan, nt * sizeof(double));
        }
        info = LAPACKE_dpotrs_work(COLM_, 'L', N, (lapack_int)(kc * p), L->val, N, X->tan, N);
        if (info != 0)
            return dj_fail_(c, DJ_ELAPACK, op, "dpotrs: info %d", (int)info);
    }
    return X;
}
