/* mat_decomp.c - symmetric eigendecomposition, thin QR, thin SVD, the
 * matrix exponential and the Frobenius, nuclear and spectral norms, with
 * the forward rules of RULES.md and, in reverse mode, their adjoint rules
 * over the q adjoint blocks (bw_* below; each reuses the factors the primal
 * left in the arena; operations with several outputs record one tape entry
 * per output, see dec_save_).
 *
 * Tangent layouts. A matrix's p tangent blocks are stored side by side
 * ("wide": block k of an m-by-n matrix at tan + k*m*n, so all blocks form
 * one m-by-(n p) matrix with ld m). A LEFT product L dX_k for every k is then
 * one GEMM. A RIGHT product dX_k R is not; for it the blocks are copied into
 * the "stacked" layout, one (m p)-by-n matrix with ld m p (block k in rows
 * k*m .. k*m+m-1), where it is one GEMM/TRSM/TRMM, and copied back. The two
 * copies cost O(m n p), against O(m n^2 p) for the product, and turn p small
 * BLAS calls into one large one. With p = 1 the blocks are used directly.
 *
 * Determinism. Values never depend on the mode: where the forward rule
 * needs vectors the caller did not ask for (eigenvalues or singular values
 * alone, the nuclear and spectral norms), the values still come from the
 * same values-only LAPACK call as in primal mode and the vectors from a
 * second call, so a program's values are bit-for-bit those of its primal
 * run. Signs are fixed: R of QR has a positive diagonal; each eigenvector,
 * and each right singular vector v_i (with u_i flipped along), has its
 * largest-magnitude component (the first one on a tie) positive. The
 * forward rules are invariant under such locally constant sign flips
 * (dV = V (F o P) turns into dV S for V S), so they hold for the normalized
 * factors as written.
 *
 * Scratch memory comes from the context's arena; LAPACK's workspace is
 * sized by a workspace query and also taken from the arena (the *_work
 * LAPACKE entry points, column-major, allocate nothing). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dualjac/linalg.h"
#include "mat_internal.h"

/* Relative gap below which eigenvalues or singular values count as
 * repeated (or a singular value as zero) when vectors are differentiated. */
#define DJ_GAP_TOL_ 1e-10

/* ---- helpers ---------------------------------------------------------------- */

static double *scratch(dj_ctx *c, size_t count, const char *op)
{
    if (dj_mul_overflows_(count, sizeof(double))) {
        dj_fail_(c, DJ_EDIM, op, "scratch of %zu doubles is too large", count);
        return NULL;
    }
    return dj_ctx_alloc_(c, count * sizeof(double), op);
}

/* BLAS and LAPACK take int sizes: m, n, m*n and, for the tangents, m*p and
 * n*p (wide and stacked layouts) must fit. */
static int sizes_fit(const dj_ctx *c, size_t m, size_t n)
{
    size_t p = c->p ? c->p : 1, lim = (size_t)INT_MAX;
    return m <= lim && n <= lim && !dj_mul_overflows_(m, n) && m * n <= lim
        && !dj_mul_overflows_(m, p) && m * p <= lim && !dj_mul_overflows_(n, p)
        && n * p <= lim && !dj_mul_overflows_(m * n, p);
}

static int all_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* Wide (p blocks of m-by-n, side by side) to stacked ((m p)-by-n). */
static void stack(const double *w, size_t m, size_t n, size_t p, double *s)
{
    size_t ld = m * p;
    for (size_t k = 0; k < p; ++k)
        for (size_t j = 0; j < n; ++j)
            memcpy(s + k * m + j * ld, w + k * m * n + j * m, m * sizeof(double));
}

/* Stacked back to wide: w = s (beta == 0) or w = beta w + s. */
static void unstack(const double *s, size_t m, size_t n, size_t p, double beta, double *w)
{
    size_t ld = m * p;
    for (size_t k = 0; k < p; ++k)
        for (size_t j = 0; j < n; ++j) {
            const double *src = s + k * m + j * ld;
            double *dst = w + k * m * n + j * m;
            if (beta == 0.0)
                memcpy(dst, src, m * sizeof(double));
            else
                for (size_t i = 0; i < m; ++i)
                    dst[i] = beta * dst[i] + src[i];
        }
}

/* Y_k = alpha X_k R + beta Y_k for every block: X_k m-by-kk, R kk-by-q
 * (ld kk), Y_k m-by-q. sx: m*kk*p doubles, sy: m*q*p doubles (unused when
 * p == 1). One GEMM either way. */
static void rmul(size_t m, size_t kk, size_t q, size_t p, double alpha, const double *X,
                 const double *R, double beta, double *Y, double *sx, double *sy)
{
    if (p == 1) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)q, (int)kk,
                    alpha, X, (int)m, R, (int)kk, beta, Y, (int)m);
        return;
    }
    stack(X, m, kk, p, sx);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)(m * p), (int)q, (int)kk,
                alpha, sx, (int)(m * p), R, (int)kk, 0.0, sy, (int)(m * p));
    unstack(sy, m, q, p, beta, Y);
}

/* Y_k = X_k op(T) (trmm) or X_k T^-1 (trsm) for upper-triangular n-by-n T,
 * X_k, Y_k m-by-n; s: m*n*p doubles (unused when p == 1, where Y_k is
 * overwritten in place after a copy). */
static void rtri(int solve, size_t m, size_t n, size_t p, const double *T, const double *X,
                 double *Y, double *s)
{
    double *b = Y;
    int ld = (int)m;
    if (p == 1) {
        if (Y != X)
            memcpy(Y, X, m * n * sizeof(double));
    } else {
        stack(X, m, n, p, s);
        b = s;
        ld = (int)(m * p);
    }
    if (solve)
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, ld,
                    (int)n, 1.0, T, (int)n, b, ld);
    else
        cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, ld,
                    (int)n, 1.0, T, (int)n, b, ld);
    if (p > 1)
        unstack(s, m, n, p, 0.0, Y);
}

/* Left product of every block: Y = alpha op(L) [X_1 .. X_p] + beta Y, with
 * op(L) m-by-kk and the blocks kk-by-q: one GEMM. */
static void lmul(int transL, size_t m, size_t kk, size_t q, size_t p, double alpha,
                 const double *L, size_t ldl, const double *X, double beta, double *Y)
{
    cblas_dgemm(CblasColMajor, transL ? CblasTrans : CblasNoTrans, CblasNoTrans, (int)m,
                (int)(q * p), (int)kk, alpha, L, (int)ldl, X, (int)kk, beta, Y, (int)m);
}

/* Right products for the adjoint rules (any q, blocks wide in and out):
 * Y_k = beta Y_k + X_k op(R) with X_k m-by-kk and op(R) kk-by-nout (R has
 * leading dimension ldr): one GEMM in the stacked layout. sx: m*kk*q,
 * sy: m*nout*q doubles (unused when q == 1). */
static void rmul_op(size_t m, size_t kk, size_t nout, size_t q, int transR, const double *X,
                    const double *R, size_t ldr, double beta, double *Y, double *sx,
                    double *sy)
{
    CBLAS_TRANSPOSE tr = transR ? CblasTrans : CblasNoTrans;
    if (q == 1) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, tr, (int)m, (int)nout, (int)kk, 1.0, X,
                    (int)m, R, (int)ldr, beta, Y, (int)m);
        return;
    }
    stack(X, m, kk, q, sx);
    cblas_dgemm(CblasColMajor, CblasNoTrans, tr, (int)(m * q), (int)nout, (int)kk, 1.0, sx,
                (int)(m * q), R, (int)ldr, 0.0, sy, (int)(m * q));
    unstack(sy, m, nout, q, beta, Y);
}

/* Y_k = beta Y_k + X_k op(T) (trmm) or X_k op(T)^-1 (trsm) for the upper-
 * triangular n-by-n T, X_k and Y_k m-by-n: one call on the stacked copy
 * s (m*n*q doubles). */
static void rtri_op(int solve, int trans, size_t m, size_t n, size_t q, const double *T,
                    const double *X, double beta, double *Y, double *s)
{
    int ld = (int)(m * q);
    CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
    stack(X, m, n, q, s);
    if (solve)
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, tr, CblasNonUnit, ld, (int)n, 1.0,
                    T, (int)n, s, ld);
    else
        cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, tr, CblasNonUnit, ld, (int)n, 1.0,
                    T, (int)n, s, ld);
    unstack(s, m, n, q, beta, Y);
}

void dj_transpose_blocks_(double *a, size_t n, size_t q)
{
    for (size_t k = 0; k < q; ++k) {
        double *t = a + k * n * n;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = j + 1; i < n; ++i) {
                double x = t[i + j * n];
                t[i + j * n] = t[j + i * n];
                t[j + i * n] = x;
            }
    }
}

void dj_add_sym_lower_(double *ab, const double *h, size_t n, size_t q)
{
    size_t nn = n * n;
    for (size_t k = 0; k < q; ++k) {
        const double *hk = h + k * nn;
        double *a = ab + k * nn;
        for (size_t j = 0; j < n; ++j) {
            a[j + j * n] += hk[j + j * n];
            for (size_t i = j + 1; i < n; ++i)
                a[i + j * n] += hk[i + j * n] + hk[j + i * n];
        }
    }
}

/* ---- reverse mode: operations with several outputs ------------------------------
 *
 * An operation with outputs o_0, .., o_{r-1} (eigh: lam, V; qr: Q, R; svd:
 * s, U, V; only those the caller asked for) pushes one tape entry per
 * output, in that order, all sharing one dec_save_ (e->ptr; e->z[0] is the
 * entry's output index). The sweep calls an entry only when its output has
 * an adjoint, and every operation that reads an output was recorded after
 * these entries, so it has run, and every output's adjoint is complete,
 * before the first of them runs. That first one (the entry of the last
 * output with an adjoint: no later output has one) applies the whole rule,
 * with every output's adjoint (NULL read as zero), once; the others see a
 * later output with an adjoint and do nothing. No state is kept, so the
 * rule runs exactly once whichever outputs the program used. */
typedef struct dec_save_ {
    dj_mat *out[3];
    size_t nout;
    dj_mat *U, *V;            /* svd's vector outputs, when asked for */
    const double *f0, *f1;    /* saved factors: eigenvectors; Q, R; U, V */
} dec_save_;

static int dec_runs(const dj_tape_entry_ *e)
{
    const dec_save_ *sv = e->ptr;
    for (size_t i = e->z[0] + 1; i < sv->nout; ++i)
        if (sv->out[i]->adj != NULL)
            return 0;
    return 1;
}

/* Record the entries of a decomposition; sv (arena) is filled but for out
 * and nout. Returns 0, or -1 with the error recorded. */
static int dec_push(dj_ctx *c, dj_backward_fn_ fn, const dj_mat *A, dj_mat *const *outs,
                    size_t nout, const dec_save_ *tmpl, const char *op)
{
    dec_save_ *sv = dj_ctx_alloc_(c, sizeof *sv, op);
    if (sv == NULL)
        return -1;
    *sv = *tmpl;
    sv->nout = 0;
    for (size_t i = 0; i < nout; ++i)
        if (outs[i])
            sv->out[sv->nout++] = outs[i];
    for (size_t i = 0; i < sv->nout; ++i) {
        dj_tape_entry_ *e = dj_tape_push_(c, fn, sv->out[i], A, NULL, op);
        if (e == NULL)
            return -1;
        e->ptr = sv;
        e->z[0] = i;
    }
    return 0;
}

/* Flip column j of an m-by-n matrix. */
static void flip_col(double *a, size_t m, size_t j)
{
    for (size_t i = 0; i < m; ++i)
        a[i + j * m] = -a[i + j * m];
}

/* Does column j of an m-row matrix have a negative largest-magnitude entry
 * (the first such entry on a tie)? */
static int col_needs_flip(const double *a, size_t m, size_t j)
{
    size_t best = 0;
    double bv = -1.0;
    for (size_t i = 0; i < m; ++i) {
        double v = fabs(a[i + j * m]);
        if (v > bv) {
            bv = v;
            best = i;
        }
    }
    return a[best + j * m] < 0.0;
}

static dj_mat *lapack_fail(dj_ctx *c, const char *op, const char *routine, lapack_int info)
{
    return dj_fail_(c, DJ_ELAPACK, op, "%s failed (info %d)", routine, (int)info);
}

/* ---- LAPACK drivers with arena workspace ------------------------------------ */

/* Symmetric eigendecomposition of the n-by-n a (lower triangle; overwritten
 * by the vectors when jobz == 'V'): w ascending. Returns 0, or fails.
 * With vectors, LAPACK can fail to converge (info > 0, DJ_ELAPACK) on
 * matrices scaled beyond reason (entries of 1e300 next to 1e-310) whose
 * eigenvalues alone converge: then eigh without V succeeds in primal mode
 * and fails in forward and reverse mode, which need the vectors (found by
 * the fuzzer; the QR algorithm, dsyev, failed on the same matrix, so
 * there is no retry; documented in linalg.h). */
static int syevd(dj_ctx *c, const char *op, char jobz, size_t n, double *a, double *w)
{
    double wq;
    lapack_int iwq, N = (lapack_int)n;
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', N, a, N, w, &wq, -1,
                                          &iwq, -1);
    if (info != 0) {
        lapack_fail(c, op, "dsyevd (workspace query)", info);
        return -1;
    }
    lapack_int lwork = (lapack_int)wq, liwork = iwq;
    lapack_int minw = jobz == 'V' ? 1 + 6 * N + 2 * N * N : 2 * N + 1;
    lapack_int miniw = jobz == 'V' ? 3 + 5 * N : 1;
    if (lwork < minw)
        lwork = minw;
    if (liwork < miniw)
        liwork = miniw;
    double *work = scratch(c, (size_t)lwork, op);
    lapack_int *iwork = dj_ctx_alloc_(c, (size_t)liwork * sizeof(lapack_int), op);
    if (work == NULL || iwork == NULL)
        return -1;
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', N, a, N, w, work, lwork, iwork,
                               liwork);
    if (info != 0) {
        lapack_fail(c, op, "dsyevd", info);
        return -1;
    }
    return 0;
}

/* Thin SVD of the m-by-n a (m >= n; overwritten): s descending, and with
 * jobz == 'S' u (m-by-n) and vt (n-by-n). */
static int gesdd(dj_ctx *c, const char *op, char jobz, size_t m, size_t n, double *a,
                 double *s, double *u, double *vt)
{
    lapack_int M = (lapack_int)m, N = (lapack_int)n;
    double wq, dummy = 0;
    double *uu = jobz == 'S' ? u : &dummy, *vv = jobz == 'S' ? vt : &dummy;
    lapack_int ldu = jobz == 'S' ? M : 1, ldvt = jobz == 'S' ? N : 1;
    lapack_int *iwork = dj_ctx_alloc_(c, 8 * n * sizeof(lapack_int), op);
    if (iwork == NULL)
        return -1;
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, M, N, a, M, s, uu, ldu, vv,
                                          ldvt, &wq, -1, iwork);
    if (info != 0) {
        lapack_fail(c, op, "dgesdd (workspace query)", info);
        return -1;
    }
    /* at least the documented minimum (old LAPACK versions under-reported
       the query) */
    double need = jobz == 'S' ? fmax(3.0 * N + fmax((double)M, 4.0 * N * N + 4.0 * N),
                                     4.0 * N * N + 7.0 * N)
                              : 3.0 * N + fmax((double)M, 7.0 * N);
    double lw = fmax(wq, need);
    if (lw > (double)INT_MAX) {
        dj_fail_(c, DJ_EDIM, op, "SVD workspace too large for LAPACK int sizes");
        return -1;
    }
    lapack_int lwork = (lapack_int)lw;
    double *work = scratch(c, (size_t)lwork, op);
    if (work == NULL)
        return -1;
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, M, N, a, M, s, uu, ldu, vv, ldvt, work,
                               lwork, iwork);
    if (info != 0) {
        if (info > 0)
            dj_fail_(c, DJ_ELAPACK, op, "dgesdd did not converge (info %d)", (int)info);
        else
            lapack_fail(c, op, "dgesdd", info);
        return -1;
    }
    return 0;
}

/* ---- symmetric eigendecomposition -------------------------------------------- */

/* Adjoint of eigh. With G = diag(lamb) + F o (X - X^T)/2, X = V^T Vb
 * (G symmetric, F antisymmetric), <lamb, dlam> + <Vb, dV> = <H, S> for
 * H = V G V^T and S the symmetric matrix of dA's lower triangle, so the
 * entries read get Ab_ij += H_ij + H_ji (i > j), Ab_ii += H_ii; the upper
 * triangle gets nothing. Blocks: X = V^T [Vb_k] one GEMM, W_k = V G_k one
 * GEMM, then W_k^T = G_k V^T (blocks transposed in place) and
 * H_k = V W_k^T one GEMM. */
static void bw_eigh(dj_ctx *c, const dj_tape_entry_ *e)
{
    const char *op = "dj_mat_eigh";
    const dec_save_ *sv = e->ptr;
    if (!dec_runs(e))
        return;
    const dj_mat *A = e->in[0], *lam = sv->out[0];
    size_t n = A->rows, nn = n * n, q = c->p;
    double *ab = dj_adj_(c, A);
    double *G = scratch(c, nn * q, op), *W = scratch(c, nn * q, op);
    if (ab == NULL || G == NULL || W == NULL)
        return;
    const double *V = sv->f0, *w = lam->val, *lb = lam->adj;
    const double *vb = sv->nout > 1 ? sv->out[1]->adj : NULL;
    if (vb)
        lmul(1, n, n, n, q, 1.0, V, n, vb, 0.0, W);          /* X_k = V^T Vb_k */
    for (size_t k = 0; k < q; ++k) {
        const double *x = W + k * nn;
        double *g = G + k * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i) {
                double v = 0;
                if (i == j)
                    v = lb ? lb[k * n + i] : 0.0;
                else if (vb)
                    v = 0.5 * (x[i + j * n] - x[j + i * n]) / (w[j] - w[i]);
                g[i + j * n] = v;
            }
    }
    lmul(0, n, n, n, q, 1.0, V, n, G, 0.0, W);               /* W_k = V G_k */
    dj_transpose_blocks_(W, n, q);                           /* G_k V^T */
    lmul(0, n, n, n, q, 1.0, V, n, W, 0.0, G);               /* H_k */
    dj_add_sym_lower_(ab, G, n, q);
}

/* lam ascending; V sign-normalized. Tangents: S_k = the symmetric matrix of
 * dA_k's lower triangle (the part that is read), T = V^T S (one GEMM);
 * values only: dlam_i = (T_k V)_ii in O(n^2 p); with vectors, P_k =
 * V^T S_k V = V^T T_k^T (blocks transposed in place, one GEMM), dlam =
 * diag P, dV = V (F o P) (one GEMM). */
dj_mat *dj_mat_eigh(dj_ctx *c, const dj_mat *A, dj_mat **V)
{
    const char *op = "dj_mat_eigh";
    if (V)
        *V = NULL;
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    size_t n = A->rows;
    if (A->cols != n)
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu is not square", A->rows, A->cols);
    if (!sizes_fit(c, n, n))
        return dj_fail_(c, DJ_EDIM, op, "too large for BLAS/LAPACK int sizes");
    for (size_t j = 0; j < n; ++j)
        if (!all_finite(A->val + j + j * n, n - j))
            return dj_fail_(c, DJ_ENONFINITE, op, "NaN or Inf in the lower triangle");
    /* act: the derivative side runs; fwd: tangents, rev: a tape entry */
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    int rev = act && c->mode == DJ_MODE_REVERSE;
    size_t p = c->p;
    dj_mat *lam = dj_mat_alloc_(c, n, 1, act, op);
    if (lam == NULL)
        return NULL;
    dj_mat *Vm = NULL;
    double *vec = NULL;       /* the eigenvectors, when computed */
    if (V) {
        Vm = dj_mat_alloc_(c, n, n, act, op);
        if (Vm == NULL)
            return NULL;
        vec = Vm->val;
        memcpy(vec, A->val, n * n * sizeof(double));
        if (syevd(c, op, 'V', n, vec, lam->val))
            return NULL;
    } else {
        double *a = scratch(c, n * n, op);
        if (a == NULL)
            return NULL;
        memcpy(a, A->val, n * n * sizeof(double));
        if (syevd(c, op, 'N', n, a, lam->val))
            return NULL;
        if (act) {
            /* vectors for the tangent or adjoint rule only; values stay the 'N' ones */
            double *w = scratch(c, n, op);
            if (w == NULL)
                return NULL;
            memcpy(a, A->val, n * n * sizeof(double));
            if (syevd(c, op, 'V', n, a, w))
                return NULL;
            vec = a;
        }
    }
    if (V)
        for (size_t j = 0; j < n; ++j)
            if (col_needs_flip(vec, n, j))
                flip_col(vec, n, j);
    const double *w = lam->val;
    dj_mat *outs[2] = { lam, Vm };
    if (act && V) {
        double scale = fmax(fabs(w[0]), fabs(w[n - 1]));
        for (size_t i = 0; i + 1 < n; ++i)
            if (w[i + 1] - w[i] <= DJ_GAP_TOL_ * scale)
                return dj_fail_(c, DJ_EDOMAIN, op,
                                "repeated eigenvalues %.17g and %.17g: the eigenvectors "
                                "have no derivative", w[i], w[i + 1]);
    }
    if (fwd) {
        size_t nn = n * n;
        double *S = scratch(c, nn * p, op), *T = scratch(c, nn * p, op);
        if (S == NULL || T == NULL)
            return NULL;
        /* S_k: the symmetric matrix of dA_k's lower triangle (what is read) */
        for (size_t k = 0; k < p; ++k) {
            const double *d = A->tan + k * nn;
            double *s = S + k * nn;
            for (size_t j = 0; j < n; ++j)
                for (size_t i = j; i < n; ++i)
                    s[i + j * n] = s[j + i * n] = d[i + j * n];
        }
        /* T_k = V^T S_k: one GEMM */
        lmul(1, n, n, n, p, 1.0, vec, n, S, 0.0, T);
        if (!V) {
            /* dlam_i = v_i^T S_k v_i = sum_j T_k(i, j) V(j, i) */
            for (size_t k = 0; k < p; ++k)
                for (size_t i = 0; i < n; ++i) {
                    double acc = 0;
                    for (size_t j = 0; j < n; ++j)
                        acc += T[k * nn + i + j * n] * vec[j + i * n];
                    lam->tan[k * n + i] = acc;
                }
            return lam;
        }
        /* T_k^T = S_k V (S_k symmetric), so P_k = V^T S_k V = V^T T_k^T:
           transpose each block in place, then one GEMM */
        dj_transpose_blocks_(T, n, p);
        lmul(1, n, n, n, p, 1.0, vec, n, T, 0.0, S);       /* S_k <- P_k */
        for (size_t k = 0; k < p; ++k) {
            double *P = S + k * nn;
            for (size_t i = 0; i < n; ++i)
                lam->tan[k * n + i] = P[i + i * n];
            for (size_t j = 0; j < n; ++j)
                for (size_t i = 0; i < n; ++i)
                    P[i + j * n] = i == j ? 0.0 : P[i + j * n] / (w[j] - w[i]);
        }
        lmul(0, n, n, n, p, 1.0, vec, n, S, 0.0, Vm->tan);  /* dV = V (F o P) */
    }
    if (rev) {
        dec_save_ t = { .f0 = vec };
        if (dec_push(c, bw_eigh, A, outs, 2, &t, op))
            return NULL;
    }
    if (V)
        *V = Vm;
    return lam;
}

/* ---- thin QR ------------------------------------------------------------------ */

/* Adjoint of the thin QR (RULES.md): M = triu(Rb R^T - Q^T Qb),
 * Ab = (Qb + Q (M + M^T - diag M)) R^-T. Blocks: Rb_k R^T one TRMM
 * (stacked), Q^T [Qb_k] one GEMM, Q [Z_k] one GEMM, the R^-T solve one TRSM
 * (stacked). */
static void bw_qr(dj_ctx *c, const dj_tape_entry_ *e)
{
    const char *op = "dj_mat_qr";
    const dec_save_ *sv = e->ptr;
    if (!dec_runs(e))
        return;
    const dj_mat *A = e->in[0];
    size_t m = A->rows, n = A->cols, nn = n * n, q = c->p;
    double *ab = dj_adj_(c, A);
    double *M = scratch(c, nn * q, op), *Y = scratch(c, m * n * q, op);
    double *s = scratch(c, m * n * q, op);
    if (ab == NULL || M == NULL || Y == NULL || s == NULL)
        return;
    const double *Qv = sv->f0, *Rv = sv->f1, *qb = sv->out[0]->adj;
    const double *rb = sv->nout > 1 ? sv->out[1]->adj : NULL;
    if (rb)
        rtri_op(0, 1, n, n, q, Rv, rb, 0.0, M, s);          /* Rb_k R^T */
    else
        memset(M, 0, nn * q * sizeof(double));
    if (qb)
        lmul(1, n, m, n, q, -1.0, Qv, m, qb, 1.0, M);        /* - Q^T Qb_k */
    for (size_t k = 0; k < q; ++k) {                          /* Z = M + M^T - diag M */
        double *z = M + k * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = j + 1; i < n; ++i)
                z[i + j * n] = z[j + i * n];
    }
    if (qb)
        memcpy(Y, qb, m * n * q * sizeof(double));
    else
        memset(Y, 0, m * n * q * sizeof(double));
    lmul(0, m, n, n, q, 1.0, Qv, m, M, 1.0, Y);              /* Qb + Q Z */
    rtri_op(1, 1, m, n, q, Rv, Y, 1.0, ab, s);               /* Ab += Y R^-T */
}

dj_mat *dj_mat_qr(dj_ctx *c, const dj_mat *A, dj_mat **R)
{
    const char *op = "dj_mat_qr";
    if (R)
        *R = NULL;
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    size_t m = A->rows, n = A->cols;
    if (m < n)
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu has fewer rows than columns", m, n);
    if (!sizes_fit(c, m, n))
        return dj_fail_(c, DJ_EDIM, op, "too large for BLAS/LAPACK int sizes");
    if (!all_finite(A->val, m * n))
        return dj_fail_(c, DJ_ENONFINITE, op, "NaN or Inf in the input");
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    int rev = act && c->mode == DJ_MODE_REVERSE;
    size_t p = c->p;
    dj_mat *Q = dj_mat_alloc_(c, m, n, act, op);
    double *Rv = R ? NULL : scratch(c, n * n, op), *tau = scratch(c, n, op);
    dj_mat *Rm = R ? dj_mat_alloc_(c, n, n, act, op) : NULL;
    if (Q == NULL || tau == NULL || (R ? Rm == NULL : Rv == NULL))
        return NULL;
    if (Rm)
        Rv = Rm->val;
    double *q = Q->val;
    memcpy(q, A->val, m * n * sizeof(double));
    lapack_int M = (lapack_int)m, N = (lapack_int)n, info;
    double wq;
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, M, N, q, M, tau, &wq, -1);
    if (info != 0)
        return lapack_fail(c, op, "dgeqrf (workspace query)", info);
    double wq2;
    info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, M, N, N, q, M, tau, &wq2, -1);
    if (info != 0)
        return lapack_fail(c, op, "dorgqr (workspace query)", info);
    lapack_int lwork = (lapack_int)fmax(fmax(wq, wq2), (double)N);
    double *work = scratch(c, (size_t)lwork, op);
    if (work == NULL)
        return NULL;
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, M, N, q, M, tau, work, lwork);
    if (info != 0)
        return lapack_fail(c, op, "dgeqrf", info);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            Rv[i + j * n] = i <= j ? q[i + j * m] : 0.0;
    /* full column rank, relative to the largest column of A */
    double colmax = 0;
    for (size_t j = 0; j < n; ++j)
        colmax = fmax(colmax, cblas_dnrm2((int)m, A->val + j * m, 1));
    double tol = 16.0 * (double)m * DBL_EPSILON * colmax;
    for (size_t i = 0; i < n; ++i)
        if (!(fabs(Rv[i + i * n]) > tol))
            return dj_fail_(c, DJ_ESINGULAR, op,
                            "rank-deficient input: |R(%zu,%zu)| = %g", i, i,
                            fabs(Rv[i + i * n]));
    info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, M, N, N, q, M, tau, work, lwork);
    if (info != 0)
        return lapack_fail(c, op, "dorgqr", info);
    /* positive diagonal of R: flip row i of R and column i of Q */
    for (size_t i = 0; i < n; ++i)
        if (Rv[i + i * n] < 0) {
            for (size_t j = i; j < n; ++j)
                Rv[i + j * n] = -Rv[i + j * n];
            flip_col(q, m, i);
        }
    if (fwd) {
        /* Y = dA R^-1 (into dQ), X = Q^T Y, D = Psi(X + X^T),
           dQ = Y - Q D, dR = D R */
        size_t nn = n * n;
        double *s = p > 1 ? scratch(c, m * n * p, op) : NULL, *X = scratch(c, nn * p, op);
        if ((p > 1 && s == NULL) || X == NULL)
            return NULL;
        rtri(1, m, n, p, Rv, A->tan, Q->tan, s);
        lmul(1, n, m, n, p, 1.0, q, m, Q->tan, 0.0, X);
        for (size_t k = 0; k < p; ++k) {
            double *x = X + k * nn;
            for (size_t j = 0; j < n; ++j)
                for (size_t i = j + 1; i < n; ++i) {
                    x[j + i * n] += x[i + j * n];     /* upper (j, i) */
                    x[i + j * n] = 0.0;
                }
        }
        lmul(0, m, n, n, p, -1.0, q, m, X, 1.0, Q->tan);
        if (Rm)
            rtri(0, n, n, p, Rv, X, Rm->tan, s);
    }
    if (rev) {
        dj_mat *outs[2] = { Q, Rm };
        dec_save_ t = { .f0 = q, .f1 = Rv };
        if (dec_push(c, bw_qr, A, outs, 2, &t, op))
            return NULL;
    }
    if (R)
        *R = Rm;
    return Q;
}

/* ---- thin SVD ----------------------------------------------------------------- */

/* The SVD behind dj_mat_svd and the norms. A is m-by-n; when m < n the SVD
 * of A^T is taken (only the norms get there). Values (r = min(m, n),
 * descending, into s_dst) from the values-only driver unless
 * values_from_vecs, else from the vector one. With want_vecs, L (m-by-r)
 * and Rt (n-by-r) are left and right singular vectors of A itself (L = U,
 * Rt = V for m >= n), sign-normalized when normalize. */
typedef struct svd_out {
    size_t r;
    double *s, *L, *Rt;
} svd_out;

static int svd_core(dj_ctx *c, const char *op, const dj_mat *A, int values_from_vecs,
                    int want_vecs, int normalize, svd_out *o, double *s_dst)
{
    size_t m = A->rows, n = A->cols;
    int tr = m < n;
    size_t mm = tr ? n : m, nn = tr ? m : n;    /* the factored matrix, mm >= nn */
    o->r = nn;
    double *a = scratch(c, m * n, op);
    if (a == NULL)
        return -1;
    o->s = s_dst;
    o->L = o->Rt = NULL;
    /* the factored matrix: A or A^T */
#define LOAD_()                                                      \
    do {                                                             \
        if (!tr)                                                     \
            memcpy(a, A->val, m * n * sizeof(double));               \
        else                                                         \
            for (size_t j_ = 0; j_ < n; ++j_)                        \
                for (size_t i_ = 0; i_ < m; ++i_)                    \
                    a[j_ + i_ * n] = A->val[i_ + j_ * m];            \
    } while (0)
    LOAD_();
    if (!values_from_vecs) {
        if (gesdd(c, op, 'N', mm, nn, a, s_dst, NULL, NULL))
            return -1;
        if (!want_vecs)
            return 0;
        LOAD_();
    }
#undef LOAD_
    double *u = scratch(c, mm * nn, op), *vt = scratch(c, nn * nn, op);
    double *sv = values_from_vecs ? s_dst : scratch(c, nn, op);
    double *v = scratch(c, nn * nn, op);
    if (u == NULL || vt == NULL || sv == NULL || v == NULL)
        return -1;
    if (gesdd(c, op, 'S', mm, nn, a, sv, u, vt))
        return -1;
    for (size_t j = 0; j < nn; ++j)
        for (size_t i = 0; i < nn; ++i)
            v[i + j * nn] = vt[j + i * nn];
    if (normalize)
        for (size_t j = 0; j < nn; ++j)
            if (col_needs_flip(tr ? u : v, tr ? mm : nn, j)) {
                flip_col(u, mm, j);
                flip_col(v, nn, j);
            }
    /* A = U S V^T, or A^T = U S V^T so A = V S U^T */
    o->L = tr ? v : u;
    o->Rt = tr ? u : v;
    return 0;
}

/* ds_k(i) = L_i^T dA_k R_i for every block (into out, r per block). */
static int svd_value_tangents(dj_ctx *c, const char *op, const dj_mat *A, const svd_out *o,
                              double *out)
{
    size_t m = A->rows, n = A->cols, r = o->r, p = c->p;
    double *T = scratch(c, r * n * p, op);
    if (T == NULL)
        return -1;
    lmul(1, r, m, n, p, 1.0, o->L, m, A->tan, 0.0, T);   /* T_k = L^T dA_k */
    for (size_t k = 0; k < p; ++k)
        for (size_t i = 0; i < r; ++i) {
            double acc = 0;
            for (size_t j = 0; j < n; ++j)
                acc += T[k * r * n + i + j * r] * o->Rt[j + i * n];
            out[k * r + i] = acc;
        }
    return 0;
}

static int check_input(dj_ctx *c, const char *op, const dj_mat *A)
{
    if (!sizes_fit(c, A->rows, A->cols)) {
        dj_fail_(c, DJ_EDIM, op, "too large for BLAS/LAPACK int sizes");
        return 0;
    }
    if (!all_finite(A->val, dj_numel_(A))) {
        dj_fail_(c, DJ_ENONFINITE, op, "NaN or Inf in the input");
        return 0;
    }
    return 1;
}

/* Adjoint of the thin SVD. With Ju = U^T Ub, Jv = V^T Vb and
 * E_ij = 1/(s_j^2 - s_i^2) (0 on the diagonal), the forward rule gives
 * <sb, ds> + <Ub, dU> + <Vb, dV> = <U G V^T + Ub S^-1 V^T, dA> for
 *   G_ij = sb_i [i == j] + E_ij (s_j (Ju - Ju^T)_ij + s_i (Jv - Jv^T)_ij)
 *          - Ju_ij / s_j,
 * which is RULES.md's U ((J S + S K) / E + diag(sb)) V^T
 * + (I - U U^T) Ub S^-1 V^T. Values alone: G = diag(sb). Blocks: U^T [Ub_k],
 * V^T [Vb_k] and U [G_k] one GEMM each, the right product by V^T one GEMM
 * (stacked). */
static void bw_svd(dj_ctx *c, const dj_tape_entry_ *e)
{
    const char *op = "dj_mat_svd";
    const dec_save_ *sv = e->ptr;
    if (!dec_runs(e))
        return;
    const dj_mat *A = e->in[0], *S = sv->out[0];
    size_t m = A->rows, n = A->cols, nn = n * n, mn = m * n, q = c->p;
    double *ab = dj_adj_(c, A);
    double *Ju = scratch(c, nn * q, op), *Jv = scratch(c, nn * q, op);
    double *G = scratch(c, nn * q, op), *W = scratch(c, mn * q, op);
    double *sx = q > 1 ? scratch(c, mn * q, op) : NULL;
    double *sy = q > 1 ? scratch(c, mn * q, op) : NULL;
    if (ab == NULL || Ju == NULL || Jv == NULL || G == NULL || W == NULL
        || (q > 1 && (sx == NULL || sy == NULL)))
        return;
    const double *u = sv->f0, *v = sv->f1, *sval = S->val, *sb = S->adj;
    const double *ub = sv->U ? sv->U->adj : NULL, *vb = sv->V ? sv->V->adj : NULL;
    if (ub)
        lmul(1, n, m, n, q, 1.0, u, m, ub, 0.0, Ju);
    if (vb)
        lmul(1, n, n, n, q, 1.0, v, n, vb, 0.0, Jv);
    for (size_t k = 0; k < q; ++k) {
        const double *ju = Ju + k * nn, *jv = Jv + k * nn;
        double *g = G + k * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i) {
                double x = 0, si = sval[i], sj = sval[j];
                if (i == j && sb)
                    x = sb[k * n + i];
                if (i != j && (ub || vb)) {
                    double t = 0;
                    if (ub)
                        t += sj * (ju[i + j * n] - ju[j + i * n]);
                    if (vb)
                        t += si * (jv[i + j * n] - jv[j + i * n]);
                    x += t / ((sj - si) * (sj + si));
                }
                if (ub)
                    x -= ju[i + j * n] / sj;
                g[i + j * n] = x;
            }
    }
    /* W_k = Ub_k S^-1 + U G_k, Ab_k += W_k V^T */
    if (ub)
        for (size_t k = 0; k < q; ++k)
            for (size_t j = 0; j < n; ++j)
                for (size_t i = 0; i < m; ++i)
                    W[k * mn + i + j * m] = ub[k * mn + i + j * m] / sval[j];
    lmul(0, m, n, n, q, 1.0, u, m, G, ub ? 1.0 : 0.0, W);
    rmul_op(m, n, n, q, 1, W, v, n, 1.0, ab, sx, sy);
}

dj_mat *dj_mat_svd(dj_ctx *c, const dj_mat *A, dj_mat **U, dj_mat **V)
{
    const char *op = "dj_mat_svd";
    if (U)
        *U = NULL;
    if (V)
        *V = NULL;
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    size_t m = A->rows, n = A->cols, p = c->p;
    if (m < n)
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu has fewer rows than columns", m, n);
    if (!check_input(c, op, A))
        return NULL;
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    int rev = act && c->mode == DJ_MODE_REVERSE, vecs = U || V;
    dj_mat *s = dj_mat_alloc_(c, n, 1, act, op);
    dj_mat *Um = U ? dj_mat_alloc_(c, m, n, act, op) : NULL;
    dj_mat *Vm = V ? dj_mat_alloc_(c, n, n, act, op) : NULL;
    if (s == NULL || (U && Um == NULL) || (V && Vm == NULL))
        return NULL;
    svd_out o;
    if (svd_core(c, op, A, vecs, vecs || act, vecs, &o, s->val))
        return NULL;
    const double *sv = s->val;
    if (act && vecs) {
        for (size_t i = 0; i < n; ++i)
            if (sv[i] <= DJ_GAP_TOL_ * sv[0] || (i + 1 < n && sv[i] - sv[i + 1] <= DJ_GAP_TOL_ * sv[0]))
                return dj_fail_(c, DJ_EDOMAIN, op,
                                "repeated or zero singular values (s[%zu] = %.17g): the "
                                "singular vectors have no derivative", i, sv[i]);
    }
    if (Um)
        memcpy(Um->val, o.L, m * n * sizeof(double));
    if (Vm)
        memcpy(Vm->val, o.Rt, n * n * sizeof(double));
    if (fwd && !vecs) {
        if (svd_value_tangents(c, op, A, &o, s->tan))
            return NULL;
    } else if (fwd) {
        /* Y_k = dA_k V, P_k = U^T Y_k, ds = diag P,
           dU = U (F o (P S + S P^T) - P S^-1) + Y S^-1,
           dV = V (F o (S P + P^T S)), F_ij = 1/(s_j^2 - s_i^2) */
        size_t nn = n * n;
        double *Y = scratch(c, m * n * p, op), *P = scratch(c, nn * p, op);
        double *H = scratch(c, nn * p, op);
        double *sx = p > 1 ? scratch(c, m * n * p, op) : NULL;
        double *sy = p > 1 ? scratch(c, m * n * p, op) : NULL;
        if (Y == NULL || P == NULL || H == NULL || (p > 1 && (sx == NULL || sy == NULL)))
            return NULL;
        const double *u = o.L, *v = o.Rt;
        rmul(m, n, n, p, 1.0, A->tan, v, 0.0, Y, sx, sy);
        lmul(1, n, m, n, p, 1.0, u, m, Y, 0.0, P);
        for (size_t k = 0; k < p; ++k)
            for (size_t i = 0; i < n; ++i)
                s->tan[k * n + i] = P[k * nn + i + i * n];
        if (Um) {
            for (size_t k = 0; k < p; ++k) {
                const double *Pk = P + k * nn;
                double *h = H + k * nn;
                for (size_t j = 0; j < n; ++j)
                    for (size_t i = 0; i < n; ++i) {
                        double pij = Pk[i + j * n], x = -pij / sv[j];
                        if (i != j)
                            x += (pij * sv[j] + sv[i] * Pk[j + i * n])
                                 / ((sv[j] - sv[i]) * (sv[j] + sv[i]));
                        h[i + j * n] = x;
                    }
            }
            for (size_t k = 0; k < p; ++k)
                for (size_t j = 0; j < n; ++j)
                    for (size_t i = 0; i < m; ++i)
                        Um->tan[k * m * n + i + j * m] = Y[k * m * n + i + j * m] / sv[j];
            lmul(0, m, n, n, p, 1.0, u, m, H, 1.0, Um->tan);
        }
        if (Vm) {
            for (size_t k = 0; k < p; ++k) {
                const double *Pk = P + k * nn;
                double *h = H + k * nn;
                for (size_t j = 0; j < n; ++j)
                    for (size_t i = 0; i < n; ++i)
                        h[i + j * n] = i == j ? 0.0
                                              : (sv[i] * Pk[i + j * n] + Pk[j + i * n] * sv[j])
                                                    / ((sv[j] - sv[i]) * (sv[j] + sv[i]));
            }
            lmul(0, n, n, n, p, 1.0, v, n, H, 0.0, Vm->tan);
        }
    }
    if (rev) {
        dj_mat *outs[3] = { s, Um, Vm };
        dec_save_ t = { .U = Um, .V = Vm, .f0 = o.L, .f1 = o.Rt };
        if (dec_push(c, bw_svd, A, outs, 3, &t, op))
            return NULL;
    }
    if (U)
        *U = Um;
    if (V)
        *V = Vm;
    return s;
}

/* ---- norms -------------------------------------------------------------------- */

/* Adjoint of a norm b (1x1): Ab_k += (s bb_k) M for the saved M (d0) and
 * scale s; one rank-one update over the q blocks. */
static void bw_norm(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    size_t n = dj_numel_(A);
    if (isnan(e->s)) {
        for (size_t i = 0; i < n * c->p; ++i)
            ab[i] = NAN;
        return;
    }
    cblas_dger(CblasColMajor, (int)n, (int)c->p, e->s, e->d0, 1, e->out->adj, 1, ab, (int)n);
}

static int norm_push(dj_ctx *c, dj_mat *B, const dj_mat *A, const double *M, double scale,
                     const char *op)
{
    dj_tape_entry_ *e = dj_tape_push_(c, bw_norm, B, A, NULL, op);
    if (e == NULL)
        return -1;
    e->d0 = M;
    e->s = scale;
    return 0;
}

/* Frobenius norm; at A = 0 the value is 0 and the derivative is taken as 0
 * (the norm has no derivative there). No LAPACK is involved, so NaN and Inf
 * propagate into the value as in any arithmetic. dB_k = <A, dA_k>/b: one
 * GEMV over the p blocks. */
dj_mat *dj_mat_norm_fro(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_norm_fro";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!sizes_fit(c, A->rows, A->cols))
        return dj_fail_(c, DJ_EDIM, op, "too large for BLAS int sizes");
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    dj_mat *B = dj_mat_alloc_(c, 1, 1, act, op);
    if (B == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    double b = cblas_dnrm2((int)n, A->val, 1);
    B->val[0] = b;
    if (B->on_tape) {
        /* Ab += (bb / b) A: 0 at A = 0, NaN where the norm is not finite */
        double f = b == 0.0 ? 0.0 : isfinite(b) ? 1.0 / b : NAN;
        if (norm_push(c, B, A, A->val, f, op))
            return NULL;
    }
    if (fwd) {
        if (b == 0.0 || !isfinite(b))
            for (size_t k = 0; k < c->p; ++k)
                B->tan[k] = b == 0.0 ? 0.0 : NAN;
        else
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)c->p, 1.0 / b, A->tan, (int)n,
                        A->val, 1, 0.0, B->tan, 1);
    }
    return B;
}

/* <M, dA_k> for every block: one GEMV. */
static void inner_all(const dj_ctx *c, const dj_mat *A, const double *M, double *out)
{
    size_t n = dj_numel_(A);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)c->p, 1.0, A->tan, (int)n, M, 1, 0.0,
                out, 1);
}

/* Nuclear norm, sum of the singular values (any shape). d = <U V^T, dA>:
 * the polar factor U V^T is well defined with repeated singular values, but
 * not with a zero one (relative to the largest; A = 0 included), which
 * fails with DJ_EDOMAIN when the tangent is needed. */
dj_mat *dj_mat_norm_nuc(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_norm_nuc";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!check_input(c, op, A))
        return NULL;
    size_t m = A->rows, n = A->cols, r = m < n ? m : n;
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    dj_mat *B = dj_mat_alloc_(c, 1, 1, act, op);
    double *s = scratch(c, r, op);
    if (B == NULL || s == NULL)
        return NULL;
    svd_out o;
    if (svd_core(c, op, A, 0, act, 0, &o, s))
        return NULL;
    double sum = 0;
    for (size_t i = r; i-- > 0;)          /* smallest first */
        sum += s[i];
    B->val[0] = sum;
    if (act) {
        if (s[r - 1] <= DJ_GAP_TOL_ * s[0])
            return dj_fail_(c, DJ_EDOMAIN, op,
                            "zero singular value (%.17g, largest %.17g): the nuclear norm "
                            "has no derivative", s[r - 1], s[0]);
        double *M = scratch(c, m * n, op);
        if (M == NULL)
            return NULL;
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)r, 1.0, o.L,
                    (int)m, o.Rt, (int)n, 0.0, M, (int)m);
        if (fwd)
            inner_all(c, A, M, B->tan);
        else if (norm_push(c, B, A, M, 1.0, op))      /* Ab += bb U V^T */
            return NULL;
    }
    return B;
}

/* Spectral norm, the largest singular value (any shape). d = u1^T dA v1;
 * needs s1 simple and non-zero (else DJ_EDOMAIN when the tangent is
 * needed). */
dj_mat *dj_mat_norm_2(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_norm_2";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (!check_input(c, op, A))
        return NULL;
    size_t m = A->rows, n = A->cols, r = m < n ? m : n;
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    dj_mat *B = dj_mat_alloc_(c, 1, 1, act, op);
    double *s = scratch(c, r, op);
    if (B == NULL || s == NULL)
        return NULL;
    svd_out o;
    if (svd_core(c, op, A, 0, act, 0, &o, s))
        return NULL;
    B->val[0] = s[0];
    if (act) {
        if (s[0] == 0.0 || (r > 1 && s[0] - s[1] <= DJ_GAP_TOL_ * s[0]))
            return dj_fail_(c, DJ_EDOMAIN, op,
                            "largest singular value %.17g is zero or repeated: the spectral "
                            "norm has no derivative", s[0]);
        double *M = scratch(c, m * n, op);
        if (M == NULL)
            return NULL;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < m; ++i)
                M[i + j * m] = o.L[i] * o.Rt[j];
        if (fwd)
            inner_all(c, A, M, B->tan);
        else if (norm_push(c, B, A, M, 1.0, op))      /* Ab += bb u1 v1^T */
            return NULL;
    }
    return B;
}

/* ---- matrix exponential ----------------------------------------------------------- */

/* Scaling and squaring with Pade approximants r_m, m in {3, 5, 7, 9, 13}
 * (N. J. Higham, "The scaling and squaring method for the matrix
 * exponential revisited", SIAM J. Matrix Anal. Appl. 26(4), 2005: the
 * theta_m bounds on ||A||_1, the coefficients, the evaluation scheme).
 *
 * The tangent is the Frechet derivative L(A, dA), computed by
 * differentiating the algorithm in forward mode with the same m and s as
 * the primal (A. H. Al-Mohy and N. J. Higham, "Computing the Frechet
 * derivative of the matrix exponential, with an application to condition
 * number estimation", SIAM J. Matrix Anal. Appl. 30(4), 2009, Alg. 6.4):
 * every product X Y becomes dX Y + X dY, the Pade solve
 * (V - U) R = U + V becomes (V - U) dR = (dU + dV) + (dU - dV) R with the
 * primal's LU (one getrs for all p directions), and each squaring
 * R <- R^2 becomes dR <- R dR + dR R. Left products are one GEMM over the
 * p blocks, right products one GEMM in the stacked layout. Cost per
 * direction about twice the primal's products, instead of the 2n-by-2n
 * exponential (about 8 primal costs) of the block form.
 *
 * A result that overflows (Inf or NaN) fails with DJ_ENONFINITE, in every
 * mode alike; a derivative that overflows (or non-finite directions,
 * tangents or adjoints) propagates Inf or NaN, as in every other
 * operation. */

static const double pade3[] = { 120., 60., 12., 1. };
static const double pade5[] = { 30240., 15120., 3360., 420., 30., 1. };
static const double pade7[] = { 17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1. };
static const double pade9[] = { 17643225600., 8821612800., 2075673600., 302702400., 30270240.,
                                2162160., 110880., 3960., 90., 1. };
static const double pade13[] = { 64764752532480000., 32382376266240000., 7771770303897600.,
                                 1187353796428800., 129060195264000., 10559470521600.,
                                 670442572800., 33522128640., 1323241920., 40840800., 960960.,
                                 16380., 182., 1. };

/* y = sum_t coef[t] x_t over up to three n-by-n (or wide) arrays, plus
 * id * I when ident (only for n-by-n, count = n*n). */
static void lincomb(double *y, size_t count, size_t n, double a0, const double *x0, double a1,
                    const double *x1, double a2, const double *x2, double id)
{
    for (size_t i = 0; i < count; ++i) {
        double v = a0 * x0[i];
        if (x1)
            v += a1 * x1[i];
        if (x2)
            v += a2 * x2[i];
        y[i] = v;
    }
    if (id != 0.0)
        for (size_t i = 0; i < n; ++i)
            y[i + i * n] += id;
}

static void gemm_nn(size_t n, double alpha, const double *X, const double *Y, double beta,
                    double *Z)
{
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, alpha, X,
                (int)n, Y, (int)n, beta, Z, (int)n);
}

/* exp(Av) into X (n-by-n) and, when dA (p wide blocks) is given, the
 * Frechet derivatives L(Av, dA_k) into dX. The Pade degree index and the
 * scaling come from ||Av||_1 and are returned in *dsel, *ssel, unless
 * fixed, when those given are used (the adjoint's run at A^T must
 * differentiate the same rational function as the primal at A). Returns 0,
 * or -1 with the error recorded. */
static int expm_core(dj_ctx *c, const char *op, size_t n, size_t p, const double *Av,
                     const double *dA, int fixed, int *dsel, int *ssel, double *X, double *dX)
{
    int fwd = dA != NULL;
    size_t nn = n * n, np = fwd ? nn * p : 0;

    /* degree and scaling from ||A||_1 */
    static const double theta[] = { 1.495585217958292e-2, 2.539398330063230e-1,
                                    9.504178996162932e-1, 2.097847961257068e0,
                                    5.371920351148152e0 };
    static const int degrees[] = { 3, 5, 7, 9, 13 };
    static const double *const coefs[] = { pade3, pade5, pade7, pade9, pade13 };
    double norm = 0;
    for (size_t j = 0; j < n; ++j)
        norm = fmax(norm, cblas_dasum((int)n, Av + j * n, 1));
    int d = 0;
    while (d < 4 && norm > theta[d])
        ++d;
    int s = 0;
    if (d == 4 && norm > theta[4]) {
        int e;
        double f = frexp(norm / theta[4], &e);      /* norm/theta = f 2^e, f in [1/2, 1) */
        s = f == 0.5 ? e - 1 : e;                   /* ceil(log2(norm/theta)) */
        if (s < 0)
            s = 0;
    }
    if (fixed) {
        d = *dsel;
        s = *ssel;
    }
    *dsel = d;
    *ssel = s;
    int deg = degrees[d];
    const double *b = coefs[d];

    /* n-by-n work: B = A/2^s, its even powers, U, V, and temporaries */
    double *B = scratch(c, nn, op), *B2 = scratch(c, nn, op), *B4 = scratch(c, nn, op);
    double *B6 = scratch(c, nn, op), *B8 = scratch(c, nn, op), *W = scratch(c, nn, op);
    double *Z = scratch(c, nn, op), *Uv = scratch(c, nn, op), *Vv = scratch(c, nn, op);
    double *LU = scratch(c, nn, op), *T = scratch(c, nn, op);
    lapack_int *ipiv = dj_ctx_alloc_(c, n * sizeof(lapack_int), op);
    if (!B || !B2 || !B4 || !B6 || !B8 || !W || !Z || !Uv || !Vv || !LU || !T || !ipiv)
        return -1;
    /* tangents (wide n-by-(n p)), and stacked scratch for right products */
    double *dB = NULL, *dB2 = NULL, *dB4 = NULL, *dB6 = NULL, *dB8 = NULL, *dW = NULL;
    double *dZ = NULL, *dU = NULL, *dV = NULL, *sx = NULL, *sy = NULL;
    if (fwd) {
        dB = scratch(c, np, op); dB2 = scratch(c, np, op); dB4 = scratch(c, np, op);
        dB6 = scratch(c, np, op); dB8 = scratch(c, np, op); dW = scratch(c, np, op);
        dZ = scratch(c, np, op); dU = scratch(c, np, op); dV = scratch(c, np, op);
        if (p > 1) {
            sx = scratch(c, np, op);
            sy = scratch(c, np, op);
        }
        if (!dB || !dB2 || !dB4 || !dB6 || !dB8 || !dW || !dZ || !dU || !dV
            || (p > 1 && (!sx || !sy)))
            return -1;
    }
    for (size_t i = 0; i < nn; ++i)
        B[i] = ldexp(Av[i], -s);
    if (fwd)
        for (size_t i = 0; i < np; ++i)
            dB[i] = ldexp(dA[i], -s);

    /* dY = X dX' + dX Y' for all blocks (Y, X: n-by-n values) */
#define PROD_(dY, X, dXr, dXl, Y)                                            \
    do {                                                                     \
        lmul(0, n, n, n, p, 1.0, (X), n, (dXr), 0.0, (dY));                  \
        rmul(n, n, n, p, 1.0, (dXl), (Y), 1.0, (dY), sx, sy);                \
    } while (0)

    gemm_nn(n, 1.0, B, B, 0.0, B2);
    if (fwd)
        PROD_(dB2, B, dB, dB, B);                     /* d(B B) = B dB + dB B */
    if (deg < 13) {
        /* U = B (b1 I + b3 B2 + b5 B4 + ...), V = b0 I + b2 B2 + b4 B4 + ... */
        double *pw[5] = { NULL, B2, B4, B6, B8 }, *dpw[5] = { NULL, dB2, dB4, dB6, dB8 };
        int h = (deg - 1) / 2;
        for (int j = 2; j <= h; ++j) {
            gemm_nn(n, 1.0, pw[j - 1], B2, 0.0, pw[j]);
            if (fwd)
                PROD_(dpw[j], pw[j - 1], dB2, dpw[j - 1], B2);
        }
        lincomb(W, nn, n, 0.0, B2, 0, NULL, 0, NULL, b[1]);
        lincomb(Vv, nn, n, 0.0, B2, 0, NULL, 0, NULL, b[0]);
        for (int j = 1; j <= h; ++j)
            for (size_t i = 0; i < nn; ++i) {
                W[i] += b[2 * j + 1] * pw[j][i];
                Vv[i] += b[2 * j] * pw[j][i];
            }
        gemm_nn(n, 1.0, B, W, 0.0, Uv);
        if (fwd) {
            memset(dW, 0, np * sizeof(double));
            memset(dV, 0, np * sizeof(double));
            for (int j = 1; j <= h; ++j)
                for (size_t i = 0; i < np; ++i) {
                    dW[i] += b[2 * j + 1] * dpw[j][i];
                    dV[i] += b[2 * j] * dpw[j][i];
                }
            PROD_(dU, B, dW, dB, W);                  /* d(B W) = B dW + dB W */
        }
    } else {
        gemm_nn(n, 1.0, B2, B2, 0.0, B4);
        gemm_nn(n, 1.0, B4, B2, 0.0, B6);
        if (fwd) {
            PROD_(dB4, B2, dB2, dB2, B2);
            PROD_(dB6, B4, dB2, dB4, B2);
        }
        /* U = B [B6 (b13 B6 + b11 B4 + b9 B2) + b7 B6 + b5 B4 + b3 B2 + b1 I] */
        lincomb(T, nn, n, b[13], B6, b[11], B4, b[9], B2, 0.0);
        lincomb(W, nn, n, b[7], B6, b[5], B4, b[3], B2, b[1]);
        gemm_nn(n, 1.0, B6, T, 1.0, W);
        gemm_nn(n, 1.0, B, W, 0.0, Uv);
        if (fwd) {
            lincomb(dZ, np, 0, b[13], dB6, b[11], dB4, b[9], dB2, 0.0);   /* dT */
            lincomb(dW, np, 0, b[7], dB6, b[5], dB4, b[3], dB2, 0.0);
            lmul(0, n, n, n, p, 1.0, B6, n, dZ, 1.0, dW);
            rmul(n, n, n, p, 1.0, dB6, T, 1.0, dW, sx, sy);
            PROD_(dU, B, dW, dB, W);
        }
        /* V = B6 (b12 B6 + b10 B4 + b8 B2) + b6 B6 + b4 B4 + b2 B2 + b0 I */
        lincomb(T, nn, n, b[12], B6, b[10], B4, b[8], B2, 0.0);
        lincomb(Vv, nn, n, b[6], B6, b[4], B4, b[2], B2, b[0]);
        gemm_nn(n, 1.0, B6, T, 1.0, Vv);
        if (fwd) {
            lincomb(dZ, np, 0, b[12], dB6, b[10], dB4, b[8], dB2, 0.0);
            lincomb(dV, np, 0, b[6], dB6, b[4], dB4, b[2], dB2, 0.0);
            lmul(0, n, n, n, p, 1.0, B6, n, dZ, 1.0, dV);
            rmul(n, n, n, p, 1.0, dB6, T, 1.0, dV, sx, sy);
        }
    }
#undef PROD_

    /* (V - U) X = U + V */
    for (size_t i = 0; i < nn; ++i) {
        LU[i] = Vv[i] - Uv[i];
        X[i] = Uv[i] + Vv[i];
    }
    lapack_int N = (lapack_int)n;
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, N, N, LU, N, ipiv);
    if (info > 0) {
        dj_fail_(c, DJ_ESINGULAR, op, "the Pade denominator is singular (info %d)", (int)info);
        return -1;
    }
    if (info < 0) {
        lapack_fail(c, op, "dgetrf", info);
        return -1;
    }
    info = LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', N, N, LU, N, ipiv, X, N);
    if (info != 0) {
        lapack_fail(c, op, "dgetrs", info);
        return -1;
    }
    if (fwd) {
        /* (V - U) dX = (dU + dV) + (dU - dV) X: one getrs for all p blocks */
        for (size_t i = 0; i < np; ++i) {
            double du = dU[i], dv = dV[i];
            dX[i] = du + dv;
            dW[i] = du - dv;
        }
        rmul(n, n, n, p, 1.0, dW, X, 1.0, dX, sx, sy);
        info = LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', N, (lapack_int)(n * p), LU, N, ipiv,
                                   dX, N);
        if (info != 0) {
            lapack_fail(c, op, "dgetrs", info);
            return -1;
        }
    }
    /* squaring: X <- X^2, dX <- X dX + dX X */
    for (int t = 0; t < s; ++t) {
        memcpy(T, X, nn * sizeof(double));
        gemm_nn(n, 1.0, T, T, 0.0, X);
        if (fwd) {
            memcpy(dW, dX, np * sizeof(double));
            lmul(0, n, n, n, p, 1.0, T, n, dW, 0.0, dX);
            rmul(n, n, n, p, 1.0, dW, T, 1.0, dX, sx, sy);
        }
    }
    /* Only the exponential itself may fail: it is the same in every mode.
       A derivative that overflows, or NaN or Inf that came in with the
       directions, propagates as through every other operation. Failing on
       the derivative made the modes disagree (found by the fuzzer): forward
       mode sees L(A, dA) for the tangents coming in, reverse mode
       L(A, Cb^T) for the adjoints coming back (a NaN from downstream, or
       1e300 times the output), so one failed where the other did not. */
    if (!all_finite(X, nn)) {
        dj_fail_(c, DJ_ENONFINITE, op, "the exponential overflows (||A||_1 = %g)", norm);
        return -1;
    }
    return 0;
}

/* Adjoint of expm. The primal is the rational function
 * f(A) = r_m(A / 2^s)^(2^s) with real coefficients (m and s fixed by the
 * primal run), and for any such function <Cb, L_f(A, dA)> =
 * <L_f(A^T, Cb), dA> and L_f(A^T, C) = L_f(A, C^T)^T (true of every power
 * A^j, hence of sums, products and inverses of them). So
 * Ab_k += L_f(A, Cb_k^T)^T: the forward Frechet code run at A itself, with
 * the primal's m and s (z[0], z[1]) and the transposed adjoint blocks as
 * its directions. Running it at A, not at A^T, makes its exponential the
 * primal's bit for bit: at A^T rounding differs, and for a badly scaled A
 * (an entry of 1e300) the exponential of A^T overflowed where the primal's
 * did not, so reverse mode failed where forward mode succeeded (found by
 * the fuzzer). Cost: one primal and the Frechet products, about the
 * forward rule's cost with q directions, plus 2 q transposes. */
static void bw_expm(dj_ctx *c, const dj_tape_entry_ *e)
{
    const char *op = "dj_mat_expm";
    const dj_mat *A = e->in[0];
    size_t n = A->rows, nn = n * n, q = c->p;
    double *ab = dj_adj_(c, A);
    double *Ct = scratch(c, nn * q, op), *X = scratch(c, nn, op), *dX = scratch(c, nn * q, op);
    if (ab == NULL || Ct == NULL || X == NULL || dX == NULL)
        return;
    const double *cb = e->out->adj;
    for (size_t k = 0; k < q; ++k)
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i)
                Ct[j + i * n + k * nn] = cb[i + j * n + k * nn];
    int d = (int)e->z[0], s = (int)e->z[1];
    if (expm_core(c, op, n, q, A->val, Ct, 1, &d, &s, X, dX))
        return;
    for (size_t k = 0; k < q; ++k)
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i)
                ab[i + j * n + k * nn] += dX[j + i * n + k * nn];
}

dj_mat *dj_mat_expm(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_expm";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    size_t n = A->rows;
    if (A->cols != n)
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu is not square", A->rows, A->cols);
    if (!check_input(c, op, A))
        return NULL;
    int act = dj_fwd_(c, A, NULL), fwd = act && c->mode == DJ_MODE_FORWARD;
    dj_mat *E = dj_mat_alloc_(c, n, n, act, op);
    if (E == NULL)
        return NULL;
    int d = 0, s = 0;
    if (expm_core(c, op, n, c->p, A->val, fwd ? A->tan : NULL, 0, &d, &s, E->val,
                  fwd ? E->tan : NULL))
        return NULL;
    if (E->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_expm, E, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->z[0] = (size_t)d;
        e->z[1] = (size_t)s;
    }
    return E;
}
