/* test_fuzz_regress.c - one test per library bug the fuzzer (fuzz/) found,
 * reduced to the smallest program that showed it. The expm tests fail on
 * the code before their fixes; the dj_eval one is undefined behaviour
 * that only a sanitizer sees (clang's -fsanitize=undefined reports it; the
 * fuzz step of .ci/run builds that way), so here it guards the path. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

/* ---- dj_eval of a function given only in tangent forms ------------------------
 * The pass that dj_eval runs has no output lanes; it computed JV + 0 with
 * JV == NULL (undefined behaviour, reported by clang's UBSan under the
 * fuzzer). Now the lanes are not extracted at all. */

static int sq_dual(void *user, const dj_dual *x, dj_dual *y)
{
    (void)user;
    y[0] = dj_dual_mul(x[0], x[1]);
    y[1] = dj_dual_sin(x[0]);
    return 0;
}

static int sq_c8(void *user, const dj_c8 *x, dj_c8 *y)
{
    (void)user;
    y[0] = dj_c8_mul(x[0], x[1]);
    y[1] = dj_c8_sin(x[0]);
    return 0;
}

static void test_eval_tangent_forms_only(void)
{
    double x[2] = { 1.5, -2.0 }, y[2] = { 0, 0 };
    dj_function F = { .n = 2, .m = 2, .f_dual = sq_dual };
    CU_ASSERT_EQUAL(dj_eval(&F, x, y), DJ_OK);
    CU_ASSERT_EQUAL(y[0], -3.0);
    CU_ASSERT_EQUAL(y[1], sin(1.5));
    dj_function G = { .n = 2, .m = 2, .f_c8 = sq_c8 };
    y[0] = y[1] = 0;
    CU_ASSERT_EQUAL(dj_eval(&G, x, y), DJ_OK);
    CU_ASSERT_EQUAL(y[0], -3.0);
}

/* ---- expm in reverse mode --------------------------------------------------------
 * (a) The adjoint rule computed the Frechet derivative at A^T, whose
 *     exponential is rounded differently: with an entry of -1e300 it
 *     overflowed while the primal's (at A) did not, so dj_jacrev failed
 *     with DJ_ENONFINITE where dj_jacfwd and the primal succeeded. Program:
 *     0 * expm(reshape(x, 3, 3)).
 * (b) A NaN adjoint coming from downstream (NaN * expm(X)) made the rule
 *     report "the exponential overflows": reverse failed where forward
 *     propagated the NaN.
 * (c) So did a finite adjoint whose derivative overflows (1e300 1e300
 *     expm(X)): forward mode's tangents at expm were moderate (the
 *     overflow came after it), reverse mode's adjoint there was 1e300^2.
 *     Now only the exponential itself can fail; derivatives propagate. */

static int expm_prog_scale_;   /* 0: scale by 0; 1: by NaN; 2: twice by 1e300 */

static int expm_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)user;
    static const double s[3] = { 0.0, NAN, 1e300 };
    dj_mat *E = dj_mat_expm(c, dj_mat_reshape(c, x, 3, 3));
    *y = dj_mat_scale(c, E, s[expm_prog_scale_]);
    if (expm_prog_scale_ == 2)
        *y = dj_mat_scale(c, *y, 1e300);
    return 0;
}

static void test_expm_reverse_status(void)
{
    dj_function F = { .n = 9, .m = 9, .f_mat = expm_prog };
    double Jf[81], Jr[81], yf[9], yr[9];
    double xa[9] = { 0.498046875, 3.1415926535897931, 1.95947265625, 1.32958984375,
                     0.14599609375, 0.37548828125, 0.00048828125, -1e300, 1.5 };
    expm_prog_scale_ = 0;
    int rf = dj_jacfwd(&F, xa, yf, Jf, 9, NULL);
    int rr = dj_jacrev(&F, xa, yr, Jr, 9, NULL);
    CU_ASSERT_EQUAL(rf, DJ_OK);
    CU_ASSERT_EQUAL(rr, rf);
    if (rf == DJ_OK && rr == DJ_OK)
        for (int i = 0; i < 81; ++i)
            CU_ASSERT(Jr[i] == 0.0 && Jf[i] == 0.0);      /* 0 * L(A, E) */
    /* (b): a moderate A, a NaN downstream */
    double xb[9] = { 0.5, 0.1, -0.2, 0.3, -0.4, 0.2, 0.1, 0.0, 0.7 };
    expm_prog_scale_ = 1;
    rf = dj_jacfwd(&F, xb, yf, Jf, 9, NULL);
    rr = dj_jacrev(&F, xb, yr, Jr, 9, NULL);
    CU_ASSERT_EQUAL(rf, DJ_OK);
    CU_ASSERT_EQUAL(rr, DJ_OK);
    CU_ASSERT(isnan(Jf[0]) && isnan(Jr[0]));
    /* (c) */
    expm_prog_scale_ = 2;
    rf = dj_jacfwd(&F, xb, yf, Jf, 9, NULL);
    rr = dj_jacrev(&F, xb, yr, Jr, 9, NULL);
    CU_ASSERT_EQUAL(rf, DJ_OK);
    CU_ASSERT_EQUAL(rr, DJ_OK);
    CU_ASSERT(isinf(Jf[0]) && !isfinite(Jr[0]));
}

/* expm's adjoint by transposed directions at A: w^T J v from both modes on a
 * non-symmetric A (the transposes matter only there). */
static int expm_only(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)user;
    *y = dj_mat_expm(c, dj_mat_reshape(c, x, 3, 3));
    return 0;
}

static void test_expm_adjoint_transposed(void)
{
    dj_function F = { .n = 9, .m = 9, .f_mat = expm_only };
    double x[9] = { 0.5, 0.1, -0.2, 0.9, -0.4, 0.2, -0.3, 0.05, 0.7 }, Jf[81], Jr[81];
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, NULL, Jf, 9, NULL), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_jacrev(&F, x, NULL, Jr, 9, NULL), DJ_OK);
    double err = dj_test_rel_diff(Jr, Jf, 81);
    CU_ASSERT(err < 1e-13);
    /* and a large norm (several squarings) */
    for (int i = 0; i < 9; ++i)
        x[i] *= 12.0;
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, NULL, Jf, 9, NULL), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_jacrev(&F, x, NULL, Jr, 9, NULL), DJ_OK);
    err = dj_test_rel_diff(Jr, Jf, 81);
    CU_ASSERT(err < 1e-11);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "dj_eval with tangent forms only (no NULL + 0)", test_eval_tangent_forms_only },
        { "expm: reverse fails only where forward does", test_expm_reverse_status },
        { "expm: the adjoint at A with transposed directions", test_expm_adjoint_transposed },
        { NULL, NULL },
    };
    return dj_test_run("fuzz_regress", cases);
}
