/* tape.c - reverse mode for matrix programs: recording operations, adjoint
 * storage and the backward sweep. Each operation, when its result is on the
 * tape, pushes an entry holding its arguments, its result and what its
 * adjoint rule needs; dj_ctx_backward walks the entries last to first and
 * each rule adds J_op^T (result adjoint) into its arguments' adjoints, for
 * all q output directions at once. Entries and adjoints live in the
 * context's arena, so a reset frees the tape and a repeated program
 * allocates nothing. */
#include <string.h>
#include "mat_internal.h"

dj_tape_entry_ *dj_tape_push_(dj_ctx *c, dj_backward_fn_ fn, dj_mat *out,
                              const dj_mat *a, const dj_mat *b, const char *op)
{
    dj_tape_entry_ *e = dj_ctx_alloc_(c, sizeof *e, op);
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof *e);
    e->prev = c->tape;
    e->backward = fn;
    e->out = out;
    e->in[0] = a;
    e->in[1] = b;
    c->tape = e;
    c->tape_ops++;
    return e;
}

double *dj_adj_(dj_ctx *c, const dj_mat *A)
{
    if (A == NULL || !A->on_tape)
        return NULL;
    dj_mat *M = (dj_mat *)A;       /* the adjoint is the sweep's, not a value */
    if (M->adj == NULL) {
        if (!dj_array_fits_(dj_numel_(A), c->p)) {   /* checked by dj_mat_alloc_ too */
            dj_fail_(c, DJ_EDIM, "dj_ctx_backward", "adjoint blocks too large");
            return NULL;
        }
        size_t n = dj_numel_(A) * c->p;
        M->adj = dj_ctx_alloc_(c, n * sizeof(double), "dj_ctx_backward");
        if (M->adj)
            memset(M->adj, 0, n * sizeof(double));
    }
    return M->adj;
}

int dj_ctx_backward(dj_ctx *c, const dj_mat *Y, const double *Yb, size_t ldyb)
{
    if (c == NULL || Y == NULL || Yb == NULL)
        return DJ_EARG;
    if (c->status != DJ_OK)
        return c->status;
    if (c->mode != DJ_MODE_REVERSE)
        return dj_ctx_fail(c, DJ_ENOTSUP, "dj_ctx_backward", "the context is not in reverse mode");
    /* a second sweep would add the adjoints a second time */
    if (c->swept)
        return dj_ctx_fail(c, DJ_ENOTSUP, "dj_ctx_backward",
                           "the tape was swept already (dj_ctx_reset, then record again)");
    size_t n = dj_numel_(Y);
    if (ldyb < n || !dj_array_fits_(ldyb, c->p))
        return dj_ctx_fail(c, DJ_EDIM, "dj_ctx_backward",
                           ldyb < n ? "ldyb is smaller than Y's size"
                                    : "ldyb times the adjoint blocks overflows");
    c->swept = 1;
    if (!Y->on_tape)
        return DJ_OK;
    double *yb = dj_adj_(c, Y);
    if (yb == NULL)
        return c->status;
    for (size_t k = 0; k < c->p; ++k)
        for (size_t i = 0; i < n; ++i)
            yb[i + k * n] += Yb[i + k * ldyb];
    for (const dj_tape_entry_ *e = c->tape; e != NULL && c->status == DJ_OK; e = e->prev)
        if (e->out->adj != NULL)        /* reached by the sweep */
            e->backward(c, e);
    return c->status;
}

int dj_mat_get_adjoint(const dj_ctx *c, const dj_mat *A, size_t k, double *out, size_t ld)
{
    if (c == NULL || A == NULL || out == NULL)
        return DJ_EARG;
    if (ld < A->rows || k >= c->p || !dj_array_fits_(ld, A->cols))
        return DJ_EDIM;
    size_t n = dj_numel_(A);
    for (size_t j = 0; j < A->cols; ++j)
        for (size_t i = 0; i < A->rows; ++i)
            out[i + j * ld] = A->adj ? A->adj[i + j * A->rows + k * n] : 0.0;
    return DJ_OK;
}

size_t dj_ctx_tape_ops(const dj_ctx *c) { return c ? c->tape_ops : 0; }
