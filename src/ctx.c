/* ctx.c - the matrix context: mode, arena, sticky error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mat_internal.h"

#define DJ_ALIGN_ 64
#define DJ_HDR_ ((sizeof(dj_block_) + DJ_ALIGN_ - 1) / DJ_ALIGN_ * DJ_ALIGN_)
#define DJ_MIN_BLOCK_ ((size_t)1 << 16)

dj_ctx *dj_ctx_new(void)
{
    dj_ctx *c = dj_malloc_(sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->mode = DJ_MODE_PRIMAL;
    c->err_op = "";
    return c;
}

static void free_blocks(dj_block_ *b)
{
    while (b) {
        dj_block_ *next = b->next;
        dj_free_(b);
        b = next;
    }
}

void dj_ctx_free(dj_ctx *c)
{
    if (c == NULL)
        return;
    free_blocks(c->blocks);
    dj_free_(c);
}

/* A block with room for `bytes`; memory from malloc is only 16-byte
 * aligned, so DJ_ALIGN_ extra bytes let the data start on a cache line. */
static dj_block_ *new_block(size_t bytes)
{
    size_t size = bytes < DJ_MIN_BLOCK_ ? DJ_MIN_BLOCK_ : bytes;
    if (size > SIZE_MAX - DJ_HDR_ - DJ_ALIGN_)
        return NULL;
    dj_block_ *b = dj_malloc_(DJ_HDR_ + DJ_ALIGN_ + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static char *block_data(dj_block_ *b)
{
    char *p = (char *)b + DJ_HDR_;
    return p + (DJ_ALIGN_ - (uintptr_t)p % DJ_ALIGN_) % DJ_ALIGN_;
}

void dj_ctx_reset(dj_ctx *c)
{
    if (c == NULL)
        return;
    /* coalesce: one block as large as everything used, so the next run of
       the same program fits without allocating */
    if (c->blocks && c->blocks->next) {
        size_t total = 0;
        for (dj_block_ *b = c->blocks; b; b = b->next)
            total += b->size;
        dj_block_ *nb = new_block(total);
        if (nb) {
            free_blocks(c->blocks);
            c->blocks = nb;
            c->reserved = nb->size;
        }
    }
    for (dj_block_ *b = c->blocks; b; b = b->next)
        b->used = 0;
    c->used = 0;
    c->tape = NULL;
    c->tape_ops = 0;
    c->swept = 0;
    c->status = DJ_OK;
    c->err_op = "";
    c->err_msg[0] = '\0';
}

void *dj_ctx_alloc_(dj_ctx *c, size_t bytes, const char *op)
{
    size_t need = (bytes + DJ_ALIGN_ - 1) / DJ_ALIGN_ * DJ_ALIGN_;
    if (need < bytes) {
        dj_fail_(c, DJ_EDIM, op, "allocation size overflows");
        return NULL;
    }
    if (need == 0)
        need = DJ_ALIGN_;
    if (c->limit && (need > c->limit || c->used > c->limit - need)) {
        dj_fail_(c, DJ_ENOMEM, op, "arena limit of %zu bytes exceeded", c->limit);
        return NULL;
    }
    dj_block_ *b = c->blocks;
    /* the first block with room (blocks after the current one are reused
       after a reset that could not coalesce) */
    while (b && b->size - b->used < need)
        b = b->next;
    if (b == NULL) {
        b = new_block(need);
        if (b == NULL) {
            dj_fail_(c, DJ_ENOMEM, op, "out of memory (%zu bytes)", need);
            return NULL;
        }
        b->next = c->blocks;
        c->blocks = b;
        c->reserved += b->size;
    }
    void *p = block_data(b) + b->used;
    b->used += need;
    c->used += need;
    return p;
}

int dj_ctx_set_mode(dj_ctx *c, dj_mode mode, size_t p)
{
    if (c == NULL || (mode != DJ_MODE_PRIMAL && mode != DJ_MODE_FORWARD
                      && mode != DJ_MODE_REVERSE))
        return DJ_EARG;
    if (mode != DJ_MODE_PRIMAL && p == 0)
        return DJ_EDIM;
    c->mode = mode;
    c->p = mode == DJ_MODE_PRIMAL ? 0 : p;
    dj_ctx_reset(c);
    return DJ_OK;
}

dj_mode dj_ctx_mode(const dj_ctx *c) { return c ? c->mode : DJ_MODE_PRIMAL; }
size_t dj_ctx_tangents(const dj_ctx *c) { return c ? c->p : 0; }

int dj_ctx_set_limit(dj_ctx *c, size_t bytes)
{
    if (c == NULL)
        return DJ_EARG;
    c->limit = bytes;
    return DJ_OK;
}

size_t dj_ctx_bytes_used(const dj_ctx *c) { return c ? c->used : 0; }
size_t dj_ctx_bytes_reserved(const dj_ctx *c) { return c ? c->reserved : 0; }

int dj_ctx_status(const dj_ctx *c) { return c ? c->status : DJ_EARG; }
const char *dj_ctx_error_op(const dj_ctx *c) { return c ? c->err_op : ""; }
const char *dj_ctx_error(const dj_ctx *c)
{
    if (c == NULL)
        return "no context";
    return c->status == DJ_OK ? "" : (c->err_msg[0] ? c->err_msg : dj_strerror(c->status));
}

static void vfail(dj_ctx *c, int status, const char *op, const char *fmt, va_list ap)
{
    if (c == NULL || c->status != DJ_OK)
        return;
    c->status = status;
    c->err_op = op ? op : "";
    if (fmt)
        vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
    else
        snprintf(c->err_msg, sizeof c->err_msg, "%s", dj_strerror(status));
}

dj_mat *dj_fail_(dj_ctx *c, int status, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, status, op, fmt, ap);
    va_end(ap);
    return NULL;
}

int dj_ctx_fail(dj_ctx *c, int status, const char *op, const char *msg)
{
    if (c == NULL || status == DJ_OK)    /* DJ_OK is no failure to record */
        return DJ_EARG;
    dj_fail_(c, status, op, msg ? "%s" : NULL, msg);
    return status;
}

int dj_ctx_ok_(dj_ctx *c, const char *op, int nargs, const dj_mat *a,
               const dj_mat *b, const dj_mat *d)
{
    if (c == NULL || c->status != DJ_OK)
        return 0;
    const dj_mat *args[3] = { a, b, d };
    for (int i = 0; i < nargs; ++i)
        if (args[i] == NULL) {
            dj_fail_(c, DJ_EARG, op, "argument %d is NULL", i + 1);
            return 0;
        }
    return 1;
}

dj_mat *dj_mat_alloc_(dj_ctx *c, size_t rows, size_t cols, int with_tan, const char *op)
{
    if (rows == 0 || cols == 0)
        return dj_fail_(c, DJ_EDIM, op, "empty %zux%zu matrix", rows, cols);
    if (dj_mul_overflows_(rows, cols) || dj_mul_overflows_(rows * cols, sizeof(double)))
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu matrix is too large", rows, cols);
    size_t n = rows * cols;
    int tan = with_tan && c->mode == DJ_MODE_FORWARD;
    if (tan && (c->p == SIZE_MAX || !dj_array_fits_(n, c->p + 1)))
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu matrix with %zu tangents is too large",
                        rows, cols, c->p);
    /* reverse mode: the backward sweep gives a matrix on the tape p adjoint
       blocks; their size must be representable (checked here, once) */
    if (with_tan && c->mode == DJ_MODE_REVERSE && !dj_array_fits_(n, c->p))
        return dj_fail_(c, DJ_EDIM, op, "%zux%zu matrix with %zu adjoint blocks is too large",
                        rows, cols, c->p);
    dj_mat *A = dj_ctx_alloc_(c, sizeof *A, op);
    if (A == NULL)
        return NULL;
    A->rows = rows;
    A->cols = cols;
    A->tan = NULL;
    A->seeded = 0;
    A->seed_off = 0;
    A->on_tape = with_tan && c->mode == DJ_MODE_REVERSE;
    A->adj = NULL;
    /* values and tangent blocks in one piece: [val | tan_1 .. tan_p] is one
       rows-by-cols(1+p) matrix */
    A->val = dj_ctx_alloc_(c, n * (tan ? 1 + c->p : 1) * sizeof(double), op);
    if (A->val == NULL)
        return NULL;
    if (tan)
        A->tan = A->val + n;
    return A;
}
