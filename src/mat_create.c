/* mat_create.c - creating matrices, copying them out, and structural
 * operations (copy, transpose, reshape, blocks, concatenation, slices).
 * All of these are linear and act on each tangent block as on the values. */
#include <string.h>
#include "mat_internal.h"

static dj_mat *constant(dj_ctx *c, size_t rows, size_t cols, const char *op)
{
    if (!DJ_CHECK0_(c, op))
        return NULL;
    return dj_mat_alloc_(c, rows, cols, 0, op);
}

dj_mat *dj_mat_zeros(dj_ctx *c, size_t rows, size_t cols)
{
    dj_mat *A = constant(c, rows, cols, "dj_mat_zeros");
    if (A)
        memset(A->val, 0, dj_numel_(A) * sizeof(double));
    return A;
}

dj_mat *dj_mat_identity(dj_ctx *c, size_t n)
{
    dj_mat *A = dj_mat_zeros(c, n, n);
    if (A)
        for (size_t i = 0; i < n; ++i)
            A->val[i + i * n] = 1.0;
    return A;
}

dj_mat *dj_mat_scalar(dj_ctx *c, double v)
{
    dj_mat *A = constant(c, 1, 1, "dj_mat_scalar");
    if (A)
        A->val[0] = v;
    return A;
}

/* Copy a column-major rows-by-cols array with leading dimension ld into a
 * contiguous one. */
static void copy_in(double *dst, const double *src, size_t rows, size_t cols, size_t ld)
{
    if (ld == rows) {
        memcpy(dst, src, rows * cols * sizeof(double));
        return;
    }
    for (size_t j = 0; j < cols; ++j)
        memcpy(dst + j * rows, src + j * ld, rows * sizeof(double));
}

dj_mat *dj_mat_const(dj_ctx *c, size_t rows, size_t cols, const double *data, size_t ld)
{
    return dj_mat_var(c, rows, cols, data, ld, NULL, 0);
}

dj_mat *dj_mat_view(dj_ctx *c, size_t rows, size_t cols, const double *data)
{
    const char *op = "dj_mat_view";
    if (!DJ_CHECK0_(c, op))
        return NULL;
    if (data == NULL)
        return dj_fail_(c, DJ_EARG, op, "data is NULL");
    if (rows == 0 || cols == 0 || !dj_array_fits_(rows, cols))
        return dj_fail_(c, DJ_EDIM, op, "bad shape %zux%zu", rows, cols);
    dj_mat *A = dj_ctx_alloc_(c, sizeof *A, op);
    if (A == NULL)
        return NULL;
    A->rows = rows;
    A->cols = cols;
    A->val = (double *)data;      /* never written: operations do not modify arguments */
    A->tan = NULL;
    A->seeded = 0;
    A->seed_off = 0;
    A->on_tape = 0;
    A->adj = NULL;
    return A;
}

dj_mat *dj_mat_var(dj_ctx *c, size_t rows, size_t cols, const double *data,
                   size_t ld, const double *tan, size_t ldt)
{
    const char *op = tan ? "dj_mat_var" : "dj_mat_const";
    if (!DJ_CHECK0_(c, op))
        return NULL;
    if (data == NULL)
        return dj_fail_(c, DJ_EARG, op, "data is NULL");
    if (ld < rows)
        return dj_fail_(c, DJ_EDIM, op, "leading dimension %zu < rows %zu", ld, rows);
    if (!dj_array_fits_(ld, cols))        /* rows, cols > 0: dj_mat_alloc_ */
        return dj_fail_(c, DJ_EDIM, op, "ld %zu times %zu columns overflows", ld, cols);
    int with_tan = tan != NULL && c->mode == DJ_MODE_FORWARD;
    if (with_tan && (ldt < rows * cols || !dj_array_fits_(ldt, c->p)))
        return dj_fail_(c, DJ_EDIM, op, "tangent stride %zu < %zu or too large", ldt,
                        rows * cols);
    /* reverse mode: a non-NULL tan marks a variable (on the tape) */
    dj_mat *A = dj_mat_alloc_(c, rows, cols, tan != NULL && c->mode != DJ_MODE_PRIMAL, op);
    if (A == NULL)
        return NULL;
    copy_in(A->val, data, rows, cols, ld);
    if (with_tan)
        for (size_t k = 0; k < c->p; ++k)
            memcpy(A->tan + k * rows * cols, tan + k * ldt, rows * cols * sizeof(double));
    return A;
}

static void copy_out(double *out, size_t ld, const double *src, size_t rows, size_t cols)
{
    for (size_t j = 0; j < cols; ++j)
        memcpy(out + j * ld, src + j * rows, rows * sizeof(double));
}

int dj_mat_get(const dj_mat *A, double *out, size_t ld)
{
    if (A == NULL || out == NULL)
        return DJ_EARG;
    if (ld < A->rows || !dj_array_fits_(ld, A->cols))
        return DJ_EDIM;
    copy_out(out, ld, A->val, A->rows, A->cols);
    return DJ_OK;
}

int dj_mat_get_tangent(const dj_ctx *c, const dj_mat *A, size_t k, double *out, size_t ld)
{
    if (c == NULL || A == NULL || out == NULL)
        return DJ_EARG;
    if (ld < A->rows || k >= c->p || !dj_array_fits_(ld, A->cols))
        return DJ_EDIM;
    if (A->tan == NULL) {
        for (size_t j = 0; j < A->cols; ++j)
            memset(out + j * ld, 0, A->rows * sizeof(double));
        return DJ_OK;
    }
    copy_out(out, ld, A->tan + k * dj_numel_(A), A->rows, A->cols);
    return DJ_OK;
}

/* ---- adjoint rules of the structural operations ---------------------------- */

/* Ab += Yb, same size (copy, reshape). */
static void bw_copy(dj_ctx *c, const dj_tape_entry_ *e)
{
    double *ab = dj_adj_(c, e->in[0]);
    if (ab == NULL)
        return;
    size_t n = dj_numel_(e->out) * c->p;
    for (size_t i = 0; i < n; ++i)
        ab[i] += e->out->adj[i];
}

/* Ab_k += Yb_k^T. */
static void bw_transpose(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    size_t r = A->rows, cc = A->cols, n = r * cc;
    for (size_t k = 0; k < c->p; ++k)
        for (size_t j = 0; j < cc; ++j)
            for (size_t i = 0; i < r; ++i)
                ab[i + j * r + k * n] += e->out->adj[j + i * cc + k * n];
}

/* Ab[r0:, c0:] += Yb (the block at z[0], z[1]). */
static void bw_block(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    size_t nr = e->out->rows, nc = e->out->cols, na = dj_numel_(A), nb = nr * nc;
    for (size_t k = 0; k < c->p; ++k)
        for (size_t j = 0; j < nc; ++j)
            for (size_t i = 0; i < nr; ++i)
                ab[e->z[0] + i + (e->z[1] + j) * A->rows + k * na] +=
                    e->out->adj[i + j * nr + k * nb];
}

/* hcat/vcat: each argument gets its part of Yb (z[0]: 1 = horizontal). */
static void bw_concat(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *Y = e->out;
    size_t ny = dj_numel_(Y);
    for (int t = 0; t < 2; ++t) {
        const dj_mat *X = e->in[t];
        double *xb = dj_adj_(c, X);
        if (xb == NULL)
            continue;
        size_t r0 = (t == 1 && !e->z[0]) ? e->in[0]->rows : 0;
        size_t c0 = (t == 1 && e->z[0]) ? e->in[0]->cols : 0, nx = dj_numel_(X);
        for (size_t k = 0; k < c->p; ++k)
            for (size_t j = 0; j < X->cols; ++j)
                for (size_t i = 0; i < X->rows; ++i)
                    xb[i + j * X->rows + k * nx] +=
                        Y->adj[r0 + i + (c0 + j) * Y->rows + k * ny];
    }
}

/* slice and gather: Ab[idx_i] += Yb_i (z[0] start, s step, or ptr = idx). */
static void bw_gather(dj_ctx *c, const dj_tape_entry_ *e)
{
    const dj_mat *A = e->in[0];
    double *ab = dj_adj_(c, A);
    if (ab == NULL)
        return;
    const size_t *idx = e->ptr;
    size_t count = dj_numel_(e->out), na = dj_numel_(A);
    for (size_t i = 0; i < count; ++i) {
        size_t s = idx ? idx[i] : (size_t)((ptrdiff_t)e->z[0] + (ptrdiff_t)i * (ptrdiff_t)e->s);
        for (size_t k = 0; k < c->p; ++k)
            ab[s + k * na] += e->out->adj[i + k * count];
    }
}

/* Record Y = op(A[, B]) when Y is on the tape; NULL when recording fails. */
static dj_mat *record(dj_ctx *c, dj_mat *Y, dj_backward_fn_ fn, const dj_mat *A,
                      const dj_mat *B, const char *op, dj_tape_entry_ **entry)
{
    if (Y == NULL || !Y->on_tape)
        return Y;
    dj_tape_entry_ *e = dj_tape_push_(c, fn, Y, A, B, op);
    if (e == NULL)
        return NULL;
    if (entry)
        *entry = e;
    return Y;
}

dj_mat *dj_mat_copy(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_copy";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    dj_mat *B = dj_mat_alloc_(c, A->rows, A->cols, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    memcpy(B->val, A->val, n * sizeof(double));
    if (B->tan) {
        memcpy(B->tan, A->tan, n * c->p * sizeof(double));
        B->seeded = A->seeded;
        B->seed_off = A->seed_off;
    }
    return record(c, B, bw_copy, A, NULL, op, NULL);
}

static void transpose_into(double *dst, const double *src, size_t rows, size_t cols)
{
    for (size_t j = 0; j < cols; ++j)
        for (size_t i = 0; i < rows; ++i)
            dst[j + i * cols] = src[i + j * rows];
}

dj_mat *dj_mat_transpose(dj_ctx *c, const dj_mat *A)
{
    const char *op = "dj_mat_transpose";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    dj_mat *B = dj_mat_alloc_(c, A->cols, A->rows, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    transpose_into(B->val, A->val, A->rows, A->cols);
    if (B->tan)
        for (size_t k = 0; k < c->p; ++k)
            transpose_into(B->tan + k * n, A->tan + k * n, A->rows, A->cols);
    return record(c, B, bw_transpose, A, NULL, op, NULL);
}

dj_mat *dj_mat_reshape(dj_ctx *c, const dj_mat *A, size_t rows, size_t cols)
{
    const char *op = "dj_mat_reshape";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (rows == 0 || cols == 0 || dj_mul_overflows_(rows, cols) || rows * cols != dj_numel_(A))
        return dj_fail_(c, DJ_EDIM, op, "cannot reshape %zux%zu to %zux%zu",
                        A->rows, A->cols, rows, cols);
    dj_mat *B = dj_ctx_alloc_(c, sizeof *B, op);
    if (B == NULL)
        return NULL;
    *B = *A;                 /* a view: same storage, new shape */
    B->rows = rows;
    B->cols = cols;
    B->adj = NULL;           /* its own adjoint, added into A's by the sweep */
    return record(c, B, bw_copy, A, NULL, op, NULL);
}

dj_mat *dj_mat_vec(dj_ctx *c, const dj_mat *A)
{
    if (!DJ_CHECK1_(c, "dj_mat_vec", A))
        return NULL;
    return dj_mat_reshape(c, A, dj_numel_(A), 1);
}

/* Copy the nr-by-nc block at (r0, c0) of a rows-by-? array into dst (ld nr). */
static void block_into(double *dst, const double *src, size_t rows, size_t r0,
                       size_t c0, size_t nr, size_t nc)
{
    for (size_t j = 0; j < nc; ++j)
        memcpy(dst + j * nr, src + r0 + (c0 + j) * rows, nr * sizeof(double));
}

dj_mat *dj_mat_block(dj_ctx *c, const dj_mat *A, size_t r0, size_t c0, size_t nr, size_t nc)
{
    const char *op = "dj_mat_block";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (nr == 0 || nc == 0 || r0 > A->rows || nr > A->rows - r0 || c0 > A->cols
        || nc > A->cols - c0)
        return dj_fail_(c, DJ_EDIM, op, "block %zux%zu at (%zu, %zu) outside %zux%zu",
                        nr, nc, r0, c0, A->rows, A->cols);
    dj_mat *B = dj_mat_alloc_(c, nr, nc, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    block_into(B->val, A->val, A->rows, r0, c0, nr, nc);
    if (B->tan)
        for (size_t k = 0; k < c->p; ++k)
            block_into(B->tan + k * nr * nc, A->tan + k * dj_numel_(A), A->rows, r0, c0, nr, nc);
    dj_tape_entry_ *e = NULL;
    if (record(c, B, bw_block, A, NULL, op, &e) == NULL)
        return NULL;
    if (e) {
        e->z[0] = r0;
        e->z[1] = c0;
    }
    return B;
}

/* dst (rows-by-cols, contiguous) gets src (sr-by-sc) at (r0, c0); a NULL
 * src (a constant's tangent) writes zeros. */
static void place(double *dst, size_t rows, const double *src, size_t sr, size_t sc,
                  size_t r0, size_t c0)
{
    for (size_t j = 0; j < sc; ++j) {
        double *d = dst + r0 + (c0 + j) * rows;
        if (src)
            memcpy(d, src + j * sr, sr * sizeof(double));
        else
            memset(d, 0, sr * sizeof(double));
    }
}

static dj_mat *concat(dj_ctx *c, const dj_mat *A, const dj_mat *B, int horizontal,
                      const char *op)
{
    if (!DJ_CHECK2_(c, op, A, B))
        return NULL;
    if (horizontal ? A->rows != B->rows : A->cols != B->cols)
        return dj_fail_(c, DJ_EDIM, op, "cannot concatenate %zux%zu and %zux%zu",
                        A->rows, A->cols, B->rows, B->cols);
    size_t rows = horizontal ? A->rows : A->rows + B->rows;
    size_t cols = horizontal ? A->cols + B->cols : A->cols;
    size_t br = horizontal ? 0 : A->rows, bc = horizontal ? A->cols : 0;
    dj_mat *C = dj_mat_alloc_(c, rows, cols, dj_fwd_(c, A, B), op);
    if (C == NULL)
        return NULL;
    place(C->val, rows, A->val, A->rows, A->cols, 0, 0);
    place(C->val, rows, B->val, B->rows, B->cols, br, bc);
    if (C->tan) {
        size_t n = rows * cols, na = dj_numel_(A), nb = dj_numel_(B);
        for (size_t k = 0; k < c->p; ++k) {
            place(C->tan + k * n, rows, A->tan ? A->tan + k * na : NULL, A->rows, A->cols, 0, 0);
            place(C->tan + k * n, rows, B->tan ? B->tan + k * nb : NULL, B->rows, B->cols, br, bc);
        }
    }
    dj_tape_entry_ *e = NULL;
    if (record(c, C, bw_concat, A, B, op, &e) == NULL)
        return NULL;
    if (e)
        e->z[0] = (size_t)horizontal;
    return C;
}

dj_mat *dj_mat_hcat(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    return concat(c, A, B, 1, "dj_mat_hcat");
}

dj_mat *dj_mat_vcat(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    return concat(c, A, B, 0, "dj_mat_vcat");
}

/* Gather entries of vec(A) by index into a column, values and tangents. */
static dj_mat *gather(dj_ctx *c, const dj_mat *A, size_t count, const size_t *idx,
                      size_t start, ptrdiff_t step, const char *op)
{
    dj_mat *B = dj_mat_alloc_(c, count, 1, dj_active_(A), op);
    if (B == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    if (B->on_tape) {
        dj_tape_entry_ *e = dj_tape_push_(c, bw_gather, B, A, NULL, op);
        if (e == NULL)
            return NULL;
        e->z[0] = start;
        e->s = (double)step;
        if (idx) {
            size_t *copy = dj_ctx_alloc_(c, count * sizeof(size_t), op);
            if (copy == NULL)
                return NULL;
            memcpy(copy, idx, count * sizeof(size_t));
            e->ptr = copy;
        }
    }
    for (size_t i = 0; i < count; ++i) {
        size_t s = idx ? idx[i] : (size_t)((ptrdiff_t)start + (ptrdiff_t)i * step);
        B->val[i] = A->val[s];
        if (B->tan)
            for (size_t k = 0; k < c->p; ++k)
                B->tan[i + k * count] = A->tan[s + k * n];
    }
    return B;
}

dj_mat *dj_mat_slice(dj_ctx *c, const dj_mat *A, size_t start, ptrdiff_t step, size_t count)
{
    dj_mat *B = NULL;
    const char *op = "dj_mat_slice";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    size_t n = dj_numel_(A);
    /* the first and last index must lie in [0, n) */
    if (count == 0 || start >= n)
        return dj_fail_(c, DJ_EDIM, op, "bad slice start %zu count %zu of %zu", start, count, n);
    if (count > 1) {
        double last = (double)start + (double)step * (double)(count - 1);
        if (last < 0 || last >= (double)n)
            return dj_fail_(c, DJ_EDIM, op, "slice runs outside %zu entries", n);
    }
    B = gather(c, A, count, NULL, start, step, op);
    if (B && B->tan && A->seeded && (step == 1 || count == 1)) {
        B->seeded = 1;                        /* block k: 1 at k + off - start */
        B->seed_off = A->seed_off - (ptrdiff_t)start;
    }
    return B;
}

dj_mat *dj_mat_gather(dj_ctx *c, const dj_mat *A, const size_t *idx, size_t count)
{
    const char *op = "dj_mat_gather";
    if (!DJ_CHECK1_(c, op, A))
        return NULL;
    if (idx == NULL)
        return dj_fail_(c, DJ_EARG, op, "idx is NULL");
    if (count == 0)
        return dj_fail_(c, DJ_EDIM, op, "count is 0");
    for (size_t i = 0; i < count; ++i)
        if (idx[i] >= dj_numel_(A))
            return dj_fail_(c, DJ_EDIM, op, "index %zu out of %zu entries", idx[i], dj_numel_(A));
    return gather(c, A, count, idx, 0, 0, op);
}
