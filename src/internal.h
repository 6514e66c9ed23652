/* internal.h - private helpers shared by dualjac's sources. */
#ifndef DUALJAC_INTERNAL_H
#define DUALJAC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "dualjac/alloc.h"

/* Allocation through the hook of alloc.h. dj_free_(NULL) is a no-op. */
void *dj_malloc_(size_t size);
void dj_free_(void *ptr);
/* The free function of the current hook (for memory freed later). */
dj_free_fn dj_free_hook_(void);

/* dj_jacfwd with the chunk plan for n already made by dj_chunk_plan_final_
 * and final there (NULL: make it). */
struct dj_function;
struct dj_jac_opts;
struct dj_chunk_plan;
int dj_jacfwd_plan_(const struct dj_function *F, const double *x, double *y, double *J,
                    size_t ldj, const struct dj_jac_opts *opts,
                    const struct dj_chunk_plan *plan);
/* dj_chunk_plan_make for p = n directions with identity seeding, and in
 * *final whether a forward Jacobian run now would take that plan as it is
 * (no width tuning of it under way or about to start). */
int dj_chunk_plan_final_(const struct dj_function *F, const struct dj_jac_opts *opts,
                         struct dj_chunk_plan *plan, int *final);
/* dj_jacobian's choice for the function of the thread's last one-pass
 * forward run (jacobian.c, fwd_hot), when dj_jac_auto_fwd_set_ recorded it
 * was the forward mode: that Jacobian, without choosing again (the key is
 * checked once; when the workspace is ready, F's sizes are not checked
 * again, they are the key's); -1 when nothing was recorded for F (nothing
 * done). */
int dj_jac_auto_fwd_(const struct dj_function *F, const double *x, double *y, double *J,
                     size_t ldj, const struct dj_jac_opts *opts);
void dj_jac_auto_fwd_set_(const struct dj_function *F, const struct dj_jac_opts *opts);

/* The cross-pass memo of libm results (detail/memo.h): begin recording
 * (saving the caller's state, for nested drivers), switch to replay at the
 * start of each later pass, end (free, restore). */
struct dj_memo_;
struct dj_memo_sc_;
void dj_memo_begin_(struct dj_memo_ *saved, int record);   /* 0: share only */
/* The calling thread's sin/cos table (jacobian.c, kept with the forward
 * workspace until the thread exits) and, in *gen, a run number not used
 * before with it; or NULL. And emptying a table. */
struct dj_memo_sc_ *dj_ws_sincos_(uint64_t *gen);
void dj_memo_sc_clear_(struct dj_memo_sc_ *sc);
void dj_memo_replay_(void);
void dj_memo_end_(const struct dj_memo_ *saved);

/* Reverse mode of the scalar form f_rvar (src/rvar.c): y = f(x) (y may be
 * NULL) and the q rows W^T J as JTW (n-by-q, column-major, leading
 * dimension ldjtw): JTW(:, k) = J^T W(:, k) for the m-by-q W (ldw >= m).
 * One forward evaluation recording the tape, one backward sweep carrying q
 * adjoint lanes. limit: most bytes for nodes and adjoints (0: none);
 * *bytes (may be NULL) gets what they took. Returns DJ_OK, DJ_ENOMEM
 * (also over the limit), or the form's own non-zero return. Arguments are
 * validated by the caller. */
struct dj_function;
int dj_rvar_vjp_(const struct dj_function *F, const double *x, size_t q, const double *W,
                 size_t ldw, double *y, double *JTW, size_t ldjtw, size_t limit,
                 size_t *bytes);

/* F's sizes are usable by the drivers: n, m >= 1 and n + m values of the
 * widest chunk fit in memory sizes. DJ_OK or DJ_EDIM. */
int dj_check_sizes_(const struct dj_function *F);

/* a * b, or SIZE_MAX when it overflows (no real allocation is that big, so
 * the allocation fails and reports DJ_ENOMEM; callers that must report
 * DJ_EDIM test dj_mul_overflows_ first). */
static inline int dj_mul_overflows_(size_t a, size_t b)
{
    return b != 0 && a > SIZE_MAX / b;
}

/* Can an array of ld * cols doubles exist (its size in bytes does not
 * overflow)? The drivers' and the matrix layer's check on every caller
 * array described by a leading dimension and a count of columns: a larger
 * one cannot be addressed, so indexing it would wrap (DJ_EDIM). */
static inline int dj_array_fits_(size_t ld, size_t cols)
{
    return !dj_mul_overflows_(ld, cols) && !dj_mul_overflows_(ld * cols, sizeof(double));
}

/* A driver that failed after accepting its arguments: y (m values, may be
 * NULL) and the rows-by-cols block of J (leading dimension ld, may be
 * NULL) are set to NaN, so nothing partial is mistaken for a result.
 * Returns rc. */
int dj_fail_outputs_(int rc, double *y, size_t m, double *J, size_t rows, size_t cols,
                     size_t ld);

#endif
