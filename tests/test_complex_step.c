/* test_complex_step.c - the complex step f'(x) = Im f(x + ih) / h: the
 * double _Complex branch of the generic operations against hand-derived
 * derivatives, dj_fd_complex on known functions and on every MGH problem
 * against its hand-derived Jacobian, and the check against the complex step
 * (DJ_CHECK_REF_COMPLEX): every planted error caught with the right entry
 * named, every correct Jacobian passing, at 1, 10 and 100 times the
 * standard starting points. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"
#include "mgh.h"
#include "plant.h"

#define TFUN_CPLX 1
#include "tfun.h"


static void *xcalloc(size_t k, size_t size)
{
    void *p = calloc(k ? k : 1, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

static double rel(double a, double b)
{
    if (a == b)
        return 0.0;
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* the complex-step derivative of a scalar function at x, and its value */
static double cs(dj_cplx (*f)(dj_cplx), double x, double *val)
{
    double h = 1e-20 * fmax(fabs(x), 1.0);
    dj_cplx y = f(dj_cplx_make(x, h));
    if (val)
        *val = dj_value(y);
    return dj_cplx_im(y) / h;
}

/* ---- the operations, one at a time ---------------------------------------------- */

/* each through the generic spelling, as a template uses it */
#define CF_(name, expr) static dj_cplx cf_##name(dj_cplx z) { return expr; }
CF_(neg, dj_neg(z)) CF_(exp, dj_exp(z)) CF_(exp2, dj_exp2(z)) CF_(expm1, dj_expm1(z))
CF_(log, dj_log(z)) CF_(log2, dj_log2(z)) CF_(log10, dj_log10(z)) CF_(log1p, dj_log1p(z))
CF_(sqrt, dj_sqrt(z)) CF_(cbrt, dj_cbrt(z)) CF_(sin, dj_sin(z)) CF_(cos, dj_cos(z))
CF_(tan, dj_tan(z)) CF_(asin, dj_asin(z)) CF_(acos, dj_acos(z)) CF_(atan, dj_atan(z))
CF_(sinh, dj_sinh(z)) CF_(cosh, dj_cosh(z)) CF_(tanh, dj_tanh(z)) CF_(asinh, dj_asinh(z))
CF_(acosh, dj_acosh(z)) CF_(atanh, dj_atanh(z)) CF_(erf, dj_erf(z)) CF_(erfc, dj_erfc(z))
CF_(fabs, dj_fabs(z)) CF_(floor, dj_floor(z)) CF_(ceil, dj_ceil(z)) CF_(round, dj_round(z))
CF_(trunc, dj_trunc(z)) CF_(sq, dj_mul(z, z)) CF_(inv, dj_div(1.0, z))
CF_(pow3, dj_pow(z, 3.0)) CF_(powhalf, dj_pow(z, 0.5)) CF_(pow2x, dj_pow(2.0, z))
CF_(powxx, dj_pow(z, z)) CF_(powm2, dj_pow(z, -2.0))
CF_(atan2_y, dj_atan2(z, 0.75)) CF_(atan2_ym, dj_atan2(z, -0.75))
CF_(atan2_x, dj_atan2(0.6, z)) CF_(atan2_xm, dj_atan2(-0.6, z))
CF_(hypot, dj_hypot(z, 1.5)) CF_(fma, dj_fma(z, z, dj_const(dj_cplx, 3.0)))
CF_(poly, dj_sub(dj_mul(dj_add(z, 1.0), dj_sub(2.0, z)), dj_div(z, 4.0)))
#undef CF_

static double d_pow_xx(double x) { return pow(x, x) * (log(x) + 1.0); }
static double d_atan2_y(double y) { return 0.75 / (0.75 * 0.75 + y * y); }
static double d_atan2_ym(double y) { return -0.75 / (0.75 * 0.75 + y * y); }
static double d_atan2_x(double x) { return -0.6 / (x * x + 0.36); }
static double d_atan2_xm(double x) { return 0.6 / (x * x + 0.36); }

typedef struct op_case {
    const char *name;
    dj_cplx (*f)(dj_cplx);
    double (*fr)(double);           /* the real function (value check), or NULL */
    double (*df)(double);           /* the derivative, by hand */
    double x[4];                    /* points (NAN ends the list) */
} op_case;

#define SQ(x) ((x) * (x))
#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402
#define PI 3.14159265358979323846
#define DF_(name, expr) static double d_##name(double x) { (void)x; return expr; }
DF_(neg, -1.0) DF_(exp, exp(x)) DF_(exp2, exp2(x) * LN2) DF_(expm1, exp(x))
DF_(log, 1.0 / x) DF_(log2, 1.0 / (x * LN2)) DF_(log10, 1.0 / (x * LN10))
DF_(log1p, 1.0 / (1.0 + x)) DF_(sqrt, 0.5 / sqrt(x)) DF_(cbrt, 1.0 / (3.0 * SQ(cbrt(x))))
DF_(sin, cos(x)) DF_(cos, -sin(x)) DF_(tan, 1.0 / SQ(cos(x)))
DF_(asin, 1.0 / sqrt(1.0 - x * x)) DF_(acos, -1.0 / sqrt(1.0 - x * x))
DF_(atan, 1.0 / (1.0 + x * x)) DF_(sinh, cosh(x)) DF_(cosh, sinh(x))
DF_(tanh, 1.0 / SQ(cosh(x))) DF_(asinh, 1.0 / sqrt(x * x + 1.0))
DF_(acosh, 1.0 / sqrt(x * x - 1.0)) DF_(atanh, 1.0 / (1.0 - x * x))
DF_(erf, 2.0 / sqrt(PI) * exp(-x * x)) DF_(erfc, -2.0 / sqrt(PI) * exp(-x * x))
DF_(fabs, x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0)) DF_(zero, 0.0) DF_(sq, 2.0 * x)
DF_(inv, -1.0 / (x * x)) DF_(pow3, 3.0 * x * x) DF_(powhalf, 0.5 / sqrt(x))
DF_(pow2x, exp2(x) * LN2) DF_(powm2, -2.0 / (x * x * x))
DF_(hypot, x / hypot(x, 1.5)) DF_(fma, 2.0 * x) DF_(poly, 1.0 - 2.0 * x - 0.25)
#undef DF_
static double r_neg(double x) { return -x; }
static double r_sq(double x) { return x * x; }

static const op_case g_ops[] = {
    { "neg", cf_neg, r_neg, d_neg, { -1.5, 0.0, 2.0, NAN } },
    { "mul", cf_sq, r_sq, d_sq, { -1.5, 0.3, 7.0, NAN } },
    { "div", cf_inv, NULL, d_inv, { -1.5, 0.3, 7.0, NAN } },
    { "add/sub/mul/div", cf_poly, NULL, d_poly, { -1.5, 0.3, 7.0, NAN } },
    { "exp", cf_exp, exp, d_exp, { -3.0, 0.1, 5.0, NAN } },
    { "exp2", cf_exp2, exp2, d_exp2, { -3.0, 0.1, 5.0, NAN } },
    { "expm1", cf_expm1, expm1, d_expm1, { -3.0, 1e-9, 5.0, NAN } },
    { "log", cf_log, log, d_log, { 1e-3, 0.7, 40.0, NAN } },
    { "log2", cf_log2, log2, d_log2, { 1e-3, 0.7, 40.0, NAN } },
    { "log10", cf_log10, log10, d_log10, { 1e-3, 0.7, 40.0, NAN } },
    { "log1p", cf_log1p, log1p, d_log1p, { -0.9, 1e-9, 40.0, NAN } },
    { "sqrt", cf_sqrt, sqrt, d_sqrt, { 1e-4, 0.7, 40.0, NAN } },
    { "cbrt", cf_cbrt, cbrt, d_cbrt, { -8.0, 0.7, 40.0, NAN } },
    { "sin", cf_sin, sin, d_sin, { -2.0, 0.3, 10.0, NAN } },
    { "cos", cf_cos, cos, d_cos, { -2.0, 0.3, 10.0, NAN } },
    { "tan", cf_tan, tan, d_tan, { -1.2, 0.3, 1.0, NAN } },
    { "asin", cf_asin, asin, d_asin, { -0.9, 0.3, 0.99, NAN } },
    { "acos", cf_acos, acos, d_acos, { -0.9, 0.3, 0.99, NAN } },
    { "atan", cf_atan, atan, d_atan, { -3.0, 0.3, 100.0, NAN } },
    { "sinh", cf_sinh, sinh, d_sinh, { -3.0, 0.3, 10.0, NAN } },
    { "cosh", cf_cosh, cosh, d_cosh, { -3.0, 0.3, 10.0, NAN } },
    { "tanh", cf_tanh, tanh, d_tanh, { -3.0, 0.3, 5.0, NAN } },
    { "asinh", cf_asinh, asinh, d_asinh, { -3.0, 0.3, 100.0, NAN } },
    { "acosh", cf_acosh, acosh, d_acosh, { 1.1, 2.0, 100.0, NAN } },
    { "atanh", cf_atanh, atanh, d_atanh, { -0.9, 0.3, 0.99, NAN } },
    { "erf (linearized)", cf_erf, erf, d_erf, { -2.0, 0.3, 1.5, NAN } },
    { "erfc (linearized)", cf_erfc, erfc, d_erfc, { -2.0, 0.3, 1.5, NAN } },
    { "fabs", cf_fabs, fabs, d_fabs, { -2.0, 0.0, 3.0, NAN } },
    { "floor", cf_floor, floor, d_zero, { -2.5, 0.3, 3.0, NAN } },
    { "ceil", cf_ceil, ceil, d_zero, { -2.5, 0.3, 3.0, NAN } },
    { "round", cf_round, round, d_zero, { -2.5, 0.3, 3.0, NAN } },
    { "trunc", cf_trunc, trunc, d_zero, { -2.5, 0.3, 3.0, NAN } },
    { "pow(x, 3)", cf_pow3, NULL, d_pow3, { -2.0, 0.3, 5.0, NAN } },
    { "pow(x, -2)", cf_powm2, NULL, d_powm2, { -2.0, 0.3, 5.0, NAN } },
    { "pow(x, 0.5)", cf_powhalf, sqrt, d_powhalf, { 0.3, 5.0, NAN, NAN } },
    { "pow(2, x)", cf_pow2x, exp2, d_pow2x, { -2.0, 0.3, 5.0, NAN } },
    { "pow(x, x)", cf_powxx, NULL, d_pow_xx, { 0.3, 1.7, 5.0, NAN } },
    { "atan2(y, 0.75)", cf_atan2_y, NULL, d_atan2_y, { -2.0, 0.3, 5.0, NAN } },
    { "atan2(y, -0.75)", cf_atan2_ym, NULL, d_atan2_ym, { -2.0, 0.3, 5.0, NAN } },
    { "atan2(0.6, x)", cf_atan2_x, NULL, d_atan2_x, { -2.0, 0.3, 5.0, NAN } },
    { "atan2(-0.6, x)", cf_atan2_xm, NULL, d_atan2_xm, { -2.0, 0.3, 5.0, NAN } },
    { "hypot(x, 1.5)", cf_hypot, NULL, d_hypot, { -2.0, 0.3, 5.0, NAN } },
    { "fma(x, x, 3)", cf_fma, NULL, d_fma, { -2.0, 0.3, 5.0, NAN } },
    { NULL, NULL, NULL, NULL, { NAN } }
};

static double g_ops_worst;       /* worst relative error over every op and point */

static void test_ops(void)
{
    double worst = 0;
    for (const op_case *c = g_ops; c->name; ++c)
        for (int k = 0; k < 4 && !isnan(c->x[k]); ++k) {
            double x = c->x[k], v, d = cs(c->f, x, &v), want = c->df(x);
            double e = want == 0.0 ? fabs(d) : rel(d, want);
            /* a few roundings: the complex functions' and the formula's */
            if (!(e <= 4e-15))
                fprintf(stderr, "\n  %s at %g: complex step %.17g, by hand %.17g (rel %.2g)\n",
                        c->name, x, d, want, e);
            CU_ASSERT(e <= 4e-15);
            worst = fmax(worst, e);
            if (c->fr) {
                /* the real part is the real function's value */
                double r = c->fr(x);
                CU_ASSERT(rel(v, r) <= 4e-16 || (v == 0 && r == 0));
            }
        }
    /* atan2 on the four quadrants' boundaries of its formulas: y / x and
     * x / y branches agree with the real atan2's value */
    const double ys[] = { 0.3, -0.3, 2.0, -2.0 }, xs[] = { 1.0, -1.0, 0.2, -0.2 };
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) {
            dj_cplx t = dj_atan2(dj_cplx_make(ys[a], 0.0), dj_cplx_make(xs[b], 1e-20));
            CU_ASSERT(rel(dj_value(t), atan2(ys[a], xs[b])) <= 4e-16);
            double want = -ys[a] / (xs[b] * xs[b] + ys[a] * ys[a]);
            CU_ASSERT(rel(dj_cplx_im(t) / 1e-20, want) <= 4e-15);
        }
    g_ops_worst = worst;
}

/* the non-analytic conventions and the domains */
static void test_conventions(void)
{
    dj_cplx a = dj_cplx_make(1.0, 2e-20), b = dj_cplx_make(2.0, 3e-20);
    /* fmin / fmax by the real part, the whole argument taken; a tie averages */
    CU_ASSERT(dj_cplx_im(dj_fmin(a, b)) == 2e-20 && dj_cplx_im(dj_fmax(a, b)) == 3e-20);
    CU_ASSERT(dj_cplx_im(dj_fmin(b, a)) == 2e-20 && dj_cplx_im(dj_fmax(b, a)) == 3e-20);
    dj_cplx c = dj_cplx_make(1.0, 4e-20);
    DJ_ASSERT_CLOSE(dj_cplx_im(dj_fmin(a, c)), 3e-20, 1e-15);
    CU_ASSERT(dj_cplx_im(dj_fmin(dj_cplx_make(NAN, 0.0), b)) == 3e-20);
    CU_ASSERT(dj_value(dj_fmin(2.5, b)) == 2.0 && dj_value(dj_fmax(b, 2.5)) == 2.5);
    /* copysign: the sign of b's real part, d/db = 0 */
    dj_cplx s = dj_copysign(a, dj_cplx_make(-3.0, 5e-20));
    CU_ASSERT(dj_value(s) == -1.0 && dj_cplx_im(s) == -2e-20);
    s = dj_copysign(a, 3.0);
    CU_ASSERT(dj_value(s) == 1.0 && dj_cplx_im(s) == 2e-20);
    /* dj_value is the real part; dj_const has imaginary part 0 */
    CU_ASSERT(dj_value(b) == 2.0);
    dj_cplx k = dj_const(dj_cplx, 4.5);
    CU_ASSERT(dj_value(k) == 4.5 && dj_cplx_im(k) == 0.0);
    /* outside the real domain: NaN, as the real function, not a branch */
    dj_cplx bad[] = { dj_log(dj_cplx_make(-1.0, 1e-20)), dj_sqrt(dj_cplx_make(-4.0, 1e-20)),
                      dj_log2(dj_cplx_make(-1.0, 0.0)), dj_log10(dj_cplx_make(-1.0, 0.0)),
                      dj_log1p(dj_cplx_make(-2.0, 0.0)), dj_asin(dj_cplx_make(2.0, 0.0)),
                      dj_acos(dj_cplx_make(-2.0, 0.0)), dj_acosh(dj_cplx_make(0.5, 0.0)),
                      dj_atanh(dj_cplx_make(1.5, 0.0)),
                      dj_pow(dj_cplx_make(-2.0, 0.0), dj_cplx_make(2.0, 1e-20)),
                      dj_pow(dj_cplx_make(-2.0, 1e-20), 0.5) };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
        CU_ASSERT(isnan(dj_value(bad[i])));
    /* a negative base to an integer power keeps the tiny imaginary part
     * exact (cpow's rotation by 3 pi would swamp it with rounding) */
    dj_cplx p = dj_pow(dj_cplx_make(-2.0, 1e-20), 3.0);
    CU_ASSERT(dj_value(p) == -8.0);
    CU_ASSERT(rel(dj_cplx_im(p) / 1e-20, 12.0) <= 2e-16);
    /* mixed arithmetic with plain numbers on either side */
    dj_cplx m = dj_sub(3.0, dj_mul(2, a));
    CU_ASSERT(dj_value(m) == 1.0 && dj_cplx_im(m) == -4e-20);
}

/* ---- dj_fd_complex on known functions ----------------------------------------- */

/* y_0 = exp(x_0) sin(x_1), y_1 = log(1 + x_0^2) / x_1, y_2 = atan(x_0 x_1),
 * written directly in complex arithmetic (no generic operations) */
static int known_cplx(void *user, const dj_cplx *x, dj_cplx *y)
{
    (void)user;
    y[0] = cexp(x[0]) * csin(x[1]);
    y[1] = clog(1 + x[0] * x[0]) / x[1];
    y[2] = catan(x[0] * x[1]);
    return 0;
}

static double g_known_worst, g_mgh_worst_row, g_mgh_worst_entry, g_mgh_worst_big;

static void test_known(void)
{
    double worst = 0;
    double x[2] = { 0.7, -1.3 }, J[6], R[6];
    dj_function K = { .n = 2, .m = 3, .f_cplx = known_cplx };
    known_jac(x, J);
    CU_ASSERT_EQUAL(dj_fd_complex(&K, x, 0.0, R, 3), DJ_OK);
    for (int e = 0; e < 6; ++e) {
        CU_ASSERT(rel(R[e], J[e]) <= 2e-15);
        worst = fmax(worst, rel(R[e], J[e]));
    }
    /* a bigger step is worse, as h^2 f'''/6 says: the truncation comes back */
    CU_ASSERT_EQUAL(dj_fd_complex(&K, x, 1e-3, R, 3), DJ_OK);
    double e3 = 0;
    for (int e = 0; e < 6; ++e)
        e3 = fmax(e3, rel(R[e], J[e]));
    CU_ASSERT(e3 > 1e-9 && e3 < 1e-5);

    /* tfun through the template, several sizes, against the hand Jacobian */
    const size_t sizes[] = { 1, 3, 12, 30 };
    for (size_t s = 0; s < 4; ++s) {
        size_t n = sizes[s], m = n + 1;
        tfun_params p = { n, 0, 0, 0 };
        dj_function F = { .n = n, .m = m, .user = &p, DJ_FORMS_CPLX(tfun) };
        double *xs = xcalloc(n, sizeof *xs), *H = xcalloc(m * n, sizeof *H);
        double *C = xcalloc(m * n, sizeof *C);
        uint64_t seed = 99 + n;
        for (size_t j = 0; j < n; ++j)
            xs[j] = dj_test_rand(&seed, -2, 2);
        tfun_jac(n, xs, H, n + 1);
        CU_ASSERT_EQUAL(dj_fd_complex(&F, xs, 0.0, C, m), DJ_OK);
        for (size_t e = 0; e < m * n; ++e) {
            /* entries relative to themselves; n = 1 adds two terms in one */
            double er = rel(C[e], H[e]);
            if (!(er <= 2e-15))
                fprintf(stderr, "\n  tfun n=%zu entry %zu: %.17g vs %.17g\n", n, e, C[e], H[e]);
            CU_ASSERT(er <= 2e-15);
            worst = fmax(worst, er);
        }
        free(xs); free(H); free(C);
    }
    g_known_worst = worst;
}

/* where differences lose every digit (a constant offset of 1e12), the
 * complex step loses none */
static int offset_cplx(void *user, const dj_cplx *x, dj_cplx *y)
{
    (void)user;
    y[0] = 1e12 + x[0] * x[0] + dj_sin(x[1]);
    y[1] = dj_mul(x[0], x[1]);
    return 0;
}

static int offset_real(void *user, const double *x, double *y)
{
    (void)user;
    y[0] = 1e12 + x[0] * x[0] + sin(x[1]);
    y[1] = x[0] * x[1];
    return 0;
}

static void test_offset(void)
{
    double x[2] = { 1e-3, 0.4 }, J[4] = { 2e-3, 0.4, cos(0.4), 1e-3 }, R[4];
    dj_function F = { .n = 2, .m = 2, .f = offset_real, .f_cplx = offset_cplx };
    CU_ASSERT_EQUAL(dj_fd_complex(&F, x, 0.0, R, 2), DJ_OK);
    for (int e = 0; e < 4; ++e)
        CU_ASSERT(rel(R[e], J[e]) <= 2e-16);
    CU_ASSERT_EQUAL(dj_fd_central(&F, x, 0.0, R, 2, NULL), DJ_OK);
    CU_ASSERT(rel(R[0], J[0]) > 1e-3);        /* the differences: noise */
}

/* every MGH problem, two sizes, at 1, 10 and 100 times the standard point:
 * the complex step against the hand-derived Jacobian. */
static void test_mgh_accuracy(void)
{
    static const size_t want[2] = { 8, 30 };
    static const double factors[3] = { 1.0, 10.0, 100.0 };
    double worst_row = 0, worst_entry = 0, worst_big = 0;
    for (size_t k = 0; k < mgh_count(); ++k)
        for (size_t s = 0; s < 2; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(
                mgh_init(&p, mgh_name(k), mgh_nearest_n(mgh_name(k), want[s])), DJ_OK);
            CU_ASSERT_PTR_NOT_NULL(p.F.f_cplx);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *H = xcalloc(m * n, sizeof *H);
            double *C = xcalloc(m * n, sizeof *C);
            for (size_t f = 0; f < 3; ++f) {
                mgh_start(&p, factors[f], x);
                CU_ASSERT_EQUAL_FATAL(mgh_jacobian(&p, x, H, m), DJ_OK);
                CU_ASSERT_EQUAL_FATAL(dj_fd_complex(&p.F, x, 0.0, C, m), DJ_OK);
                for (size_t i = 0; i < m; ++i) {
                    double rowmax = 0;
                    for (size_t j = 0; j < n; ++j)
                        rowmax = fmax(rowmax, fabs(H[i + j * m]));
                    for (size_t j = 0; j < n; ++j) {
                        double a = C[i + j * m], b = H[i + j * m], e = fabs(a - b);
                        double er = rowmax > 0 ? e / rowmax : e;
                        if (!(er <= 2e-14))
                            fprintf(stderr, "\n  %s n=%zu x%g (%zu, %zu): %.17g vs %.17g\n",
                                    p.name, n, factors[f], i, j, a, b);
                        CU_ASSERT(er <= 2e-14);
                        worst_row = fmax(worst_row, er);
                        /* relative to the entry: larger where the derivative
                         * itself cancels (trig's diagonal (i+2) sin x_i -
                         * cos x_i, 5e-4 from terms near 1 at n = 30), for
                         * the hand formula as much as for the step */
                        worst_entry = fmax(worst_entry, rel(a, b));
                        if (fabs(b) >= 0.1 * rowmax)
                            worst_big = fmax(worst_big, rel(a, b));
                    }
                }
            }
            free(x); free(H); free(C);
        }
    CU_ASSERT(worst_entry <= 1e-12);
    CU_ASSERT(worst_big <= 1e-14);     /* entries at least 1/10 of their row */
    g_mgh_worst_big = worst_big;
    g_mgh_worst_row = worst_row;
    g_mgh_worst_entry = worst_entry;
}

/* ---- the check against the complex step ------------------------------------------ */

static int g_passed, g_correct;

static int check_cs(const dj_function *F, const double *x, const double *W, size_t m,
                    dj_check_report *rep)
{
    dj_check_opts o = dj_check_opts_complex();
    return dj_check_jacobian_ex(F, x, W, m, &o, rep, NULL, NULL, NULL);
}

/* one of each kind (plant.h) in J at f x0 */
static void plant_all(const mgh_problem *p, double f, const double *x, const double *J,
                      double *W)
{
    size_t n = p->n, m = p->m;
    plant_ctx c = plant_begin(p, f, x, J, W, check_cs);
    plant_sign(&c);
    /* the 1e-4 error twice: at the largest entry, and at a middle one of
     * the middle column (where nonzero) */
    size_t es[2] = { c.big, n / 2 * m + m / 2 };
    for (int t = 0; t < 2; ++t)
        if (J[es[t]] != 0)
            plant_entry(&c, es[t]);
    plant_swap(&c);
    plant_transpose(&c);
    /* out of tolerance by orders: every entry not tiny against its row
     * fails */
    plant_scale(&c, 1e3);
}

static void test_planted_and_correct(void)
{
    static const size_t want[3] = { 2, 8, 30 };
    static const double factors[3] = { 1.0, 10.0, 100.0 };
    for (size_t k = 0; k < mgh_count(); ++k)
        for (size_t s = 0; s < 3; ++s) {
            mgh_problem p;
            CU_ASSERT_EQUAL_FATAL(
                mgh_init(&p, mgh_name(k), mgh_nearest_n(mgh_name(k), want[s])), DJ_OK);
            size_t n = p.n, m = p.m;
            double *x = xcalloc(n, sizeof *x), *J = xcalloc(m * n, sizeof *J);
            double *W = xcalloc(m * n, sizeof *W);
            for (size_t f = 0; f < 3; ++f) {
                mgh_start(&p, factors[f], x);
                dj_check_report rep;
                /* correct: forward, reverse and hand-derived all pass */
                for (int way = 0; way < 3; ++way) {
                    int rc = way == 0   ? dj_jacfwd(&p.F, x, NULL, J, m, NULL)
                             : way == 1 ? dj_jacrev(&p.F, x, NULL, J, m, NULL)
                                        : mgh_jacobian(&p, x, J, m);
                    CU_ASSERT_EQUAL_FATAL(rc, DJ_OK);
                    g_correct++;
                    if (check_cs(&p.F, x, J, m, &rep) == DJ_OK) {
                        g_passed++;
                    } else {
                        fprintf(stderr, "\n  %s n=%zu x%g (way %d) failed:\n", p.name, n,
                                factors[f], way);
                        dj_check_report_fprint(stderr, &rep);
                    }
                }
                CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&p.F, x, NULL, J, m, NULL), DJ_OK);
                plant_all(&p, factors[f], x, J, W);
            }
            free(x); free(J); free(W);
        }
    CU_ASSERT_EQUAL(g_passed, g_correct);
    CU_ASSERT(g_planted >= 5 * 3 * (int)mgh_count());
    CU_ASSERT_EQUAL(g_caught, g_planted);
    for (int k = 0; k < 5; ++k)
        CU_ASSERT(g_kind_planted[k] > 0);
}

/* ---- arguments and errors ------------------------------------------------------- */

static int failing_cplx(void *user, const dj_cplx *x, dj_cplx *y)
{
    (void)user; (void)x; (void)y;
    return -7;
}

static void test_errors(void)
{
    double x[3] = { 0.5, -0.2, 1.0 }, J[12], R[12], E[12];
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = { .n = 3, .m = 4, .user = &p, DJ_FORMS_CPLX(tfun) };
    dj_function N = { .n = 3, .m = 4, .user = &p, DJ_FORMS(tfun) };   /* no complex form */
    dj_function Z = F;
    Z.n = 0;
    CU_ASSERT_EQUAL(dj_fd_complex(NULL, x, 0, J, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_complex(&F, NULL, 0, J, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_complex(&F, x, 0, NULL, 4), DJ_EARG);
    CU_ASSERT_EQUAL(dj_fd_complex(&F, x, 0, J, 3), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_fd_complex(&Z, x, 0, J, 4), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_fd_complex(&N, x, 0, J, 4), DJ_ENOFORM);
    dj_function B = { .n = 3, .m = 4, .f_cplx = failing_cplx };
    CU_ASSERT_EQUAL(dj_fd_complex(&B, x, 0, J, 4), -7);
    /* the template's own failure comes back unchanged, from the 2nd column */
    p.fail_at = 2;
    p.fail_code = -3;
    CU_ASSERT_EQUAL(dj_fd_complex(&F, x, 0, J, 4), -3);
    p.fail_at = 0;
    /* ldj > m leaves the padding alone */
    double Jp[15];
    for (int e = 0; e < 15; ++e)
        Jp[e] = 42.0;
    CU_ASSERT_EQUAL(dj_fd_complex(&F, x, 0, Jp, 5), DJ_OK);
    CU_ASSERT(Jp[4] == 42.0 && Jp[9] == 42.0 && Jp[14] == 42.0);

    /* the check: no complex form, a bad reference, R and err out */
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, NULL, J, 4, NULL), DJ_OK);
    dj_check_report rep;
    dj_check_opts o = dj_check_opts_complex();
    CU_ASSERT_EQUAL(o.reference, DJ_CHECK_REF_COMPLEX);
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&N, x, J, 4, &o, &rep, NULL, NULL, NULL), DJ_ENOFORM);
    for (int e = 0; e < 12; ++e)
        E[e] = 1.0;
    double digits[4];
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 4, &o, &rep, digits, R, E), DJ_OK);
    CU_ASSERT(rep.pass && rep.n_fail == 0 && rep.min_digits >= 14.0);
    for (int e = 0; e < 12; ++e) {
        CU_ASSERT(E[e] == 0.0);
        CU_ASSERT(rel(R[e], J[e]) <= 1e-15);
    }
    /* negative fields take the complex defaults; dj_check_jacobian accepts
     * the reference too */
    dj_check_opts neg = { -1, -1, -1, -1, 0, DJ_CHECK_REF_COMPLEX };
    J[5] *= 1 + 1e-9;     /* within central differences' reach, not the step's */
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 4, &neg, &rep, NULL, NULL, NULL), DJ_ECHECK);
    CU_ASSERT(rep.worst_row == 1 && rep.worst_col == 1);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 4, &neg, &rep, NULL), DJ_ECHECK);
    CU_ASSERT_EQUAL(dj_check_jacobian(&F, x, J, 4, NULL, &rep, NULL), DJ_OK);
    dj_check_opts bad = o;
    bad.reference = 7;
    CU_ASSERT_EQUAL(dj_check_jacobian_ex(&F, x, J, 4, &bad, &rep, NULL, NULL, NULL), DJ_EARG);
}

/* ---- allocation failures --------------------------------------------------------- */

static long g_count, g_fail_at, g_live;

static void *count_malloc(size_t size)
{
    if (++g_count == g_fail_at)
        return NULL;
    void *p = malloc(size);
    g_live += p != NULL;
    return p;
}

static void count_free(void *p)
{
    g_live -= p != NULL;
    free(p);
}

/* the k-th allocation failing, k = 1, 2, ... until the call succeeds:
 * DJ_ENOMEM each time, nothing leaked, then the result of a clean run */
static void test_alloc_fail(void)
{
    double x[3] = { 0.5, -0.2, 1.0 }, J[12], R[12], R0[12];
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = { .n = 3, .m = 4, .user = &p, DJ_FORMS_CPLX(tfun) };
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, NULL, J, 4, NULL), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_fd_complex(&F, x, 0, R0, 4), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_set_allocator(count_malloc, count_free), DJ_OK);
    dj_check_opts o = dj_check_opts_complex();
    for (int call = 0; call < 2; ++call) {
        int rc = DJ_ENOMEM, k;
        for (k = 1; k < 20 && rc == DJ_ENOMEM; ++k) {
            g_count = 0;
            g_fail_at = k;
            dj_check_report rep;
            rc = call == 0 ? dj_fd_complex(&F, x, 0, R, 4)
                           : dj_check_jacobian_ex(&F, x, J, 4, &o, &rep, NULL, R, NULL);
            CU_ASSERT(rc == DJ_OK || rc == DJ_ENOMEM);
            CU_ASSERT_EQUAL(g_live, 0);
        }
        CU_ASSERT(k > 2);               /* at least one failure was injected */
        CU_ASSERT_EQUAL(rc, DJ_OK);
        CU_ASSERT_EQUAL(memcmp(R, R0, sizeof R), 0);
    }
    g_fail_at = 0;
    dj_set_allocator(NULL, NULL);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "every operation's complex form against its derivative", test_ops },
        { "non-analytic conventions and domains", test_conventions },
        { "known functions (direct and from a template)", test_known },
        { "a constant offset: no cancellation", test_offset },
        { "every MGH problem against its hand Jacobian", test_mgh_accuracy },
        { "planted errors caught, correct Jacobians pass", test_planted_and_correct },
        { "arguments and errors", test_errors },
        { "allocation failures", test_alloc_fail },
        { NULL, NULL }
    };
    int rc = dj_test_run("complex_step", cases);
    fprintf(stderr, "complex_step: worst rel err: operations %.2g, known functions %.2g, "
            "MGH %.2g of the row, %.2g of entries >= 1/10 of their row, %.2g of any entry\n",
            g_ops_worst, g_known_worst, g_mgh_worst_row, g_mgh_worst_big, g_mgh_worst_entry);
    fprintf(stderr, "complex_step: planted %d, caught %d (sign %d/%d, 1e-4 entry %d/%d, "
            "swap %d/%d, transpose %d/%d, scale %d/%d); correct %d, passed %d\n",
            g_planted, g_caught, g_kind_planted[0], g_kind_caught[0], g_kind_planted[1],
            g_kind_caught[1], g_kind_planted[2], g_kind_caught[2], g_kind_planted[3],
            g_kind_caught[3], g_kind_planted[4], g_kind_caught[4], g_correct, g_passed);
    return rc;
}
