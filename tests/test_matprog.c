/* test_matprog.c - matrix programs through the forward drivers: the book's
 * example, an MLP, the inverse, logdet and the Gaussian log-likelihood
 * (with reverse mode), against scalar code, analytic
 * Jacobians and finite differences; chunking, context reuse, errors. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"
#include "matprob.h"

#define DJ_TEMPLATE "book.inc"
#include <dualjac/instantiate.h>
#include "book_mat.h"

static double Ybook[4] = { 10, 10, 10, 10 };

static void test_book(void)
{
    double in[12], J1[48], J2[48], L1[4], L2[4];
    for (int k = 0; k < 4; ++k) {
        in[k] = 2;
        in[4 + k] = 5;
        in[8 + k] = 6;
    }
    dj_function S = { .n = 12, .m = 4, .user = Ybook, DJ_FORMS(book) };
    dj_function M = { .n = 12, .m = 4, .user = Ybook, .f_mat = book_mat };
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&S, in, L1, J1, 4, NULL), DJ_OK);
    const size_t chunks[] = { 0, 1, 5, 12 };
    for (size_t q = 0; q < 4; ++q) {
        dj_jac_opts o = { (int)chunks[q], 0, NULL, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&M, in, L2, J2, 4, &o), DJ_OK);
        CU_ASSERT_EQUAL(memcmp(J1, J2, sizeof J1), 0);
        CU_ASSERT_EQUAL(memcmp(L1, L2, sizeof L1), 0);
    }
    const double want[3] = { -30, -12, -10 };
    for (int j = 0; j < 12; ++j)
        CU_ASSERT_EQUAL(J2[j * 4] + J2[1 + j * 4] + J2[2 + j * 4] + J2[3 + j * 4], want[j / 4]);
    double y[4];
    CU_ASSERT_EQUAL(dj_eval(&M, in, y), DJ_OK);
    CU_ASSERT_EQUAL(y[0], -50.0);
}


static void check_problem(matprob *p, uint64_t seed)
{
    size_t n = p->nin, m = p->nout;
    double *x = malloc(n * sizeof *x), *J = malloc(m * n * sizeof *J);
    double *R = malloc(m * n * sizeof *R), *y = malloc(m * sizeof *y);
    double *y1 = malloc(m * sizeof *y1), *y2 = malloc(m * sizeof *y2);
    matprob_start(p, seed, x);
    CU_ASSERT_EQUAL_FATAL(matprob_jacobian(p, x, R, m), 0);
    /* primals agree */
    CU_ASSERT_EQUAL(dj_eval(&p->F, x, y), DJ_OK);
    CU_ASSERT_EQUAL(matprob_primal_loops(p, x, y1), 0);
    CU_ASSERT_EQUAL(matprob_primal_blas(p, x, y2), 0);
    CU_ASSERT(dj_test_rel_diff(y, y1, m) < 1e-12);
    CU_ASSERT(dj_test_rel_diff(y, y2, m) < 1e-12);
    CU_ASSERT_EQUAL(matprob_primal_dots(p, x, y2), 0);
    CU_ASSERT(dj_test_rel_diff(y, y2, m) < 1e-12);
    /* forward Jacobian: exact to rounding against the formula, at several
       chunk sizes, and against central differences */
    const int chunks[] = { 0, 1, 3, 64 };
    for (size_t q = 0; q < 4; ++q) {
        dj_jac_opts o = { chunks[q], 0, NULL, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&p->F, x, y1, J, m, &o), DJ_OK);
        double e = dj_test_rel_diff(J, R, m * n);
        if (!(e < 1e-12))
            fprintf(stderr, "\n  %s n=%zu chunk %d: rel err %.3g\n", p->name, p->n, chunks[q], e);
        CU_ASSERT(e < 1e-12);
    }
    dj_check_report rep;
    CU_ASSERT_EQUAL(dj_check_jacobian(&p->F, x, J, m, NULL, &rep, NULL), DJ_OK);
    /* JVP and batched JVP */
    double *v = malloc(n * 3 * sizeof *v), *jv = malloc(m * 3 * sizeof *jv);
    for (size_t i = 0; i < 3 * n; ++i)
        v[i] = dj_test_rand(&seed, -1, 1);
    CU_ASSERT_EQUAL(dj_jvp_batch(&p->F, x, 3, v, n, NULL, jv, m, NULL), DJ_OK);
    for (size_t k = 0; k < 3; ++k)
        for (size_t i = 0; i < m; ++i) {
            double s = 0, mag = 0;
            for (size_t j = 0; j < n; ++j) {
                s += R[i + j * m] * v[j + k * n];
                mag += fabs(R[i + j * m] * v[j + k * n]);
            }
            CU_ASSERT(fabs(jv[i + k * m] - s) <= 1e-12 * (mag + 1e-300));
        }
    CU_ASSERT_EQUAL(dj_jvp(&p->F, x, v, y1, jv), DJ_OK);
    free(v); free(jv);
    free(x); free(J); free(R); free(y); free(y1); free(y2);
}

static void test_mlp(void)
{
    const size_t shapes[][3] = { { 4, 16, 3 }, { 7, 5, 9 }, { 1, 8, 1 }, { 12, 33, 12 } };
    for (size_t s = 0; s < 4; ++s) {
        matprob p;
        CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, shapes[s][0], shapes[s][1], shapes[s][2], 9 + s), DJ_OK);
        check_problem(&p, 100 + s);
        matprob_free(&p);
    }
}

static void test_inverse_logdet(void)
{
    const size_t ns[] = { 1, 3, 5, 8 };
    for (size_t s = 0; s < 4; ++s) {
        matprob p;
        CU_ASSERT_EQUAL_FATAL(matprob_inverse(&p, ns[s]), DJ_OK);
        check_problem(&p, 7 + s);
        matprob_free(&p);
        CU_ASSERT_EQUAL_FATAL(matprob_logdet(&p, ns[s]), DJ_OK);
        check_problem(&p, 17 + s);
        matprob_free(&p);
    }
}

/* The Gaussian log-likelihood through Cholesky: primals, Jacobian by the
 * formula, differences and reverse mode; the Jacobian is the symmetric
 * gradient (entries (k, l) and (l, k) equal); not SPD fails. */
static void test_gauss(void)
{
    const size_t shapes[][2] = { { 1, 1 }, { 3, 1 }, { 4, 3 }, { 7, 2 } };
    for (size_t s = 0; s < 4; ++s) {
        size_t n = shapes[s][0], k = shapes[s][1];
        matprob p;
        CU_ASSERT_EQUAL_FATAL(matprob_gauss(&p, n, k, 31 + s), DJ_OK);
        CU_ASSERT(p.nin == n * n && p.nout == k && p.F.n == n * n && p.F.m == k);
        check_problem(&p, 41 + s);
        double *x = malloc(n * n * sizeof *x), *J = malloc(k * n * n * sizeof *J);
        double *H = malloc(k * n * n * sizeof *H), *y = malloc(k * sizeof *y);
        matprob_start(&p, 41 + s, x);
        CU_ASSERT_EQUAL(matprob_jacobian(&p, x, H, k), 0);
        /* symmetric gradient */
        for (size_t t = 0; t < k; ++t)
            for (size_t a = 0; a < n; ++a)
                for (size_t b = 0; b < n; ++b)
                    CU_ASSERT(H[t + (a + b * n) * k] == H[t + (b + a * n) * k]);
        /* y_1 at n = 1: -1/2 (log 2pi + log s + r^2 / s) */
        if (n == 1) {
            CU_ASSERT_EQUAL(dj_eval(&p.F, x, y), DJ_OK);
            double want = -0.5 * (log(2 * 3.14159265358979323846) + log(x[0])
                                  + p.R[0] * p.R[0] / x[0]);
            DJ_ASSERT_CLOSE(y[0], want, 1e-14);
            DJ_ASSERT_CLOSE(H[0], -0.5 * (1 / x[0] - p.R[0] * p.R[0] / (x[0] * x[0])), 1e-14);
        }
        /* reverse mode and the checks against it */
        CU_ASSERT_EQUAL(dj_jacrev(&p.F, x, NULL, J, k, NULL), DJ_OK);
        CU_ASSERT(dj_test_rel_diff(J, H, k * n * n) < 1e-12);
        dj_check_report rep;
        CU_ASSERT_EQUAL(dj_check_modes(&p.F, x, NULL, &rep, NULL, NULL), DJ_OK);
        CU_ASSERT_EQUAL(dj_check_jacobian_ex(&p.F, x, J, k, NULL, &rep, NULL, NULL, NULL), DJ_OK);
        /* not positive definite: every primal and the program say so */
        for (size_t i = 0; i < n; ++i)
            x[i + i * n] = -1.0;
        CU_ASSERT_EQUAL(dj_eval(&p.F, x, y), DJ_ENOTSPD);
        CU_ASSERT_EQUAL(matprob_primal_loops(&p, x, y), DJ_ENOTSPD);
        CU_ASSERT_EQUAL(matprob_primal_blas(&p, x, y), DJ_ENOTSPD);
        CU_ASSERT_EQUAL(dj_jacfwd(&p.F, x, NULL, J, k, NULL), DJ_ENOTSPD);
        free(x); free(J); free(H); free(y);
        matprob_free(&p);
    }
    matprob p;
    CU_ASSERT_EQUAL(matprob_gauss(&p, 0, 1, 1), DJ_EDIM);
    CU_ASSERT_EQUAL(matprob_gauss(&p, 2, 0, 1), DJ_EDIM);
    CU_ASSERT_EQUAL(matprob_gauss(NULL, 2, 1, 1), DJ_EARG);
}

/* A context given in the options is reused: no growth after the first call. */
static void test_ctx_reuse(void)
{
    matprob p;
    CU_ASSERT_EQUAL_FATAL(matprob_mlp(&p, 6, 20, 4, 3), DJ_OK);
    double x[6], J[24];
    matprob_start(&p, 1, x);
    dj_ctx *c = dj_ctx_new();
    dj_jac_opts o = { 0, 0, c, 0, 0 };
    size_t reserved = 0;
    for (int r = 0; r < 4; ++r) {
        CU_ASSERT_EQUAL(dj_jacfwd(&p.F, x, NULL, J, 4, &o), DJ_OK);
        if (r == 1)
            reserved = dj_ctx_bytes_reserved(c);
        if (r > 1)
            CU_ASSERT_EQUAL(dj_ctx_bytes_reserved(c), reserved);
    }
    CU_ASSERT(reserved > 0);
    dj_ctx_free(c);
    matprob_free(&p);
}

static int prog_fails(void *u, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)c; (void)x; (void)y;
    return *(int *)u;
}
static int prog_bad_shape(void *u, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)u;
    *y = dj_mat_add(c, x, dj_mat_zeros(c, 2, 2));      /* 3x1 + 2x2: no broadcast */
    return 0;
}
static int prog_no_result(void *u, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)u; (void)c; (void)x;
    *y = NULL;
    return 0;
}
static int prog_wrong_m(void *u, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)u;
    *y = dj_mat_vcat(c, x, x);
    return 0;
}

static void test_errors(void)
{
    double x[3] = { 1, 2, 3 }, y[3], J[9];
    int code = -5;
    dj_function F = { .n = 3, .m = 3, .user = &code, .f_mat = prog_fails };
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), -5);
    CU_ASSERT_EQUAL(dj_eval(&F, x, y), -5);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, x, y, y), -5);
    F.f_mat = prog_bad_shape;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_EDIM);
    F.f_mat = prog_no_result;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_ECALLBACK);
    F.f_mat = prog_wrong_m;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_EDIM);
    dj_jac_opts bad = { -2, 0, NULL, 0, 0 };
    F.f_mat = prog_bad_shape;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, &bad), DJ_EARG);
    /* a singular matrix in the inverse */
    matprob p;
    CU_ASSERT_EQUAL_FATAL(matprob_inverse(&p, 2), DJ_OK);
    double A[4] = { 1, 2, 2, 4 }, JA[16];
    CU_ASSERT_EQUAL(dj_jacfwd(&p.F, A, NULL, JA, 4, NULL), DJ_ESINGULAR);
    matprob_free(&p);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "the book's example as a matrix program", test_book },
        { "mlp against its formula and differences", test_mlp },
        { "inverse and logdet", test_inverse_logdet },
        { "Gaussian log-likelihood by Cholesky", test_gauss },
        { "a given context is reused", test_ctx_reuse },
        { "matrix program errors", test_errors },
        { NULL, NULL },
    };
    return dj_test_run("matprog", cases);
}
