/* dualjac/mat.h - dense matrices with batched tangents, in a context.
 *
 * A dj_mat holds a rows-by-cols matrix of values, column-major with leading
 * dimension rows, and, in forward mode, p tangent blocks stored
 * tangent-major: block k is an ordinary column-major rows-by-cols matrix at
 * tan + k*rows*cols, so all p blocks together are one rows-by-(cols*p)
 * matrix that BLAS takes whole (A * [dB_1 .. dB_p] is one GEMM; a solve's
 * p tangent right-hand sides go to one getrs). A matrix whose tangents are
 * all zero (a constant: data, weights) has tan == NULL and costs nothing in
 * the tangent rules.
 *
 * Every matrix lives in a dj_ctx: the context owns them (an arena, rewound
 * by dj_ctx_reset, so a program run many times allocates nothing after the
 * first run), knows the mode (primal, or forward with p tangents) and
 * carries a sticky error. Every operation takes the context first and
 * returns a new matrix, or NULL when it fails or when the context has
 * already failed; the first failure is kept (dj_ctx_status, dj_ctx_error),
 * so user code reads as straight-line math with one check at the end:
 *
 *     dj_mat *h = dj_mat_tanh(c, dj_mat_add(c, dj_mat_matmul(c, W1, 0, x, 0), b1));
 *     dj_mat *y = dj_mat_matmul(c, W2, 0, h, 0);
 *     if (dj_ctx_status(c) != DJ_OK) ... dj_ctx_error(c) names the op ...
 *
 * Forward rules are those of RULES.md (M. Giles, "An extended collection of
 * matrix derivative results", 2008); elementwise operations use the scalar
 * rules of rules.h, so a derivative is never written twice.
 * Costs below count flops for the values and then for the p tangents.
 * Matrices returned share nothing with the arguments unless the call says
 * it returns a view. Operations never modify their arguments.
 *
 * Validation (each operation checks its own arguments, once, before it
 * computes; a failure is recorded in the context and the operation
 * returns NULL, never aborting or printing):
 *   - c NULL: the operation returns NULL (there is nowhere to record it).
 *   - a NULL matrix or data argument: DJ_EARG (a NULL matrix after an
 *     earlier failure is that failure, so chained calls report the first).
 *   - a zero size, rows * cols (times 1 + p tangent blocks in forward mode,
 *     times p adjoint blocks for a matrix on the tape in reverse mode, in
 *     bytes) overflowing, a leading dimension below rows or whose product
 *     with cols overflows, mismatched shapes, indices outside the matrix:
 *     DJ_EDIM.
 *   - an arena limit (dj_ctx_set_limit) exceeded, or out of memory:
 *     DJ_ENOMEM.
 * Values are not checked here: the linear, structural and elementwise
 * operations propagate NaN and Inf as IEEE arithmetic does (log(0) = -Inf,
 * 0 * Inf = NaN), with the derivative conventions of rules.h; only the
 * LAPACK-backed operations of linalg.h reject non-finite input. What is
 * the caller's: that a dj_mat passed in was made in the same context
 * since its last reset, and that arrays are as large as their sizes and
 * leading dimensions say. */
#ifndef DUALJAC_MAT_H
#define DUALJAC_MAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dj_mode {
    DJ_MODE_PRIMAL = 0,   /* values only */
    DJ_MODE_FORWARD = 1,  /* values and p tangents */
    DJ_MODE_REVERSE = 2   /* values, recorded on a tape; q adjoint blocks */
} dj_mode;

typedef struct dj_mat {
    size_t rows, cols;
    double *val;          /* rows*cols values, column-major, ld = rows */
    double *tan;          /* p blocks of rows*cols (forward mode), or NULL */
    /* Set by the Jacobian drivers on their seeded input (and kept by views
     * of it): tangent block k is the unit matrix with its 1 at vec index
     * seed_off + k (a zero block when that is outside the matrix). tan
     * holds exactly that, so every operation stays correct without looking;
     * operations that do look skip work (A * X with X seeded copies columns
     * of A instead of a GEMM; inv, det and logdet take rank-one
     * shortcuts). Never set it by hand. */
    int seeded;
    ptrdiff_t seed_off;
    /* Reverse mode: on_tape when the matrix depends on a variable; adj
     * holds its q adjoint blocks (rows*cols each) once the backward sweep
     * has reached it. */
    int on_tape;
    double *adj;
} dj_mat;

typedef struct dj_ctx dj_ctx;

/* ---- the context ---------------------------------------------------------- */

/* dj_ctx_new: a context in primal mode with an empty arena; NULL when out
 * of memory. dj_ctx_free(NULL) is a no-op. */
dj_ctx *dj_ctx_new(void);
void dj_ctx_free(dj_ctx *c);

/* dj_ctx_set_mode: switch mode, then reset. Forward: p >= 1 tangent
 * blocks per matrix; reverse: p >= 1 adjoint blocks (output directions
 * swept back at once); primal takes p = 0. Errors: DJ_EARG (NULL, unknown
 * mode), DJ_EDIM (p == 0 outside primal mode; a p so large that a matrix
 * with its blocks cannot exist fails later, at that matrix, with
 * DJ_EDIM). */
int dj_ctx_set_mode(dj_ctx *c, dj_mode mode, size_t p);
dj_mode dj_ctx_mode(const dj_ctx *c);
size_t dj_ctx_tangents(const dj_ctx *c);     /* p; 0 in primal mode */

/* dj_ctx_reset: forget every matrix made in c (pointers to them become
 * invalid) and clear the error; the arena keeps its memory, coalesced into
 * one block, so the next run of the same program does not allocate. */
void dj_ctx_reset(dj_ctx *c);

/* dj_ctx_set_limit: cap the arena at `bytes` (0 = no cap); an operation
 * that would exceed it fails with DJ_ENOMEM. In reverse mode the arena
 * holds the tape (what each operation's adjoint rule needs), so this is
 * also the tape's memory limit. */
int dj_ctx_set_limit(dj_ctx *c, size_t bytes);
size_t dj_ctx_bytes_used(const dj_ctx *c);   /* since the last reset */
size_t dj_ctx_bytes_reserved(const dj_ctx *c);

/* The first error since the last reset: its status (DJ_OK if none), the
 * name of the operation that failed ("dj_mat_solve") and a short message.
 * Both strings are owned by the context (never NULL). */
int dj_ctx_status(const dj_ctx *c);
const char *dj_ctx_error_op(const dj_ctx *c);
const char *dj_ctx_error(const dj_ctx *c);

/* dj_ctx_fail: record a failure (for user code built on dj_mat; the first
 * one wins). Returns status; DJ_EARG (nothing recorded) when c is NULL or
 * status is DJ_OK, which is no failure. */
int dj_ctx_fail(dj_ctx *c, int status, const char *op, const char *msg);

/* ---- reverse mode ----------------------------------------------------------- */

/* dj_ctx_backward: the backward sweep. Seeds Y's adjoint with Yb (q blocks
 * of Y's size, block k at Yb + k*ldyb, each column-major with leading
 * dimension Y->rows) and applies the adjoint rules of every recorded
 * operation in reverse order, so that every variable X gets
 * Xb_k = J_X^T vec(Yb_k). The context must be in reverse mode with no
 * error; a Y not on the tape leaves every adjoint zero. Call once per
 * recorded program (dj_ctx_reset, or dj_ctx_set_mode, before recording
 * again): a second call is an error (it would add the adjoints again).
 * Errors: DJ_EARG (c, Y or Yb NULL), the context's own status when it
 * has failed, DJ_EDIM (ldyb < Y's size, or ldyb q overflowing),
 * DJ_ENOTSUP (not reverse mode, or the tape was swept already since the
 * last reset; both are recorded in the context), DJ_ENOMEM (adjoint
 * storage over the limit). Adjoints that overflow propagate Inf or NaN (no
 * error). */
int dj_ctx_backward(dj_ctx *c, const dj_mat *Y, const double *Yb, size_t ldyb);

/* dj_mat_get_adjoint: adjoint block k of A after the sweep (zeros if the
 * sweep did not reach A), into out with leading dimension ld.
 * Errors: DJ_EARG (NULL), DJ_EDIM (ld < rows, ld cols overflowing,
 * k >= q). */
int dj_mat_get_adjoint(const dj_ctx *c, const dj_mat *A, size_t k, double *out, size_t ld);

/* dj_ctx_tape_ops: tape entries recorded since the last reset (one per
 * operation, one per output for eigh, QR and SVD). */
size_t dj_ctx_tape_ops(const dj_ctx *c);

/* ---- creation and structure --------------------------------------------- */

/* Constants (no tangent): zeros, identity (square), a scalar (1x1), a copy
 * of caller data (column-major, leading dimension ld >= rows). */
dj_mat *dj_mat_zeros(dj_ctx *c, size_t rows, size_t cols);
dj_mat *dj_mat_identity(dj_ctx *c, size_t n);
dj_mat *dj_mat_scalar(dj_ctx *c, double v);
dj_mat *dj_mat_const(dj_ctx *c, size_t rows, size_t cols, const double *data, size_t ld);

/* dj_mat_view: a constant that uses the caller's array (ld == rows) without
 * copying; the caller keeps it alive and unchanged while c uses it. */
dj_mat *dj_mat_view(dj_ctx *c, size_t rows, size_t cols, const double *data);

/* dj_mat_var: a matrix with values and tangents from the caller: data as in
 * dj_mat_const; tan = p blocks of rows*cols, block k at tan + k*ldt
 * (ldt >= rows*cols), each column-major with leading dimension rows; tan may
 * be NULL (a constant). In primal mode tan is ignored; in reverse mode a
 * non-NULL tan (its contents unused) marks a variable: it goes on the tape
 * and collects an adjoint. */
dj_mat *dj_mat_var(dj_ctx *c, size_t rows, size_t cols, const double *data,
                   size_t ld, const double *tan, size_t ldt);

/* Copies out: values into out (column-major, ld >= rows); tangent block k
 * into out (zeros for a constant). Return DJ_OK, DJ_EARG (a NULL
 * argument) or DJ_EDIM (ld < rows or ld cols overflowing; k >= p, so
 * always in primal mode). */
int dj_mat_get(const dj_mat *A, double *out, size_t ld);
int dj_mat_get_tangent(const dj_ctx *c, const dj_mat *A, size_t k, double *out, size_t ld);

dj_mat *dj_mat_copy(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_transpose(dj_ctx *c, const dj_mat *A);
/* dj_mat_reshape: the same entries in vec order as rows-by-cols (a view
 * sharing A's storage; rows*cols must equal A's). dj_mat_vec: as a column. */
dj_mat *dj_mat_reshape(dj_ctx *c, const dj_mat *A, size_t rows, size_t cols);
dj_mat *dj_mat_vec(dj_ctx *c, const dj_mat *A);
/* dj_mat_block: the nr-by-nc sub-block at (r0, c0) (a copy). */
dj_mat *dj_mat_block(dj_ctx *c, const dj_mat *A, size_t r0, size_t c0, size_t nr, size_t nc);
/* [A B] (same rows) and [A; B] (same cols). */
dj_mat *dj_mat_hcat(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_vcat(dj_ctx *c, const dj_mat *A, const dj_mat *B);
/* dj_mat_slice: entries start, start+step, ... (count of them) of vec(A),
 * as a count-by-1 column. step may be negative (ptrdiff_t). */
dj_mat *dj_mat_slice(dj_ctx *c, const dj_mat *A, size_t start, ptrdiff_t step, size_t count);
/* dj_mat_gather: entries idx[0..count-1] of vec(A), as a column. */
dj_mat *dj_mat_gather(dj_ctx *c, const dj_mat *A, const size_t *idx, size_t count);

/* ---- linear operations ---------------------------------------------------- */

/* Elementwise with broadcasting: shapes must agree in each dimension or be
 * 1 there (a scalar, a row or a column is repeated). */
dj_mat *dj_mat_add(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_sub(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_neg(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_scale(dj_ctx *c, const dj_mat *A, double s);            /* s A */
dj_mat *dj_mat_axpy(dj_ctx *c, double a, const dj_mat *X, const dj_mat *Y); /* a X + Y, same shape */

/* Reductions: sum of all entries (1x1), of each column (1-by-cols), of each
 * row (rows-by-1), mean (1x1), trace (square, 1x1), <A, B> = sum A_ij B_ij
 * (same shape, 1x1). */
dj_mat *dj_mat_sum(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_sum_cols(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_sum_rows(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_mean(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_trace(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_dot(dj_ctx *c, const dj_mat *A, const dj_mat *B);

/* dj_mat_matmul: C = op(A) op(B), op(X) = X or X^T (transX != 0).
 * dC = op(dA) op(B) + op(A) op(dB). Cost: 2mnk, then for the tangents one
 * GEMM op(A) [dB_1 .. dB_p] (p GEMMs when B is transposed) and p GEMMs for
 * dA_k op(B). */
dj_mat *dj_mat_matmul(dj_ctx *c, const dj_mat *A, int transA, const dj_mat *B, int transB);
/* A x for a column x; x y^T for columns x, y. */
dj_mat *dj_mat_matvec(dj_ctx *c, const dj_mat *A, const dj_mat *x);
dj_mat *dj_mat_outer(dj_ctx *c, const dj_mat *x, const dj_mat *y);

/* ---- elementwise functions ------------------------------------------------ */

/* Y = f(A) entry by entry, dY = f'(A) o dA, with the rules of rules.h
 * (zero tangents stay zero). */
dj_mat *dj_mat_exp(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_exp2(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_expm1(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_log(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_log2(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_log10(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_log1p(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_sqrt(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_cbrt(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_sin(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_cos(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_tan(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_asin(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_acos(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_atan(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_sinh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_cosh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_tanh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_asinh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_acosh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_atanh(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_erf(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_erfc(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_fabs(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_floor(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_ceil(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_round(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_trunc(dj_ctx *c, const dj_mat *A);

/* Elementwise binary functions, with broadcasting as dj_mat_add:
 * A o B, A / B, A^B, fmin, fmax, atan2, hypot. */
dj_mat *dj_mat_emul(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_ediv(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_epow(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_emin(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_emax(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_eatan2(dj_ctx *c, const dj_mat *A, const dj_mat *B);
dj_mat *dj_mat_ehypot(dj_ctx *c, const dj_mat *A, const dj_mat *B);

#ifdef __cplusplus
}
#endif

#endif
