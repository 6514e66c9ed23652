/* matprob.h - matrix-program test problems, shared by tests and benchmark:
 * each with a matrix program (dj_fn_mat), a plain C loop primal, a
 * CBLAS/LAPACKE primal, and an analytic Jacobian.
 *   mlp:     y = W2 tanh(W1 x + b1), x in R^n, hidden h, y in R^m; fixed
 *            random weights (the function of x only).
 *   inverse: f(A) = vec(A^-1), A n-by-n (vec order), n^2 inputs and outputs.
 *   logdet:  f(A) = log |det A|, n^2 inputs, 1 output. */
#ifndef DJ_MATPROB_H
#define DJ_MATPROB_H

#include <stddef.h>
#include <stdint.h>
#include "dualjac.h"

enum { MATPROB_MLP, MATPROB_INVERSE, MATPROB_LOGDET };

typedef struct matprob {
    const char *name;
    int kind;                /* MATPROB_MLP, ... */
    size_t n, h, m;          /* mlp: sizes; inverse/logdet: n = matrix order */
    size_t nin, nout;        /* inputs and outputs of the function */
    double *W1, *b1, *W2;    /* mlp weights, column-major */
    double *W1r, *W2r;       /* the same, row-major (for matprob_primal_dots) */
    double *work;            /* scratch for the primals */
    dj_function F;           /* f_mat form (F.user = this struct) */
} matprob;

/* Set up; returns DJ_OK, DJ_EDIM, DJ_ENOMEM. matprob_free releases. */
int matprob_mlp(matprob *p, size_t n, size_t h, size_t m, uint64_t seed);
int matprob_inverse(matprob *p, size_t n);
int matprob_logdet(matprob *p, size_t n);
void matprob_free(matprob *p);

/* A standard input point (well conditioned for inverse/logdet). x[nin]. */
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

/* The Jacobian from its formula (nout-by-nin, column-major, ldj >= nout). */
int matprob_jacobian(const matprob *p, const double *x, double *J, size_t ldj);

#endif
