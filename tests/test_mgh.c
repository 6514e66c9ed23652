/* test_mgh.c - the Moré-Garbow-Hillstrom problem library (problems/mgh.c).
 *
 * For every problem, at several sizes and at x0, 10 x0 and a random point
 * near x0:
 *   - forward mode (dj_jacfwd, every chunk width) agrees with the
 *     hand-derived Jacobian to rounding;
 *   - the hand-derived Jacobian agrees with central differences
 *     (dj_check_jacobian), which is what validates the derivations; and a
 *     planted error in it is caught, so that check is not vacuous;
 *   - the primal and the value part of every tangent form agree bit for bit;
 *   - the fast residuals agree with straightforward transcriptions of the
 *     paper's formulas, and with known values (zero residuals at known
 *     solutions, f(x0) where the paper gives it). */
#include <string.h>
#include "dj_test.h"
#include "mgh.h"

static const char *const k_names[] = {
    "rosenbrock", "powell", "penalty1", "vardim", "trig", "brown", "bvp",
    "inteq", "broyden_tri", "broyden_band", "linear_full", "chebyquad",
};
#define K_NPROB (sizeof k_names / sizeof k_names[0])

/* Forward mode is exact to rounding: the tangents go through the same
 * operations as a hand-written derivative, in a different order, so entries
 * agree to a few ulps of the largest entry in their row. */
#define AD_TOL 1e-12

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* The sizes to test a problem at: the allowed n nearest above 1, 8, 50, 200,
 * without duplicates. Returns how many. */
static size_t test_sizes(const char *name, size_t out[4])
{
    static const size_t want[4] = { 1, 8, 50, 200 };
    size_t k = 0;
    for (size_t i = 0; i < 4; ++i) {
        size_t n = mgh_nearest_n(name, want[i]);
        if (n != 0 && (k == 0 || out[k - 1] != n))
            out[k++] = n;
    }
    return k;
}

enum { PT_X0, PT_10X0, PT_NEAR, PT_COUNT };
static const char *const k_point_names[PT_COUNT] = { "x0", "10 x0", "near x0" };

/* Test point `which` of p into x: x0, 10 x0, or x0 moved by up to 10% of
 * max(1, |x0_j|) in each coordinate. Returns 0 when the point is skipped:
 * Chebyquad at 10 x0 puts u = 2x - 1 near 19, where T_i(u) ~ (2u)^i
 * overflows for i around 200; so only n <= 50 there (T_50 ~ 1e78). */
static int test_point(const mgh_problem *p, int which, uint64_t *seed, double *x)
{
    switch (which) {
    case PT_X0:
        mgh_start(p, 1.0, x);
        return 1;
    case PT_10X0:
        if (strcmp(p->name, "chebyquad") == 0 && p->n > 50)
            return 0;
        mgh_start(p, 10.0, x);
        return 1;
    default:
        mgh_start(p, 1.0, x);
        if (strcmp(p->name, "chebyquad") == 0) {
            /* keep the nodes j/(n+1) inside (0, 1), where the problem lives:
             * outside, T_200(u) reaches 1e66 within 0.2 of the end, and rows
             * that wide make row-relative checks meaningless */
            for (size_t j = 0; j < p->n; ++j)
                x[j] += dj_test_rand(seed, -0.5, 0.5) / (double)(p->n + 1);
            return 1;
        }
        for (size_t j = 0; j < p->n; ++j)
            x[j] += dj_test_rand(seed, -0.1, 0.1) * (1.0 + fabs(x[j]));
        return 1;
    }
}

/* Row-relative comparison of two m-by-n column-major matrices (leading
 * dimensions la, lb): entry (i, j) must satisfy
 * |A_ij - B_ij| <= tol max_k max(|A_ik|, |B_ik|). Returns the number of
 * entries out of tolerance, and prints the first one. */
static size_t compare_rows(size_t m, size_t n, const double *A, size_t la,
                           const double *B, size_t lb, double tol,
                           const char *what)
{
    size_t bad = 0;
    for (size_t i = 0; i < m; ++i) {
        double rowmax = 0.0;
        for (size_t j = 0; j < n; ++j)
            rowmax = fmax(rowmax, fmax(fabs(A[i + j * la]), fabs(B[i + j * lb])));
        for (size_t j = 0; j < n; ++j) {
            double a = A[i + j * la], b = B[i + j * lb];
            int ok = a == b || fabs(a - b) <= tol * rowmax;
            if (!ok) {
                if (bad == 0)
                    fprintf(stderr, "\n  %s: entry (%zu, %zu): %.17g vs %.17g "
                            "(row max %.3g)\n", what, i, j, a, b, rowmax);
                ++bad;
            }
        }
    }
    return bad;
}

/* ---- names, sizes, errors ------------------------------------------------- */

static void test_names(void)
{
    CU_ASSERT_EQUAL(mgh_count(), K_NPROB);
    for (size_t i = 0; i < K_NPROB && i < mgh_count(); ++i) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(mgh_name(i));
        CU_ASSERT_STRING_EQUAL(mgh_name(i), k_names[i]);
        mgh_problem p;
        size_t n = mgh_nearest_n(k_names[i], 8);
        CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[i], n), DJ_OK);
        CU_ASSERT_STRING_EQUAL(p.name, k_names[i]);
        CU_ASSERT_PTR_NOT_NULL(p.title);
        CU_ASSERT(p.number >= 21 && p.number <= 35);
        CU_ASSERT_EQUAL(p.n, n);
        CU_ASSERT_EQUAL(p.F.n, p.n);
        CU_ASSERT_EQUAL(p.F.m, p.m);
        CU_ASSERT_PTR_EQUAL(p.F.user, &p);
        CU_ASSERT(p.F.f && p.F.f_dual && p.F.f_c8 && p.F.f_c16 && p.F.f_c32
                  && p.F.f_c64);
    }
    CU_ASSERT_PTR_NULL(mgh_name(mgh_count()));
    CU_ASSERT_PTR_NULL(mgh_name((size_t)-1));

    /* m as a function of n */
    static const struct { const char *name; size_t n, m; } sz[] = {
        { "rosenbrock", 6, 6 }, { "powell", 8, 8 }, { "penalty1", 5, 6 },
        { "vardim", 5, 7 }, { "trig", 5, 5 }, { "brown", 5, 5 },
        { "bvp", 5, 5 }, { "inteq", 5, 5 }, { "broyden_tri", 5, 5 },
        { "broyden_band", 5, 5 }, { "linear_full", 5, 5 },
        { "chebyquad", 5, 5 },
    };
    for (size_t k = 0; k < sizeof sz / sizeof sz[0]; ++k) {
        mgh_problem p;
        CU_ASSERT_EQUAL_FATAL(mgh_init(&p, sz[k].name, sz[k].n), DJ_OK);
        CU_ASSERT_EQUAL(p.m, sz[k].m);
    }
}

static void test_init_errors(void)
{
    mgh_problem p;
    CU_ASSERT_EQUAL(mgh_init(NULL, "trig", 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_init(&p, NULL, 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_init(&p, "nosuch", 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_init(&p, "Trig", 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_init(&p, "", 4), DJ_EARG);
    for (size_t i = 0; i < K_NPROB; ++i) {
        const char *nm = k_names[i];
        CU_ASSERT_EQUAL(mgh_init(&p, nm, 0), DJ_EDIM);
        CU_ASSERT_EQUAL(mgh_init(&p, nm, 100001), DJ_EDIM);
        CU_ASSERT_EQUAL(mgh_init(&p, nm, (size_t)-1), DJ_EDIM);
        CU_ASSERT_EQUAL(mgh_init(&p, nm, 100000), DJ_OK);
        size_t n1 = mgh_nearest_n(nm, 1);
        CU_ASSERT_EQUAL(mgh_init(&p, nm, n1), DJ_OK);
        CU_ASSERT_EQUAL(mgh_nearest_n(nm, 0), n1);
        CU_ASSERT_EQUAL(mgh_nearest_n(nm, 100000), 100000);
        CU_ASSERT_EQUAL(mgh_nearest_n(nm, 100001), 0);
        /* every n from 1 to 40: accepted exactly when nearest_n(n) == n */
        for (size_t n = 1; n <= 40; ++n) {
            size_t nn = mgh_nearest_n(nm, n);
            CU_ASSERT(nn >= n);
            CU_ASSERT_EQUAL(mgh_init(&p, nm, nn), DJ_OK);
            CU_ASSERT_EQUAL(mgh_init(&p, nm, n) == DJ_OK, nn == n);
        }
    }
    CU_ASSERT_EQUAL(mgh_init(&p, "rosenbrock", 3), DJ_EDIM);
    CU_ASSERT_EQUAL(mgh_init(&p, "rosenbrock", 1), DJ_EDIM);
    CU_ASSERT_EQUAL(mgh_init(&p, "rosenbrock", 2), DJ_OK);
    CU_ASSERT_EQUAL(mgh_init(&p, "powell", 6), DJ_EDIM);
    CU_ASSERT_EQUAL(mgh_init(&p, "powell", 2), DJ_EDIM);
    CU_ASSERT_EQUAL(mgh_init(&p, "powell", 12), DJ_OK);
    CU_ASSERT_EQUAL(mgh_init(&p, "chebyquad", 1), DJ_OK);
    CU_ASSERT_EQUAL(mgh_init(&p, "brown", 1), DJ_OK);

    CU_ASSERT_EQUAL(mgh_nearest_n("rosenbrock", 1), 2);
    CU_ASSERT_EQUAL(mgh_nearest_n("rosenbrock", 7), 8);
    CU_ASSERT_EQUAL(mgh_nearest_n("rosenbrock", 8), 8);
    CU_ASSERT_EQUAL(mgh_nearest_n("powell", 1), 4);
    CU_ASSERT_EQUAL(mgh_nearest_n("powell", 5), 8);
    CU_ASSERT_EQUAL(mgh_nearest_n("powell", 99999), 100000);
    CU_ASSERT_EQUAL(mgh_nearest_n("trig", 0), 1);
    CU_ASSERT_EQUAL(mgh_nearest_n("trig", 37), 37);
    CU_ASSERT_EQUAL(mgh_nearest_n("nosuch", 5), 0);
    CU_ASSERT_EQUAL(mgh_nearest_n(NULL, 5), 0);

    /* mgh_jacobian's argument checks */
    double x[4] = { 1, 2, 3, 4 }, J[4 * 4];
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "trig", 4), DJ_OK);
    CU_ASSERT_EQUAL(mgh_jacobian(NULL, x, J, 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_jacobian(&p, NULL, J, 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_jacobian(&p, x, NULL, 4), DJ_EARG);
    CU_ASSERT_EQUAL(mgh_jacobian(&p, x, J, 3), DJ_EDIM);
    CU_ASSERT_EQUAL(mgh_jacobian(&p, x, J, 4), DJ_OK);
}

/* ---- AD against the hand-derived Jacobian ---------------------------------- */

/* Also checks that mgh_jacobian sets every entry of the m-by-n block (J is
 * filled with NaN first) and leaves the rows below m of a padded leading
 * dimension alone. */
static void test_jacfwd_vs_hand(void)
{
    static const int chunks[] = { 0, 1, 8, 16, 32, 64 };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < K_NPROB; ++k) {
        size_t sizes[4], ns = test_sizes(k_names[k], sizes);
        for (size_t s = 0; s < ns; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[k], sizes[s]), DJ_OK);
            size_t n = p.n, m = p.m, ld = m + 3;
            double *x = xcalloc(n, sizeof *x);
            double *Jh = xcalloc(ld * n, sizeof *Jh);
            double *Ja = xcalloc(m * n, sizeof *Ja);
            double *y0 = xcalloc(m, sizeof *y0), *y = xcalloc(m, sizeof *y);
            for (int pt = 0; pt < PT_COUNT; ++pt) {
                if (!test_point(&p, pt, &seed, x))
                    continue;
                for (size_t e = 0; e < ld * n; ++e)
                    Jh[e] = NAN;
                CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, Jh, ld), DJ_OK);
                size_t unset = 0, padding = 0;
                for (size_t j = 0; j < n; ++j)
                    for (size_t i = 0; i < ld; ++i) {
                        double v = Jh[i + j * ld];
                        if (i < m && !isfinite(v))
                            ++unset;
                        if (i >= m && !isnan(v))
                            ++padding;
                    }
                CU_ASSERT_EQUAL(unset, 0);
                CU_ASSERT_EQUAL(padding, 0);
                CU_ASSERT_EQUAL_FATAL(dj_eval(&p.F, x, y0), DJ_OK);
                for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; ++c) {
                    dj_jac_opts o = { chunks[c], 0, NULL, 0, 0 };
                    char what[128];
                    snprintf(what, sizeof what, "%s n=%zu at %s, chunk %d",
                             p.name, n, k_point_names[pt], chunks[c]);
                    for (size_t i = 0; i < m; ++i)
                        y[i] = NAN;
                    int rc = dj_jacfwd(&p.F, x, y, Ja, m, c == 0 ? NULL : &o);
                    CU_ASSERT_EQUAL(rc, DJ_OK);
                    if (rc != DJ_OK)
                        continue;
                    size_t bad = compare_rows(m, n, Ja, m, Jh, ld, AD_TOL, what);
                    CU_ASSERT_EQUAL(bad, 0);
                    /* the value lanes of the first pass are the primal */
                    size_t ydiff = 0;
                    for (size_t i = 0; i < m; ++i)
                        ydiff += !(y[i] == y0[i]);
                    if (ydiff)
                        fprintf(stderr, "\n  %s: %zu values differ from dj_eval\n",
                                what, ydiff);
                    CU_ASSERT_EQUAL(ydiff, 0);
                }
            }
            free(x); free(Jh); free(Ja); free(y0); free(y);
        }
    }
}

/* ---- the hand-derived Jacobian against central differences ---------------- */

/* The tolerances of the finite-difference check: the defaults, except where
 * central differences themselves are worse than the default assumes.
 *  - trig: f_i = n - sum_j cos x_j + ... is O(1/n) at x0 but is computed
 *    from n terms of size 1, so each f_i carries a rounding error of about
 *    n eps, not eps |f_i| as dj_fd_central's noise estimate assumes; the
 *    differences then err by about n eps / h (1.8e-9 at n = 200, on an
 *    8e-6 diagonal entry that is itself a cancellation (i+2) sin x - cos x).
 *    atol = 2 n eps / h covers that; at n <= 50 it is below 4e-9.
 *  - chebyquad: T_i varies on a scale of 1/i^2 near the ends of [0, 1], so
 *    the truncation error (h i^2)^2 of the default step h ~ 6e-6 reaches
 *    3e-3 relative at n = 200; a step 1/n as long keeps it below 1e-6.
 *    Then rounding matters: f_i is a mean of terms |T_i| <= 1 (on [0, 1])
 *    and may be much smaller than they are, so again the noise estimate
 *    eps |f_i| / h is too small; atol = 2 eps / h (1.5e-8 at n = 200, where
 *    the smallest nonzero entries, row 1's 2/n, are 1e-2). */
static dj_check_opts fd_opts_for(const mgh_problem *p)
{
    dj_check_opts o = dj_check_opts_default();
    if (strcmp(p->name, "trig") == 0)
        o.atol = 2.0 * (double)p->n * DBL_EPSILON / cbrt(DBL_EPSILON);
    else if (strcmp(p->name, "chebyquad") == 0) {
        o.rel_step = cbrt(DBL_EPSILON) / (double)p->n;
        o.atol = 2.0 * DBL_EPSILON / o.rel_step;
    }
    return o;
}

static void test_hand_vs_fd(void)
{
    uint64_t seed = 0x243f6a8885a308d3ull;
    for (size_t k = 0; k < K_NPROB; ++k) {
        size_t sizes[4], ns = test_sizes(k_names[k], sizes);
        for (size_t s = 0; s < ns; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[k], sizes[s]), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x);
            double *J = xcalloc(m * n, sizeof *J);
            for (int pt = 0; pt < PT_COUNT; ++pt) {
                if (!test_point(&p, pt, &seed, x))
                    continue;
                CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, J, m), DJ_OK);
                dj_check_report rep;
                dj_check_opts o = fd_opts_for(&p);
                int rc = dj_check_jacobian(&p.F, x, J, m, &o, &rep, NULL);
                if (rc != DJ_OK) {
                    fprintf(stderr, "\n  %s n=%zu at %s: %s\n", p.name, n,
                            k_point_names[pt], dj_strerror(rc));
                    dj_check_report_fprint(stderr, &rep);
                }
                CU_ASSERT_EQUAL(rc, DJ_OK);
            }
            free(x); free(J);
        }
    }
}

/* The check above must be able to fail: a relative error of 1e-4 planted in
 * the largest entry of each problem's Jacobian, or in the largest entry of a
 * random column, is reported, at n ~ 8 and n ~ 200 and with the tolerances
 * used above (fd_opts_for). */
static void test_fd_catches_planted(void)
{
    static const size_t want[2] = { 8, 200 };
    uint64_t seed = 0x13198a2e03707344ull;
    for (size_t k = 0; k < K_NPROB; ++k) {
        for (size_t s = 0; s < 2; ++s) {
            mgh_problem p;
            size_t n0 = mgh_nearest_n(k_names[k], want[s]);
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[k], n0), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
            test_point(&p, PT_NEAR, &seed, x);
            dj_check_opts o = fd_opts_for(&p);
            for (int plant = 0; plant < 2; ++plant) {
                CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, J, m), DJ_OK);
                size_t j0 = 0, j1 = n;
                if (plant == 1) {
                    j0 = (size_t)dj_test_rand(&seed, 0.0, (double)n);
                    j1 = j0 + 1;
                }
                size_t worst = j0 * m;
                for (size_t e = j0 * m; e < j1 * m; ++e)
                    if (fabs(J[e]) > fabs(J[worst]))
                        worst = e;
                J[worst] *= 1.0 + 1e-4;
                dj_check_report rep;
                int rc = dj_check_jacobian(&p.F, x, J, m, &o, &rep, NULL);
                if (rc != DJ_ECHECK)
                    fprintf(stderr, "\n  %s n=%zu: planted error at (%zu, %zu) "
                            "not caught\n", p.name, n, worst % m, worst / m);
                CU_ASSERT_EQUAL(rc, DJ_ECHECK);
            }
            free(x); free(J);
        }
    }
}

/* ---- every form gives the primal's values ------------------------------- */

/* Inputs seeded with tangents in every lane (input j in lane j mod W); the
 * value part must not depend on them, and must equal the primal exactly
 * (the rules compute values with the same libm calls and flops). Exactness
 * relies on the build not contracting a*b + c into an fma in one form and
 * not the other: true for ISO C (-std=c11, as CMakeLists.txt sets; GCC then
 * uses -ffp-contract=off) and for Clang's default; -std=gnu11 with
 * -march=native on an FMA machine breaks it (seen: rosenbrock, 1 ulp). */
#define CHECK_FORM(T, W, FORM)                                                 \
    do {                                                                      \
        T *xb = xcalloc(n, sizeof(T)), *yb = xcalloc(m, sizeof(T));          \
        for (size_t j = 0; j < n; ++j)                                        \
            xb[j] = T##_seed(x[j], (int)(j % (W)));                           \
        CU_ASSERT_EQUAL(p.F.FORM(p.F.user, xb, yb), 0);                       \
        size_t diff = 0;                                                      \
        for (size_t i = 0; i < m; ++i)                                        \
            diff += !(yb[i].v == y[i]);                                       \
        if (diff)                                                             \
            fprintf(stderr, "\n  %s n=%zu: %zu values of %s differ\n",        \
                    p.name, n, diff, #FORM);                                  \
        CU_ASSERT_EQUAL(diff, 0);                                             \
        free(xb);                                                             \
        free(yb);                                                             \
    } while (0)

static void test_forms_values(void)
{
    uint64_t seed = 0xa4093822299f31d0ull;
    for (size_t k = 0; k < K_NPROB; ++k) {
        size_t sizes[4], ns = test_sizes(k_names[k], sizes);
        for (size_t s = 0; s < ns; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[k], sizes[s]), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *y = xcalloc(m, sizeof *y);
            test_point(&p, PT_NEAR, &seed, x);
            CU_ASSERT_EQUAL_FATAL(dj_eval(&p.F, x, y), DJ_OK);
            size_t nonfinite = 0;
            for (size_t i = 0; i < m; ++i)
                nonfinite += !isfinite(y[i]);
            CU_ASSERT_EQUAL(nonfinite, 0);
            CHECK_FORM(dj_dual, 1, f_dual);
            CHECK_FORM(dj_c8, 8, f_c8);
            CHECK_FORM(dj_c16, 16, f_c16);
            CHECK_FORM(dj_c32, 32, f_c32);
            CHECK_FORM(dj_c64, 64, f_c64);
            free(x); free(y);
        }
    }
}

/* ---- residuals against the paper's formulas, transcribed directly -------- */

/* Straightforward O(n^2) / textbook versions, 1-based as in the paper:
 * X(j) = x_j, F(i) = f_i. Returns 0 when the problem has no reference here. */
#define X(j) x[(j) - 1]
#define F(i) f[(i) - 1]
static int reference_f(const char *name, size_t n, const double *x, double *f)
{
    double h = 1.0 / (double)(n + 1);
    if (strcmp(name, "penalty1") == 0) {
        double s = 0.0;
        for (size_t j = 1; j <= n; ++j) {
            F(j) = sqrt(1e-5) * (X(j) - 1.0);
            s += X(j) * X(j);
        }
        F(n + 1) = s - 0.25;
    } else if (strcmp(name, "vardim") == 0) {
        double s = 0.0;
        for (size_t j = 1; j <= n; ++j) {
            F(j) = X(j) - 1.0;
            s += (double)j * (X(j) - 1.0);
        }
        F(n + 1) = s;
        F(n + 2) = s * s;
    } else if (strcmp(name, "trig") == 0) {
        for (size_t i = 1; i <= n; ++i) {
            double s = 0.0;
            for (size_t j = 1; j <= n; ++j)
                s += cos(X(j));
            F(i) = (double)n - s + (double)i * (1.0 - cos(X(i))) - sin(X(i));
        }
    } else if (strcmp(name, "brown") == 0) {
        double p = 1.0;
        for (size_t j = 1; j <= n; ++j)
            p *= X(j);
        for (size_t i = 1; i < n; ++i) {
            double s = 0.0;
            for (size_t j = 1; j <= n; ++j)
                s += X(j);
            F(i) = X(i) + s - (double)(n + 1);
        }
        F(n) = p - 1.0;
    } else if (strcmp(name, "bvp") == 0) {
        for (size_t i = 1; i <= n; ++i) {
            double t = (double)i * h;
            double xl = i > 1 ? X(i - 1) : 0.0, xr = i < n ? X(i + 1) : 0.0;
            F(i) = 2.0 * X(i) - xl - xr + h * h * pow(X(i) + t + 1.0, 3) / 2.0;
        }
    } else if (strcmp(name, "inteq") == 0) {
        for (size_t i = 1; i <= n; ++i) {
            double ti = (double)i * h, s1 = 0.0, s2 = 0.0;
            for (size_t j = 1; j <= i; ++j) {
                double tj = (double)j * h;
                s1 += tj * pow(X(j) + tj + 1.0, 3);
            }
            for (size_t j = i + 1; j <= n; ++j) {
                double tj = (double)j * h;
                s2 += (1.0 - tj) * pow(X(j) + tj + 1.0, 3);
            }
            F(i) = X(i) + h * ((1.0 - ti) * s1 + ti * s2) / 2.0;
        }
    } else if (strcmp(name, "broyden_tri") == 0) {
        for (size_t i = 1; i <= n; ++i) {
            double xl = i > 1 ? X(i - 1) : 0.0, xr = i < n ? X(i + 1) : 0.0;
            F(i) = (3.0 - 2.0 * X(i)) * X(i) - xl - 2.0 * xr + 1.0;
        }
    } else if (strcmp(name, "broyden_band") == 0) {
        for (size_t i = 1; i <= n; ++i) {
            size_t lo = i > 5 ? i - 5 : 1, hi = i + 1 < n ? i + 1 : n;
            double s = 0.0;
            for (size_t j = lo; j <= hi; ++j)
                if (j != i)
                    s += X(j) * (1.0 + X(j));
            F(i) = X(i) * (2.0 + 5.0 * X(i) * X(i)) + 1.0 - s;
        }
    } else if (strcmp(name, "linear_full") == 0) {
        double s = 0.0;
        for (size_t j = 1; j <= n; ++j)
            s += X(j);
        for (size_t i = 1; i <= n; ++i)
            F(i) = X(i) - 2.0 * s / (double)n - 1.0;
    } else if (strcmp(name, "chebyquad") == 0) {
        /* T_i(x) = cos(i acos(2x - 1)) on [0, 1] (test points stay inside) */
        for (size_t i = 1; i <= n; ++i) {
            double s = 0.0;
            for (size_t j = 1; j <= n; ++j)
                s += cos((double)i * acos(2.0 * X(j) - 1.0));
            F(i) = s / (double)n + (i % 2 == 0 ? 1.0 / ((double)(i * i) - 1.0) : 0.0);
        }
    } else {
        return 0;
    }
    return 1;
}
#undef X
#undef F

static void test_reference_values(void)
{
    uint64_t seed = 0xbe5466cf34e90c6cull;
    size_t checked = 0;
    for (size_t k = 0; k < K_NPROB; ++k) {
        size_t sizes[4], ns = test_sizes(k_names[k], sizes);
        for (size_t s = 0; s < ns; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, k_names[k], sizes[s]), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *y = xcalloc(m, sizeof *y);
            double *r = xcalloc(m, sizeof *r);
            for (int rep = 0; rep < 3; ++rep) {
                if (strcmp(p.name, "chebyquad") == 0) {
                    for (size_t j = 0; j < n; ++j)   /* inside [0, 1] for acos */
                        x[j] = dj_test_rand(&seed, 0.0, 1.0);
                } else {
                    test_point(&p, PT_NEAR, &seed, x);
                }
                if (!reference_f(p.name, n, x, r))
                    break;
                CU_ASSERT_EQUAL_FATAL(dj_eval(&p.F, x, y), DJ_OK);
                /* cos(i acos u) and the recurrence differ by ~i eps near
                 * u = +-1; the other problems by a few ulps of their terms */
                double tol = strcmp(p.name, "chebyquad") == 0 ? 1e-11 : 1e-13;
                for (size_t i = 0; i < m; ++i)
                    DJ_ASSERT_CLOSE(y[i], r[i], tol);
                ++checked;
            }
            free(x); free(y); free(r);
        }
    }
    CU_ASSERT(checked > 0);
}

/* Known values: zero residuals at known solutions, and sum f_i^2 at x0 as
 * the paper lists it (Rosenbrock 24.2 per pair, Powell 215 per block). */
static double sumsq(const double *f, size_t m)
{
    double s = 0.0;
    for (size_t i = 0; i < m; ++i)
        s += f[i] * f[i];
    return s;
}

static void eval_at(const char *name, size_t n, const double *x, double *f)
{
    mgh_problem p;
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, name, n), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_eval(&p.F, x, f), DJ_OK);
}

static void test_known_values(void)
{
    enum { N = 12 };
    double x[N], f[N + 2];
    mgh_problem p;

    /* f(x0) */
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "rosenbrock", N), DJ_OK);
    mgh_start(&p, 1.0, x);
    eval_at("rosenbrock", N, x, f);
    DJ_ASSERT_CLOSE(sumsq(f, N), 24.2 * N / 2, 1e-14);
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "powell", N), DJ_OK);
    mgh_start(&p, 1.0, x);
    eval_at("powell", N, x, f);
    DJ_ASSERT_CLOSE(sumsq(f, N), 215.0 * N / 4, 1e-14);
    mgh_start(&p, 10.0, x);             /* the factor scales x0 */
    CU_ASSERT_EQUAL(x[0], 30.0);
    CU_ASSERT_EQUAL(x[1], -10.0);
    /* Rosenbrock at 10 x0 = (-12, 10): f = (10 (10 - 144), 1 + 12) per pair */
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "rosenbrock", N), DJ_OK);
    mgh_start(&p, 10.0, x);
    eval_at("rosenbrock", N, x, f);
    DJ_ASSERT_CLOSE(f[0], -1340.0, 1e-15);
    DJ_ASSERT_CLOSE(f[1], 13.0, 1e-15);

    /* exact solutions: f(x*) = 0 */
    static const struct { const char *name; double xs; } sol[] = {
        { "rosenbrock", 1.0 }, { "powell", 0.0 }, { "vardim", 1.0 },
        { "trig", 0.0 }, { "brown", 1.0 }, { "linear_full", -1.0 },
    };
    for (size_t k = 0; k < sizeof sol / sizeof sol[0]; ++k) {
        for (size_t j = 0; j < N; ++j)
            x[j] = sol[k].xs;
        CU_ASSERT_EQUAL_FATAL(mgh_init(&p, sol[k].name, N), DJ_OK);
        eval_at(sol[k].name, N, x, f);
        for (size_t i = 0; i < p.m; ++i)
            DJ_ASSERT_CLOSE(f[i], 0.0, 1e-15);
    }

    /* Chebyquad's zero-residual solutions for n = 1, 2, 3: the Chebyshev
     * quadrature nodes, u = 2x - 1 in {0}, {+-1/sqrt3}, {0, +-1/sqrt2} */
    static const double u1[] = { 0.0 };
    static const double u2[] = { -0.57735026918962576, 0.57735026918962576 };
    static const double u3[] = { -0.70710678118654752, 0.0, 0.70710678118654752 };
    const double *us[3] = { u1, u2, u3 };
    for (size_t n = 1; n <= 3; ++n) {
        for (size_t j = 0; j < n; ++j)
            x[j] = (us[n - 1][j] + 1.0) / 2.0;
        eval_at("chebyquad", n, x, f);
        for (size_t i = 0; i < n; ++i)
            DJ_ASSERT_CLOSE(f[i], 0.0, 1e-15);
    }

    /* Penalty I at x0 = (1, ..., n): f_{n+1} = n(n+1)(2n+1)/6 - 1/4 */
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "penalty1", N), DJ_OK);
    mgh_start(&p, 1.0, x);
    eval_at("penalty1", N, x, f);
    DJ_ASSERT_CLOSE(f[N], N * (N + 1) * (2 * N + 1) / 6.0 - 0.25, 1e-15);
    DJ_ASSERT_CLOSE(f[0], 0.0, 1e-15);
    DJ_ASSERT_CLOSE(f[1], sqrt(1e-5), 1e-15);

    /* the standard starting points */
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "vardim", 4), DJ_OK);
    mgh_start(&p, 1.0, x);
    CU_ASSERT_EQUAL(x[0], 0.75);
    CU_ASSERT_EQUAL(x[3], 0.0);
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "chebyquad", 3), DJ_OK);
    mgh_start(&p, 100.0, x);
    CU_ASSERT_EQUAL(x[0], 25.0);
    CU_ASSERT_EQUAL(x[2], 75.0);
    CU_ASSERT_EQUAL_FATAL(mgh_init(&p, "bvp", 3), DJ_OK);
    mgh_start(&p, 1.0, x);
    CU_ASSERT_EQUAL(x[1], -0.25);
    DJ_ASSERT_CLOSE(x[0], -0.1875, 1e-16);
}

int main(void)
{
    static const dj_test_case cases[] = {
        { "names and sizes", test_names },
        { "init errors and nearest_n", test_init_errors },
        { "jacfwd (every chunk width) == hand Jacobian", test_jacfwd_vs_hand },
        { "hand Jacobian == central differences", test_hand_vs_fd },
        { "central differences catch planted errors", test_fd_catches_planted },
        { "every form's values == primal", test_forms_values },
        { "residuals == the paper's formulas", test_reference_values },
        { "known values and starting points", test_known_values },
        { NULL, NULL },
    };
    return dj_test_run("mgh", cases);
}
