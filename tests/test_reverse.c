/* test_reverse.c - reverse mode: the adjoint (dot-product) test for every
 * matrix operation that has a reverse rule, the reverse drivers (VJP,
 * batched VJP, reverse Jacobian, the automatic choice) on matrix programs
 * and scalar code against forward mode, the book's example, and errors. */
#include "mat_ops.h"
#include "matprob.h"
#include "mgh.h"

#include "tfun.h"

#define DJ_TEMPLATE "book.inc"
#include <dualjac/instantiate.h>
#include "book_mat.h"

static const size_t qs[] = { 1, 3, 8, 17 };
#define NQS (sizeof qs / sizeof *qs)
/* <Yb, dY> and <Xb, dX> are sums of products of O(1) numbers: agreement to
 * 1e-13 relative to the sum of their magnitudes */
#define ADJ_TOL 1e-13

static void test_adjoint_unary(void)
{
    uint64_t seed = 3;
    const size_t shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 16, 64 } };
    for (size_t o = 0; o < sizeof unary_ops / sizeof *unary_ops; ++o)
        for (size_t s = 0; s < 4; ++s) {
            size_t r = shapes[s][0], cc = shapes[s][1];
            double *a = malloc(r * cc * sizeof *a);
            mc_rand(&seed, a, r * cc, unary_ops[o].lo, unary_ops[o].hi);
            mc_input in[1] = { { r, cc, a, MC_GENERAL } };
            for (size_t q = 0; q < NQS; ++q)
                CU_ASSERT_EQUAL(adjoint_check(unary_ops[o].name, p_unary, (void *)unary_ops[o].f,
                                              1, in, qs[q], seed + q, ADJ_TOL), 0);
            free(a);
        }
}

static void test_adjoint_binary(void)
{
    uint64_t seed = 4;
    for (size_t o = 0; o < sizeof binary_ops / sizeof *binary_ops; ++o)
        for (size_t b = 0; b < sizeof binary_shapes / sizeof *binary_shapes; ++b) {
            const size_t *bs = binary_shapes[b];
            double A[24], B[24];
            mc_rand(&seed, A, 24, binary_ops[o].lo, binary_ops[o].hi);
            mc_rand(&seed, B, 24, binary_ops[o].lo, binary_ops[o].hi);
            mc_input in[2] = { { bs[0], bs[1], A, MC_GENERAL }, { bs[2], bs[3], B, MC_GENERAL } };
            for (size_t q = 0; q < NQS; ++q)
                CU_ASSERT_EQUAL(adjoint_check(binary_ops[o].name, p_binary,
                                              (void *)binary_ops[o].f, 2, in, qs[q], seed + q,
                                              ADJ_TOL), 0);
            in[0].kind = MC_CONST;
            CU_ASSERT_EQUAL(adjoint_check(binary_ops[o].name, p_binary, (void *)binary_ops[o].f,
                                          2, in, 3, seed, ADJ_TOL), 0);
        }
}

static void test_adjoint_structure(void)
{
    uint64_t seed = 5;
    const size_t shapes[][2] = { { 1, 1 }, { 5, 5 }, { 7, 3 }, { 3, 7 }, { 16, 64 } };
    for (size_t o = 0; o < sizeof structure_ops / sizeof *structure_ops; ++o)
        for (size_t s = 0; s < 5; ++s) {
            size_t r = shapes[s][0], cc = shapes[s][1];
            double *a = malloc(r * cc * sizeof *a);
            mc_rand(&seed, a, r * cc, -1, 1);
            mc_input in[1] = { { r, cc, a, MC_GENERAL } };
            for (size_t q = 0; q < NQS; ++q) {
                int f = adjoint_check(structure_ops[o].name, structure_ops[o].f, NULL, 1, in,
                                      qs[q], seed + q, ADJ_TOL);
                if (f)
                    fprintf(stderr, "\n  %s %zux%zu q=%zu\n", structure_ops[o].name, r, cc, qs[q]);
                CU_ASSERT_EQUAL(f, 0);
            }
            free(a);
        }
}

static void test_adjoint_products(void)
{
    uint64_t seed = 6;
    for (size_t d = 0; d < sizeof product_dims / sizeof *product_dims; ++d)
        for (int t = 0; t < 4; ++t) {
            mm_opts o = { t & 1, t >> 1 };
            size_t m = product_dims[d][0], k = product_dims[d][1], n = product_dims[d][2];
            size_t ar = o.ta ? k : m, ac = o.ta ? m : k, br = o.tb ? n : k, bc = o.tb ? k : n;
            double *A = malloc(ar * ac * sizeof *A), *B = malloc(br * bc * sizeof *B);
            mc_rand(&seed, A, ar * ac, -1, 1);
            mc_rand(&seed, B, br * bc, -1, 1);
            for (int kinds = 0; kinds < 3; ++kinds) {
                mc_input in[2] = { { ar, ac, A, kinds == 1 ? MC_CONST : MC_GENERAL },
                                   { br, bc, B, kinds == 2 ? MC_CONST : MC_GENERAL } };
                for (size_t q = 0; q < NQS; ++q) {
                    int f = adjoint_check("matmul", p_matmul, &o, 2, in, qs[q], seed, ADJ_TOL);
                    if (f)
                        fprintf(stderr, "\n  matmul %zux%zux%zu ta=%d tb=%d kinds=%d q=%zu\n", m,
                                k, n, o.ta, o.tb, kinds, qs[q]);
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
    CU_ASSERT_EQUAL(adjoint_check("matvec", p_matvec, NULL, 2, mv, 8, seed, ADJ_TOL), 0);
    mc_input op[2] = { { 4, 1, x, MC_GENERAL }, { 3, 1, y, MC_GENERAL } };
    CU_ASSERT_EQUAL(adjoint_check("outer", p_outer, NULL, 2, op, 8, seed, ADJ_TOL), 0);
}

/* ---- drivers -------------------------------------------------------------------- */

/* Reverse Jacobian, VJPs and the automatic choice against the forward
 * Jacobian: the same numbers to about 1e-13. */
static void check_modes(dj_function *F, const double *x)
{
    size_t n = F->n, m = F->m;
    double *Jf = malloc(m * n * sizeof *Jf), *Jr = malloc(m * n * sizeof *Jr);
    double *Ja = malloc(m * n * sizeof *Ja), *y = malloc(m * sizeof *y);
    double *W = malloc(m * 3 * sizeof *W), *JTW = malloc(n * 3 * sizeof *JTW);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(F, x, NULL, Jf, m, NULL), DJ_OK);
    const int chunks[] = { 0, 1, 5 };
    for (size_t c = 0; c < 3; ++c) {
        dj_jac_opts o = { chunks[c], 0, NULL, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(dj_jacrev(F, x, y, Jr, m, &o), DJ_OK);
        double e = dj_test_rel_diff(Jr, Jf, m * n);
        if (!(e < 1e-13))
            fprintf(stderr, "\n  jacrev n=%zu m=%zu chunk %d: rel err %.3g\n", n, m, chunks[c], e);
        CU_ASSERT(e < 1e-13);
    }
    for (int mode = 0; mode < 3; ++mode) {
        dj_jac_opts o = { 0, 0, NULL, mode, 0 };
        CU_ASSERT_EQUAL(dj_jacobian(F, x, NULL, Ja, m, &o), DJ_OK);
        CU_ASSERT(dj_test_rel_diff(Ja, Jf, m * n) < 1e-13);
    }
    uint64_t seed = 8;
    mc_rand(&seed, W, m * 3, -1, 1);
    CU_ASSERT_EQUAL(dj_vjp_batch(F, x, 3, W, m, y, JTW, n, NULL), DJ_OK);
    for (size_t k = 0; k < 3; ++k)
        for (size_t j = 0; j < n; ++j) {
            double s = 0, mag = 0;
            for (size_t i = 0; i < m; ++i) {
                s += Jf[i + j * m] * W[i + k * m];
                mag += fabs(Jf[i + j * m] * W[i + k * m]);
            }
            CU_ASSERT(fabs(JTW[j + k * n] - s) <= 1e-13 * (mag + 1e-300));
        }
    CU_ASSERT_EQUAL(dj_vjp(F, x, W, y, JTW), DJ_OK);
    free(Jf); free(Jr); free(Ja); free(y); free(W); free(JTW);
}

static void test_drivers_matrix(void)
{
    const size_t shapes[][3] = { { 4, 16, 3 }, { 7, 5, 9 }, { 1, 8, 1 }, { 30, 20, 2 } };
    for (size_t s = 0; s < 4; ++s) {
        matprob p;
        CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, shapes[s][0], shapes[s][1], shapes[s][2], 5 + s), DJ_OK);
        double *x = malloc(p.nin * sizeof *x);
        matprob_start(&p, 3 + s, x);
        check_modes(&p.F, x);
        free(x);
        matprob_free(&p);
    }
}

static void test_drivers_scalar(void)
{
    const size_t ns[] = { 1, 2, 9, 40, 130 };
    for (size_t s = 0; s < 5; ++s) {
        tfun_params par = { ns[s], 0, 0, 0 };
        dj_function F = { .n = ns[s], .m = ns[s] + 1, .user = &par, DJ_FORMS(tfun) };
        double *x = malloc(ns[s] * sizeof *x);
        uint64_t seed = 100 + s;
        mc_rand(&seed, x, ns[s], -2, 2);
        check_modes(&F, x);
        free(x);
    }
}

/* Every Moré-Garbow-Hillstrom problem: the reverse Jacobian (dj_rvar)
 * equals the forward one and the hand-derived one. Tolerance: rows are
 * sums of a few to n products, 1e-12 relative to the row scale. */
static void test_mgh_reverse(void)
{
    const size_t sizes[] = { 8, 50 };
    for (size_t k = 0; k < mgh_count(); ++k)
        for (size_t s = 0; s < 2; ++s) {
            mgh_problem p;
            size_t n = mgh_nearest_n(mgh_name(k), sizes[s]);
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, mgh_name(k), n), DJ_OK);
            size_t m = p.m;
            double *x = malloc(n * sizeof *x), *Jf = malloc(m * n * sizeof *Jf);
            double *Jr = malloc(m * n * sizeof *Jr), *R = malloc(m * n * sizeof *R);
            mgh_start(&p, 1.0, x);
            dj_check_report rep;
            int rc = dj_check_modes(&p.F, x, NULL, &rep, Jf, Jr);
            if (rc != DJ_OK)
                fprintf(stderr, "\n  %s n=%zu: forward vs reverse: %s (worst %zu,%zu: %.17g vs %.17g)\n",
                        p.name, n, dj_strerror(rc), rep.worst_row, rep.worst_col,
                        rep.worst_value, rep.worst_ref);
            CU_ASSERT_EQUAL(rc, DJ_OK);
            CU_ASSERT_EQUAL(mgh_jacobian(&p, x, R, m), DJ_OK);
            dj_check_opts o = dj_check_opts_default();
            o.rtol = 1e-12;
            o.row_rtol = 1e-12;
            o.atol = 1e-14;
            CU_ASSERT_EQUAL(dj_check_compare(m, n, Jr, m, R, m, NULL, &o, &rep, NULL), DJ_OK);
            free(x); free(Jf); free(Jr); free(R);
        }
}

/* The book's example in reverse mode: seeding L with ones gives exactly
 * what PyTorch's L.backward(ones) prints, from both forms. */
static void test_book_reverse(void)
{
    double Y[4] = { 10, 10, 10, 10 }, in[12], ones[4] = { 1, 1, 1, 1 }, g[12];
    for (int k = 0; k < 4; ++k) {
        in[k] = 2;
        in[4 + k] = 5;
        in[8 + k] = 6;
    }
    dj_function S = { .n = 12, .m = 4, .user = Y, DJ_FORMS(book) };
    dj_function M = { .n = 12, .m = 4, .user = Y, .f_mat = book_mat };
    const double want[3] = { -30, -12, -10 };
    CU_ASSERT_EQUAL_FATAL(dj_vjp(&S, in, ones, NULL, g), DJ_OK);
    for (int j = 0; j < 12; ++j)
        CU_ASSERT_EQUAL(g[j], want[j / 4]);
    CU_ASSERT_EQUAL_FATAL(dj_vjp(&M, in, ones, NULL, g), DJ_OK);
    for (int j = 0; j < 12; ++j)
        CU_ASSERT_EQUAL(g[j], want[j / 4]);
}

/* The cost model: reverse for few outputs, forward for few inputs. */
static void test_choice(void)
{
    matprob p;
    CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, 200, 20, 2, 1), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacobian_mode(&p.F, NULL), DJ_JAC_REVERSE);
    matprob_free(&p);
    CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, 2, 20, 200, 1), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacobian_mode(&p.F, NULL), DJ_JAC_FORWARD);
    dj_jac_opts o = { 0, 0, NULL, DJ_JAC_REVERSE, 0 };
    CU_ASSERT_EQUAL(dj_jacobian_mode(&p.F, &o), DJ_JAC_REVERSE);
    o.mode = 7;
    CU_ASSERT_EQUAL(dj_jacobian_mode(&p.F, &o), -DJ_EARG);
    matprob_free(&p);
    tfun_params par = { 100, 0, 0, 0 };
    dj_function F = { .n = 100, .m = 101, .user = &par, DJ_FORMS(tfun) };
    CU_ASSERT_EQUAL(dj_jacobian_mode(&F, NULL), DJ_JAC_FORWARD);
    dj_function G = { .n = 100, .m = 101, .user = &par, .f_rvar = tfun_rvar };
    CU_ASSERT_EQUAL(dj_jacobian_mode(&G, NULL), DJ_JAC_REVERSE);    /* the only form */
    dj_function H = { .n = 100, .m = 101, .user = &par, .f = tfun_real };
    CU_ASSERT_EQUAL(dj_jacobian_mode(&H, NULL), -DJ_ENOFORM);
    double x[100] = { 0 }, J[101 * 100];
    CU_ASSERT_EQUAL(dj_jacobian(&H, x, NULL, J, 101, NULL), DJ_ENOFORM);
}

/* A reverse form that differs from the forward one by a 1e-6 factor on one
 * output: both checks must say so. */
static int tfun_rvar_wrong(void *user, const dj_rvar *x, dj_rvar *y)
{
    int rc = tfun_rvar(user, x, y);
    y[1] = dj_mul(y[1], 1.0 + 1e-6);
    return rc;
}

static void test_public_checks(void)
{
    tfun_params par = { 20, 0, 0, 0 };
    dj_function F = { .n = 20, .m = 21, .user = &par, DJ_FORMS(tfun) };
    double x[20], J1[21 * 20], J2[21 * 20];
    uint64_t seed = 12;
    mc_rand(&seed, x, 20, -2, 2);
    dj_adjoint_report ar;
    CU_ASSERT_EQUAL(dj_check_adjoint(&F, x, 8, 1, 0.0, &ar), DJ_OK);
    CU_ASSERT(ar.pass && ar.probes == 8 && ar.max_rel_err < 1e-13);
    dj_check_report rep;
    CU_ASSERT_EQUAL(dj_check_modes(&F, x, NULL, &rep, J1, J2), DJ_OK);
    CU_ASSERT(rep.pass && rep.max_rel_err < 1e-13);
    CU_ASSERT(dj_test_rel_diff(J2, J1, 21 * 20) < 1e-13);
    /* matrix programs too */
    matprob p;
    CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, 9, 12, 5, 2), DJ_OK);
    double xm[9];
    matprob_start(&p, 4, xm);
    CU_ASSERT_EQUAL(dj_check_adjoint(&p.F, xm, 5, 7, 0.0, &ar), DJ_OK);
    CU_ASSERT_EQUAL(dj_check_modes(&p.F, xm, NULL, &rep, NULL, NULL), DJ_OK);
    matprob_free(&p);
    /* a wrong reverse form is caught, and the worst entry is in row 1 */
    F.f_rvar = tfun_rvar_wrong;
    CU_ASSERT_EQUAL(dj_check_adjoint(&F, x, 8, 1, 0.0, &ar), DJ_ECHECK);
    CU_ASSERT(!ar.pass && ar.max_rel_err > 1e-9);
    CU_ASSERT_EQUAL(dj_check_modes(&F, x, NULL, &rep, NULL, NULL), DJ_ECHECK);
    CU_ASSERT(!rep.pass && rep.worst_row == 1);
    /* errors */
    CU_ASSERT_EQUAL(dj_check_adjoint(NULL, x, 8, 1, 0.0, &ar), DJ_EARG);
    CU_ASSERT_EQUAL(dj_check_adjoint(&F, x, 0, 1, 0.0, &ar), DJ_EDIM);
    dj_function G = { .n = 20, .m = 21, .user = &par, .f_c8 = tfun_c8 };
    CU_ASSERT_EQUAL(dj_check_adjoint(&G, x, 2, 1, 0.0, &ar), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_check_modes(&G, x, NULL, &rep, NULL, NULL), DJ_ENOFORM);
}

static void test_errors(void)
{
    dj_ctx *c = dj_ctx_new();
    double a[4] = { 1, 2, 3, 4 }, yb[4] = { 1, 1, 1, 1 };
    /* the sweep needs reverse mode */
    dj_mat *A = dj_mat_const(c, 2, 2, a, 2);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, A, yb, 4), DJ_ENOTSUP);
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    dj_mat *Y = dj_mat_exp(c, A);
    CU_ASSERT(A->on_tape && Y->on_tape);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), 1);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 3), DJ_EDIM);
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    Y = dj_mat_exp(c, A);
    CU_ASSERT_EQUAL(dj_ctx_backward(NULL, Y, yb, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 4), DJ_OK);
    double g[4];
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 2), DJ_OK);
    for (int i = 0; i < 4; ++i)
        CU_ASSERT_EQUAL(g[i], exp(a[i]));
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, g, 2), DJ_EDIM);
    /* a second sweep of the same tape would add the adjoints again: an
       error, recorded in the context, the adjoints left as they were */
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 4), DJ_ENOTSUP);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOTSUP);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_ctx_backward");
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 2), DJ_OK);
    for (int i = 0; i < 4; ++i)
        CU_ASSERT_EQUAL(g[i], exp(a[i]));
    /* after a reset the recording and the sweep work again */
    dj_ctx_reset(c);
    A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    Y = dj_mat_exp(c, A);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 4), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 2), DJ_OK);
    CU_ASSERT_EQUAL(g[3], exp(a[3]));
    /* constants are not recorded; an output off the tape gives zeros */
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    dj_mat *K = dj_mat_exp(c, dj_mat_const(c, 2, 2, a, 2));
    CU_ASSERT(!K->on_tape);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), 0);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, K, yb, 4), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 2), DJ_OK);
    CU_ASSERT(g[0] == 0 && g[3] == 0);
    /* the tape's memory limit */
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 4);
    dj_ctx_set_limit(c, 4096);
    A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    for (int i = 0; i < 100 && A; ++i)
        A = dj_mat_sin(c, A);
    CU_ASSERT_PTR_NULL(A);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
    dj_ctx_free(c);
    /* drivers: no reverse form */
    tfun_params par = { 3, 0, 0, 0 };
    dj_function F = { .n = 3, .m = 4, .user = &par, .f_c8 = tfun_c8 };
    double x[3] = { 1, 2, 3 }, w[4] = { 1, 1, 1, 1 }, jtw[3], J[12];
    CU_ASSERT_EQUAL(dj_vjp(&F, x, w, NULL, jtw), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, NULL, J, 4, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, NULL, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_vjp(NULL, x, w, NULL, jtw), DJ_EARG);
    F.f_rvar = tfun_rvar;
    par.fail_at = 1;
    par.fail_code = -4;
    CU_ASSERT_EQUAL(dj_vjp(&F, x, w, NULL, jtw), -4);
    par.fail_at = 0;
    /* the tape: its size is reported, and a limit is enforced */
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, NULL, J, 4, NULL), DJ_OK);
    size_t bytes = dj_tape_bytes_last();
    CU_ASSERT(bytes > 0);
    dj_jac_opts lim = { 0, 0, NULL, 0, 64 };
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, NULL, J, 4, &lim), DJ_ENOMEM);
    lim.tape_limit = 16 * bytes;
    CU_ASSERT_EQUAL(dj_jacrev(&F, x, NULL, J, 4, &lim), DJ_OK);
    matprob p;
    CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, 20, 30, 3, 1), DJ_OK);
    double xm[20], Jm[60];
    matprob_start(&p, 1, xm);
    CU_ASSERT_EQUAL(dj_jacrev(&p.F, xm, NULL, Jm, 3, NULL), DJ_OK);
    CU_ASSERT(dj_tape_bytes_last() > 20 * 30 * sizeof(double));
    lim.tape_limit = 1024;
    CU_ASSERT_EQUAL(dj_jacrev(&p.F, xm, NULL, Jm, 3, &lim), DJ_ENOMEM);
    matprob_free(&p);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "adjoint test: elementwise unary", test_adjoint_unary },
        { "adjoint test: elementwise binary, broadcasting", test_adjoint_binary },
        { "adjoint test: structure, linear, reductions", test_adjoint_structure },
        { "adjoint test: products", test_adjoint_products },
        { "matrix programs: reverse = forward", test_drivers_matrix },
        { "scalar code: reverse = forward", test_drivers_scalar },
        { "the book's example in reverse mode", test_book_reverse },
        { "MGH problems: reverse = forward = by hand", test_mgh_reverse },
        { "forward or reverse: the choice", test_choice },
        { "public checks: adjoint identity, forward vs reverse", test_public_checks },
        { "reverse-mode errors", test_errors },
        { NULL, NULL },
    };
    return dj_test_run("reverse", cases);
}
