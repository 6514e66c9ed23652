/* mat_elementwise.c - elementwise functions of matrices, with the scalar
 * rules of rules.h (never a second copy of a derivative):
 *     Y = f(A):     Y_i = f(A_i),     dY_i = f'(A_i) dA_i
 *     Y = g(A, B):  Y_i = g(A_i, B_i), dY_i = g_a dA_i + g_b dB_i
 * with broadcasting of scalars, rows and columns for the binary ones.
 * The partials are computed once per entry and applied to every tangent
 * block; a tangent entry that is exactly 0 contributes 0 even where a
 * partial is infinite (the rule of rules.h). */
#include <math.h>
#include <string.h>
#include "dualjac/generic.h"
#include "mat_internal.h"

/* y[i] += g[i] * x[i] over n entries, or = when first; the guarded product
 * only when some partial is not finite. */
static void apply_partial(double *y, const double *g, const double *x, size_t n,
                          int finite, int first)
{
    if (finite) {
        if (first)
            for (size_t i = 0; i < n; ++i)
                y[i] = g[i] * x[i];
        else
            for (size_t i = 0; i < n; ++i)
                y[i] += g[i] * x[i];
    } else {
        if (first)
            for (size_t i = 0; i < n; ++i)
                y[i] = dj_tangent_mul(g[i], x[i]);
        else
            for (size_t i = 0; i < n; ++i)
                y[i] += dj_tangent_mul(g[i], x[i]);
    }
}

static int all_finite(const double *g, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; ++i)
        ok &= isfinite(g[i]) != 0;
    return ok;
}

/* ---- adjoint rules ---------------------------------------------------------- */

/* Xb_k (+)= reduce over broadcast dimensions of g o Yb_k, for X of shape
 * (xr, xc) broadcast to Y's shape; the zero-adjoint convention of rules.h. */
static void bw_partial(dj_ctx *c, const dj_mat *X, const dj_mat *Y, const double *g)
{
    double *xb = dj_adj_(c, X);
    if (xb == NULL)
        return;
    size_t rows = Y->rows, cols = Y->cols, ny = rows * cols, nx = dj_numel_(X);
    int same = X->rows == rows && X->cols == cols;
    for (size_t k = 0; k < c->p; ++k) {
        const double *yb = Y->adj + k * ny;
        double *x = xb + k * nx;
        if (same) {
            for (size_t i = 0; i < ny; ++i)
                x[i] += dj_tangent_mul(g[i], yb[i]);
            continue;
        }
        for (size_t j = 0; j < cols; ++j)
            for (size_t i = 0; i < rows; ++i)
                x[(X->rows == 1 ? 0 : i) + (X->cols == 1 ? 0 : j) * X->rows] +=
                    dj_tangent_mul(g[i + j * rows], yb[i + j * rows]);
    }
}

static void bw_unary(dj_ctx *c, const dj_tape_entry_ *e)
{
    bw_partial(c, e->in[0], e->out, e->d0);
}

static void bw_binary(dj_ctx *c, const dj_tape_entry_ *e)
{
    bw_partial(c, e->in[0], e->out, e->d0);
    bw_partial(c, e->in[1], e->out, e->d1);
}

/* ---- unary ---------------------------------------------------------------- */

#define DJ_MAT_UNARY_(f)                                                      \
    dj_mat *dj_mat_##f(dj_ctx *c, const dj_mat *A)                            \
    {                                                                         \
        const char *op = "dj_mat_" #f;                                        \
        if (!DJ_CHECK1_(c, op, A))                                            \
            return NULL;                                                      \
        dj_mat *Y = dj_mat_alloc_(c, A->rows, A->cols, dj_active_(A), op);    \
        if (Y == NULL)                                                        \
            return NULL;                                                      \
        size_t n = dj_numel_(A);                                              \
        if (Y->tan == NULL && !Y->on_tape) {                                  \
            for (size_t i = 0; i < n; ++i)                                    \
                Y->val[i] = dj_real_##f(A->val[i]);  /* no derivative */       \
            return Y;                                                         \
        }                                                                     \
        double *g = dj_ctx_alloc_(c, n * sizeof(double), op);                 \
        if (g == NULL)                                                        \
            return NULL;                                                      \
        for (size_t i = 0; i < n; ++i) {                                      \
            dj_rule1 r = dj_rule_##f(A->val[i]);                              \
            Y->val[i] = r.v;                                                  \
            g[i] = r.g;                                                       \
        }                                                                     \
        if (Y->on_tape) {                                                     \
            dj_tape_entry_ *e = dj_tape_push_(c, bw_unary, Y, A, NULL, op);   \
            if (e == NULL)                                                    \
                return NULL;                                                  \
            e->d0 = g;                                                        \
            return Y;                                                         \
        }                                                                     \
        int fin = all_finite(g, n);                                           \
        for (size_t k = 0; k < c->p; ++k)                                     \
            apply_partial(Y->tan + k * n, g, A->tan + k * n, n, fin, 1);      \
        return Y;                                                             \
    }
DJ_UNARY_RULES(DJ_MAT_UNARY_)
#undef DJ_MAT_UNARY_

/* ---- binary, with broadcasting --------------------------------------------- */

/* The result shape of A and B, or 0 when they do not broadcast. */
static int broadcast_shape(const dj_mat *A, const dj_mat *B, size_t *rows, size_t *cols)
{
    if (A->rows != B->rows && A->rows != 1 && B->rows != 1)
        return 0;
    if (A->cols != B->cols && A->cols != 1 && B->cols != 1)
        return 0;
    *rows = A->rows > B->rows ? A->rows : B->rows;
    *cols = A->cols > B->cols ? A->cols : B->cols;
    return 1;
}

/* src (sr-by-sc, broadcast) expanded to rows-by-cols into dst. */
static void expand(double *dst, const double *src, size_t sr, size_t sc, size_t rows, size_t cols)
{
    if (sr == rows && sc == cols) {
        memcpy(dst, src, rows * cols * sizeof(double));
        return;
    }
    for (size_t j = 0; j < cols; ++j)
        for (size_t i = 0; i < rows; ++i)
            dst[i + j * rows] = src[(sr == 1 ? 0 : i) + (sc == 1 ? 0 : j) * sr];
}

/* The tangent of one argument of a binary op: Y->tan (+)= g o expand(dX). */
static int binary_tangent(dj_ctx *c, dj_mat *Y, const dj_mat *X, const double *g,
                          int first, const char *op)
{
    size_t n = dj_numel_(Y), nx = dj_numel_(X);
    int fin = all_finite(g, n);
    double *tmp = NULL;
    if (nx != n) {
        tmp = dj_ctx_alloc_(c, n * sizeof(double), op);
        if (tmp == NULL)
            return 0;
    }
    for (size_t k = 0; k < c->p; ++k) {
        const double *dx = X->tan + k * nx;
        if (tmp) {
            expand(tmp, dx, X->rows, X->cols, Y->rows, Y->cols);
            dx = tmp;
        }
        apply_partial(Y->tan + k * n, g, dx, n, fin, first);
    }
    return 1;
}

#define DJ_MAT_BINARY_(name, f, opname)                                       \
    DJ_MAT_BINARY_LINKAGE_##name dj_mat *dj_mat_##name(dj_ctx *c, const dj_mat *A, \
                                                      const dj_mat *B)       \
    {                                                                         \
        const char *op = opname;                                              \
        if (!DJ_CHECK2_(c, op, A, B))                                         \
            return NULL;                                                      \
        size_t rows, cols;                                                    \
        if (!broadcast_shape(A, B, &rows, &cols))                             \
            return dj_fail_(c, DJ_EDIM, op, "shapes %zux%zu and %zux%zu do "  \
                            "not broadcast", A->rows, A->cols, B->rows,       \
                            B->cols);                                         \
        dj_mat *Y = dj_mat_alloc_(c, rows, cols, dj_fwd_(c, A, B), op);       \
        if (Y == NULL)                                                        \
            return NULL;                                                      \
        size_t n = rows * cols;                                               \
        double *ga = NULL, *gb = NULL;                                        \
        if (Y->tan || Y->on_tape) {                                           \
            ga = dj_ctx_alloc_(c, 2 * n * sizeof(double), op);                \
            if (ga == NULL)                                                   \
                return NULL;                                                  \
            gb = ga + n;                                                      \
        }                                                                     \
        for (size_t j = 0; j < cols; ++j)                                     \
            for (size_t i = 0; i < rows; ++i) {                               \
                double a = A->val[(A->rows == 1 ? 0 : i)                      \
                                  + (A->cols == 1 ? 0 : j) * A->rows];        \
                double b = B->val[(B->rows == 1 ? 0 : i)                      \
                                  + (B->cols == 1 ? 0 : j) * B->rows];        \
                if (ga == NULL) {                                             \
                    Y->val[i + j * rows] = dj_real_##f(a, b);                 \
                    continue;                                                 \
                }                                                             \
                dj_rule2 r = dj_rule_##f(a, b);                               \
                Y->val[i + j * rows] = r.v;                                   \
                ga[i + j * rows] = r.ga;                                      \
                gb[i + j * rows] = r.gb;                                      \
            }                                                                 \
        if (Y->on_tape) {                                                     \
            dj_tape_entry_ *e = dj_tape_push_(c, bw_binary, Y, A, B, op);     \
            if (e == NULL)                                                    \
                return NULL;                                                  \
            e->d0 = ga;                                                       \
            e->d1 = gb;                                                       \
        }                                                                     \
        if (Y->tan == NULL)                                                   \
            return Y;                                                         \
        if (A->tan && !binary_tangent(c, Y, A, ga, 1, op))                    \
            return NULL;                                                      \
        if (B->tan && !binary_tangent(c, Y, B, gb, A->tan == NULL, op))       \
            return NULL;                                                      \
        return Y;                                                             \
    }
/* add and sub of equal shapes take a shortcut below; with broadcasting they
   are these general kernels */
#define DJ_MAT_BINARY_LINKAGE_add_bc static
#define DJ_MAT_BINARY_LINKAGE_sub_bc static
#define DJ_MAT_BINARY_LINKAGE_emul
#define DJ_MAT_BINARY_LINKAGE_ediv
#define DJ_MAT_BINARY_LINKAGE_epow
#define DJ_MAT_BINARY_LINKAGE_emin
#define DJ_MAT_BINARY_LINKAGE_emax
#define DJ_MAT_BINARY_LINKAGE_eatan2
#define DJ_MAT_BINARY_LINKAGE_ehypot
DJ_MAT_BINARY_(add_bc, add, "dj_mat_add")
DJ_MAT_BINARY_(sub_bc, sub, "dj_mat_sub")
DJ_MAT_BINARY_(emul, mul, "dj_mat_emul")
DJ_MAT_BINARY_(ediv, div, "dj_mat_ediv")
DJ_MAT_BINARY_(epow, pow, "dj_mat_epow")
DJ_MAT_BINARY_(emin, fmin, "dj_mat_emin")
DJ_MAT_BINARY_(emax, fmax, "dj_mat_emax")
DJ_MAT_BINARY_(eatan2, atan2, "dj_mat_eatan2")
DJ_MAT_BINARY_(ehypot, hypot, "dj_mat_ehypot")
#undef DJ_MAT_BINARY_

/* A + s B for equal shapes: values and tangents by one loop each, no
 * partial arrays; reverse mode records the general rule's entry with
 * partials 1 and s. */
static dj_mat *add_same(dj_ctx *c, const dj_mat *A, const dj_mat *B, double s, const char *op)
{
    dj_mat *Y = dj_mat_alloc_(c, A->rows, A->cols, dj_fwd_(c, A, B), op);
    if (Y == NULL)
        return NULL;
    size_t n = dj_numel_(A);
    for (size_t i = 0; i < n; ++i)
        Y->val[i] = A->val[i] + s * B->val[i];
    if (Y->tan) {
        size_t nt = n * c->p;
        if (A->tan)
            memcpy(Y->tan, A->tan, nt * sizeof(double));
        else
            memset(Y->tan, 0, nt * sizeof(double));
        if (B->tan)
            for (size_t i = 0; i < nt; ++i)
                Y->tan[i] += s * B->tan[i];
    }
    if (Y->on_tape) {
        double *g = dj_ctx_alloc_(c, 2 * n * sizeof(double), op);
        dj_tape_entry_ *e = g ? dj_tape_push_(c, bw_binary, Y, A, B, op) : NULL;
        if (e == NULL)
            return NULL;
        for (size_t i = 0; i < n; ++i) {
            g[i] = 1.0;
            g[n + i] = s;
        }
        e->d0 = g;
        e->d1 = g + n;
    }
    return Y;
}

dj_mat *dj_mat_add(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    if (DJ_CHECK2_(c, "dj_mat_add", A, B) && A->rows == B->rows && A->cols == B->cols)
        return add_same(c, A, B, 1.0, "dj_mat_add");
    return dj_mat_add_bc(c, A, B);
}

dj_mat *dj_mat_sub(dj_ctx *c, const dj_mat *A, const dj_mat *B)
{
    if (DJ_CHECK2_(c, "dj_mat_sub", A, B) && A->rows == B->rows && A->cols == B->cols)
        return add_same(c, A, B, -1.0, "dj_mat_sub");
    return dj_mat_sub_bc(c, A, B);
}
