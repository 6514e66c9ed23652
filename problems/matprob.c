/* matprob.c - matrix-program test problems (see matprob.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "matprob.h"

#define M_PI_ 3.14159265358979323846

static double rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the matrix programs -------------------------------------------------- */

static int mlp_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const matprob *p = user;
    dj_mat *W1 = dj_mat_view(c, p->h, p->n, p->W1);
    dj_mat *b1 = dj_mat_view(c, p->h, 1, p->b1);
    dj_mat *W2 = dj_mat_view(c, p->m, p->h, p->W2);
    dj_mat *a = dj_mat_tanh(c, dj_mat_add(c, dj_mat_matmul(c, W1, 0, x, 0), b1));
    *y = dj_mat_matmul(c, W2, 0, a, 0);
    return 0;
}

static int inverse_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const matprob *p = user;
    *y = dj_mat_inv(c, dj_mat_reshape(c, x, p->n, p->n));
    return 0;
}

static int logdet_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const matprob *p = user;
    *y = dj_mat_logdet(c, dj_mat_reshape(c, x, p->n, p->n), NULL);
    return 0;
}

/* The Gaussian log-likelihoods (matprob.h): the symmetric part of Sigma,
 * its Cholesky factor, one triangular solve for all k residuals. */
static int gauss_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const matprob *p = user;
    size_t n = p->n, k = p->m;
    dj_mat *X = dj_mat_reshape(c, x, n, n);
    dj_mat *S = dj_mat_scale(c, dj_mat_add(c, X, dj_mat_transpose(c, X)), 0.5);
    dj_mat *L = dj_mat_chol(c, S);
    dj_mat *Z = dj_mat_trisolve(c, L, dj_mat_view(c, n, k, p->R), 0, 0, 0);
    dj_mat *q = dj_mat_sum_cols(c, dj_mat_emul(c, Z, Z));               /* 1-by-k */
    dj_mat *hld = dj_mat_sum(c, dj_mat_log(c, dj_mat_slice(c, L, 0, (ptrdiff_t)n + 1, n)));
    dj_mat *cst = dj_mat_add(c, hld, dj_mat_scalar(c, 0.5 * (double)n * log(2.0 * M_PI_)));
    *y = dj_mat_sub(c, dj_mat_scale(c, q, -0.5), cst);
    return 0;
}

/* ---- set-up ------------------------------------------------------------------ */

static void init(matprob *p, const char *name, int kind, dj_fn_mat prog)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->kind = kind;
    p->F.user = p;
    p->F.f_mat = prog;
}

int matprob_mlp(matprob *p, size_t n, size_t h, size_t m, uint64_t seed)
{
    if (p == NULL)
        return DJ_EARG;
    init(p, "mlp", MATPROB_MLP, mlp_prog);
    if (n == 0 || h == 0 || m == 0 || n > 100000 || h > 100000 || m > 100000)
        return DJ_EDIM;
    p->n = n;
    p->h = h;
    p->m = m;
    p->nin = n;
    p->nout = m;
    p->W1 = malloc((2 * (h * n + m * h) + h + h) * sizeof(double));
    if (p->W1 == NULL)
        return DJ_ENOMEM;
    p->b1 = p->W1 + h * n;
    p->W2 = p->b1 + h;
    p->work = p->W2 + m * h;
    p->W1r = p->work + h;
    p->W2r = p->W1r + h * n;
    /* weights ~ U(-1, 1) / sqrt(fan-in), so tanh stays in its curved range */
    for (size_t i = 0; i < h * n; ++i)
        p->W1[i] = (2 * rnd(&seed) - 1) / sqrt((double)n);
    for (size_t i = 0; i < h; ++i)
        p->b1[i] = 2 * rnd(&seed) - 1;
    for (size_t i = 0; i < m * h; ++i)
        p->W2[i] = (2 * rnd(&seed) - 1) / sqrt((double)h);
    for (size_t i = 0; i < h; ++i)         /* row-major copies for primal_dots */
        for (size_t j = 0; j < n; ++j)
            p->W1r[i * n + j] = p->W1[i + j * h];
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < h; ++j)
            p->W2r[i * h + j] = p->W2[i + j * m];
    p->F.n = n;
    p->F.m = m;
    return DJ_OK;
}

static int square_problem(matprob *p, size_t n, const char *name, int kind, dj_fn_mat prog,
                          size_t nout)
{
    if (p == NULL)
        return DJ_EARG;
    init(p, name, kind, prog);
    if (n == 0 || n > 2000)
        return DJ_EDIM;
    p->n = n;
    p->nin = n * n;
    p->nout = nout;
    p->work = malloc((2 * n * n + n) * sizeof(double));
    if (p->work == NULL)
        return DJ_ENOMEM;
    p->F.n = n * n;
    p->F.m = nout;
    return DJ_OK;
}

int matprob_inverse(matprob *p, size_t n)
{
    return square_problem(p, n, "inverse", MATPROB_INVERSE, inverse_prog, n * n);
}

int matprob_logdet(matprob *p, size_t n)
{
    return square_problem(p, n, "logdet", MATPROB_LOGDET, logdet_prog, 1);
}

int matprob_gauss(matprob *p, size_t n, size_t k, uint64_t seed)
{
    if (p == NULL)
        return DJ_EARG;
    init(p, "gauss", MATPROB_GAUSS, gauss_prog);
    if (n == 0 || n > 2000 || k == 0 || k > 2000)
        return DJ_EDIM;
    p->n = n;
    p->m = k;
    p->nin = n * n;
    p->nout = k;
    /* work: 2 n^2 + n for the primals (as the square problems), n k for
     * their solves, then R */
    p->work = malloc((2 * n * n + n + 2 * n * k) * sizeof(double));
    if (p->work == NULL)
        return DJ_ENOMEM;
    p->R = p->work + 2 * n * n + n + n * k;
    for (size_t i = 0; i < n * k; ++i)
        p->R[i] = 2 * rnd(&seed) - 1;
    p->F.n = n * n;
    p->F.m = k;
    return DJ_OK;
}

void matprob_free(matprob *p)
{
    if (p == NULL)
        return;
    free(p->W1 ? (void *)p->W1 : (void *)p->work);
    p->W1 = p->b1 = p->W2 = p->work = p->W1r = p->W2r = p->R = NULL;
}

void matprob_start(const matprob *p, uint64_t seed, double *x)
{
    if (p->W1) {
        for (size_t j = 0; j < p->n; ++j)
            x[j] = 2 * rnd(&seed) - 1;
        return;
    }
    size_t n = p->n;
    if (p->kind == MATPROB_GAUSS) {     /* B B^T / n + I */
        double *B = p->work;
        for (size_t i = 0; i < n * n; ++i)
            B[i] = 2 * rnd(&seed) - 1;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < n; ++i) {
                double s = i == j ? 1.0 : 0.0;
                for (size_t l = 0; l < n; ++l)
                    s += B[i + l * n] * B[j + l * n] / (double)n;
                x[i + j * n] = s;
            }
        return;
    }
    /* random plus n on the diagonal: well conditioned */
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            x[i + j * n] = 2 * rnd(&seed) - 1 + (i == j ? (double)n : 0.0);
}

/* ---- primals ------------------------------------------------------------------ */

/* Gauss-Jordan inverse with partial pivoting, in place on a (n-by-n) with
 * the result in inv; returns 0 or DJ_ESINGULAR. Plain loops. */
static int gauss_jordan(double *a, double *inv, size_t n)
{
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            inv[i + j * n] = i == j;
    for (size_t k = 0; k < n; ++k) {
        size_t piv = k;
        for (size_t i = k + 1; i < n; ++i)
            if (fabs(a[i + k * n]) > fabs(a[piv + k * n]))
                piv = i;
        if (a[piv + k * n] == 0.0)
            return DJ_ESINGULAR;
        if (piv != k)
            for (size_t j = 0; j < n; ++j) {
                double t = a[k + j * n];
                a[k + j * n] = a[piv + j * n];
                a[piv + j * n] = t;
                t = inv[k + j * n];
                inv[k + j * n] = inv[piv + j * n];
                inv[piv + j * n] = t;
            }
        double d = 1.0 / a[k + k * n];
        for (size_t j = 0; j < n; ++j) {
            a[k + j * n] *= d;
            inv[k + j * n] *= d;
        }
        for (size_t i = 0; i < n; ++i) {
            if (i == k)
                continue;
            double f = a[i + k * n];
            if (f == 0.0)
                continue;
            for (size_t j = 0; j < n; ++j) {
                a[i + j * n] -= f * a[k + j * n];
                inv[i + j * n] -= f * inv[k + j * n];
            }
        }
    }
    return 0;
}

/* a = (X + X^T) / 2 (n-by-n) */
static void sym_part(size_t n, const double *x, double *a)
{
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            a[i + j * n] = 0.5 * (x[i + j * n] + x[j + i * n]);
}

/* The Gaussian log-likelihoods in plain loops: Cholesky (lower, by
 * columns), then forward substitution per residual. */
static int gauss_loops(const matprob *p, const double *x, double *y)
{
    size_t n = p->n, k = p->m;
    double *a = p->work, *z = p->work + 2 * n * n + n;
    sym_part(n, x, a);
    double hld = 0;
    for (size_t j = 0; j < n; ++j) {
        double d = a[j + j * n];
        for (size_t l = 0; l < j; ++l)
            d -= a[j + l * n] * a[j + l * n];
        if (!(d > 0))
            return DJ_ENOTSPD;
        d = sqrt(d);
        a[j + j * n] = d;
        hld += log(d);
        for (size_t i = j + 1; i < n; ++i) {
            double s = a[i + j * n];
            for (size_t l = 0; l < j; ++l)
                s -= a[i + l * n] * a[j + l * n];
            a[i + j * n] = s / d;
        }
    }
    double c = 0.5 * (double)n * log(2.0 * M_PI_) + hld;
    for (size_t t = 0; t < k; ++t) {
        const double *r = p->R + t * n;
        double q = 0;
        for (size_t i = 0; i < n; ++i) {
            double s = r[i];
            for (size_t l = 0; l < i; ++l)
                s -= a[i + l * n] * z[l];
            z[i] = s / a[i + i * n];
            q += z[i] * z[i];
        }
        y[t] = -0.5 * q - c;
    }
    return 0;
}

/* The same with LAPACKE (dpotrf) and CBLAS (one dtrsm for all residuals). */
static int gauss_blas(const matprob *p, const double *x, double *y)
{
    int n = (int)p->n, k = (int)p->m;
    double *a = p->work, *z = p->work + 2 * p->n * p->n + p->n;
    sym_part(p->n, x, a);
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, a, n) != 0)
        return DJ_ENOTSPD;
    memcpy(z, p->R, p->n * p->m * sizeof(double));
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, k, 1.0,
                a, n, z, n);
    double hld = 0;
    for (int i = 0; i < n; ++i)
        hld += log(a[i + i * n]);
    double c = 0.5 * (double)n * log(2.0 * M_PI_) + hld;
    for (int t = 0; t < k; ++t)
        y[t] = -0.5 * cblas_ddot(n, z + (size_t)t * p->n, 1, z + (size_t)t * p->n, 1) - c;
    return 0;
}

int matprob_primal_dots(const matprob *p, const double *x, double *y)
{
    if (p->W1 == NULL)
        return matprob_primal_loops(p, x, y);
    size_t n = p->n, h = p->h, m = p->m;
    double *a = p->work;
    for (size_t i = 0; i < h; ++i) {
        double s = p->b1[i];
        for (size_t j = 0; j < n; ++j)
            s += p->W1r[i * n + j] * x[j];
        a[i] = tanh(s);
    }
    for (size_t i = 0; i < m; ++i) {
        double s = 0;
        for (size_t j = 0; j < h; ++j)
            s += p->W2r[i * h + j] * a[j];
        y[i] = s;
    }
    return 0;
}

int matprob_primal_loops(const matprob *p, const double *x, double *y)
{
    if (p->W1) {
        size_t n = p->n, h = p->h, m = p->m;
        double *a = p->work;
        for (size_t i = 0; i < h; ++i)
            a[i] = p->b1[i];
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < h; ++i)
                a[i] += p->W1[i + j * h] * x[j];
        for (size_t i = 0; i < h; ++i)
            a[i] = tanh(a[i]);
        for (size_t i = 0; i < m; ++i)
            y[i] = 0;
        for (size_t j = 0; j < h; ++j)
            for (size_t i = 0; i < m; ++i)
                y[i] += p->W2[i + j * m] * a[j];
        return 0;
    }
    if (p->kind == MATPROB_GAUSS)
        return gauss_loops(p, x, y);
    size_t n = p->n;
    double *a = p->work, *inv = a + n * n;
    memcpy(a, x, n * n * sizeof(double));
    if (p->kind == MATPROB_INVERSE)
        return gauss_jordan(a, y, n);
    /* logdet: LU with partial pivoting, sum of log |pivots| */
    double s = 0;
    for (size_t k = 0; k < n; ++k) {
        size_t piv = k;
        for (size_t i = k + 1; i < n; ++i)
            if (fabs(a[i + k * n]) > fabs(a[piv + k * n]))
                piv = i;
        if (a[piv + k * n] == 0.0)
            return DJ_ESINGULAR;
        if (piv != k)
            for (size_t j = k; j < n; ++j) {
                double t = a[k + j * n];
                a[k + j * n] = a[piv + j * n];
                a[piv + j * n] = t;
            }
        double d = a[k + k * n];
        s += log(fabs(d));
        for (size_t i = k + 1; i < n; ++i) {
            double f = a[i + k * n] / d;
            for (size_t j = k + 1; j < n; ++j)
                a[i + j * n] -= f * a[k + j * n];
        }
    }
    (void)inv;
    y[0] = s;
    return 0;
}

int matprob_primal_blas(const matprob *p, const double *x, double *y)
{
    if (p->W1) {
        size_t n = p->n, h = p->h, m = p->m;
        double *a = p->work;
        memcpy(a, p->b1, h * sizeof(double));
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)h, (int)n, 1.0, p->W1, (int)h, x, 1, 1.0,
                    a, 1);
        for (size_t i = 0; i < h; ++i)
            a[i] = tanh(a[i]);
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)m, (int)h, 1.0, p->W2, (int)m, a, 1, 0.0,
                    y, 1);
        return 0;
    }
    if (p->kind == MATPROB_GAUSS)
        return gauss_blas(p, x, y);
    int n = (int)p->n;
    double *a = p->kind == MATPROB_INVERSE ? y : p->work;
    lapack_int *ipiv = (lapack_int *)(p->work + 2 * p->n * p->n);
    memcpy(a, x, p->n * p->n * sizeof(double));
    if (LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, a, n, ipiv) != 0)
        return DJ_ESINGULAR;
    if (p->kind == MATPROB_INVERSE)
        return LAPACKE_dgetri(LAPACK_COL_MAJOR, n, a, n, ipiv) == 0 ? 0 : DJ_ESINGULAR;
    double s = 0;
    for (int k = 0; k < n; ++k)
        s += log(fabs(a[k + k * n]));
    y[0] = s;
    return 0;
}

/* ---- analytic Jacobians --------------------------------------------------------- */

int matprob_jacobian(const matprob *p, const double *x, double *J, size_t ldj)
{
    if (p->W1) {
        /* J = W2 diag(1 - tanh(W1 x + b1)^2) W1 */
        size_t n = p->n, h = p->h, m = p->m;
        double *a = malloc(h * sizeof(double));
        if (a == NULL)
            return DJ_ENOMEM;
        for (size_t i = 0; i < h; ++i) {
            double s = p->b1[i];
            for (size_t j = 0; j < n; ++j)
                s += p->W1[i + j * h] * x[j];
            double t = tanh(s);
            a[i] = 1 - t * t;
        }
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < m; ++i) {
                double s = 0;
                for (size_t k = 0; k < h; ++k)
                    s += p->W2[i + k * m] * a[k] * p->W1[k + j * h];
                J[i + j * ldj] = s;
            }
        free(a);
        return 0;
    }
    size_t n = p->n;
    double *a = malloc((2 * n * n + n) * sizeof(double)), *inv = a + n * n;
    if (a == NULL)
        return DJ_ENOMEM;
    if (p->kind == MATPROB_GAUSS)
        sym_part(n, x, a);
    else
        memcpy(a, x, n * n * sizeof(double));
    int rc = gauss_jordan(a, inv, n);
    if (rc == 0) {
        if (p->kind == MATPROB_GAUSS) {
            /* row t: G_t = -1/2 (S^-1 - u u^T), u = S^-1 r_t, in vec order
             * (S^-1 symmetrized: Gauss-Jordan's is so only to rounding) */
            double *u = inv + n * n;
            for (size_t t = 0; t < p->m; ++t) {
                const double *r = p->R + t * n;
                for (size_t i = 0; i < n; ++i) {
                    double s = 0;
                    for (size_t l = 0; l < n; ++l)
                        s += inv[i + l * n] * r[l];
                    u[i] = s;
                }
                for (size_t l = 0; l < n; ++l)
                    for (size_t kk = 0; kk < n; ++kk)
                        J[t + (kk + l * n) * ldj] =
                            -0.5 * (0.5 * (inv[kk + l * n] + inv[l + kk * n]) - u[kk] * u[l]);
            }
        } else if (p->kind == MATPROB_INVERSE) {
            /* d(A^-1)_ij / dA_kl = -(A^-1)_ik (A^-1)_lj */
            for (size_t l = 0; l < n; ++l)
                for (size_t k = 0; k < n; ++k)
                    for (size_t j = 0; j < n; ++j)
                        for (size_t i = 0; i < n; ++i)
                            J[(i + j * n) + (k + l * n) * ldj] = -inv[i + k * n] * inv[l + j * n];
        } else {
            /* d log|det A| / dA_kl = (A^-T)_kl = (A^-1)_lk */
            for (size_t l = 0; l < n; ++l)
                for (size_t k = 0; k < n; ++k)
                    J[(k + l * n) * ldj] = inv[l + k * n];
        }
    }
    free(a);
    return rc;
}
