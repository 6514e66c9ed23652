/* dj_test.h - helpers shared by the CUnit suites. */
#ifndef DJ_TEST_H
#define DJ_TEST_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>

/* |a - b| <= tol * max(1, |a|, |b|), with NaN == NaN and equal infinities. */
static inline int dj_test_close(double a, double b, double tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (a == b)
        return 1;
    double s = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * s;
}

/* max |A_i - B_i| relative to max |B_i| (absolute when B is all zero). */
static inline double dj_test_rel_diff(const double *A, const double *B, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; ++i) {
        e = fmax(e, fabs(A[i] - B[i]));
        s = fmax(s, fabs(B[i]));
    }
    return s > 0 ? e / s : e;
}

#define DJ_ASSERT_CLOSE(a, b, tol)                                            \
    do {                                                                      \
        double a_ = (a), b_ = (b);                                            \
        if (!dj_test_close(a_, b_, (tol)))                                    \
            fprintf(stderr, "\n  %s:%d: %s = %.17g, %s = %.17g\n", __FILE__,  \
                    __LINE__, #a, a_, #b, b_);                                \
        CU_ASSERT(dj_test_close(a_, b_, (tol)));                              \
    } while (0)

/* A small deterministic generator (xorshift64*), uniform in [lo, hi). */
static inline double dj_test_rand(uint64_t *s, double lo, double hi)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    uint64_t r = *s * 2685821657736338717ull;
    return lo + (hi - lo) * (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct dj_test_case {
    const char *name;
    void (*fn)(void);
} dj_test_case;

/* Run one suite of tests with CUnit's basic runner; returns 0 when every
 * test passed, 1 otherwise, so CTest sees failures. */
static inline int dj_test_run(const char *suite_name, const dj_test_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
    for (const dj_test_case *c = cases; s && c->name; ++c)
        if (!CU_add_test(s, c->name, c->fn))
            s = NULL;
    if (s == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}

#endif
