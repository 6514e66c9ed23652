/* mat_ops.h - the matrix operations under test, as programs for
 * mat_check/adjoint_check, shared by test_mat.c (forward rules) and
 * test_reverse.c (adjoint rules). */
#ifndef DJ_MAT_OPS_H
#define DJ_MAT_OPS_H

#include "mat_check.h"

typedef dj_mat *(*unary_fn)(dj_ctx *, const dj_mat *);
typedef dj_mat *(*binary_fn)(dj_ctx *, const dj_mat *, const dj_mat *);

static dj_mat *p_unary(dj_ctx *c, dj_mat **in, void *u) { return ((unary_fn)u)(c, in[0]); }
static dj_mat *p_binary(dj_ctx *c, dj_mat **in, void *u) { return ((binary_fn)u)(c, in[0], in[1]); }

static struct { const char *name; unary_fn f; double lo, hi; } unary_ops[] = {
    { "neg", dj_mat_neg, -2, 2 },     { "exp", dj_mat_exp, -2, 2 },
    { "exp2", dj_mat_exp2, -2, 2 },   { "expm1", dj_mat_expm1, -2, 2 },
    { "log", dj_mat_log, 0.5, 3 },    { "log2", dj_mat_log2, 0.5, 3 },
    { "log10", dj_mat_log10, 0.5, 3 }, { "log1p", dj_mat_log1p, -0.5, 2 },
    { "sqrt", dj_mat_sqrt, 0.5, 3 },  { "cbrt", dj_mat_cbrt, 0.5, 3 },
    { "sin", dj_mat_sin, -3, 3 },     { "cos", dj_mat_cos, -3, 3 },
    { "tan", dj_mat_tan, -1, 1 },     { "asin", dj_mat_asin, -0.8, 0.8 },
    { "acos", dj_mat_acos, -0.8, 0.8 }, { "atan", dj_mat_atan, -3, 3 },
    { "sinh", dj_mat_sinh, -2, 2 },   { "cosh", dj_mat_cosh, -2, 2 },
    { "tanh", dj_mat_tanh, -2, 2 },   { "asinh", dj_mat_asinh, -3, 3 },
    { "acosh", dj_mat_acosh, 1.5, 4 }, { "atanh", dj_mat_atanh, -0.8, 0.8 },
    { "erf", dj_mat_erf, -2, 2 },     { "erfc", dj_mat_erfc, -2, 2 },
    { "fabs", dj_mat_fabs, 0.1, 2 },  { "floor", dj_mat_floor, 0.1, 0.9 },
    { "ceil", dj_mat_ceil, 0.1, 0.9 }, { "round", dj_mat_round, 0.1, 0.4 },
    { "trunc", dj_mat_trunc, 0.1, 0.9 },
};

/* binary elementwise ops with the value ranges they are tested on */
static struct { const char *name; binary_fn f; double lo, hi; } binary_ops[] = {
    { "add", dj_mat_add, -2, 2 },     { "sub", dj_mat_sub, -2, 2 },
    { "emul", dj_mat_emul, -2, 2 },   { "ediv", dj_mat_ediv, 0.5, 2 },
    { "epow", dj_mat_epow, 0.5, 2 },  { "emin", dj_mat_emin, -2, 2 },
    { "emax", dj_mat_emax, -2, 2 },   { "eatan2", dj_mat_eatan2, 0.5, 2 },
    { "ehypot", dj_mat_ehypot, 0.5, 2 },
};

/* binary shapes: A then B, same shape and every broadcast */
static const size_t binary_shapes[][4] = { { 6, 4, 6, 4 }, { 6, 4, 1, 1 }, { 6, 4, 6, 1 },
                                           { 6, 4, 1, 4 }, { 1, 1, 6, 4 }, { 6, 1, 1, 4 } };

/* ---- structure and linear ops --------------------------------------------- */

static dj_mat *p_copy(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_copy(c, in[0]); }
static dj_mat *p_transpose(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_transpose(c, in[0]); }
static dj_mat *p_vec(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_vec(c, in[0]); }
static dj_mat *p_block(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    size_t r = in[0]->rows, cc = in[0]->cols;
    return dj_mat_block(c, in[0], r / 3, cc / 2, r - r / 3, cc - cc / 2);
}
static dj_mat *p_hcat(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_hcat(c, in[0], in[0]); }
static dj_mat *p_vcat(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_vcat(c, in[0], dj_mat_scale(c, in[0], -2.0));
}
static dj_mat *p_slice(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    size_t n = in[0]->rows * in[0]->cols;
    return dj_mat_slice(c, in[0], n - 1, -2, (n + 1) / 2);
}
static dj_mat *p_gather(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    size_t n = in[0]->rows * in[0]->cols, idx[5] = { 0, n - 1, n / 2, 0, n / 3 };
    return dj_mat_gather(c, in[0], idx, 5);
}
static dj_mat *p_scale(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_scale(c, in[0], -1.75); }
static dj_mat *p_axpy(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_axpy(c, 0.5, in[0], dj_mat_sin(c, in[0]));
}
static dj_mat *p_sum(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_sum(c, in[0]); }
static dj_mat *p_sum_cols(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_sum_cols(c, in[0]); }
static dj_mat *p_sum_rows(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_sum_rows(c, in[0]); }
static dj_mat *p_mean(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_mean(c, in[0]); }
static dj_mat *p_dot(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_dot(c, in[0], dj_mat_exp(c, in[0]));
}
static dj_mat *p_trace(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_trace(c, dj_mat_matmul(c, in[0], 1, in[0], 0));   /* square */
}

static struct { const char *name; mc_prog f; } structure_ops[] = {
    { "copy", p_copy },   { "transpose", p_transpose }, { "vec", p_vec },
    { "block", p_block }, { "hcat", p_hcat },           { "vcat", p_vcat },
    { "slice", p_slice }, { "gather", p_gather },       { "scale", p_scale },
    { "axpy", p_axpy },   { "sum", p_sum },             { "sum_cols", p_sum_cols },
    { "sum_rows", p_sum_rows }, { "mean", p_mean },     { "dot", p_dot },
    { "trace", p_trace },
};

typedef struct { int ta, tb; } mm_opts;
static dj_mat *p_matmul(dj_ctx *c, dj_mat **in, void *u)
{
    mm_opts *o = u;
    return dj_mat_matmul(c, in[0], o->ta, in[1], o->tb);
}
static dj_mat *p_matvec(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_matvec(c, in[0], in[1]); }
static dj_mat *p_outer(dj_ctx *c, dj_mat **in, void *u) { (void)u; return dj_mat_outer(c, in[0], in[1]); }

/* (m, k, n) for op(A) m-by-k times op(B) k-by-n */
static const size_t product_dims[][3] = { { 1, 1, 1 }, { 5, 5, 5 }, { 7, 3, 4 }, { 3, 7, 1 },
                                          { 64, 16, 33 }, { 4, 9, 1 } };

#endif
