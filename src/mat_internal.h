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

struct dj_ctx {
    dj_mode mode;
    size_t p;                 /* tangents per matrix (forward mode) */
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

/* Does the tangent side of an op run: forward mode and any argument has
 * tangents. */
static inline int dj_fwd_(const dj_ctx *c, const dj_mat *a, const dj_mat *b)
{
    return c->mode == DJ_MODE_FORWARD && ((a && a->tan) || (b && b->tan));
}

static inline size_t dj_numel_(const dj_mat *A) { return A->rows * A->cols; }

#endif
