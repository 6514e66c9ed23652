/* test_check.c - finite differences and the Jacobian check. A checker that
 * never says "wrong" proves nothing: every planted error must be caught,
 * with the right entry named, and every correct Jacobian must pass. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

#include "tfun.h"


/* A badly scaled variant: y_i = 1e6 + 1e-3 x_i^2 + 1e4 sin(x_{i+1}).
 * The large constant makes naive differencing lose digits in every row. */
static int scaled_real(void *user, const double *x, double *y)
{
    size_t n = *(size_t *)user;
    for (size_t i = 0; i < n; ++i)
        y[i] = 1e6 + 1e-3 * x[i] * x[i] + 1e4 * sin(x[(i + 1) % n]);
    return 0;
}

static void scaled_jac(size_t n, const double *x, double *J)
{
    memset(J, 0, n * n * sizeof *J);
    for (size_t i = 0; i < n; ++i) {
        J[i + i * n] += 2e-3 * x[i];
        J[i + ((i + 1) % n) * n] += 1e4 * cos(x[(i + 1) % n]);
    }
}

static void setup(size_t n, tfun_params *p, dj_function *F, double *x, double *J)
{
    uint64_t seed = 99 + n;
    p->n = n;
    p->fail_at = p->calls = p->fail_code = 0;
    dj_function G = { .n = n, .m = n + 1, .user = p, DJ_FORMS(tfun) };
    *F = G;
    for (size_t j = 0; j < n; ++j)
        x[j] = dj_test_rand(&seed, -2, 2);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(F, x, NULL, J, n + 1, NULL), DJ_OK);
}

/* Central differences are accurate to about 1e-9 here (h ~ 6e-6, smooth f). */
static void test_fd_accuracy(void)
{
    size_t n = 12, m = 13;
    tfun_params p;
    dj_function F;
    double x[12], J[13 * 12], R[13 * 12], noise[13 * 12];
    setup(n, &p, &F, x, J);
    CU_ASSERT_EQUAL(dj_fd_central(&F, x, 0.0, R, m, noise), DJ_OK);
    for (size_t k = 0; k < m * n; ++k) {
        CU_ASSERT(fabs(R[k] - J[k]) <= 1e-8 * fmax(1.0, fabs(J[k])));
        CU_ASSERT(noise[k] >= 0.0 && noise[k] < 1e-8);
    }
    /* a larger step is worse but still close: truncation ~ h^2 */
    CU_ASSERT_EQUAL(dj_fd_central(&F, x, 1e-3, R, m, NULL), DJ_OK);
    double worst = 0;
    for (size_t k = 0; k < m * n; ++k)
        worst = fmax(worst, fabs(R[k] - J[k]));
    CU_ASSERT(worst > 1e-9 && worst < 1e-4);
}

static void test_correct_passes(void)
{
    const size_t sizes[] = { 1, 2, 5, 17, 40 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        size_t n = sizes[s], m = n + 1;
        tfun_params p;
        dj_function F;
        double *x = malloc(n * sizeof *x), *J = malloc(m * n * sizeof *J);
        double *digits = malloc(m * sizeof *digits);
        setup(n, &p, &F, x, J);
        dj_check_report rep;
        CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, m, NULL, &rep, digits), DJ_OK);
        CU_ASSERT(rep.pass);
        CU_ASSERT_EQUAL(rep.n_fail, 0);
        CU_ASSERT(rep.max_rel_err < 1e-7);
        CU_ASSERT(rep.worst_ratio < 1.0);
        for (size_t i = 0; i < m; ++i)
            CU_ASSERT(digits[i] >= 7.0 && digits[i] <= 16.0);
        CU_ASSERT(rep.min_digits >= 7.0);
        free(x); free(J); free(digits);
    }
}

static void test_badly_scaled_passes(void)
{
    size_t n = 6;
    double x[6], J[36];
    uint64_t seed = 5;
    for (size_t j = 0; j < n; ++j)
        x[j] = dj_test_rand(&seed, -3, 3) * 100;
    dj_function F = { .n = n, .m = n, .user = &n, .f = scaled_real };
    scaled_jac(n, x, J);
    dj_check_report rep;
    int rc = dj_check_jacobian(&F, x, J, n, NULL, &rep, NULL);
    if (rc != DJ_OK)
        dj_check_report_fprint(stderr, &rep);
    CU_ASSERT_EQUAL(rc, DJ_OK);
    /* and a wrong entry is still caught there */
    J[2 + 3 * n] *= -1;
    if (J[2 + 3 * n] != 0) {
        CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, n, NULL, &rep, NULL), DJ_ECHECK);
        CU_ASSERT(rep.worst_row == 2 && rep.worst_col == 3);
    }
}

/* Each planted error is caught, and the worst entry named is a wrong one. */
static void test_planted_errors(void)
{
    size_t n = 9, m = 10;
    tfun_params p;
    dj_function F;
    double x[9], J[10 * 9], W[10 * 9];
    setup(n, &p, &F, x, J);
    int caught = 0, planted = 0;
    dj_check_report rep;
    double digits[10];

    /* 1. a sign flipped */
    memcpy(W, J, sizeof W);
    W[4 + 4 * m] = -W[4 + 4 * m];
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, digits) == DJ_ECHECK && !rep.pass
        && rep.worst_row == 4 && rep.worst_col == 4 && rep.n_fail == 1)
        caught++;
    CU_ASSERT(digits[4] < 1.0);
    CU_ASSERT(digits[3] > 7.0);

    /* 2. one entry off by 1e-4 relative */
    memcpy(W, J, sizeof W);
    W[2 + 3 * m] *= 1 + 1e-4;
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK
        && rep.worst_row == 2 && rep.worst_col == 3)
        caught++;

    /* 3. two columns swapped */
    memcpy(W, J, sizeof W);
    for (size_t i = 0; i < m; ++i) {
        W[i + 1 * m] = J[i + 6 * m];
        W[i + 6 * m] = J[i + 1 * m];
    }
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK
        && (rep.worst_col == 1 || rep.worst_col == 6))
        caught++;

    /* 4. transposed (on the square top n-by-n block) */
    memcpy(W, J, sizeof W);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j)
            W[i + j * m] = J[j + i * m];
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK
        && rep.worst_row != rep.worst_col)
        caught++;

    /* 5. a term dropped: the exp'/10 part of one diagonal entry */
    memcpy(W, J, sizeof W);
    W[5 + 5 * m] -= exp(x[5] / 10) / 10;
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK
        && rep.worst_row == 5 && rep.worst_col == 5)
        caught++;

    /* 6. a NaN */
    memcpy(W, J, sizeof W);
    W[9 + 8 * m] = NAN;
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK
        && rep.worst_row == 9 && rep.worst_col == 8)
        caught++;

    /* 7. the whole Jacobian scaled by 1 + 1e-5 */
    for (size_t k = 0; k < m * n; ++k)
        W[k] = J[k] * (1 + 1e-5);
    planted++;
    if (dj_check_jacobian(&F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK)
        caught++;

    CU_ASSERT_EQUAL(caught, planted);
    if (caught != planted)
        fprintf(stderr, "\n  caught %d of %d planted errors\n", caught, planted);
}

static void test_compare_direct(void)
{
    double J[4] = { 1, 2, 3, 4 }, R[4] = { 1, 2, 3, 4 };
    dj_check_report rep;
    double d[2];
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, NULL, &rep, d), DJ_OK);
    CU_ASSERT(rep.pass && rep.max_abs_err == 0 && d[0] == 16 && d[1] == 16);
    J[3] = 4.001;
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, NULL, &rep, d), DJ_ECHECK);
    CU_ASSERT(rep.worst_row == 1 && rep.worst_col == 1 && rep.n_fail == 1);
    DJ_ASSERT_CLOSE(rep.max_abs_err, 0.001, 1e-12);
    DJ_ASSERT_CLOSE(d[1], -log10(0.001 / 4), 1e-9);
    CU_ASSERT_EQUAL(d[0], 16);
    /* caller tolerances: loose enough, it passes */
    dj_check_opts o = dj_check_opts_default();
    o.rtol = 1e-3;
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, &o, &rep, NULL), DJ_OK);
    /* negative fields mean defaults */
    o.rtol = -1;
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, &o, &rep, NULL), DJ_ECHECK);
    /* infinities: equal ones agree, unequal ones do not */
    J[3] = R[3] = INFINITY;
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, NULL, &rep, NULL), DJ_OK);
    J[3] = -INFINITY;
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 2, R, 2, NULL, NULL, &rep, NULL), DJ_ECHECK);
    /* all-zero row of the reference, non-zero J: 0 digits */
    double Z[2] = { 0, 0 }, K[2] = { 0, 1e-3 };
    CU_ASSERT_EQUAL(dj_check_compare(1, 2, K, 1, Z, 1, NULL, NULL, &rep, d), DJ_ECHECK);
    CU_ASSERT_EQUAL(d[0], 0.0);
    /* the report prints */
    FILE *f = tmpfile();
    if (f) {
        CU_ASSERT_EQUAL(dj_check_report_fprint(f, &rep), DJ_OK);
        CU_ASSERT(ftell(f) > 20);
        fclose(f);
    }
}

static void test_check_errors(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = { .n = 3, .m = 4, .user = &p, DJ_FORMS(tfun) };
    double x[3] = { 1, 2, 3 }, J[12] = { 0 };
    dj_check_report rep;
    CU_ASSERT_EQUAL(dj_fd_central(NULL, x, 0, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_central(&F, NULL, 0, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_central(&F, x, 0, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_central(&F, x, 0, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 3, NULL, &rep, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 4, NULL, NULL, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_check_compare(0, 2, J, 2, J, 2, NULL, NULL, &rep, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, J, 1, J, 2, NULL, NULL, &rep, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_check_compare(2, 2, NULL, 2, J, 2, NULL, NULL, &rep, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_check_report_fprint(NULL, &rep), DJ_EARG);
    /* a failing callback comes back from the check */
    p.fail_at = 2;
    p.fail_code = -9;
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 4, NULL, &rep, NULL), -9);
    dj_function N = { .n = 3, .m = 4 };
    CU_ASSERT_EQUAL(dj_fd_central(&N, x, 0, J, 4, NULL), DJ_ENOFORM);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "central differences are accurate", test_fd_accuracy },
        { "correct Jacobians pass", test_correct_passes },
        { "badly scaled problem passes", test_badly_scaled_passes },
        { "planted errors are caught", test_planted_errors },
        { "dj_check_compare directly", test_compare_direct },
        { "check error paths", test_check_errors },
        { NULL, NULL },
    };
    return dj_test_run("check", cases);
}
