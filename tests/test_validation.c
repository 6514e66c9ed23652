/* test_validation.c - argument validation at every public boundary.
 *
 * For every public call of status.h, alloc.h, jacobian.h, mat.h and
 * linalg.h, each class of bad argument the call can receive: NULL pointers,
 * zero sizes, sizes whose products overflow (SIZE_MAX / 2 and friends: an
 * unchecked product wraps to a small number, so the call would write past
 * the caller's arrays), leading dimensions too small, mismatched shapes,
 * NaN/Inf where the call cannot accept it, singular and indefinite
 * matrices, and a user callback that fails. Each must come back as its
 * documented status, with nothing written outside the caller's arrays:
 * output arrays here carry a sentinel around the part a call may write,
 * and a driver that fails after accepting its arguments sets its outputs
 * to NaN (jacobian.h). The scalar types' operations (dual.h, chunk.h,
 * rvar.h, rules.h) take no pointers or sizes: they follow IEEE arithmetic
 * and the conventions of rules.h, tested in test_scalar.c. */
#include <stdint.h>
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

#include "tfun.h"


#define BIG (SIZE_MAX / 2)
#define SENT -777.0

static dj_function tfun(tfun_params *p)
{
    dj_function F = { .n = p->n, .m = p->n + 1, .user = p, DJ_FORMS(tfun) };
    return F;
}

static int all_equal(const double *a, size_t n, double v)
{
    for (size_t i = 0; i < n; ++i)
        if (!(a[i] == v))
            return 0;
    return 1;
}

static int all_nan(const double *a, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isnan(a[i]))
            return 0;
    return 1;
}

static void fill(double *a, size_t n, double v)
{
    for (size_t i = 0; i < n; ++i)
        a[i] = v;
}

/* ---- status.h and alloc.h ------------------------------------------------- */

static void test_status_alloc(void)
{
    const int codes[] = { INT32_MIN, -1, 0, DJ_STATUS_COUNT_, 1000, INT32_MAX };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i)
        CU_ASSERT_PTR_NOT_NULL(dj_strerror(codes[i]));
    CU_ASSERT_EQUAL(dj_set_allocator(malloc, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, free), DJ_EARG);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, NULL), DJ_OK);
}

/* ---- the forward drivers ---------------------------------------------------- */

static void test_drivers_null(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = tfun(&p);
    double x[3] = { 1, 2, 3 }, v[3] = { 1, 0, 0 }, y[4], J[12], jv[4];
    dj_chunk_plan plan;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(NULL, 3, NULL, &plan), DJ_EARG);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 3, NULL, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_eval(NULL, x, y), DJ_EARG);
    CU_ASSERT_EQUAL(dj_eval(&F, NULL, y), DJ_EARG);
    CU_ASSERT_EQUAL(dj_eval(&F, x, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(NULL, x, v, y, jv), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(&F, NULL, v, y, jv), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, NULL, y, jv), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, v, y, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(NULL, x, 1, v, 3, y, jv, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, NULL, 1, v, 3, y, jv, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 1, NULL, 3, y, jv, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 1, v, 3, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(NULL, x, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, NULL, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(NULL, x, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(&F, NULL, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian_mode(NULL, NULL), -DJ_EARG);
    /* y may be NULL */
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, NULL, J, 4, NULL), DJ_OK);
}

static void test_drivers_sizes(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = tfun(&p);
    double x[3] = { 1, 2, 3 }, V[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, y[4], J[16];
    dj_chunk_plan plan;
    /* n or m zero, or too large for the workspace (n + m values of the
       widest chunk must be addressable) */
    size_t bad[][2] = { { 0, 4 }, { 3, 0 }, { BIG, 4 }, { 3, BIG }, { SIZE_MAX, 1 } };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
        dj_function G = F;
        G.n = bad[k][0];
        G.m = bad[k][1];
        fill(J, 16, SENT);
        CU_ASSERT_EQUAL(dj_eval(&G, x, y), DJ_EDIM);
        CU_ASSERT_EQUAL(dj_jvp(&G, x, V, y, J), DJ_EDIM);
        CU_ASSERT_EQUAL(dj_jacfwd(&G, x, y, J, 4, NULL), DJ_EDIM);
        CU_ASSERT_EQUAL(dj_jacrev(&G, x, y, J, 4, NULL), DJ_EDIM);
        CU_ASSERT_EQUAL(dj_jacobian(&G, x, y, J, 4, NULL), DJ_EDIM);
        CU_ASSERT(all_equal(J, 16, SENT));
    }
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 0, NULL, &plan), DJ_EDIM);
    fill(J, 16, SENT);
    /* leading dimensions too small */
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 3, V, 2, y, J, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 3, V, 3, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 0, V, 3, y, J, 4, NULL), DJ_EDIM);
    /* ld * columns overflows: no such array can exist, and an unchecked
       J[i + j ld] would wrap around into the caller's memory */
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, BIG, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, SIZE_MAX / 3 + 1, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 3, V, BIG, y, J, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 3, V, 3, y, J, BIG, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, BIG, V, 3, y, J, 4, NULL), DJ_EDIM);
    CU_ASSERT(all_equal(J, 16, SENT));
    /* options: a chunk width that does not exist, a width not given */
    dj_jac_opts o = { 0 };
    o.chunk = 5;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, &o), DJ_EARG);
    o.chunk = -8;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, &o), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 4, &o), DJ_EARG);
    o.chunk = 0;
    o.max_chunk = -1;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 3, &o, &plan), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, &o), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 4, &o), DJ_EARG);
    o.max_chunk = 0;
    dj_function G = F;
    G.f_c16 = NULL;
    o.chunk = 16;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&G, 3, &o, &plan), DJ_ENOFORM);
    o.chunk = 0;
    o.mode = 7;
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 4, &o), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian_mode(&F, &o), -DJ_EARG);
}

static void test_drivers_noform(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = { .n = 3, .m = 4, .user = &p };
    double x[3] = { 1, 2, 3 }, v[3] = { 1, 0, 0 }, w[4] = { 1, 0, 0, 0 }, y[4], J[12], jv[4];
    CU_ASSERT_EQUAL(dj_eval(&F, x, y), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, v, y, jv), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_vjp(&F, x, w, y, jv), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 4, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 4, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacobian_mode(&F, NULL), -DJ_ENOFORM);
    CU_ASSERT(all_nan(y, 4));                /* a failure leaves NaN behind */
}

/* A callback that fails: its code comes back from every driver, the outputs
 * are NaN (not a partial result), nothing outside them is written. */
static void test_drivers_callback(void)
{
    double x[3] = { 1, 2, 3 }, v[3] = { 1, 0, 0 }, w[4] = { 1, 1, 0, 0 };
    for (int at = 1; at <= 2; ++at) {
        tfun_params p = { 3, at, 0, -5 };
        dj_function F = tfun(&p);
        double y[4], J[15], jv[4], jtw[3];
        int rc;
#define FRESH() (p.calls = 0, fill(y, 4, SENT), fill(J, 15, SENT))
        FRESH();
        rc = dj_eval(&F, x, y);
        CU_ASSERT_EQUAL(rc, at == 1 ? -5 : DJ_OK);
        FRESH();
        dj_jac_opts o = { 0 };
        o.chunk = 1;                         /* three passes: the second fails */
        rc = dj_jacfwd(&F, x, y, J, 5, &o);
        CU_ASSERT_EQUAL(rc, -5);
        CU_ASSERT(all_nan(y, 4));
        for (size_t j = 0; j < 3; ++j) {
            CU_ASSERT(all_nan(J + j * 5, 4));
            CU_ASSERT_EQUAL(J[4 + j * 5], SENT);   /* the padding row */
        }
        FRESH();
        o.chunk = 1;                         /* rows one at a time */
        rc = dj_jacrev(&F, x, y, J, 5, &o);
        CU_ASSERT_EQUAL(rc, -5);
        CU_ASSERT(all_nan(y, 4));
        for (size_t j = 0; j < 3; ++j) {
            CU_ASSERT(all_nan(J + j * 5, 4));
            CU_ASSERT_EQUAL(J[4 + j * 5], SENT);
        }
        FRESH();
        if (at == 1) {
            CU_ASSERT_EQUAL(dj_jvp(&F, x, v, y, jv), -5);
            CU_ASSERT(all_nan(jv, 4) && all_nan(y, 4));
            p.calls = 0;
            CU_ASSERT_EQUAL(dj_vjp(&F, x, w, y, jtw), -5);
            CU_ASSERT(all_nan(jtw, 3) && all_nan(y, 4));
            p.calls = 0;
            CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 5, NULL), -5);
        }
#undef FRESH
    }
}

/* ---- the reverse drivers ---------------------------------------------------- */

static void test_reverse_drivers(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = tfun(&p);
    double x[3] = { 1, 2, 3 }, W[8] = { 1, 0, 0, 0, 0, 1, 0, 0 }, y[4], J[16];
    fill(J, 16, SENT);
    CU_ASSERT_EQUAL(dj_vjp(NULL, x, W, y, J), DJ_EARG);
    CU_ASSERT_EQUAL(dj_vjp(&F, NULL, W, y, J), DJ_EARG);
    CU_ASSERT_EQUAL(dj_vjp(&F, x, NULL, y, J), DJ_EARG);
    CU_ASSERT_EQUAL(dj_vjp(&F, x, W, y, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 2, W, 4, y, NULL, 3, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacrev(NULL, x, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacrev(&F, NULL, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 0, W, 4, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 2, W, 3, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 2, W, 4, y, J, 2, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 2, W, BIG, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, 2, W, 4, y, J, BIG, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp_batch(&F, x, BIG, W, 4, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, BIG, NULL), DJ_EDIM);
    CU_ASSERT(all_equal(J, 16, SENT));
    /* a tape limit below the inputs: DJ_ENOMEM, outputs NaN */
    dj_jac_opts o = { 0 };
    o.tape_limit = 8;
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 4, &o), DJ_ENOMEM);
    CU_ASSERT(all_nan(J, 12) && all_nan(y, 4));
}

/* ---- matrix programs through the drivers ------------------------------------ */

static int prog_mode_;

static int prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)user;
    switch (prog_mode_) {
    case 0:  *y = dj_mat_scale(c, x, 2.0); return 0;           /* fine */
    case 1:  return -9;                                         /* its own code */
    case 2:  return 0;                                          /* no result */
    case 3:  *y = dj_mat_sum(c, x); return 0;                   /* 1 entry, not m */
    case 4:  *y = dj_mat_inv(c, dj_mat_reshape(c, x, 2, 2)); return 0;  /* singular */
    default: *y = dj_mat_add(c, x, dj_mat_zeros(c, 3, 3)); return 0;  /* shapes */
    }
}

static void test_matrix_programs(void)
{
    dj_function F = { .n = 4, .m = 4, .f_mat = prog };
    double x[4] = { 1, 2, 2, 4 }, y[4], J[16], w[4] = { 1, 0, 0, 0 };
    const int expect[] = { DJ_OK, -9, DJ_ECALLBACK, DJ_EDIM, DJ_ESINGULAR, DJ_EDIM };
    for (prog_mode_ = 0; prog_mode_ < 6; ++prog_mode_) {
        int e = expect[prog_mode_];
        CU_ASSERT_EQUAL(dj_eval(&F, x, y), e);
        CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, NULL), e);
        if (e != DJ_OK)
            CU_ASSERT(all_nan(J, 16) && all_nan(y, 4));
        CU_ASSERT_EQUAL(dj_jacrev(&F, x, y, J, 4, NULL), e);
        if (e != DJ_OK)
            CU_ASSERT(all_nan(J, 16) && all_nan(y, 4));
        CU_ASSERT_EQUAL(dj_vjp(&F, x, w, y, J), e);
    }
    /* a matrix program's chunk: any p >= 1; a huge one is capped by n */
    prog_mode_ = 0;
    dj_jac_opts o = { 0 };
    o.chunk = 1 << 30;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, &o), DJ_OK);
    CU_ASSERT_EQUAL(J[0], 2.0);
}

/* ---- the context ------------------------------------------------------------- */

static void test_ctx(void)
{
    dj_ctx_free(NULL);
    dj_ctx_reset(NULL);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(NULL, DJ_MODE_FORWARD, 1), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_set_limit(NULL, 10), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_status(NULL), DJ_EARG);
    CU_ASSERT_PTR_NOT_NULL(dj_ctx_error(NULL));
    CU_ASSERT_PTR_NOT_NULL(dj_ctx_error_op(NULL));
    CU_ASSERT_EQUAL(dj_ctx_fail(NULL, DJ_EDIM, "x", "y"), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_bytes_used(NULL), 0);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(NULL), 0);
    CU_ASSERT_EQUAL(dj_ctx_tangents(NULL), 0);
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, (dj_mode)7, 1), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 0), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_REVERSE, 0), DJ_EDIM);
    /* DJ_OK is not a failure: recording it would hide the next real one */
    CU_ASSERT_EQUAL(dj_ctx_fail(c, DJ_OK, "user", "nothing"), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    CU_ASSERT_EQUAL(dj_ctx_fail(c, -3, "user", NULL), -3);
    CU_ASSERT_EQUAL(dj_ctx_status(c), -3);
    CU_ASSERT_EQUAL(dj_ctx_fail(c, DJ_EDIM, "user", "later"), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_ctx_status(c), -3);               /* the first wins */
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "user");
    /* every operation on a failed context returns NULL and keeps the error */
    CU_ASSERT_PTR_NULL(dj_mat_zeros(c, 2, 2));
    CU_ASSERT_PTR_NULL(dj_mat_add(c, NULL, NULL));
    CU_ASSERT_EQUAL(dj_ctx_status(c), -3);
    dj_ctx_reset(c);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* an arena limit: DJ_ENOMEM */
    CU_ASSERT_EQUAL(dj_ctx_set_limit(c, 100), DJ_OK);
    CU_ASSERT_PTR_NULL(dj_mat_zeros(c, 10, 10));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
    dj_ctx_set_limit(c, 0);
    dj_ctx_free(c);
}

/* The op failed with `status` (and nothing else ran): then reset. */
#define EXPECT(c, expr, status)                                               \
    do {                                                                      \
        dj_mat *r_ = (expr);                                                  \
        CU_ASSERT_PTR_NULL(r_);                                               \
        CU_ASSERT_EQUAL(dj_ctx_status(c), (status));                          \
        if (dj_ctx_status(c) != (status))                                     \
            fprintf(stderr, "\n  %s:%d: %s: status %d (%s: %s)\n", __FILE__,  \
                    __LINE__, #expr, dj_ctx_status(c), dj_ctx_error_op(c),    \
                    dj_ctx_error(c));                                         \
        dj_ctx_reset(c);                                                      \
    } while (0)

static void test_mat_create(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double d[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, out[20];
    /* no context: NULL, nothing else */
    CU_ASSERT_PTR_NULL(dj_mat_zeros(NULL, 2, 2));
    CU_ASSERT_PTR_NULL(dj_mat_const(NULL, 2, 2, d, 2));
    CU_ASSERT_PTR_NULL(dj_mat_inv(NULL, NULL));
    EXPECT(c, dj_mat_zeros(c, 0, 2), DJ_EDIM);
    EXPECT(c, dj_mat_zeros(c, 2, 0), DJ_EDIM);
    EXPECT(c, dj_mat_zeros(c, BIG, 4), DJ_EDIM);
    EXPECT(c, dj_mat_zeros(c, SIZE_MAX / 8 + 1, 1), DJ_EDIM);   /* bytes overflow */
    EXPECT(c, dj_mat_identity(c, 0), DJ_EDIM);
    EXPECT(c, dj_mat_identity(c, BIG), DJ_EDIM);
    EXPECT(c, dj_mat_const(c, 2, 2, NULL, 2), DJ_EARG);
    EXPECT(c, dj_mat_const(c, 3, 2, d, 2), DJ_EDIM);            /* ld < rows */
    EXPECT(c, dj_mat_const(c, 2, 2, d, BIG), DJ_EDIM);          /* ld * cols */
    EXPECT(c, dj_mat_view(c, 2, 2, NULL), DJ_EARG);
    EXPECT(c, dj_mat_view(c, 0, 2, d), DJ_EDIM);
    EXPECT(c, dj_mat_view(c, SIZE_MAX / 8 + 1, 1, d), DJ_EDIM);
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 2);
    EXPECT(c, dj_mat_var(c, 2, 2, d, 2, d, 3), DJ_EDIM);        /* ldt < 4 */
    EXPECT(c, dj_mat_var(c, 2, 2, d, 2, d, BIG), DJ_EDIM);      /* ldt * p */
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, BIG);                    /* p tangents */
    EXPECT(c, dj_mat_var(c, 2, 2, d, 2, d, 4), DJ_EDIM);
    /* reverse mode: p adjoint blocks of each matrix on the tape must fit */
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_REVERSE, BIG), DJ_OK);
    EXPECT(c, dj_mat_var(c, 2, 2, d, 2, d, 4), DJ_EDIM);
    dj_ctx_set_mode(c, DJ_MODE_PRIMAL, 0);
    /* copies out */
    dj_mat *A = dj_mat_const(c, 2, 2, d, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(A);
    CU_ASSERT_EQUAL(dj_mat_get(NULL, out, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_mat_get(A, NULL, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_mat_get(A, out, 1), DJ_EDIM);
    fill(out, 20, SENT);
    CU_ASSERT_EQUAL(dj_mat_get(A, out, BIG), DJ_EDIM);        /* out + ld wraps */
    CU_ASSERT(all_equal(out, 20, SENT));
    CU_ASSERT_EQUAL(dj_mat_get_tangent(NULL, A, 0, out, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, A, 0, out, 2), DJ_EDIM);   /* primal: p = 0 */
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, out, 2), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, NULL, 0, out, 2), DJ_EARG);
    /* structure */
    EXPECT(c, dj_mat_copy(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_transpose(c, NULL), DJ_EARG);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_reshape(c, A, 3, 1), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_reshape(c, A, BIG, 2), DJ_EDIM);          /* BIG*2 wraps to -2 */
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_reshape(c, A, 0, 4), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_block(c, A, 1, 0, 2, 1), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_block(c, A, BIG, 0, BIG, 1), DJ_EDIM);    /* r0 + nr wraps */
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_block(c, A, 0, 0, 0, 1), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    dj_mat *B = dj_mat_const(c, 3, 1, d, 3);
    EXPECT(c, dj_mat_hcat(c, A, B), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    B = dj_mat_const(c, 3, 1, d, 3);
    EXPECT(c, dj_mat_vcat(c, A, B), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_slice(c, A, 4, 1, 1), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_slice(c, A, 0, 2, 3), DJ_EDIM);           /* runs past the end */
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_slice(c, A, 1, -1, 3), DJ_EDIM);          /* runs below 0 */
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_slice(c, A, 0, PTRDIFF_MAX, 2), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_slice(c, A, 0, 1, 0), DJ_EDIM);
    size_t idx[2] = { 0, 4 };
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_gather(c, A, idx, 2), DJ_EDIM);
    A = dj_mat_const(c, 2, 2, d, 2);
    EXPECT(c, dj_mat_gather(c, A, NULL, 2), DJ_EARG);
    dj_ctx_free(c);
}

static void test_mat_linear(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double d[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
#define A22 dj_mat_const(c, 2, 2, d, 2)
#define A33 dj_mat_const(c, 3, 3, d, 3)
#define A23 dj_mat_const(c, 2, 3, d, 2)
    EXPECT(c, dj_mat_add(c, A22, NULL), DJ_EARG);
    EXPECT(c, dj_mat_add(c, A22, A33), DJ_EDIM);
    EXPECT(c, dj_mat_sub(c, A22, A33), DJ_EDIM);
    EXPECT(c, dj_mat_neg(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_scale(c, NULL, 2.0), DJ_EARG);
    EXPECT(c, dj_mat_axpy(c, 2.0, A22, A23), DJ_EDIM);
    EXPECT(c, dj_mat_sum(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_sum_cols(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_sum_rows(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_mean(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_trace(c, A23), DJ_EDIM);
    EXPECT(c, dj_mat_dot(c, A22, A23), DJ_EDIM);
    EXPECT(c, dj_mat_matmul(c, A22, 0, A33, 0), DJ_EDIM);
    EXPECT(c, dj_mat_matmul(c, A23, 0, A23, 0), DJ_EDIM);
    EXPECT(c, dj_mat_matvec(c, A22, A22), DJ_EDIM);
    EXPECT(c, dj_mat_matvec(c, A22, dj_mat_const(c, 3, 1, d, 3)), DJ_EDIM);
    EXPECT(c, dj_mat_outer(c, A22, A22), DJ_EDIM);
    EXPECT(c, dj_mat_exp(c, NULL), DJ_EARG);
    EXPECT(c, dj_mat_emul(c, A22, A33), DJ_EDIM);
    EXPECT(c, dj_mat_ediv(c, A23, A33), DJ_EDIM);
    EXPECT(c, dj_mat_epow(c, A22, NULL), DJ_EARG);
    /* linear and elementwise operations propagate NaN and Inf as IEEE
       arithmetic does: no error */
    double bad[4] = { NAN, INFINITY, -INFINITY, 0.0 };
    dj_mat *N = dj_mat_const(c, 2, 2, bad, 2);
    dj_mat *S = dj_mat_sum(c, dj_mat_add(c, N, A22));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    CU_ASSERT(S && isnan(S->val[0]));
    dj_mat *L = dj_mat_log(c, N);
    CU_ASSERT(L && isnan(L->val[0]) && L->val[1] == INFINITY && L->val[3] == -INFINITY);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* so does the Frobenius norm (no LAPACK): NaN in, NaN out; Inf, Inf */
    dj_mat *nf = dj_mat_norm_fro(c, N);
    CU_ASSERT(nf && isnan(nf->val[0]));
    double inf1[4] = { 1, INFINITY, 0, 0 };
    dj_mat *ni = dj_mat_norm_fro(c, dj_mat_const(c, 2, 2, inf1, 2));
    CU_ASSERT(ni && ni->val[0] == INFINITY);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

static void test_linalg(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double d[16] = { 4, 1, 0, 1, 3, 1, 0, 1, 2, 10, 11, 12, 13, 14, 15, 16 };
    double sing[4] = { 1, 2, 2, 4 }, nan4[4] = { 1, NAN, 0, 1 }, inf4[4] = { 1, 0, 0, INFINITY };
    double indef[4] = { 1, 2, 2, 1 }, rep[4] = { 2, 0, 0, 2 }, zero[4] = { 0, 0, 0, 0 };
    for (int mode = 0; mode < 3; ++mode) {
        /* the same checks in primal, forward and reverse mode */
        dj_ctx_set_mode(c, (dj_mode)mode, mode ? 1 : 0);   /* one tangent block: v[4] */
#define M22(v) dj_mat_var(c, 2, 2, (v), 2, (v), 4)
#define M33 dj_mat_var(c, 3, 3, d, 3, d, 9)
#define M23 dj_mat_var(c, 2, 3, d, 2, d, 6)
        /* NULL */
        EXPECT(c, dj_mat_inv(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_solve(c, M22(d), NULL), DJ_EARG);
        EXPECT(c, dj_mat_trisolve(c, NULL, M22(d), 0, 0, 0), DJ_EARG);
        EXPECT(c, dj_mat_det(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_logdet(c, NULL, NULL), DJ_EARG);
        EXPECT(c, dj_mat_chol(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_cholsolve(c, NULL, M22(d)), DJ_EARG);
        EXPECT(c, dj_mat_eigh(c, NULL, NULL), DJ_EARG);
        EXPECT(c, dj_mat_qr(c, NULL, NULL), DJ_EARG);
        EXPECT(c, dj_mat_svd(c, NULL, NULL, NULL), DJ_EARG);
        EXPECT(c, dj_mat_expm(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_norm_fro(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_norm_nuc(c, NULL), DJ_EARG);
        EXPECT(c, dj_mat_norm_2(c, NULL), DJ_EARG);
        /* shapes */
        EXPECT(c, dj_mat_inv(c, M23), DJ_EDIM);
        EXPECT(c, dj_mat_solve(c, M22(d), M33), DJ_EDIM);
        EXPECT(c, dj_mat_solve(c, M23, M22(d)), DJ_EDIM);
        EXPECT(c, dj_mat_trisolve(c, M23, M22(d), 1, 0, 0), DJ_EDIM);
        EXPECT(c, dj_mat_trisolve(c, M22(d), M33, 1, 0, 0), DJ_EDIM);
        EXPECT(c, dj_mat_det(c, M23), DJ_EDIM);
        EXPECT(c, dj_mat_logdet(c, M23, NULL), DJ_EDIM);
        EXPECT(c, dj_mat_chol(c, M23), DJ_EDIM);
        EXPECT(c, dj_mat_cholsolve(c, M22(d), M33), DJ_EDIM);
        EXPECT(c, dj_mat_eigh(c, M23, NULL), DJ_EDIM);
        EXPECT(c, dj_mat_qr(c, M23, NULL), DJ_EDIM);               /* m < n */
        EXPECT(c, dj_mat_svd(c, M23, NULL, NULL), DJ_EDIM);
        EXPECT(c, dj_mat_expm(c, M23), DJ_EDIM);
        /* NaN and Inf: LAPACK's behaviour on them is undefined */
        EXPECT(c, dj_mat_inv(c, M22(nan4)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_solve(c, M22(inf4), M22(d)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_trisolve(c, M22(inf4), M22(d), 1, 0, 0), DJ_ENONFINITE);
        EXPECT(c, dj_mat_det(c, M22(nan4)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_logdet(c, M22(inf4), NULL), DJ_ENONFINITE);
        EXPECT(c, dj_mat_chol(c, M22(nan4)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_cholsolve(c, M22(nan4), M22(d)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_eigh(c, M22(nan4), NULL), DJ_ENONFINITE);
        EXPECT(c, dj_mat_qr(c, M22(inf4), NULL), DJ_ENONFINITE);
        EXPECT(c, dj_mat_svd(c, M22(nan4), NULL, NULL), DJ_ENONFINITE);
        EXPECT(c, dj_mat_expm(c, M22(inf4)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_norm_nuc(c, M22(nan4)), DJ_ENONFINITE);
        EXPECT(c, dj_mat_norm_2(c, M22(inf4)), DJ_ENONFINITE);
        /* singular, not positive definite */
        EXPECT(c, dj_mat_inv(c, M22(sing)), DJ_ESINGULAR);
        EXPECT(c, dj_mat_solve(c, M22(sing), M22(d)), DJ_ESINGULAR);
        EXPECT(c, dj_mat_trisolve(c, M22(zero), M22(d), 0, 0, 0), DJ_ESINGULAR);
        EXPECT(c, dj_mat_logdet(c, M22(sing), NULL), DJ_ESINGULAR);
        EXPECT(c, dj_mat_chol(c, M22(indef)), DJ_ENOTSPD);
        EXPECT(c, dj_mat_chol(c, M22(zero)), DJ_ENOTSPD);
        EXPECT(c, dj_mat_cholsolve(c, M22(zero), M22(d)), DJ_ESINGULAR);
        EXPECT(c, dj_mat_qr(c, M22(sing), NULL), DJ_ESINGULAR);
        /* det of a singular matrix is fine (0) */
        dj_mat *D = dj_mat_det(c, M22(sing));
        CU_ASSERT(D != NULL && D->val[0] == 0.0);
        dj_ctx_reset(c);
        /* repeated eigenvalues / singular values where vectors are
           differentiated: only when derivatives are computed */
        dj_mat *V = NULL, *U = NULL;
        if (mode == 0) {
            CU_ASSERT_PTR_NOT_NULL(dj_mat_eigh(c, M22(rep), &V));
            CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, M22(rep), &U, &V));
            CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
            dj_ctx_reset(c);
        } else {
            EXPECT(c, dj_mat_eigh(c, M22(rep), &V), DJ_EDOMAIN);
            EXPECT(c, dj_mat_svd(c, M22(rep), &U, &V), DJ_EDOMAIN);
            EXPECT(c, dj_mat_norm_nuc(c, M22(zero)), DJ_EDOMAIN);
            EXPECT(c, dj_mat_norm_2(c, M22(rep)), DJ_EDOMAIN);
        }
    }
    dj_ctx_free(c);
}

static void test_backward(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double d[4] = { 1, 2, 3, 4 }, yb[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }, out[4];
    dj_mat *A = dj_mat_const(c, 2, 2, d, 2);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, A, yb, 4), DJ_ENOTSUP);     /* primal mode */
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    A = dj_mat_var(c, 2, 2, d, 2, d, 4);
    dj_mat *Y = dj_mat_scale(c, A, 3.0);
    CU_ASSERT_EQUAL(dj_ctx_backward(NULL, Y, yb, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, NULL, yb, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, NULL, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 3), DJ_EDIM);
    dj_ctx_reset(c);
    A = dj_mat_var(c, 2, 2, d, 2, d, 4);
    Y = dj_mat_scale(c, A, 3.0);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, BIG), DJ_EDIM);      /* ldyb * q */
    dj_ctx_reset(c);
    A = dj_mat_var(c, 2, 2, d, 2, d, 4);
    Y = dj_mat_scale(c, A, 3.0);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 4), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 2, out, 2), DJ_EDIM);  /* k >= q */
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, out, 1), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, out, BIG), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, NULL, 2), DJ_EARG);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, out, 2), DJ_OK);
    CU_ASSERT_EQUAL(out[0], 3.0);
    /* tangents out: the same checks */
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 1);
    A = dj_mat_var(c, 2, 2, d, 2, d, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(A);
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, A, 0, out, BIG), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, A, 1, out, 2), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, A, 0, out, 1), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_mat_get_tangent(c, A, 0, out, 2), DJ_OK);
    CU_ASSERT_EQUAL(out[3], 4.0);
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "status.h and alloc.h", test_status_alloc },
        { "drivers: NULL pointers", test_drivers_null },
        { "drivers: zero, overflowing sizes, leading dimensions, options", test_drivers_sizes },
        { "drivers: no usable form", test_drivers_noform },
        { "drivers: a failing callback (code back, outputs NaN)", test_drivers_callback },
        { "reverse drivers: NULL, sizes, tape limit", test_reverse_drivers },
        { "matrix programs: failures through the drivers", test_matrix_programs },
        { "the context", test_ctx },
        { "creation and structure", test_mat_create },
        { "linear and elementwise operations", test_mat_linear },
        { "LAPACK-backed operations in every mode", test_linalg },
        { "dj_ctx_backward and adjoints", test_backward },
        { NULL, NULL },
    };
    return dj_test_run("validation", cases);
}
