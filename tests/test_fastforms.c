/* test_fastforms.c - the unguarded chunk forms (dj_function's fast_cN,
 * chunk.h): the drivers' results are the guarded forms' bit for bit, with
 * finite partials (where the unguarded form's result is kept) and with an
 * infinite one (where the guarded form runs again). */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"
#include "mgh.h"

#define DJ_TEMPLATE "nonfinite.inc"
#include <dualjac/instantiate.h>

static const int widths[] = { 0, 8, 16, 32, 64 };
#define NWIDTHS (sizeof widths / sizeof *widths)

static dj_function guarded_only(dj_function F)
{
    F.fast_c8 = NULL;
    F.fast_c16 = NULL;
    F.fast_c32 = NULL;
    F.fast_c64 = NULL;
    return F;
}

/* Every MGH problem, sizes around the widths, every width: the forward
 * Jacobian and y with the unguarded forms equal those without, bit for
 * bit (the partials are finite there). */
static void test_mgh_same_bits(void)
{
    static const size_t ns[] = { 8, 16, 33, 64, 100 };
    for (size_t pi = 0; pi < mgh_count(); ++pi)
        for (size_t k = 0; k < sizeof ns / sizeof *ns; ++k) {
            size_t n = mgh_nearest_n(mgh_name(pi), ns[k]);
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(mgh_init(&p, mgh_name(pi), n), DJ_OK);
            CU_ASSERT_PTR_NOT_NULL(p.F.fast_c16);
            dj_function G = guarded_only(p.F);
            size_t m = p.m;
            double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y),
                   *y0 = malloc(m * sizeof *y0), *J = malloc(m * n * sizeof *J),
                   *J0 = malloc(m * n * sizeof *J0);
            CU_ASSERT_FATAL(x && y && y0 && J && J0);
            mgh_start(&p, 1.0, x);
            for (size_t j = 0; j < n; ++j)
                x[j] += 1e-3 * (double)(j + 1) / (double)(n + 1);
            for (size_t w = 0; w < NWIDTHS; ++w) {
                dj_jac_opts o = { .chunk = widths[w] };
                CU_ASSERT_EQUAL(dj_jacfwd(&p.F, x, y, J, m, &o), DJ_OK);
                CU_ASSERT_EQUAL(dj_jacfwd(&G, x, y0, J0, m, &o), DJ_OK);
                int same = memcmp(J, J0, m * n * sizeof *J) == 0
                           && memcmp(y, y0, m * sizeof *y) == 0;
                if (!same)
                    fprintf(stderr, "\n  %s n = %zu width %d: fast and guarded differ\n",
                            p.name, n, widths[w]);
                CU_ASSERT(same);
            }
            free(x), free(y), free(y0), free(J), free(J0);
        }
}

/* Counting wrappers of the 16-lane forms. */
static int calls_fast, calls_guarded;
static int count_fast(void *u, const dj_c16 *x, dj_c16 *y)
{
    ++calls_fast;
    return nonfin_c16_ng(u, x, y);
}
static int count_guarded(void *u, const dj_c16 *x, dj_c16 *y)
{
    ++calls_guarded;
    return nonfin_c16(u, x, y);
}

static int count_fast_fails(void *u, const dj_c16 *x, dj_c16 *y)
{
    ++calls_fast;
    nonfin_c16_ng(u, x, y);
    return -7;
}

/* x in [0.5, 2], and x_3 = 0 when zero_at_3. */
static void nonfin_point(size_t n, int zero_at_3, double *x)
{
    uint64_t s = 7;
    for (size_t j = 0; j < n; ++j)
        x[j] = dj_test_rand(&s, 0.5, 2.0);
    if (zero_at_3)
        x[3] = 0.0;
}

/* An infinite partial (sqrt at 0): the entries it does not touch are 0 and
 * finite as with the guarded forms only (the unguarded product inf * 0
 * would make them NaN), bit for bit, at every width, in one pass and in
 * several (the memo replays sin there and must replay it again), on the
 * hot path, and for dj_jvp_batch. */
static void test_infinite_partial(void)
{
    static const size_t ns[] = { 5, 16, 20, 70 };
    for (size_t k = 0; k < sizeof ns / sizeof *ns; ++k) {
        size_t n = ns[k];
        dj_function F = { .n = n, .m = n, .user = &n, DJ_FORMS(nonfin) };
        dj_function G = guarded_only(F);
        double *x = malloc(n * sizeof *x), *J = malloc(n * n * sizeof *J),
               *J0 = malloc(n * n * sizeof *J0), *V = malloc(n * 3 * sizeof *V),
               *JV = malloc(n * 3 * sizeof *JV), *JV0 = malloc(n * 3 * sizeof *JV0);
        CU_ASSERT_FATAL(x && J && J0 && V && JV && JV0);
        nonfin_point(n, 1, x);
        for (size_t w = 0; w < NWIDTHS; ++w) {
            dj_jac_opts o = { .chunk = widths[w] };
            CU_ASSERT_EQUAL(dj_jacfwd(&F, x, NULL, J, n, &o), DJ_OK);
            CU_ASSERT_EQUAL(dj_jacfwd(&G, x, NULL, J0, n, &o), DJ_OK);
            CU_ASSERT(memcmp(J, J0, n * n * sizeof *J) == 0);
            CU_ASSERT(J[3 + 3 * n] == INFINITY);
            CU_ASSERT(J[3 + 4 * n] == 0.0);
            int nan = 0;
            for (size_t i = 0; i < n * n; ++i)
                nan |= isnan(J[i]);
            CU_ASSERT(!nan);
        }
        for (int r = 0; r < 4; ++r) {       /* the hot path from the 2nd call */
            CU_ASSERT_EQUAL(dj_jacobian(&F, x, NULL, J, n, NULL), DJ_OK);
            CU_ASSERT(memcmp(J, J0, n * n * sizeof *J) == 0);
        }
        uint64_t s = 11;
        for (size_t i = 0; i < n * 3; ++i)
            V[i] = (i % 4 == 0) ? 0.0 : dj_test_rand(&s, -1.0, 1.0);
        CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 3, V, n, NULL, JV, n, NULL), DJ_OK);
        CU_ASSERT_EQUAL(dj_jvp_batch(&G, x, 3, V, n, NULL, JV0, n, NULL), DJ_OK);
        CU_ASSERT(memcmp(JV, JV0, n * 3 * sizeof *JV) == 0);
        free(x), free(J), free(J0), free(V), free(JV), free(JV0);
    }
}

/* Which form runs: with finite partials the unguarded one only, once per
 * pass; with an infinite one both, once per pass each. */
static void test_which_form_runs(void)
{
    size_t n = 40;      /* three passes of 16 lanes */
    dj_function F = { .n = n, .m = n, .user = &n, DJ_FORMS(nonfin) };
    F.f_c16 = count_guarded;
    F.fast_c16 = count_fast;
    double x[40], J[40 * 40], J0[40 * 40];
    dj_jac_opts o = { .chunk = 16 };
    dj_function G = { .n = n, .m = n, .user = &n, DJ_FORMS(nonfin) };
    G = guarded_only(G);
    for (int zero = 0; zero < 2; ++zero) {
        nonfin_point(n, zero, x);
        calls_fast = calls_guarded = 0;
        CU_ASSERT_EQUAL(dj_jacfwd(&F, x, NULL, J, n, &o), DJ_OK);
        CU_ASSERT_EQUAL(calls_fast, 3);
        /* sqrt(x_3)'s partial is infinite in every pass (in the passes
           without x_3's column its lanes are 0: inf * 0) */
        CU_ASSERT_EQUAL(calls_guarded, zero ? 3 : 0);
        CU_ASSERT_EQUAL(dj_jacfwd(&G, x, NULL, J0, n, &o), DJ_OK);
        CU_ASSERT(memcmp(J, J0, sizeof J) == 0);
    }
    /* a failing unguarded form stops the driver with its code, even with
       an infinite partial: the guarded form does not run after it */
    F.fast_c16 = count_fast_fails;
    calls_fast = calls_guarded = 0;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, NULL, J, n, &o), -7);
    CU_ASSERT_EQUAL(calls_fast, 1);
    CU_ASSERT_EQUAL(calls_guarded, 0);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "MGH Jacobians: unguarded forms give the same bits", test_mgh_same_bits },
        { "an infinite partial: the guarded form runs again", test_infinite_partial },
        { "which form runs, how often", test_which_form_runs },
        { NULL, NULL },
    };
    return dj_test_run("fastforms", cases);
}
