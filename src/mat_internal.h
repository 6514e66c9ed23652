/* mat_internal.h - what the matrix sources share: the context's layout, the
 * arena, error helpers and small kernels. Private. */
#ifndef DUALJAC_MAT_INTERNAL_H
#define DUALJAC_MAT_INTERNAL_H

#include <stddef.h>
#include "dualjac/mat.h"
#include "dualjac/status.h"
#include "internal.h"

typedef struct dj_block_ {
    struct dj_block_ *next;
    size_t size, used;
    /* data follows, 64-byte aligned */
} dj_block_;

typedef struct dj_tape_entry_ dj_tape_entry_;

struct dj_ctx {
    dj_mode mode;
    size_t p;                 /* tangent (forward) or adjoint (reverse) blocks */
    dj_tape_entry_ *tape;     /* reverse mode: the last recorded operation */
    size_t tape_ops;
    int swept;                /* dj_ctx_backward ran since the last reset */
    dj_block_ *blocks;        /* the arena: current block first */
    size_t used, reserved;    /* bytes handed out since reset, bytes held */
    size_t limit;             /* 0 = none */
    int status;
    const char *err_op;
    char err_msg[160];
};

/* Arena allocation, 64-byte aligned, not initialized. Returns NULL and
 * records DJ_ENOMEM (or the size error) on failure. */
void *dj_ctx_alloc_(dj_ctx *c, size_t bytes, const char *op);

/* The op's entry check: c usable, no earlier failure, and every matrix
 * argument non-NULL (a NULL argument after an earlier failure is that
 * failure; otherwise it is DJ_EARG). Returns 1 when the op may run. */
int dj_ctx_ok_(dj_ctx *c, const char *op, int nargs, const dj_mat *a,
               const dj_mat *b, const dj_mat *d);
#define DJ_CHECK0_(c, op)       dj_ctx_ok_((c), (op), 0, NULL, NULL, NULL)
#define DJ_CHECK1_(c, op, A)    dj_ctx_ok_((c), (op), 1, (A), NULL, NULL)
#define DJ_CHECK2_(c, op, A, B) dj_ctx_ok_((c), (op), 2, (A), (B), NULL)

/* Record a failure and return NULL (for `return dj_fail_(...)`). */
dj_mat *dj_fail_(dj_ctx *c, int status, const char *op, const char *fmt, ...);

/* A new rows-by-cols matrix: values uninitialized; tangents allocated
 * (uninitialized) when with_tan and the context is in forward mode, else
 * NULL. */
dj_mat *dj_mat_alloc_(dj_ctx *c, size_t rows, size_t cols, int with_tan, const char *op);

/* Does the derivative side of an op run: forward mode and an argument has
 * tangents, or reverse mode and an argument is on the tape. dj_mat_alloc_
 * with with_tan then allocates tangents (forward) or marks the result as
 * on the tape (reverse). */
static inline int dj_fwd_(const dj_ctx *c, const dj_mat *a, const dj_mat *b)
{
    if (c->mode == DJ_MODE_FORWARD)
        return (a && a->tan) || (b && b->tan);
    if (c->mode == DJ_MODE_REVERSE)
        return (a && a->on_tape) || (b && b->on_tape);
    return 0;
}

/* Is a matrix active (has tangents, or is on the tape)? */
static inline int dj_active_(const dj_mat *A) { return A->tan != NULL || A->on_tape; }

/* ---- the drivers' pieces (jacobian.c) ----------------------------------------- */

/* Run F's matrix program once in c (already in its mode): x as an n-by-1
 * matrix with tangent blocks tan (forward; in reverse mode a non-NULL tan
 * marks x as the variable; NULL: a constant); seeded/seed_off as in
 * dj_mat; *xmat (may be NULL) gets the input matrix. On success *out is
 * the result, with m entries; else the form's
 * code, the context's status, DJ_ECALLBACK (no result) or DJ_EDIM. */
int dj_run_program_(const struct dj_function *F, dj_ctx *c, const double *x,
                    const double *tan, ptrdiff_t seed_off, int seeded, dj_mat **xmat,
                    dj_mat **out);

/* cols direction vectors of length len into seed (column k at k*len):
 * V(:, col0 + k) (leading dimension ldv), or unit vectors e_{col0+k} when
 * V is NULL. */
void dj_fill_seeds_(double *seed, size_t len, size_t cols, const double *V, size_t ldv,
                    size_t col0);

/* ---- the tape (reverse mode) ------------------------------------------------ */

typedef void (*dj_backward_fn_)(dj_ctx *c, const dj_tape_entry_ *e);

struct dj_tape_entry_ {
    dj_tape_entry_ *prev;
    dj_backward_fn_ backward;     /* the adjoint rule */
    const dj_mat *in[3];          /* arguments (those on the tape get adjoints) */
    dj_mat *out;
    const double *d0, *d1;        /* saved arrays (partials, factors, ...) */
    const void *ptr;              /* other saved data */
    double s;                     /* a saved scalar */
    size_t z[4];                  /* saved sizes and flags */
};

/* Record an operation whose result `out` is on the tape. Returns the entry
 * (zeroed but for the fields given) or NULL with the error recorded. */
dj_tape_entry_ *dj_tape_push_(dj_ctx *c, dj_backward_fn_ fn, dj_mat *out,
                              const dj_mat *a, const dj_mat *b, const char *op);

/* The adjoint blocks of A (q blocks of A's size), zeroed when first asked
 * for; NULL when A is not on the tape or out of memory (recorded). */
double *dj_adj_(dj_ctx *c, const dj_mat *A);

static inline size_t dj_numel_(const dj_mat *A) { return A->rows * A->cols; }

/* Each of the q n-by-n blocks of a (stored one after another) transposed
 * in place. */
void dj_transpose_blocks_(double *a, size_t n, size_t q);

/* The adjoint of an operation that reads only the lower triangle of a
 * symmetric input (chol, eigh): for each of q blocks, the lower triangle
 * of H_k + H_k^T (diagonal once) added to ab_k. */
void dj_add_sym_lower_(double *ab, const double *h, size_t n, size_t q);

#endif
