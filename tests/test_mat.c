/* test_mat.c - the matrix layer in forward mode: creation, structure,
 * linear operations, products and elementwise functions; every rule
 * against finite differences and one-direction runs (mat_check.h), for
 * several shapes and p in {1, 3, 8, 17}; the context's errors and arena. */
#include "mat_ops.h"

static const size_t ps[] = { 1, 3, 8, 17 };
#define NPS (sizeof ps / sizeof *ps)
static const size_t shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 3, 7 }, { 16, 64 } };
#define NSHAPES (sizeof shapes / sizeof *shapes)

/* Check a unary op on every shape and p with values in [lo, hi]. */
static int check_unary(const char *name, unary_fn f, double lo, double hi, double fd_tol)
{
    int fails = 0;
    uint64_t seed = 1234;
    for (size_t s = 0; s < NSHAPES; ++s) {
        size_t r = shapes[s][0], cc = shapes[s][1];
        double *a = malloc(r * cc * sizeof *a);
        mc_rand(&seed, a, r * cc, lo, hi);
        mc_input in[1] = { { r, cc, a, MC_GENERAL } };
        for (size_t q = 0; q < NPS; ++q)
            fails += mat_check(name, p_unary, (void *)f, 1, in, ps[q], seed + q, fd_tol, 1e-13);
        free(a);
    }
    return fails;
}

static void test_unary(void)
{
    for (size_t i = 0; i < sizeof unary_ops / sizeof *unary_ops; ++i) {
        int f = check_unary(unary_ops[i].name, unary_ops[i].f, unary_ops[i].lo,
                            unary_ops[i].hi, 1e-6);
        if (f)
            fprintf(stderr, "\n  unary %s: %d failures\n", unary_ops[i].name, f);
        CU_ASSERT_EQUAL(f, 0);
    }
}

/* Binary elementwise ops, same shape and every broadcast (scalar, row,
 * column, on either side). */
static void test_binary(void)
{
    uint64_t seed = 77;
    for (size_t o = 0; o < sizeof binary_ops / sizeof *binary_ops; ++o) {
        for (size_t b = 0; b < sizeof binary_shapes / sizeof *binary_shapes; ++b) {
            const size_t *bs = binary_shapes[b];
            double A[24], B[24];
            mc_rand(&seed, A, 24, binary_ops[o].lo, binary_ops[o].hi);
            mc_rand(&seed, B, 24, binary_ops[o].lo, binary_ops[o].hi);
            mc_input in[2] = { { bs[0], bs[1], A, MC_GENERAL }, { bs[2], bs[3], B, MC_GENERAL } };
            for (size_t q = 0; q < NPS; ++q) {
                int f = mat_check(binary_ops[o].name, p_binary, (void *)binary_ops[o].f, 2, in,
                                  ps[q], seed + q, 1e-6, 1e-13);
                CU_ASSERT_EQUAL(f, 0);
            }
            /* one argument constant */
            in[1].kind = MC_CONST;
            CU_ASSERT_EQUAL(mat_check(binary_ops[o].name, p_binary, (void *)binary_ops[o].f, 2,
                                      in, 3, seed, 1e-6, 1e-13), 0);
        }
    }
}

static void test_structure_linear(void)
{
    uint64_t seed = 5;
    for (size_t o = 0; o < sizeof structure_ops / sizeof *structure_ops; ++o)
        for (size_t s = 0; s < NSHAPES; ++s) {
            size_t r = shapes[s][0], cc = shapes[s][1];
            double *a = malloc(r * cc * sizeof *a);
            mc_rand(&seed, a, r * cc, -1, 1);
            mc_input in[1] = { { r, cc, a, MC_GENERAL } };
            for (size_t q = 0; q < NPS; ++q) {
                int f = mat_check(structure_ops[o].name, structure_ops[o].f, NULL, 1, in, ps[q], seed, 1e-6,
                                  1e-13);
                if (f)
                    fprintf(stderr, "\n  %s %zux%zu p=%zu: %d failures\n", structure_ops[o].name, r,
                            cc, ps[q], f);
                CU_ASSERT_EQUAL(f, 0);
            }
            free(a);
        }
}

/* ---- products --------------------------------------------------------------- */

static void test_products(void)
{
    uint64_t seed = 11;
    /* (m, k, n) for op(A) m-by-k times op(B) k-by-n */
    for (size_t d = 0; d < sizeof product_dims / sizeof *product_dims; ++d)
        for (int t = 0; t < 4; ++t) {
            mm_opts o = { t & 1, t >> 1 };
            size_t m = product_dims[d][0], k = product_dims[d][1], n = product_dims[d][2];
            size_t ar = o.ta ? k : m, ac = o.ta ? m : k, br = o.tb ? n : k, bc = o.tb ? k : n;
            double *A = malloc(ar * ac * sizeof *A), *B = malloc(br * bc * sizeof *B);
            mc_rand(&seed, A, ar * ac, -1, 1);
            mc_rand(&seed, B, br * bc, -1, 1);
            for (int kinds = 0; kinds < 3; ++kinds) {     /* both vary, A const, B const */
                mc_input in[2] = { { ar, ac, A, kinds == 1 ? MC_CONST : MC_GENERAL },
                                   { br, bc, B, kinds == 2 ? MC_CONST : MC_GENERAL } };
                for (size_t q = 0; q < NPS; ++q) {
                    int f = mat_check("matmul", p_matmul, &o, 2, in, ps[q], seed, 1e-6, 1e-13);
                    if (f)
                        fprintf(stderr, "\n  matmul %zux%zux%zu ta=%d tb=%d kinds=%d p=%zu\n",
                                m, k, n, o.ta, o.tb, kinds, ps[q]);
                    CU_ASSERT_EQUAL(f, 0);
                }
            }
            free(A);
            free(B);
        }
    double A[12], x[4], y[3];
    mc_rand(&seed, A, 12, -1, 1);
    mc_rand(&seed, x, 4, -1, 1);
    mc_rand(&seed, y, 3, -1, 1);
    mc_input mv[2] = { { 3, 4, A, MC_GENERAL }, { 4, 1, x, MC_GENERAL } };
    CU_ASSERT_EQUAL(mat_check("matvec", p_matvec, NULL, 2, mv, 8, seed, 1e-6, 1e-13), 0);
    mc_input op[2] = { { 4, 1, x, MC_GENERAL }, { 3, 1, y, MC_GENERAL } };
    CU_ASSERT_EQUAL(mat_check("outer", p_outer, NULL, 2, op, 8, seed, 1e-6, 1e-13), 0);
}

/* A A^-1-like property without LAPACK: (A^T)^T == A, tangents too. */
static void test_properties(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 3), DJ_OK);
    double a[6] = { 1, 2, 3, 4, 5, 6 }, t[18];
    for (int i = 0; i < 18; ++i)
        t[i] = i - 7.5;
    dj_mat *A = dj_mat_var(c, 2, 3, a, 2, t, 6);
    dj_mat *B = dj_mat_transpose(c, dj_mat_transpose(c, A));
    CU_ASSERT_PTR_NOT_NULL_FATAL(B);
    for (int i = 0; i < 6; ++i)
        CU_ASSERT_EQUAL(B->val[i], a[i]);
    for (int i = 0; i < 18; ++i)
        CU_ASSERT_EQUAL(B->tan[i], t[i]);
    /* sum of hcat = 2 sum; reshape shares storage */
    dj_mat *S = dj_mat_sum(c, dj_mat_hcat(c, A, A)), *S1 = dj_mat_sum(c, A);
    CU_ASSERT_EQUAL(S->val[0], 2 * S1->val[0]);
    for (int k = 0; k < 3; ++k)
        CU_ASSERT_EQUAL(S->tan[k], 2 * S1->tan[k]);
    dj_mat *R = dj_mat_reshape(c, A, 3, 2);
    CU_ASSERT(R->val == A->val && R->tan == A->tan && R->rows == 3);
    /* constants have no tangents, and ops on constants stay constant */
    dj_mat *K = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(K->tan);
    CU_ASSERT_PTR_NULL(dj_mat_exp(c, dj_mat_matmul(c, K, 1, K, 0))->tan);
    double g[6];
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, K, 2, g, 2), DJ_OK);
    CU_ASSERT(g[0] == 0 && g[5] == 0);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

/* ---- the context: errors, stickiness, arena ------------------------------------ */

static void test_errors(void)
{
    dj_ctx *c = dj_ctx_new();
    double a[6] = { 1, 2, 3, 4, 5, 6 };
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 0), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(NULL, DJ_MODE_FORWARD, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, (dj_mode)7, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 2), DJ_OK);
    dj_mat *A = dj_mat_const(c, 2, 3, a, 2), *B = dj_mat_const(c, 3, 2, a, 3);
    CU_ASSERT_PTR_NOT_NULL(A);
    /* a mismatch fails, names the op, and sticks */
    CU_ASSERT_PTR_NULL(dj_mat_add(c, A, B));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_add");
    CU_ASSERT(strlen(dj_ctx_error(c)) > 5);
    CU_ASSERT_PTR_NULL(dj_mat_matmul(c, A, 0, B, 0));      /* valid, but after a failure */
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_add");
    CU_ASSERT_PTR_NULL(dj_mat_exp(c, NULL));
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_add");
    dj_ctx_reset(c);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error(c), "");
    /* each kind of bad input */
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_exp(c, NULL));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EARG);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_const(c, 2, 3, a, 1));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_const(c, 2, 3, NULL, 2));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EARG);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_zeros(c, 0, 3));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_zeros(c, SIZE_MAX / 2, 3));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_reshape(c, A, 4, 2));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_block(c, A, 1, 1, 2, 1));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_trace(c, A));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_slice(c, A, 1, 3, 3));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    size_t bad[2] = { 1, 6 };
    CU_ASSERT_PTR_NULL(dj_mat_gather(c, A, bad, 2));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_hcat(c, A, dj_mat_const(c, 3, 2, a, 3)));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_const(c, 2, 3, a, 2);
    CU_ASSERT_PTR_NULL(dj_mat_matvec(c, A, A));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    /* user failures go through the same channel */
    dj_ctx_reset(c);
    CU_ASSERT_EQUAL(dj_ctx_fail(c, DJ_EDOMAIN, "my_op", "x out of range"), DJ_EDOMAIN);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error(c), "x out of range");
    CU_ASSERT_EQUAL(dj_ctx_status(NULL), DJ_EARG);
    dj_ctx_free(c);
    dj_ctx_free(NULL);
}

static void test_arena(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 8);
    double a[400];
    for (int i = 0; i < 400; ++i)
        a[i] = i * 0.01;
    /* a program run twice: the second run reuses the arena, no growth */
    size_t reserved = 0;
    for (int run = 0; run < 3; ++run) {
        dj_ctx_reset(c);
        dj_mat *X = dj_mat_const(c, 20, 20, a, 20);
        for (int i = 0; i < 50; ++i)
            X = dj_mat_tanh(c, dj_mat_matmul(c, X, 0, X, 1));
        CU_ASSERT_PTR_NOT_NULL(X);
        if (run == 1)
            reserved = dj_ctx_bytes_reserved(c);
        if (run == 2)
            CU_ASSERT_EQUAL(dj_ctx_bytes_reserved(c), reserved);
        CU_ASSERT(dj_ctx_bytes_used(c) <= dj_ctx_bytes_reserved(c));
    }
    /* the limit */
    dj_ctx_reset(c);
    CU_ASSERT_EQUAL(dj_ctx_set_limit(c, 2048), DJ_OK);     /* < 400 doubles */
    dj_mat *X = dj_mat_const(c, 20, 20, a, 20);
    CU_ASSERT_PTR_NULL(X);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
    CU_ASSERT_EQUAL(dj_ctx_set_limit(c, 0), DJ_OK);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_const(c, 20, 20, a, 20));
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "elementwise unary, every rule", test_unary },
        { "elementwise binary with broadcasting", test_binary },
        { "structure and linear operations", test_structure_linear },
        { "matmul, matvec, outer", test_products },
        { "properties", test_properties },
        { "errors are sticky and named", test_errors },
        { "arena reuse and limit", test_arena },
        { NULL, NULL },
    };
    return dj_test_run("mat", cases);
}
