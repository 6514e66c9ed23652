/* matprob.h - matrix-program test problems, shared by tests and benchmark:
 * each with a matrix program (dj_fn_mat), a plain C loop primal, a
 * CBLAS/LAPACKE primal, and an analytic Jacobian.
 *   mlp:     y = W2 tanh(W1 x + b1), x in R^n, hidden h, y in R^m; fixed
 *            random weights (the function of x only).
 *   inverse: f(A) = vec(A^-1), A n-by-n (vec order), n^2 inputs and outputs.
 *   logdet:  f(A) = log |det A|, n^2 inputs, 1 output.
 *   gauss:   Gaussian log-likelihoods of k fixed residual vectors r_t (the
 *            columns of R, n-by-k, fixed random) under the covariance
 *            Sigma, n^2 inputs (Sigma in vec order), k outputs:
 *                y_t = -1/2 (n log 2pi + log det S + r_t^T S^-1 r_t),
 *                S = (Sigma + Sigma^T) / 2,
 *            computed through L = chol(S) as
 *                y_t = -1/2 n log 2pi - sum_i log L_ii - |L^-1 r_t|^2 / 2.
 *            Which triangle: dj_mat_chol reads only the lower triangle of
 *            its argument (and its tangent rule needs symmetric tangents),
 *            so chol(Sigma) would make y a function of the lower triangle
 *            alone, with the derivative 2 G below the diagonal and 0 above,
 *            and a forward tangent e_k e_l^T (what the drivers and finite
 *            differences perturb: single entries) would break the rule.
 *            The program therefore factors the symmetric part S. Every
 *            primal does the same, so y is one function of all n^2 entries,
 *            equal to the log-likelihood at symmetric Sigma, and its
 *            Jacobian row t is the symmetric gradient
 *                dy_t / dSigma = G_t = -1/2 (S^-1 - u_t u_t^T),
 *                u_t = S^-1 r_t       (in vec order; G_t = G_t^T).
 *            Sigma must be near an SPD matrix: DJ_ENOTSPD otherwise. */
#ifndef DJ_MATPROB_H
#define DJ_MATPROB_H

#include <stddef.h>
#include <stdint.h>
#include "dualjac.h"

enum { MATPROB_MLP, MATPROB_INVERSE, MATPROB_LOGDET, MATPROB_GAUSS };

typedef struct matprob {
    const char *name;
    int kind;                /* MATPROB_MLP, ... */
    size_t n, h, m;          /* mlp: sizes; inverse/logdet/gauss: n = matrix
                                order; gauss: k = m = number of residuals */
    size_t nin, nout;        /* inputs and outputs of the function */
    double *W1, *b1, *W2;    /* mlp weights, column-major */
    double *W1r, *W2r;       /* the same, row-major (for matprob_primal_dots) */
    double *work;            /* scratch for the primals */
    double *R;               /* gauss: the residuals, n-by-m (in work's block) */
    dj_function F;           /* f_mat form (F.user = this struct) */
} matprob;

/* Set up; returns DJ_OK, DJ_EDIM, DJ_ENOMEM. matprob_free releases. */
int matprob_mlp(matprob *p, size_t n, size_t h, size_t m, uint64_t seed);
int matprob_inverse(matprob *p, size_t n);
int matprob_logdet(matprob *p, size_t n);
int matprob_gauss(matprob *p, size_t n, size_t k, uint64_t seed);
void matprob_free(matprob *p);

/* A standard input point (well conditioned for inverse/logdet; for gauss
 * the SPD matrix B B^T / n + I, B with entries uniform in [-1, 1]). x[nin]. */
void matprob_start(const matprob *p, uint64_t seed, double *x);

/* The primal as plain C loops, and with CBLAS/LAPACKE. y[nout].
 * matprob_primal_loops writes the MLP's products as column sweeps
 * (y += W[:,j] a_j), which the compiler vectorizes; matprob_primal_dots as
 * the textbook row-by-row dot products over row-major weights
 * (y_i = sum_j W[i][j] a_j), whose sums a compiler without -ffast-math may
 * not reorder, so it runs one multiply-add per add latency. The two are the
 * same function; dots equals loops for inverse and logdet. */
int matprob_primal_dots(const matprob *p, const double *x, double *y);
int matprob_primal_loops(const matprob *p, const double *x, double *y);
int matprob_primal_blas(const matprob *p, const double *x, double *y);

/* The Jacobian from its formula (nout-by-nin, column-major, ldj >= nout),
 * through a Gauss-Jordan inverse (independent of the LAPACK and dualjac
 * factorizations). */
int matprob_jacobian(const matprob *p, const double *x, double *J, size_t ldj);

#endif
