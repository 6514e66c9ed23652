/* test_check_fd.c - forward and Richardson differences, the check against
 * Richardson differences with per-entry error estimates, and the fast
 * check. As in test_check.c, a check that never says "wrong" proves
 * nothing: every planted error must be caught with the right entry named,
 * and every correct Jacobian must pass, including badly scaled ones. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"
#include "mgh.h"
#include "plant.h"

#include "tfun.h"


static void *xcalloc(size_t k, size_t size)
{
    void *p = calloc(k ? k : 1, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

/* tfun (tfun.inc) at a random point in [-2, 2]^n, m = n + 1, and its
 * Jacobian by forward mode (exact to rounding). */
static void setup(size_t n, tfun_params *p, dj_function *F, double *x, double *J)
{
    uint64_t seed = 1234 + n;
    p->n = n;
    p->fail_at = p->calls = p->fail_code = 0;
    dj_function G = { .n = n, .m = n + 1, .user = p, DJ_FORMS(tfun) };
    *F = G;
    for (size_t j = 0; j < n; ++j)
        x[j] = dj_test_rand(&seed, -2, 2);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(F, x, NULL, J, n + 1, NULL), DJ_OK);
}

/* Largest row-relative error, max_i max_j |A_ij - B_ij| / max_j |B_ij|:
 * finite differences are accurate relative to the size of their row (as
 * MINPACK's chkder digits measure it), not to each entry. */
static double row_rel_err(size_t m, size_t n, const double *A, const double *B)
{
    double worst = 0;
    for (size_t i = 0; i < m; ++i) {
        double rowmax = 0, e = 0;
        for (size_t j = 0; j < n; ++j) {
            rowmax = fmax(rowmax, fabs(B[i + j * m]));
            e = fmax(e, fabs(A[i + j * m] - B[i + j * m]));
        }
        if (e > 0)
            worst = fmax(worst, rowmax > 0 ? e / rowmax : INFINITY);
    }
    return worst;
}

/* ---- known derivatives ---------------------------------------------------------- */

/* y_0 = exp(x_0) sin(x_1), y_1 = log(1 + x_0^2) / x_1, y_2 = atan(x_0 x_1) */
static int known_real(void *user, const double *x, double *y)
{
    (void)user;
    y[0] = exp(x[0]) * sin(x[1]);
    y[1] = log(1 + x[0] * x[0]) / x[1];
    y[2] = atan(x[0] * x[1]);
    return 0;
}

static double g_rich_acc, g_fwd_acc, g_central_acc;   /* reported in main */

static void test_accuracy_known(void)
{
    /* tfun, several sizes: Richardson ~1e-12, forward ~1e-8 */
    const size_t sizes[] = { 1, 3, 12, 30 };
    double worst_r = 0, worst_f = 0, worst_c = 0;
    size_t under = 0, total = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        size_t n = sizes[s], m = n + 1;
        tfun_params p;
        dj_function F;
        double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
        double *R = xcalloc(m * n, sizeof *R), *E = xcalloc(m * n, sizeof *E);
        setup(n, &p, &F, x, J);
        CU_ASSERT_EQUAL(dj_fd_richardson(&F, x, 0.0, R, m, E), DJ_OK);
        double er = row_rel_err(m, n, R, J);
        worst_r = fmax(worst_r, er);
        CU_ASSERT(er <= 1e-10);
        for (size_t k = 0; k < m * n; ++k) {
            CU_ASSERT(E[k] >= 0 && isfinite(E[k]));
            total++;
            if (fabs(R[k] - J[k]) > E[k])
                under++;
        }
        /* the error estimate is small where the differences are good */
        double emax = 0, jmax = 0;
        for (size_t e = 0; e < m * n; ++e) {
            emax = fmax(emax, E[e]);
            jmax = fmax(jmax, fabs(J[e]));
        }
        double erel = emax / jmax;
        if (erel >= 1e-8)
            fprintf(stderr, "\n  n=%zu: estimates up to %.3g of max |J|\n", n, erel);
        CU_ASSERT(erel < 1e-8);
        CU_ASSERT_EQUAL(dj_fd_forward(&F, x, 0.0, R, m), DJ_OK);
        double ef = row_rel_err(m, n, R, J);
        worst_f = fmax(worst_f, ef);
        CU_ASSERT(ef <= 1e-6 && ef > 1e-12);
        if (ef > 1e-6)
            fprintf(stderr, "\n  n=%zu: forward differences rel err %.3g\n", n, ef);
        CU_ASSERT_EQUAL(dj_fd_central(&F, x, 0.0, R, m, NULL), DJ_OK);
        worst_c = fmax(worst_c, row_rel_err(m, n, R, J));
        free(x); free(J); free(R); free(E);
    }
    /* the estimate bounds the actual error almost everywhere */
    CU_ASSERT(under * 20 <= total);
    /* a hand-differentiated function with exp, log, atan, a quotient */
    double x[2] = { 0.7, -1.3 }, J[6], R[6], E[6];
    dj_function K = { .n = 2, .m = 3, .f = known_real };
    known_jac(x, J);
    CU_ASSERT_EQUAL(dj_fd_richardson(&K, x, 0.0, R, 3, E), DJ_OK);
    double er = row_rel_err(3, 2, R, J);
    worst_r = fmax(worst_r, er);
    CU_ASSERT(er <= 1e-10);
    CU_ASSERT_EQUAL(dj_fd_forward(&K, x, 0.0, R, 3), DJ_OK);
    double ef = row_rel_err(3, 2, R, J);
    worst_f = fmax(worst_f, ef);
    CU_ASSERT(ef <= 1e-6);
    /* a coarser step for forward differences is worse, as h f''/2 says */
    CU_ASSERT_EQUAL(dj_fd_forward(&K, x, 1e-4, R, 3), DJ_OK);
    CU_ASSERT(row_rel_err(3, 2, R, J) > 1e-6);
    g_rich_acc = worst_r;
    g_fwd_acc = worst_f;
    g_central_acc = worst_c;
}

/* Richardson against the hand-derived MGH Jacobians at the standard point */
static double g_mgh_rich_acc;

static void test_accuracy_mgh(void)
{
    double worst = 0;
    for (size_t k = 0; k < mgh_count(); ++k) {
        mgh_problem p;
        CU_ASSERT_EQUAL_FATAL(mgh_init(&p, mgh_name(k), mgh_nearest_n(mgh_name(k), 8)), DJ_OK);
        size_t n = p.n, m = p.m;
        double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
        double *R = xcalloc(m * n, sizeof *R);
        mgh_start(&p, 1.0, x);
        CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, J, m), DJ_OK);
        CU_ASSERT_EQUAL(dj_fd_richardson(&p.F, x, 0.0, R, m, NULL), DJ_OK);
        double e = row_rel_err(m, n, R, J);
        if (e > 1e-10)
            fprintf(stderr, "\n  %s: Richardson rel err %.3g\n", p.name, e);
        CU_ASSERT(e <= 1e-10);
        worst = fmax(worst, e);
        free(x); free(J); free(R);
    }
    g_mgh_rich_acc = worst;
}

/* ---- planted errors on the MGH problems ----------------------------------------- */

/* the Richardson check is tight enough to see a 1e-6 scaling, which the
 * central one (counted here too) mostly cannot */
static int g_scale_central_caught, g_scale_planted;

static int check_rich(const dj_function *F, const double *x, const double *W, size_t m,
                      dj_check_report *rep)
{
    return dj_check_jacobian_ex(F, x, W, m, NULL, rep, NULL, NULL, NULL);
}

static void test_planted_mgh(void)
{
    static const size_t want[2] = { 8, 30 };
    for (size_t k = 0; k < mgh_count(); ++k) {
        for (size_t s = 0; s < 2; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(
                mgh_init(&p, mgh_name(k), mgh_nearest_n(mgh_name(k), want[s])), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
            double *W = xcalloc(m * n, sizeof *W);
            mgh_start(&p, 1.0, x);
            CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&p.F, x, NULL, J, m, NULL), DJ_OK);
            dj_check_report rep;
            CU_ASSERT_EQUAL(check_rich(&p.F, x, J, m, &rep), DJ_OK);

            /* one of each kind (plant.h), the 1e-4 error at the largest
             * entry; the point is always x0, so a miss does not name it */
            plant_ctx c = plant_begin(&p, 0, x, J, W, check_rich);
            plant_sign(&c);
            plant_entry(&c, c.big);
            plant_swap(&c);
            plant_transpose(&c);
            /* the scaling caught at any entry, by any margin; W keeps it
             * for the central check */
            g_scale_planted++;
            plant_scale(&c, 0);
            if (dj_check_jacobian(&p.F, x, W, m, NULL, &rep, NULL) == DJ_ECHECK)
                g_scale_central_caught++;
            free(x); free(J); free(W);
        }
    }
    CU_ASSERT(g_planted >= 5 * (int)mgh_count());
    CU_ASSERT_EQUAL(g_caught, g_planted);
}

/* ---- correct Jacobians pass ---------------------------------------------------- */

static int g_pass_points, g_skipped_points;

/* every MGH problem, a few sizes, at 1, 10 and 100 times the standard point:
 * both the AD Jacobian and the hand-derived one pass. */
static void test_correct_mgh(void)
{
    static const size_t want[3] = { 2, 8, 40 };
    static const double factors[3] = { 1.0, 10.0, 100.0 };
    for (size_t k = 0; k < mgh_count(); ++k) {
        for (size_t s = 0; s < 3; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(
                mgh_init(&p, mgh_name(k), mgh_nearest_n(mgh_name(k), want[s])), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
            double *H = xcalloc(m * n, sizeof *H), *y = xcalloc(m, sizeof *y);
            for (size_t f = 0; f < 3; ++f) {
                mgh_start(&p, factors[f], x);
                CU_ASSERT_EQUAL_FATAL(dj_eval(&p.F, x, y), DJ_OK);
                /* Skip a point whose values overflow (or come within a few
                 * orders of it, where x +- h would): Chebyquad's T_i at
                 * 100 x0 grows like 400^i and Brown's product like 50^n.
                 * None of the problems at these sizes does, but a larger
                 * size or factor would. */
                int finite = 1;
                for (size_t i = 0; i < m; ++i)
                    finite = finite && isfinite(y[i]) && fabs(y[i]) < 1e290;
                if (!finite) {
                    g_skipped_points++;
                    continue;
                }
                CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&p.F, x, NULL, J, m, NULL), DJ_OK);
                CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, H, m), DJ_OK);
                dj_check_report rep;
                int rc = dj_check_jacobian_ex(&p.F, x, J, m, NULL, &rep, NULL, NULL, NULL);
                int rc2 = dj_check_jacobian_ex(&p.F, x, H, m, NULL, &rep, NULL, NULL, NULL);
                if (rc != DJ_OK || rc2 != DJ_OK) {
                    fprintf(stderr, "\n  %s n=%zu at %g x0: AD %s, hand %s\n", p.name, n,
                            factors[f], dj_strerror(rc), dj_strerror(rc2));
                    dj_check_report_fprint(stderr, &rep);
                }
                CU_ASSERT_EQUAL(rc, DJ_OK);
                CU_ASSERT_EQUAL(rc2, DJ_OK);
                g_pass_points++;
                /* and the fast check */
                dj_fast_report fr;
                rc = dj_check_fast(&p.F, x, 7 + k, &fr);
                if (rc != DJ_OK)
                    fprintf(stderr, "\n  %s n=%zu at %g x0: fast check %s: fwd %.17g rev "
                            "%.17g fd %.17g (err %.3g)\n", p.name, n, factors[f],
                            dj_strerror(rc), fr.fwd, fr.rev, fr.fd, fr.fd_err);
                CU_ASSERT_EQUAL(rc, DJ_OK);
            }
            free(x); free(J); free(H); free(y);
        }
    }
}

/* Badly scaled functions, where naive differences lose digits. */
typedef struct bad_params {
    size_t n;
    int kind;
} bad_params;

static int bad_real(void *user, const double *x, double *y)
{
    const bad_params *b = user;
    size_t n = b->n;
    for (size_t i = 0; i < n; ++i) {
        double u = x[i], v = x[(i + 1) % n];
        switch (b->kind) {
        case 0: /* a large constant offset: every row ~1e6 */
            y[i] = 1e6 + 1e-3 * u * u + 1e4 * sin(v);
            break;
        case 1: /* an offset of 1e10 on a unit-scale function */
            y[i] = 1e10 + sin(u) * v + exp(v / 10);
            break;
        case 2: /* inputs near 1e6, outputs near 1e-6 */
            y[i] = 1e-18 * u * v + 1e-6 * cos(1e-6 * u);
            break;
        default: /* rows of very different size: 1e8 and 1e-8 */
            y[i] = (i % 2 ? 1e8 : 1e-8) * (u * u * v + sin(v));
            break;
        }
    }
    return 0;
}

static void bad_jac(const bad_params *b, const double *x, double *J)
{
    size_t n = b->n;
    memset(J, 0, n * n * sizeof *J);
    for (size_t i = 0; i < n; ++i) {
        size_t i1 = (i + 1) % n;
        double u = x[i], v = x[i1], du = 0, dv = 0;
        switch (b->kind) {
        case 0: du = 2e-3 * u; dv = 1e4 * cos(v); break;
        case 1: du = cos(u) * v; dv = sin(u) + exp(v / 10) / 10; break;
        case 2: du = 1e-18 * v - 1e-12 * sin(1e-6 * u); dv = 1e-18 * u; break;
        default: {
            double s = i % 2 ? 1e8 : 1e-8;
            du = s * 2 * u * v;
            dv = s * (u * u + cos(v));
        }
        }
        J[i + i * n] += du;
        J[i + i1 * n] += dv;
    }
}

static double g_bad_fwd_digits = 16, g_bad_rich_digits = 16;

static void test_badly_scaled(void)
{
    size_t n = 6;
    double x[6], J[36], W[36], R[36];
    for (int kind = 0; kind < 4; ++kind) {
        bad_params b = { n, kind };
        dj_function F = { .n = n, .m = n, .user = &b, .f = bad_real };
        uint64_t seed = 31 + kind;
        for (size_t j = 0; j < n; ++j) {
            x[j] = dj_test_rand(&seed, -3, 3);
            if (kind == 0)
                x[j] *= 100;
            else if (kind == 2)
                x[j] = 1e6 * (1 + x[j]);
        }
        bad_jac(&b, x, J);
        dj_check_report rep;
        double digits[6];
        int rc = dj_check_jacobian_ex(&F, x, J, n, NULL, &rep, digits, R, NULL);
        if (rc != DJ_OK)
            dj_check_report_fprint(stderr, &rep);
        CU_ASSERT_EQUAL(rc, DJ_OK);
        g_bad_rich_digits = fmin(g_bad_rich_digits, rep.min_digits);
        /* forward differences lose digits here (kinds 0, 1: the offset) */
        double F1[36];
        CU_ASSERT_EQUAL(dj_fd_forward(&F, x, 0.0, F1, n), DJ_OK);
        dj_check_report fr;
        dj_check_compare(n, n, F1, n, J, n, NULL, NULL, &fr, NULL);
        if (kind <= 1) {
            g_bad_fwd_digits = fmin(g_bad_fwd_digits, fr.min_digits);
            CU_ASSERT(fr.min_digits < rep.min_digits);
        }
        /* a wrong entry is still caught (the largest |entry| of row 2) */
        memcpy(W, J, sizeof W);
        size_t jj = fabs(J[2 + 2 * n]) > fabs(J[2 + 3 * n]) ? 2 : 3;
        /* kind 1 carries only about 6 digits of its O(1) part next to the
         * 1e10 offset (eps 1e10 = 2e-6 absolute): no difference quotient
         * can see 1e-4 there; a sign flip it can */
        W[2 + jj * n] *= kind == 1 ? -1.0 : 1 + 1e-4;
        rc = dj_check_jacobian_ex(&F, x, W, n, NULL, &rep, NULL, NULL, NULL);
        if (rc != DJ_ECHECK) {
            fprintf(stderr, "\n  kind %d: planted not caught\n", kind);
            dj_check_report_fprint(stderr, &rep);
        }
        CU_ASSERT_EQUAL(rc, DJ_ECHECK);
        CU_ASSERT(rep.worst_row == 2 && rep.worst_col == jj);
    }
}

/* ---- the fast check ------------------------------------------------------------ */

/* A reverse form wrong by 1e-6 on one output (as in test_reverse.c) */
static int tfun_rvar_wrong(void *user, const dj_rvar *x, dj_rvar *y)
{
    int rc = tfun_rvar(user, x, y);
    y[1] = dj_mul(y[1], 1.0 + 1e-6);
    return rc;
}

static void test_fast(void)
{
    size_t n = 20;
    tfun_params p;
    dj_function F;
    double x[20], J[21 * 20];
    setup(n, &p, &F, x, J);
    dj_fast_report r;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
        CU_ASSERT_EQUAL(dj_check_fast(&F, x, seed, &r), DJ_OK);
        CU_ASSERT(r.pass && r.has_fwd && r.has_rev && r.pass_fwd_rev && r.pass_fwd_fd
                  && r.pass_rev_fd);
        CU_ASSERT(r.rel_fwd_rev <= 1e-13);
        CU_ASSERT(r.rel_fwd_fd <= 1e-10 && r.rel_rev_fd <= 1e-10);
        CU_ASSERT(r.scale > 0 && r.fd_err >= 0);
    }
    /* a wrong reverse form fails, and it is reverse that disagrees */
    F.f_rvar = tfun_rvar_wrong;
    CU_ASSERT_EQUAL(dj_check_fast(&F, x, 3, &r), DJ_ECHECK);
    CU_ASSERT(!r.pass && !r.pass_fwd_rev && r.pass_fwd_fd && !r.pass_rev_fd);
    CU_ASSERT(r.rel_fwd_rev > 1e-9);
    /* without a reverse form: forward against differences only */
    F.f_rvar = NULL;
    CU_ASSERT_EQUAL(dj_check_fast(&F, x, 3, &r), DJ_OK);
    CU_ASSERT(r.has_fwd && !r.has_rev && isnan(r.rev) && r.pass);
    /* badly scaled: a 1e10 offset, forward forms from tfun plus a constant */
    bad_params b = { 6, 1 };
    dj_function B = { .n = 6, .m = 6, .user = &b, .f = bad_real };
    CU_ASSERT_EQUAL(dj_check_fast(&B, x, 3, &r), DJ_ENOFORM);
    /* errors */
    CU_ASSERT_EQUAL(dj_check_fast(NULL, x, 1, &r), DJ_EARG);
    CU_ASSERT_EQUAL(dj_check_fast(&F, NULL, 1, &r), DJ_EARG);
    CU_ASSERT_EQUAL(dj_check_fast(&F, x, 1, NULL), DJ_EARG);
    /* a failing form comes back */
    F.f_rvar = tfun_rvar;
    p.fail_at = 3;
    p.fail_code = -5;
    CU_ASSERT_EQUAL(dj_check_fast(&F, x, 1, &r), -5);
}

/* ---- options and error paths --------------------------------------------------- */

/* y = x for x >= 0, NaN for x < 0 */
static int nan_left_real(void *user, const double *x, double *y)
{
    (void)user;
    y[0] = x[0] < 0 ? NAN : x[0];
    return 0;
}

static void test_options_errors(void)
{
    tfun_params p;
    dj_function F;
    double x[5], J[30], R[30], E[30];
    setup(5, &p, &F, x, J);
    dj_check_report rep;
    /* dj_check_jacobian with the Richardson reference is the same check */
    dj_check_opts o = dj_check_opts_richardson();
    CU_ASSERT_EQUAL(o.reference, DJ_CHECK_REF_RICHARDSON);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 6, &o, &rep, NULL), DJ_OK);
    for (size_t k = 0; k < 30; ++k)
        R[k] = J[k] * (1 + 1e-6);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, R, 6, &o, &rep, NULL), DJ_ECHECK);
    /* ... while the default (central) check cannot see a 1e-6 scaling */
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, R, 6, NULL, &rep, NULL), DJ_OK);
    /* negative fields take the Richardson defaults */
    o.rtol = o.atol = o.row_rtol = o.noise_factor = -1;
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, R, 6, &o, &rep, NULL, NULL, NULL), DJ_ECHECK);
    /* the central reference through _ex, and the outputs */
    dj_check_opts c = dj_check_opts_default();
    CU_ASSERT_EQUAL(c.reference, DJ_CHECK_REF_CENTRAL);
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 6, &c, &rep, NULL, R, E), DJ_OK);
    CU_ASSERT(dj_test_rel_diff(R, J, 30) < 1e-8);
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 6, NULL, &rep, NULL, R, E), DJ_OK);
    CU_ASSERT(dj_test_rel_diff(R, J, 30) < 1e-11);
    c.reference = 7;
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 6, &c, &rep, NULL, NULL, NULL), DJ_EARG);
    /* errors */
    CU_ASSERT_EQUAL(dj_fd_forward(NULL, x, 0, J, 6), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_forward(&F, x, 0, J, 5), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_fd_richardson(&F, NULL, 0, J, 6, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_richardson(&F, x, 0, J, 5, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 6, NULL, NULL, NULL, NULL, NULL), DJ_EARG);
    dj_function N = { .n = 5, .m = 6 };
    CU_ASSERT_EQUAL(dj_fd_richardson(&N, x, 0, J, 6, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_fd_forward(&N, x, 0, J, 6), DJ_ENOFORM);
    p.fail_at = 4;
    p.fail_code = -8;
    CU_ASSERT_EQUAL(dj_fd_richardson(&F, x, 0, R, 6, E), -8);
    p.calls = 0;
    CU_ASSERT_EQUAL(dj_fd_forward(&F, x, 0, R, 6), -8);
    /* a function that is NaN near x: no estimate, and the entry fails */
    p.fail_at = 0;
    double xs[1] = { 0.0 }, Js[1] = { 1.0 }, Rs[1], Es[1];
    dj_function S = { .n = 1, .m = 1, .f = nan_left_real };
    CU_ASSERT_EQUAL(dj_fd_richardson(&S, xs, 0, Rs, 1, Es), DJ_OK);
    CU_ASSERT(isnan(Es[0]));
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&S, xs, Js, 1, NULL, &rep, NULL, NULL, NULL),
                    DJ_ECHECK);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "Richardson and forward accuracy, known derivatives", test_accuracy_known },
        { "Richardson accuracy on the MGH problems", test_accuracy_mgh },
        { "planted errors on MGH problems are caught", test_planted_mgh },
        { "correct MGH Jacobians pass at 1, 10, 100 x0", test_correct_mgh },
        { "badly scaled functions pass, errors still caught", test_badly_scaled },
        { "the fast check", test_fast },
        { "options and error paths", test_options_errors },
        { NULL, NULL },
    };
    int rc = dj_test_run("check_fd", cases);
    fprintf(stderr, "check_fd: planted %d, caught %d (Richardson check); the 1e-6 scaling "
            "caught by the central check %d of %d\n", g_planted, g_caught,
            g_scale_central_caught, g_scale_planted);
    fprintf(stderr, "check_fd: by kind (planted/caught): sign %d/%d, 1e-4 entry %d/%d, "
            "column swap %d/%d, transpose %d/%d, 1e-6 scaling %d/%d\n",
            g_kind_planted[0], g_kind_caught[0], g_kind_planted[1], g_kind_caught[1],
            g_kind_planted[2], g_kind_caught[2], g_kind_planted[3], g_kind_caught[3],
            g_kind_planted[4], g_kind_caught[4]);
    fprintf(stderr, "check_fd: worst row-relative err: Richardson %.2e (MGH x0: %.2e), "
            "central %.2e, forward %.2e\n", g_rich_acc, g_mgh_rich_acc, g_central_acc,
            g_fwd_acc);
    fprintf(stderr, "check_fd: correct MGH points passed %d, skipped %d; badly scaled "
            "min digits: Richardson %.1f, forward %.1f\n", g_pass_points, g_skipped_points,
            g_bad_rich_digits, g_bad_fwd_digits);
    return rc;
}
