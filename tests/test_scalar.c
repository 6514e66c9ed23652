/* test_scalar.c - every elementary function of the scalar layer (rules.h,
 * dj_dual, the chunks dj_c8 ... dj_c64 and the generic spellings).
 *
 *  1. derivative against a central finite difference of the libm primal, at
 *     random and hand-picked points inside the domain; value == libm value;
 *  2. derivative against the closed-form derivative (evaluated in long
 *     double) at a few points, to 1e-15 relative;
 *  3. every chunk width lane by lane against dj_dual;
 *  4. the generic layer (_Generic dispatch, mixed double/int arguments,
 *     dj_value, dj_const);
 *  5. the conventions at kinks and domain edges documented in rules.h;
 *  6. the zero-tangent guarantee (infinite/NaN partials do not leak);
 *  7. NaN and Inf inputs.
 *
 * Tolerances (each justified where it is used):
 *   FD_RTOL, FD_ROUND   central differences, see fd_tol()
 *   CF_RTOL             closed form, see test_closed_form_*
 *   LANE_ULPS           chunk lane against dual, see lane_close() */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

/* ---- small helpers ---------------------------------------------------------- */

#define END_PT (-DBL_MAX) /* terminates the point lists */
#define PTS(...) ((const double[]){ __VA_ARGS__, END_PT })
#define PI_ 3.14159265358979323846264338327950288
#define LN2L_ 0.693147180559945309417232121458176568L
#define LN10L_ 2.30258509299404568401799145468436421L
#define TWO_SQRTPI_L_ 1.12837916709551257389615890312154517L

/* Messages per test are capped, every check still counts as an assertion. */
static int g_msgs;
#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        int ok_ = (cond) ? 1 : 0;                                             \
        if (!ok_ && g_msgs++ < 40) {                                          \
            fprintf(stderr, "\n  %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                     \
        }                                                                     \
        CU_assertImplementation(ok_, __LINE__, #cond, __FILE__, "", CU_FALSE); \
    } while (0)

static void begin(void) { g_msgs = 0; }

/* A value the compiler cannot see through, so that no libm call in this file
 * is constant-folded (GCC folds with MPFR, which may differ from glibc by an
 * ulp, and the value checks are exact). */
static double opq(double x)
{
    volatile double v = x;
    return v;
}

/* Exactly the same double: same value and sign of zero, or both NaN. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

/* The same number (-0 == +0), or both NaN: for derivatives. */
static int same_num(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b;
}

/* |got - want| <= rtol |want|, with NaN == NaN and equal infinities. An
 * absolute floor of DBL_MIN: below the normal range a double has no relative
 * precision to speak of. */
static int rel_close(double got, double want, double rtol)
{
    if (same_num(got, want))
        return 1;
    if (!isfinite(got) || !isfinite(want))
        return 0;
    return fabs(got - want) <= rtol * fabs(want) + DBL_MIN;
}

static double logu(uint64_t *s, double lo, double hi) /* log-uniform in [lo, hi) */
{
    return exp(dj_test_rand(s, log(lo), log(hi)));
}

/* ---- finite differences --------------------------------------------------- */

/* Central difference D = (f(x+h) - f(x-h)) / (2h) with h = cbrt(eps) L, where
 * L is the local length scale of f at x (1 for exp or sin, |x| for log or
 * sqrt, the distance to the domain edge or pole for asin, atanh, tan, ...),
 * so that the stencil stays inside the domain and L^2 |f'''/f'| = O(1).
 *   truncation: h^2/6 |f'''| = eps^(2/3)/6 * L^2|f'''/f'| |f'| ~ 1e-11 |f'|
 *               (a few 1e-10 for the worst stencils chosen below);
 *   rounding:   libm values are within a few ulps (glibc: <= 4 for these
 *               functions), so |f(x+-h) error| <= 8 eps |f|; the quotient
 *               then has absolute error <= 16 eps max|f(x+-h)| / (2h).
 *   FD_RTOL = 1e-7 bounds the truncation with a margin of >= 100 and the
 *   rounding of the subtraction and division (a few eps). The step actually
 *   taken is xp - xm (x +- h is rounded; xp - xm is then exact or within
 *   one rounding), so argument rounding does not enter. */
#define FD_RTOL 1e-7
#define FD_ROUND 16.0
#define CBRT_EPS 6.0554544523933395e-06 /* cbrt(DBL_EPSILON) */

typedef struct fd_result {
    double d;   /* the difference quotient */
    double tol; /* the rounding part of the tolerance (absolute) */
    int ok;     /* 0: stencil degenerate (step below one ulp), skipped */
} fd_result;

static fd_result fd_quot(double fp, double fm, double xp, double xm)
{
    fd_result r = { 0.0, 0.0, 0 };
    double step = xp - xm;
    if (!(step > 0.0) || !isfinite(fp) || !isfinite(fm))
        return r;
    r.d = (fp - fm) / step;
    r.tol = FD_ROUND * DBL_EPSILON * fmax(fabs(fp), fabs(fm)) / step;
    r.ok = 1;
    return r;
}

static int fd_close(double d, fd_result fd)
{
    if (same_num(d, fd.d)) /* also: both overflow to the same infinity */
        return 1;
    if (!isfinite(d))
        return 0;
    return fabs(d - fd.d) <= FD_RTOL * fmax(fabs(d), fabs(fd.d)) + fd.tol + DBL_MIN;
}

/* ---- the unary functions ---------------------------------------------------- */

typedef struct unary_fn {
    const char *name;
    double (*ref)(double);             /* the primal (libm) */
    long double (*dref)(long double);  /* closed-form derivative */
    dj_dual (*dual)(dj_dual);
    dj_c8 (*c8)(dj_c8);
    dj_c16 (*c16)(dj_c16);
    dj_c32 (*c32)(dj_c32);
    dj_c64 (*c64)(dj_c64);
    double (*len)(double);             /* local length scale for the FD step */
    double lo, hi;                     /* random points: uniform in [lo, hi) */
    double base, dir, mlo, mhi;        /* and base + dir * loguniform(mlo, mhi) */
    int mirror;                        /* ... negated half of the time */
    int jumps;                         /* piecewise constant: skip stencils over a jump */
    const double *pts;                 /* hand-picked FD points */
    const double *cpts;                /* closed-form points */
} unary_fn;

static double ref_neg(double x) { return -x; }

static long double dn_neg(long double x) { (void)x; return -1.0L; }
static long double dn_exp(long double x) { return expl(x); }
static long double dn_exp2(long double x) { return exp2l(x) * LN2L_; }
static long double dn_expm1(long double x) { return expl(x); }
static long double dn_log(long double x) { return 1.0L / x; }
static long double dn_log2(long double x) { return 1.0L / (x * LN2L_); }
static long double dn_log10(long double x) { return 1.0L / (x * LN10L_); }
static long double dn_log1p(long double x) { return 1.0L / (1.0L + x); }
static long double dn_sqrt(long double x) { return 0.5L / sqrtl(x); }
static long double dn_cbrt(long double x) { long double c = cbrtl(x); return 1.0L / (3.0L * c * c); }
static long double dn_sin(long double x) { return cosl(x); }
static long double dn_cos(long double x) { return -sinl(x); }
static long double dn_tan(long double x) { long double c = cosl(x); return 1.0L / (c * c); }
static long double dn_asin(long double x) { return 1.0L / sqrtl((1.0L - x) * (1.0L + x)); }
static long double dn_acos(long double x) { return -1.0L / sqrtl((1.0L - x) * (1.0L + x)); }
static long double dn_atan(long double x) { return 1.0L / (1.0L + x * x); }
static long double dn_sinh(long double x) { return coshl(x); }
static long double dn_cosh(long double x) { return sinhl(x); }
static long double dn_tanh(long double x) { long double c = coshl(x); return 1.0L / (c * c); }
static long double dn_asinh(long double x) { return 1.0L / sqrtl(1.0L + x * x); }
static long double dn_acosh(long double x) { return 1.0L / sqrtl((x - 1.0L) * (x + 1.0L)); }
static long double dn_atanh(long double x) { return 1.0L / ((1.0L - x) * (1.0L + x)); }
static long double dn_erf(long double x) { return TWO_SQRTPI_L_ * expl(-x * x); }
static long double dn_erfc(long double x) { return -TWO_SQRTPI_L_ * expl(-x * x); }
static long double dn_fabs(long double x) { return x > 0 ? 1.0L : (x < 0 ? -1.0L : 0.0L); }
static long double dn_zero(long double x) { (void)x; return 0.0L; }
#define dn_floor dn_zero
#define dn_ceil dn_zero
#define dn_round dn_zero
#define dn_trunc dn_zero

static double len_one(double x) { (void)x; return 1.0; }
static double len_abs(double x) { return fabs(x); }
static double len_max1(double x) { return fmax(1.0, fabs(x)); }
static double len_log1p(double x) { return fmin(fabs(1.0 + x), fmax(1.0, fabs(x))); }
static double len_unit(double x) { return 1.0 - fabs(x); }          /* asin acos atanh */
static double len_acosh(double x) { return x - 1.0; }
static double len_tan(double x)  /* distance to the nearest pole pi/2 + k pi */
{
    return fmin(1.0, fabs(remainder(x - PI_ / 2, PI_)));
}

#define UF(f) .name = #f, .dref = dn_##f, .dual = dj_dual_##f, .c8 = dj_c8_##f, \
    .c16 = dj_c16_##f, .c32 = dj_c32_##f, .c64 = dj_c64_##f

static const unary_fn g_unary[] = {
    { UF(neg), .ref = ref_neg, .len = len_max1, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(0.0, -0.0, 1e-300, -3.5, 1e300),
      .cpts = PTS(0.0, 2.5, -1e300) },
    { UF(exp), .ref = exp, .len = len_one, .lo = -5, .hi = 5,
      .dir = 1, .mlo = 1e-300, .mhi = 700, .mirror = 1,
      .pts = PTS(-700.0, -20.0, -1.0, -1e-10, 0.0, 1e-300, 0.5, 1.0, 20.0, 700.0),
      .cpts = PTS(-700.0, -1.0, 0.0, 0.5, 3.0, 700.0) },
    { UF(exp2), .ref = exp2, .len = len_one, .lo = -5, .hi = 5,
      .dir = 1, .mlo = 1e-300, .mhi = 1000, .mirror = 1,
      .pts = PTS(-1000.0, -30.5, -1.0, 0.0, 1e-300, 0.25, 1.0, 52.7, 1000.0),
      .cpts = PTS(-1000.0, -1.0, 0.0, 0.25, 3.0, 1000.0) },
    { UF(expm1), .ref = expm1, .len = len_one, .lo = -5, .hi = 5,
      .dir = 1, .mlo = 1e-300, .mhi = 700, .mirror = 1,
      .pts = PTS(-30.0, -2.0, -1e-8, 0.0, 1e-300, 1e-8, 1.0, 700.0),
      .cpts = PTS(-1.0, -0.25, -1e-10, 0.0, 1e-300, 0.5, 2.0, 700.0) },
    { UF(log), .ref = log, .len = len_abs, .lo = 0.01, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300,
      .pts = PTS(DBL_MIN, 1e-300, 1e-10, 0.5, 1.0, 1.0 + 1e-10, 2.0, 1e10, 1e300, 1e308),
      .cpts = PTS(DBL_MIN, 1e-300, 0.5, 1.0, 3.0, 1e300) },
    { UF(log2), .ref = log2, .len = len_abs, .lo = 0.01, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300,
      .pts = PTS(DBL_MIN, 1e-300, 1e-10, 0.5, 1.0, 2.0, 1e10, 1e300, 1e308),
      .cpts = PTS(1e-300, 0.5, 1.0, 3.0, 1e300) },
    { UF(log10), .ref = log10, .len = len_abs, .lo = 0.01, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300,
      .pts = PTS(DBL_MIN, 1e-300, 1e-10, 0.5, 1.0, 10.0, 1e10, 1e300),
      .cpts = PTS(1e-300, 0.5, 1.0, 3.0, 1e300) },
    { UF(log1p), .ref = log1p, .len = len_log1p, .lo = -0.999, .hi = 10,
      .base = -1, .dir = 1, .mlo = 1e-9, .mhi = 1e300,
      .pts = PTS(-1.0 + 1e-9, -0.999, -0.5, -1e-300, 0.0, 1e-300, 1e-10, 1.0, 1e10, 1e300),
      .cpts = PTS(-0.75, -1e-300, 0.0, 1e-10, 3.0, 1e300) },
    { UF(sqrt), .ref = sqrt, .len = len_abs, .lo = 0.01, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300,
      .pts = PTS(DBL_MIN, 1e-300, 1e-10, 0.25, 1.0, 2.0, 1e10, 1e300, 1e308),
      .cpts = PTS(DBL_MIN, 1e-300, 0.25, 2.0, 1e300) },
    { UF(cbrt), .ref = cbrt, .len = len_abs, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(-1e300, -8.0, -1e-300, DBL_MIN, 1e-300, 1e-10, 0.5, 27.0, 1e300),
      .cpts = PTS(-8.0, -1e-300, 1e-300, 0.125, 27.0, 1e300) },
    { UF(sin), .ref = sin, .len = len_one, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e6, .mirror = 1,
      .pts = PTS(0.0, 1e-300, 1e-8, 0.5, PI_ / 2, PI_, 3.0, 10.0, 100.0, 1e5, -1e3, 1e6),
      .cpts = PTS(0.0, 1e-300, 0.5, PI_ / 2, PI_, -3.0, 1e5) },
    { UF(cos), .ref = cos, .len = len_one, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e6, .mirror = 1,
      .pts = PTS(0.0, 1e-300, 1e-8, 0.5, PI_ / 2, PI_, 3.0, 10.0, 100.0, 1e5, -1e3, 1e6),
      .cpts = PTS(0.0, 1e-300, 0.5, PI_ / 2, PI_, -3.0, 1e5) },
    { UF(tan), .ref = tan, .len = len_tan, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e5, .mirror = 1,
      .pts = PTS(0.0, 1e-300, 0.5, 1.5, 1.57, -1.5707, 3.0, 100.0, 1e4),
      .cpts = PTS(0.0, 1e-300, 0.5, 1.5, -1.5707, 3.0, PI_ / 2) },
    { UF(asin), .ref = asin, .len = len_unit, .lo = -0.9999, .hi = 0.9999,
      .base = 1, .dir = -1, .mlo = 1e-9, .mhi = 1, .mirror = 1,
      .pts = PTS(-1.0 + 1e-9, -0.999, -0.5, 0.0, 1e-300, 0.5, 0.999, 1.0 - 1e-6, 1.0 - 1e-9),
      .cpts = PTS(-1.0 + 1e-9, -0.5, 0.0, 1e-300, 0.75, 1.0 - 1e-6) },
    { UF(acos), .ref = acos, .len = len_unit, .lo = -0.9999, .hi = 0.9999,
      .base = 1, .dir = -1, .mlo = 1e-9, .mhi = 1, .mirror = 1,
      .pts = PTS(-1.0 + 1e-9, -0.999, -0.5, 0.0, 1e-300, 0.5, 0.999, 1.0 - 1e-6, 1.0 - 1e-9),
      .cpts = PTS(-1.0 + 1e-9, -0.5, 0.0, 1e-300, 0.75, 1.0 - 1e-6) },
    { UF(atan), .ref = atan, .len = len_max1, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e149, .mirror = 1,
      .pts = PTS(0.0, 1e-300, 1.0, -3.0, 1e10, 1e100, -1e149),
      .cpts = PTS(0.0, 1e-300, 1.0, -3.0, 1e10, 1e100) },
    { UF(sinh), .ref = sinh, .len = len_one, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 700, .mirror = 1,
      .pts = PTS(-700.0, -20.0, -1.0, 0.0, 1e-300, 1.0, 20.0, 700.0),
      .cpts = PTS(-700.0, -1.0, 0.0, 1e-300, 0.5, 20.0) },
    { UF(cosh), .ref = cosh, .len = len_one, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 700, .mirror = 1,
      .pts = PTS(-700.0, -20.0, -1.0, 0.0, 1e-300, 1.0, 20.0, 700.0),
      .cpts = PTS(-700.0, -1.0, 0.0, 1e-300, 0.5, 20.0) },
    { UF(tanh), .ref = tanh, .len = len_one, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e3, .mirror = 1,
      .pts = PTS(-20.0, -3.0, 0.0, 1e-300, 0.5, 3.0, 20.0, 1e3),
      .cpts = PTS(-1.0, 0.0, 1e-300, 0.25, 0.5, 1.0) },
    { UF(asinh), .ref = asinh, .len = len_max1, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(-1e300, -10.0, 0.0, 1e-300, 1.0, 1e10, 1e300),
      .cpts = PTS(-1e300, -10.0, 0.0, 1e-300, 0.75, 1e10) },
    { UF(acosh), .ref = acosh, .len = len_acosh, .lo = 1.0001, .hi = 10,
      .base = 1, .dir = 1, .mlo = 1e-9, .mhi = 1e150,
      .pts = PTS(1.0 + 1e-9, 1.0 + 1e-6, 1.5, 2.0, 10.0, 1e10, 1e150),
      .cpts = PTS(1.0 + 1e-9, 1.5, 2.0, 10.0, 1e10, 1e150) },
    { UF(atanh), .ref = atanh, .len = len_unit, .lo = -0.9999, .hi = 0.9999,
      .base = 1, .dir = -1, .mlo = 1e-9, .mhi = 1, .mirror = 1,
      .pts = PTS(-1.0 + 1e-9, -0.5, 0.0, 1e-300, 0.5, 1.0 - 1e-6),
      .cpts = PTS(-1.0 + 1e-9, -0.5, 0.0, 1e-300, 0.75, 1.0 - 1e-6) },
    { UF(erf), .ref = erf, .len = len_one, .lo = -4, .hi = 4,
      .dir = 1, .mlo = 1e-300, .mhi = 30, .mirror = 1,
      .pts = PTS(-6.0, -2.0, 0.0, 1e-300, 0.5, 2.0, 6.0, 26.5),
      .cpts = PTS(-2.0, 0.0, 1e-300, 0.5, 1.5, 3.0, 26.5) },
    { UF(erfc), .ref = erfc, .len = len_one, .lo = -4, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 26, .mirror = 1,
      .pts = PTS(-6.0, 0.0, 1e-300, 1.0, 5.0, 20.0, 26.0),
      .cpts = PTS(-2.0, 0.0, 1e-300, 0.5, 1.5, 3.0, 26.5) },
    { UF(fabs), .ref = fabs, .len = len_abs, .lo = -10, .hi = 10,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(-3.0, -1e-300, 1e-300, 2.0, 1e300),
      .cpts = PTS(-3.0, -1e-300, 0.0, 1e-300, 2.0) },
    { UF(floor), .ref = floor, .len = len_one, .lo = -10, .hi = 10, .jumps = 1,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(0.3, -0.3, 2.5, -7.7, 1e300), .cpts = PTS(0.0, 2.5, 3.0, -1.5) },
    { UF(ceil), .ref = ceil, .len = len_one, .lo = -10, .hi = 10, .jumps = 1,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(0.3, -0.3, 2.5, -7.7, 1e300), .cpts = PTS(0.0, 2.5, 3.0, -1.5) },
    { UF(round), .ref = round, .len = len_one, .lo = -10, .hi = 10, .jumps = 1,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(0.3, -0.3, 2.7, -7.7, 1e300), .cpts = PTS(0.0, 2.5, 3.0, -1.5) },
    { UF(trunc), .ref = trunc, .len = len_one, .lo = -10, .hi = 10, .jumps = 1,
      .dir = 1, .mlo = 1e-300, .mhi = 1e300, .mirror = 1,
      .pts = PTS(0.3, -0.3, 2.5, -7.7, 1e300), .cpts = PTS(0.0, 2.5, 3.0, -1.5) },
};
#define N_UNARY ((int)(sizeof g_unary / sizeof g_unary[0]))

static double unary_sample(const unary_fn *u, uint64_t *s, int i)
{
    if (i % 2 == 0)
        return dj_test_rand(s, u->lo, u->hi);
    double x = u->base + u->dir * logu(s, u->mlo, u->mhi);
    if (u->mirror && dj_test_rand(s, 0, 1) < 0.5)
        x = -x;
    return x;
}

/* ---- the binary functions --------------------------------------------------- */

typedef struct binary_fn {
    const char *name;
    double (*ref)(double, double);
    dj_rule2 (*rule)(double, double);
    void (*dref)(long double, long double, long double *, long double *);
    dj_dual (*d)(dj_dual, dj_dual);
    dj_dual (*d_xd)(dj_dual, double);
    dj_dual (*d_dx)(double, dj_dual);
    dj_c8 (*c8)(dj_c8, dj_c8);
    dj_c8 (*c8_xd)(dj_c8, double);
    dj_c8 (*c8_dx)(double, dj_c8);
    dj_c16 (*c16)(dj_c16, dj_c16);
    dj_c16 (*c16_xd)(dj_c16, double);
    dj_c16 (*c16_dx)(double, dj_c16);
    dj_c32 (*c32)(dj_c32, dj_c32);
    dj_c32 (*c32_xd)(dj_c32, double);
    dj_c32 (*c32_dx)(double, dj_c32);
    dj_c64 (*c64)(dj_c64, dj_c64);
    dj_c64 (*c64_xd)(dj_c64, double);
    dj_c64 (*c64_dx)(double, dj_c64);
    double (*len_a)(double, double);   /* FD length scales; 0: no FD there */
    double (*len_b)(double, double);
    void (*sample)(uint64_t *, int, double *, double *);
    const double *pts;                 /* pairs a, b */
    const double *cpts;                /* pairs for the closed form */
} binary_fn;

static double ref_add(double a, double b) { return a + b; }
static double ref_sub(double a, double b) { return a - b; }
static double ref_mul(double a, double b) { return a * b; }
static double ref_div(double a, double b) { return a / b; }

static void dr_add(long double a, long double b, long double *ga, long double *gb)
{ (void)a; (void)b; *ga = 1; *gb = 1; }
static void dr_sub(long double a, long double b, long double *ga, long double *gb)
{ (void)a; (void)b; *ga = 1; *gb = -1; }
static void dr_mul(long double a, long double b, long double *ga, long double *gb)
{ *ga = b; *gb = a; }
static void dr_div(long double a, long double b, long double *ga, long double *gb)
{ *ga = 1 / b; *gb = -a / (b * b); }
static void dr_pow(long double a, long double b, long double *ga, long double *gb)
{ *ga = b * powl(a, b - 1); *gb = powl(a, b) * logl(a); }
static void dr_atan2(long double y, long double x, long double *ga, long double *gb)
{ long double r2 = x * x + y * y; *ga = x / r2; *gb = -y / r2; }
static void dr_hypot(long double a, long double b, long double *ga, long double *gb)
{ long double h = sqrtl(a * a + b * b); *ga = a / h; *gb = b / h; }
static void dr_fmin(long double a, long double b, long double *ga, long double *gb)
{ *ga = a < b; *gb = b < a; }
static void dr_fmax(long double a, long double b, long double *ga, long double *gb)
{ *ga = a > b; *gb = b > a; }
static void dr_copysign(long double a, long double b, long double *ga, long double *gb)
{ *ga = (signbit(a) == signbit(b)) ? 1 : -1; *gb = 0; }

static double lb_max1a(double a, double b) { (void)b; return fmax(1.0, fabs(a)); }
static double lb_max1b(double a, double b) { (void)a; return fmax(1.0, fabs(b)); }
static double lb_absb(double a, double b) { (void)a; return fabs(b); }
static double lb_absa(double a, double b) { (void)b; return fabs(a); }
/* pow in a: f'''/f' = (b-1)(b-2)/a^2; in b: f'''/f' = log(a)^2. */
static double lb_pow_a(double a, double b) { return fabs(a) / (1.0 + fabs(b)); }
static double lb_pow_b(double a, double b)
{
    (void)b;
    return a > 0.0 ? 1.0 / fmax(1.0, fabs(log(a))) : 0.0; /* a < 0: no FD in b */
}
/* atan2(y, x): the origin; in y, also the branch cut y = 0, x < 0. */
static double lb_atan2_y(double y, double x)
{
    double r = hypot(y, x);
    return x < 0.0 ? fmin(r, fabs(y)) : r;
}
static double lb_hyp(double a, double b) { return hypot(a, b); }
static double lb_kink(double a, double b) { return fabs(a - b); } /* fmin, fmax */

static void smp_plain(uint64_t *s, int i, double *a, double *b)
{
    if (i % 3 == 0) {
        *a = logu(s, 1e-100, 1e100) * (dj_test_rand(s, 0, 1) < 0.5 ? -1 : 1);
        *b = logu(s, 1e-100, 1e100) * (dj_test_rand(s, 0, 1) < 0.5 ? -1 : 1);
    } else {
        *a = dj_test_rand(s, -10, 10);
        *b = dj_test_rand(s, -10, 10);
    }
}

static void smp_pow(uint64_t *s, int i, double *a, double *b)
{
    if (i % 4 == 3) { /* negative base, integer exponent */
        *a = dj_test_rand(s, -10, -0.1);
        *b = floor(dj_test_rand(s, -6, 7));
    } else {
        *a = logu(s, 1e-3, 1e3);
        *b = dj_test_rand(s, -6, 6);
    }
}

#define BF(f) .name = #f, .rule = dj_rule_##f, .dref = dr_##f,                  \
    .d = dj_dual_##f, .d_xd = dj_dual_##f##_xd, .d_dx = dj_dual_##f##_dx,       \
    .c8 = dj_c8_##f, .c8_xd = dj_c8_##f##_xd, .c8_dx = dj_c8_##f##_dx,          \
    .c16 = dj_c16_##f, .c16_xd = dj_c16_##f##_xd, .c16_dx = dj_c16_##f##_dx,    \
    .c32 = dj_c32_##f, .c32_xd = dj_c32_##f##_xd, .c32_dx = dj_c32_##f##_dx,    \
    .c64 = dj_c64_##f, .c64_xd = dj_c64_##f##_xd, .c64_dx = dj_c64_##f##_dx

static const binary_fn g_binary[] = {
    { BF(add), .ref = ref_add, .len_a = lb_max1a, .len_b = lb_max1b, .sample = smp_plain,
      .pts = PTS(0.0, 0.0, 1e300, -1e300, 1e-300, 3.0, -2.5, 1e20),
      .cpts = PTS(1.0, 2.0, -1e300, 1e-300) },
    { BF(sub), .ref = ref_sub, .len_a = lb_max1a, .len_b = lb_max1b, .sample = smp_plain,
      .pts = PTS(0.0, 0.0, 1e300, -1e300, 1e-300, 3.0, -2.5, 1e20),
      .cpts = PTS(1.0, 2.0, -1e300, 1e-300) },
    { BF(mul), .ref = ref_mul, .len_a = lb_max1a, .len_b = lb_max1b, .sample = smp_plain,
      .pts = PTS(0.0, 0.0, 1e150, -1e150, 1e-300, 3.0, -2.5, 1e20),
      .cpts = PTS(1.5, -2.0, 1e150, 1e-300, 0.0, 7.0) },
    { BF(div), .ref = ref_div, .len_a = lb_max1a, .len_b = lb_absb, .sample = smp_plain,
      .pts = PTS(0.0, 1.0, 1e150, -1e-150, 1e-300, 3.0, -2.5, 1e20, 1.0, 1e-150),
      .cpts = PTS(1.5, -2.0, 1e150, 1e-100, 0.0, 7.0, 1.0, 3.0) },
    { BF(pow), .ref = pow, .len_a = lb_pow_a, .len_b = lb_pow_b, .sample = smp_pow,
      .pts = PTS(2.0, 0.5, 2.0, 10.0, 0.5, -3.0, 1e-300, 0.5, 1e300, 0.5, 1.0, 7.5,
                 1.0 + 1e-10, 1e6, 10.0, 300.0, -2.0, 3.0, -1.5, -2.0, -7.0, 0.0, 3.0, 1.0),
      .cpts = PTS(2.0, 0.5, 0.5, -3.0, 3.0, 2.5, 10.0, 20.0, 1.0, 7.5, 0.75, 1e-3) },
    { BF(atan2), .ref = atan2, .len_a = lb_atan2_y, .len_b = lb_hyp, .sample = smp_plain,
      .pts = PTS(1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 0.0, 1.0, 0.0, -1.0, 1.0, 0.0,
                 1e-300, 2e-300, 1e300, -3e300, 1e-10, -1.0, 5.0, 1e-200),
      .cpts = PTS(1.0, 1.0, -1.0, 0.5, 3.0, -4.0, 1e-300, 2e-300, 1e300, -3e300) },
    { BF(hypot), .ref = hypot, .len_a = lb_hyp, .len_b = lb_hyp, .sample = smp_plain,
      .pts = PTS(3.0, 4.0, -3.0, 4.0, 0.0, 1.0, 1.0, 0.0, 1e-200, 2e-200, 1e200, -3e200,
                 1e-300, 1.0, 1.0, 1e-300),
      .cpts = PTS(3.0, 4.0, -3.0, 4.0, 0.0, 1.0, 1e-200, 2e-200, 1e200, -3e200) },
    { BF(fmin), .ref = fmin, .len_a = lb_kink, .len_b = lb_kink, .sample = smp_plain,
      .pts = PTS(1.0, 2.0, 2.0, 1.0, -1e300, 1e300, 0.0, 1e-300, 1.0, 1.0 + 1e-12),
      .cpts = PTS(1.0, 2.0, 2.0, 1.0, -3.0, -4.0) },
    { BF(fmax), .ref = fmax, .len_a = lb_kink, .len_b = lb_kink, .sample = smp_plain,
      .pts = PTS(1.0, 2.0, 2.0, 1.0, -1e300, 1e300, 0.0, 1e-300, 1.0, 1.0 + 1e-12),
      .cpts = PTS(1.0, 2.0, 2.0, 1.0, -3.0, -4.0) },
    { BF(copysign), .ref = copysign, .len_a = lb_absa, .len_b = lb_absb, .sample = smp_plain,
      .pts = PTS(3.0, -1.0, -3.0, -1.0, 3.0, 2.0, -3.0, 2.0, 1e-300, -1e300, 1e300, 1e-300),
      .cpts = PTS(3.0, -1.0, -3.0, -1.0, 3.0, 2.0, -3.0, 2.0) },
};
#define N_BINARY ((int)(sizeof g_binary / sizeof g_binary[0]))

/* ---- 1. finite differences, value == libm ---------------------------------------- */

static int fd_unary_point(const unary_fn *u, double x, uint64_t *s)
{
    dj_dual y = u->dual(dj_dual_make(x, 1.0));
    double v = u->ref(x);
    CHECK(same(y.v, v), "%s(%.17g): value %.17g, libm %.17g", u->name, x, y.v, v);
    /* any tangent t: y' = f'(x) t, one rounding (f'(x) * 1 is exact) */
    double t = dj_test_rand(s, -3, 3);
    dj_dual yt = u->dual(dj_dual_make(x, t));
    CHECK(same_num(yt.d, y.d * t), "%s(%.17g) tangent %.17g: %.17g, want %.17g",
          u->name, x, t, yt.d, y.d * t);
    double h = CBRT_EPS * u->len(x);
    double xp = x + h, xm = x - h;
    double fp = u->ref(xp), fm = u->ref(xm);
    if (u->jumps && fp != fm)
        return 0; /* the stencil straddles a jump */
    fd_result fd = fd_quot(fp, fm, xp, xm);
    if (!fd.ok)
        return 0;
    CHECK(fd_close(y.d, fd), "%s'(%.17g): dual %.17g, FD %.17g (+-%.3g)", u->name, x,
          y.d, fd.d, fd.tol + FD_RTOL * fabs(fd.d));
    return 1;
}

static void test_fd_unary(void)
{
    begin();
    uint64_t s = 12345;
    for (int i = 0; i < N_UNARY; ++i) {
        const unary_fn *u = &g_unary[i];
        int tried = 0, done = 0;
        for (const double *p = u->pts; *p != END_PT; ++p, ++tried)
            done += fd_unary_point(u, *p, &s);
        for (int k = 0; k < 400; ++k, ++tried)
            done += fd_unary_point(u, unary_sample(u, &s, k), &s);
        /* skipped: only stencils over a jump of floor/ceil/round/trunc */
        CHECK(done >= tried * 9 / 10 || (u->jumps && done > tried / 2),
              "%s: only %d of %d points usable", u->name, done, tried);
    }
}

static void fd_binary_point(const binary_fn *B, double a, double b, uint64_t *s)
{
    double v = B->ref(a, b);
    dj_dual y10 = B->d(dj_dual_make(a, 1.0), dj_dual_make(b, 0.0));
    dj_dual y01 = B->d(dj_dual_make(a, 0.0), dj_dual_make(b, 1.0));
    dj_dual yxd = B->d_xd(dj_dual_make(a, 1.0), b);
    dj_dual ydx = B->d_dx(a, dj_dual_make(b, 1.0));
    CHECK(same(y10.v, v) && same(y01.v, v), "%s(%.17g, %.17g): value %.17g, libm %.17g",
          B->name, a, b, y10.v, v);
    CHECK(same(yxd.v, v), "%s_xd(%.17g, %.17g): value %.17g, libm %.17g", B->name, a, b, yxd.v, v);
    CHECK(same(ydx.v, v), "%s_dx(%.17g, %.17g): value %.17g, libm %.17g", B->name, a, b, ydx.v, v);
    /* the one-sided forms give the same partial (g*1 + other*0 is exact) */
    CHECK(same_num(yxd.d, y10.d), "%s_xd(%.17g, %.17g): d %.17g, full form %.17g",
          B->name, a, b, yxd.d, y10.d);
    CHECK(same_num(ydx.d, y01.d), "%s_dx(%.17g, %.17g): d %.17g, full form %.17g",
          B->name, a, b, ydx.d, y01.d);
    /* a direction (ta, tb): ga ta + gb tb, two products and one sum, so
     * within 2 eps (|ga ta| + |gb tb|) (4 eps for margin) */
    if (isfinite(y10.d) && isfinite(y01.d)) {
        double ta = dj_test_rand(s, -3, 3), tb = dj_test_rand(s, -3, 3);
        dj_dual y = B->d(dj_dual_make(a, ta), dj_dual_make(b, tb));
        double want = y10.d * ta + y01.d * tb;
        double sc = fabs(y10.d * ta) + fabs(y01.d * tb);
        CHECK(fabs(y.d - want) <= 4 * DBL_EPSILON * sc + DBL_MIN,
              "%s(%.17g, %.17g) direction (%g, %g): %.17g, want %.17g", B->name, a, b,
              ta, tb, y.d, want);
    }
    double La = B->len_a(a, b), Lb = B->len_b(a, b);
    if (La > 0.0) {
        double h = CBRT_EPS * La, xp = a + h, xm = a - h;
        fd_result fd = fd_quot(B->ref(xp, b), B->ref(xm, b), xp, xm);
        if (fd.ok)
            CHECK(fd_close(y10.d, fd), "d%s/da(%.17g, %.17g): dual %.17g, FD %.17g",
                  B->name, a, b, y10.d, fd.d);
    }
    if (Lb > 0.0) {
        double h = CBRT_EPS * Lb, xp = b + h, xm = b - h;
        fd_result fd = fd_quot(B->ref(a, xp), B->ref(a, xm), xp, xm);
        if (fd.ok)
            CHECK(fd_close(y01.d, fd), "d%s/db(%.17g, %.17g): dual %.17g, FD %.17g",
                  B->name, a, b, y01.d, fd.d);
    }
}

static void test_fd_binary(void)
{
    begin();
    uint64_t s = 777;
    for (int i = 0; i < N_BINARY; ++i) {
        const binary_fn *B = &g_binary[i];
        for (const double *p = B->pts; *p != END_PT; p += 2)
            fd_binary_point(B, p[0], p[1], &s);
        for (int k = 0; k < 400; ++k) {
            double a, b;
            B->sample(&s, k, &a, &b);
            fd_binary_point(B, a, b, &s);
        }
    }
}

static void fd_fma_point(double a, double b, double c)
{
    double x[3] = { a, b, c };
    double v = fma(a, b, c);
    for (int j = 0; j < 3; ++j) {
        dj_dual y = dj_dual_fma(dj_dual_make(a, j == 0), dj_dual_make(b, j == 1),
                                dj_dual_make(c, j == 2));
        CHECK(same(y.v, v), "fma(%.17g, %.17g, %.17g): value %.17g, libm %.17g", a, b, c, y.v, v);
        double h = CBRT_EPS * fmax(1.0, fabs(x[j]));
        double xp[3] = { a, b, c }, xm[3] = { a, b, c };
        xp[j] += h;
        xm[j] -= h;
        fd_result fd = fd_quot(fma(xp[0], xp[1], xp[2]), fma(xm[0], xm[1], xm[2]), xp[j], xm[j]);
        if (fd.ok)
            CHECK(fd_close(y.d, fd), "dfma/dx%d(%.17g, %.17g, %.17g): %.17g, FD %.17g", j,
                  a, b, c, y.d, fd.d);
        /* the partials are exactly b, a, 1 */
        double want = j == 0 ? b : (j == 1 ? a : 1.0);
        CHECK(y.d == want, "dfma/dx%d(%.17g, %.17g, %.17g) = %.17g, want %.17g", j, a, b,
              c, y.d, want);
    }
}

static void test_fd_fma(void)
{
    begin();
    uint64_t s = 4242;
    fd_fma_point(0.0, 0.0, 0.0);
    fd_fma_point(1e150, 1e150, -1e300);
    fd_fma_point(1.0 + 0x1p-30, 1.0 - 0x1p-30, -1.0);
    fd_fma_point(-3.0, 1e-300, 2.0);
    for (int k = 0; k < 400; ++k)
        fd_fma_point(dj_test_rand(&s, -10, 10), dj_test_rand(&s, -10, 10),
                     dj_test_rand(&s, -10, 10));
}

/* ---- 2. closed form --------------------------------------------------------------- */

/* The reference derivative is evaluated in long double (64-bit significand
 * on x86-64: 11 more bits than double) and rounded once, so it is within
 * 0.5 ulp + 2^-11 ulp of the true derivative at the given double x. A rule
 * that evaluates f' with a handful of correctly or nearly correctly rounded
 * operations (libm <= 1-2 ulp, a division, a product) lands within ~4 ulp
 * = 8.9e-16; CF_RTOL = 1e-15. The points are chosen so that no rounding
 * inside the rule is amplified by the condition of f' (e.g. x*x is exact
 * for the erf points); the tails are in test_tail_accuracy. */
#define CF_RTOL 1e-15

static void test_closed_form_unary(void)
{
    begin();
    for (int i = 0; i < N_UNARY; ++i) {
        const unary_fn *u = &g_unary[i];
        for (const double *p = u->cpts; *p != END_PT; ++p) {
            double x = opq(*p);
            dj_dual y = u->dual(dj_dual_make(x, 1.0));
            double want = (double)u->dref(x);
            CHECK(rel_close(y.d, want, CF_RTOL), "%s'(%.17g) = %.17g, closed form %.17g (rel %.2g)",
                  u->name, x, y.d, want, fabs(y.d - want) / fabs(want));
        }
    }
    /* the textbook identities, literally */
    for (double x = -3.0; x <= 3.0; x += 0.375) {
        double xo = opq(x);
        CHECK(dj_dual_sin(dj_dual_make(xo, 1.0)).d == cos(xo), "sin' != cos at %g", x);
        CHECK(dj_dual_cos(dj_dual_make(xo, 1.0)).d == -sin(xo), "cos' != -sin at %g", x);
        CHECK(dj_dual_exp(dj_dual_make(xo, 1.0)).d == exp(xo), "exp' != exp at %g", x);
        CHECK(dj_dual_sinh(dj_dual_make(xo, 1.0)).d == cosh(xo), "sinh' != cosh at %g", x);
        CHECK(dj_dual_cosh(dj_dual_make(xo, 1.0)).d == sinh(xo), "cosh' != sinh at %g", x);
    }
}

static void test_closed_form_binary(void)
{
    begin();
    for (int i = 0; i < N_BINARY; ++i) {
        const binary_fn *B = &g_binary[i];
        for (const double *p = B->cpts; *p != END_PT; p += 2) {
            double a = opq(p[0]), b = opq(p[1]);
            long double ga, gb;
            B->dref(a, b, &ga, &gb);
            dj_dual y10 = B->d(dj_dual_make(a, 1.0), dj_dual_make(b, 0.0));
            dj_dual y01 = B->d(dj_dual_make(a, 0.0), dj_dual_make(b, 1.0));
            CHECK(rel_close(y10.d, (double)ga, CF_RTOL), "d%s/da(%.17g, %.17g) = %.17g, closed form %.17g",
                  B->name, a, b, y10.d, (double)ga);
            CHECK(rel_close(y01.d, (double)gb, CF_RTOL), "d%s/db(%.17g, %.17g) = %.17g, closed form %.17g",
                  B->name, a, b, y01.d, (double)gb);
        }
    }
}

/* Relative accuracy away from the "typical" points: large |x|, overflow of
 * intermediates, cancellation. The allowed error is 4 ulp times (1 + the
 * condition number |x f''(x) / f'(x)| of the derivative), which is what a
 * rule evaluated in double precision can be expected to reach (the rounding
 * of x itself is amplified by the condition). */
static void tail_check(const char *name, dj_dual (*f)(dj_dual), long double (*dref)(long double),
                       double x, double cond)
{
    double xo = opq(x);
    double got = f(dj_dual_make(xo, 1.0)).d;
    double want = (double)dref(xo);
    double tol = 4 * DBL_EPSILON * (1.0 + cond);
    CHECK(rel_close(got, want, tol), "%s'(%.17g) = %.17g, exact %.17g (rel err %.3g, allowed %.3g)",
          name, x, got, want, fabs(got - want) / fabs(want), tol);
}

static void test_tail_accuracy(void)
{
    begin();
    /* tanh' = sech^2, condition 2 |x tanh x| */
    const double th[] = { 2.0, 3.0, 5.0, -10.0, 15.0, 19.0 };
    for (size_t k = 0; k < sizeof th / sizeof th[0]; ++k)
        tail_check("tanh", dj_dual_tanh, dn_tanh, th[k], 2 * fabs(th[k] * tanh(th[k])));
    /* expm1' = exp, condition |x| */
    const double em[] = { -3.0, -10.0, -30.0, -40.0 };
    for (size_t k = 0; k < sizeof em / sizeof em[0]; ++k)
        tail_check("expm1", dj_dual_expm1, dn_expm1, em[k], fabs(em[k]));
    /* acosh' = 1/sqrt(x^2 - 1) ~ 1/x: condition ~1, representable for all x */
    const double ac[] = { 1e100, 1e154, 1e155, 1e200, 1e300 };
    for (size_t k = 0; k < sizeof ac / sizeof ac[0]; ++k)
        tail_check("acosh", dj_dual_acosh, dn_acosh, ac[k], 1.0);
    /* atan' = 1/(1+x^2) ~ 1/x^2: condition 2, a normal double for |x| < 1e154 */
    const double at[] = { 1e149, 1e151, -1e153 };
    for (size_t k = 0; k < sizeof at / sizeof at[0]; ++k)
        tail_check("atan", dj_dual_atan, dn_atan, at[k], 2.0);
    /* these are fine and stay fine: large-argument forms that do not cancel */
    tail_check("asinh", dj_dual_asinh, dn_asinh, 1e300, 1.0);
    tail_check("log1p", dj_dual_log1p, dn_log1p, 1e300, 1.0);
    tail_check("erfc", dj_dual_erfc, dn_erfc, 26.5, 2 * 26.5 * 26.5);
    tail_check("erf", dj_dual_erf, dn_erf, -20.0, 2 * 20.0 * 20.0);
    tail_check("tan", dj_dual_tan, dn_tan, PI_ / 2, 1.0);
    tail_check("cbrt", dj_dual_cbrt, dn_cbrt, 1e-310, 1.0);
    tail_check("exp", dj_dual_exp, dn_exp, -700.0, 700.0);
}

/* ---- 3. chunks lane by lane against dj_dual ------------------------------- */

/* Lane k of a chunk and a dj_dual with tangent = lane k's seed evaluate the
 * same expression ga a' + gb b' (+ gc c') with the same partials. Without
 * contraction the results are bit-identical; if the compiler contracts the
 * vector or scalar form into an fma (-ffp-contract, -march with FMA), each
 * contraction skips one rounding of a product, which changes the result by
 * at most eps/2 per term of sum |g_i t_i|. With up to three terms and the
 * two evaluation orders, LANE_ULPS = 4 eps (relative to sum |g_i t_i|)
 * covers it. Non-finite partials take the exact scalar path: equality. */
#define LANE_ULPS (4 * DBL_EPSILON)

static int lane_close(double got, double want, double scale)
{
    if (same_num(got, want))
        return 1;
    if (!isfinite(scale) || !isfinite(got) || !isfinite(want))
        return 0;
    return fabs(got - want) <= LANE_ULPS * scale;
}

/* Random tangent lanes, every fifth one exactly 0. */
static double lane_seed(uint64_t *s, int k)
{
    return k % 5 == 2 ? 0.0 : dj_test_rand(s, -2, 2);
}

#define DEF_LANES(N)                                                          \
static void lanes_unary_##N(const unary_fn *u, double x, uint64_t *s)         \
{                                                                             \
    dj_c##N c = dj_c##N##_const(x);                                           \
    for (int k = 0; k < N; ++k)                                               \
        c.d[k] = lane_seed(s, k);                                             \
    dj_c##N y = u->c##N(c);                                                   \
    double v = u->ref(x);                                                     \
    CHECK(same(y.v, v), "c" #N " %s(%.17g): value %.17g, libm %.17g", u->name, \
          x, y.v, v);                                                         \
    for (int k = 0; k < N; ++k) {                                             \
        dj_dual e = u->dual(dj_dual_make(x, c.d[k]));                         \
        CHECK(lane_close(y.d[k], e.d, fabs(e.d)),                             \
              "c" #N " %s(%.17g) lane %d: %.17g, dual %.17g", u->name, x, k,  \
              (double)y.d[k], e.d);                                           \
    }                                                                         \
}                                                                             \
static void lanes_binary_##N(const binary_fn *B, double a, double b, uint64_t *s) \
{                                                                             \
    dj_c##N ca = dj_c##N##_const(a), cb = dj_c##N##_const(b);                 \
    for (int k = 0; k < N; ++k) {                                             \
        ca.d[k] = lane_seed(s, k);                                            \
        cb.d[k] = lane_seed(s, k + 1);                                        \
    }                                                                         \
    double v = B->ref(a, b);                                                  \
    dj_rule2 r = B->rule(a, b);                                               \
    dj_c##N y = B->c##N(ca, cb), yx = B->c##N##_xd(ca, b),                    \
            yd = B->c##N##_dx(a, cb);                                         \
    CHECK(same(y.v, v) && same(yx.v, v) && same(yd.v, v),                     \
          "c" #N " %s(%.17g, %.17g): values %.17g %.17g %.17g, libm %.17g",   \
          B->name, a, b, y.v, yx.v, yd.v, v);                                 \
    for (int k = 0; k < N; ++k) {                                             \
        double ta = ca.d[k], tb = cb.d[k];                                    \
        dj_dual e = B->d(dj_dual_make(a, ta), dj_dual_make(b, tb));           \
        dj_dual ex = B->d_xd(dj_dual_make(a, ta), b);                         \
        dj_dual ed = B->d_dx(a, dj_dual_make(b, tb));                         \
        double sc = fabs(r.ga * ta) + fabs(r.gb * tb);                        \
        CHECK(lane_close(y.d[k], e.d, sc),                                    \
              "c" #N " %s(%.17g, %.17g) lane %d: %.17g, dual %.17g", B->name, \
              a, b, k, (double)y.d[k], e.d);                                  \
        CHECK(lane_close(yx.d[k], ex.d, fabs(ex.d)),                          \
              "c" #N " %s_xd(%.17g, %.17g) lane %d: %.17g, dual %.17g",       \
              B->name, a, b, k, (double)yx.d[k], ex.d);                       \
        CHECK(lane_close(yd.d[k], ed.d, fabs(ed.d)),                          \
              "c" #N " %s_dx(%.17g, %.17g) lane %d: %.17g, dual %.17g",       \
              B->name, a, b, k, (double)yd.d[k], ed.d);                       \
    }                                                                         \
}                                                                             \
static void lanes_fma_##N(double a, double b, double c, uint64_t *s)          \
{                                                                             \
    dj_c##N ca = dj_c##N##_const(a), cb = dj_c##N##_const(b),                 \
            cc = dj_c##N##_const(c);                                          \
    for (int k = 0; k < N; ++k) {                                             \
        ca.d[k] = lane_seed(s, k);                                            \
        cb.d[k] = lane_seed(s, k + 1);                                        \
        cc.d[k] = lane_seed(s, k + 2);                                        \
    }                                                                         \
    dj_c##N y = dj_c##N##_fma(ca, cb, cc);                                    \
    CHECK(same(y.v, fma(a, b, c)), "c" #N " fma value %.17g", y.v);            \
    for (int k = 0; k < N; ++k) {                                             \
        double ta = ca.d[k], tb = cb.d[k], tc = cc.d[k];                      \
        dj_dual e = dj_dual_fma(dj_dual_make(a, ta), dj_dual_make(b, tb),     \
                                dj_dual_make(c, tc));                         \
        double sc = fabs(b * ta) + fabs(a * tb) + fabs(tc);                   \
        CHECK(lane_close(y.d[k], e.d, sc),                                    \
              "c" #N " fma(%.17g, %.17g, %.17g) lane %d: %.17g, dual %.17g",  \
              a, b, c, k, (double)y.d[k], e.d);                               \
    }                                                                         \
}
DEF_LANES(8)
DEF_LANES(16)
DEF_LANES(32)
DEF_LANES(64)

/* Special points: edges, zeros, infinities, NaN (used by tests 3, 6, 7). */
static const double g_special[] = {
    0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1e-310, -1e-310, 1e308, -1e308,
    710.0, -710.0, 3.0, INFINITY, -INFINITY, NAN,
};
#define N_SPECIAL ((int)(sizeof g_special / sizeof g_special[0]))

static void test_lanes_unary(void)
{
    begin();
    uint64_t s = 31337;
    for (int i = 0; i < N_UNARY; ++i) {
        const unary_fn *u = &g_unary[i];
        for (int k = 0; k < 40 + N_SPECIAL; ++k) {
            double x = k < N_SPECIAL ? g_special[k] : unary_sample(u, &s, k);
            lanes_unary_8(u, x, &s);
            lanes_unary_16(u, x, &s);
            lanes_unary_32(u, x, &s);
            lanes_unary_64(u, x, &s);
        }
        for (const double *p = u->pts; *p != END_PT; ++p) {
            lanes_unary_8(u, *p, &s);
            lanes_unary_64(u, *p, &s);
        }
    }
}

static void test_lanes_binary(void)
{
    begin();
    uint64_t s = 8086;
    for (int i = 0; i < N_BINARY; ++i) {
        const binary_fn *B = &g_binary[i];
        for (int k = 0; k < 40; ++k) {
            double a, b;
            B->sample(&s, k, &a, &b);
            lanes_binary_8(B, a, b, &s);
            lanes_binary_16(B, a, b, &s);
            lanes_binary_32(B, a, b, &s);
            lanes_binary_64(B, a, b, &s);
        }
        for (int j = 0; j < N_SPECIAL; j += 2)
            for (int k = 0; k < N_SPECIAL; k += 3) {
                lanes_binary_8(B, g_special[j], g_special[k], &s);
                lanes_binary_16(B, g_special[j], g_special[k], &s);
                lanes_binary_32(B, g_special[j], g_special[k], &s);
                lanes_binary_64(B, g_special[j], g_special[k], &s);
            }
        for (const double *p = B->pts; *p != END_PT; p += 2) {
            lanes_binary_8(B, p[0], p[1], &s);
            lanes_binary_64(B, p[0], p[1], &s);
        }
    }
    for (int k = 0; k < 40; ++k) {
        double a = dj_test_rand(&s, -10, 10), b = dj_test_rand(&s, -10, 10),
               c = dj_test_rand(&s, -10, 10);
        lanes_fma_8(a, b, c, &s);
        lanes_fma_16(a, b, c, &s);
        lanes_fma_32(a, b, c, &s);
        lanes_fma_64(a, b, c, &s);
    }
    lanes_fma_8(INFINITY, 2.0, 1.0, &s);
    lanes_fma_64(0.0, INFINITY, 1.0, &s);
}

/* ---- 4. the generic layer ------------------------------------------------------- */

#define IS_T(e, T) _Generic((e), T: 1, default: 0)

/* every unary and binary generic spelling on one type T (dj_dual or a chunk),
 * compared with the typed function P##_f */
#define GEN_U_(f)                                                             \
    CHECK(IS_T(dj_##f(x), T_), #f " on " T_NAME_ ": wrong type");             \
    CHECK(EQ_(dj_##f(x), P_(f)(x)),                                          \
          #f " on " T_NAME_ ": differs from the typed function");
#define GEN_B_(f)                                                             \
    CHECK(IS_T(dj_##f(x, y), T_), #f " on " T_NAME_ ": wrong type");          \
    CHECK(EQ_(dj_##f(x, y), P_(f)(x, y)), #f "(T, T) on " T_NAME_);          \
    CHECK(EQ_(dj_##f(x, 1.25), P_(f##_xd)(x, 1.25)),                          \
          #f "(T, double) on " T_NAME_);                                      \
    CHECK(EQ_(dj_##f(2, x), P_(f##_dx)(2.0, x)), #f "(int, T) on " T_NAME_);

#define GEN_TYPE_TEST(T, P, NAME, MAKE)                                        \
static void generic_##T(void)                                                 \
{                                                                             \
    T x = MAKE(opq(0.375), 0), y = MAKE(opq(1.75), 1);                        \
    DJ_UNARY_RULES(GEN_U_)                                                    \
    DJ_BINARY_RULES(GEN_B_)                                                   \
    CHECK(IS_T(dj_fma(x, y, x), T), "fma on " NAME);                          \
    CHECK(EQ_(dj_fma(x, y, x), P##_fma(x, y, x)), "fma on " NAME);            \
    CHECK(IS_T(dj_value(x), double) && dj_value(x) == 0.375, "value on " NAME); \
    T c = dj_const(T, 2.5);                                                   \
    T c2 = P##_const(2.5);                                                    \
    CHECK(IS_T(dj_const(T, 2.5), T) && EQ_(c, c2),                            \
          "const on " NAME);                                                  \
    /* mixed forms with their derivatives: x has tangent 1 in lane 0 */       \
    T p1 = dj_pow(2.0, x), p2 = dj_pow(x, 3), s1 = dj_sub(1, x),              \
      m1 = dj_mul(2, x), a1 = dj_add(x, 1.5f), d1 = dj_div(1, y);             \
    CHECK(p1.v == pow(2.0, opq(0.375)) &&                                     \
          rel_close(P##_lane0(p1), pow(2.0, 0.375) * log(2.0), 1e-15),        \
          "pow(2.0, x) on " NAME);                                            \
    CHECK(p2.v == pow(opq(0.375), 3.0) && rel_close(P##_lane0(p2), 3 * 0.375 * 0.375, 1e-15), \
          "pow(x, 3) on " NAME);                                              \
    CHECK(s1.v == 0.625 && P##_lane0(s1) == -1.0, "sub(1, x) on " NAME);      \
    CHECK(m1.v == 0.75 && P##_lane0(m1) == 2.0, "mul(2, x) on " NAME);        \
    CHECK(a1.v == 1.875 && P##_lane0(a1) == 1.0, "add(x, 1.5f) on " NAME);    \
    CHECK(d1.v == 1.0 / 1.75 && P##_lane0(d1) == 0.0, "div(1, y) on " NAME);  \
}

static dj_dual mk_dual(double v, int lane) { return dj_dual_seed(v, lane); }

/* Field-wise equality (same() on the value and on every lane); not memcmp:
 * the chunk structs may have padding after v. */
static int eq_dual(dj_dual a, dj_dual b) { return same(a.v, b.v) && same(a.d, b.d); }
#define DEF_EQ(N)                                                             \
static int eq_c##N(dj_c##N a, dj_c##N b)                                      \
{                                                                             \
    int ok = same(a.v, b.v);                                                  \
    for (int k = 0; k < N; ++k)                                               \
        ok &= same(a.d[k], b.d[k]);                                           \
    return ok;                                                                \
}
DEF_EQ(8)
DEF_EQ(16)
DEF_EQ(32)
DEF_EQ(64)
static double dj_dual_lane0(dj_dual x) { return x.d; }
static double dj_c8_lane0(dj_c8 x) { return x.d[0]; }
static double dj_c16_lane0(dj_c16 x) { return x.d[0]; }
static double dj_c32_lane0(dj_c32 x) { return x.d[0]; }
static double dj_c64_lane0(dj_c64 x) { return x.d[0]; }

#define T_ dj_dual
#define EQ_ eq_dual
#define T_NAME_ "dj_dual"
#define P_(f) dj_dual_##f
GEN_TYPE_TEST(dj_dual, dj_dual, "dj_dual", mk_dual)
#undef T_
#undef EQ_
#undef T_NAME_
#undef P_
#define T_ dj_c8
#define EQ_ eq_c8
#define T_NAME_ "dj_c8"
#define P_(f) dj_c8_##f
GEN_TYPE_TEST(dj_c8, dj_c8, "dj_c8", dj_c8_seed)
#undef T_
#undef EQ_
#undef T_NAME_
#undef P_
#define T_ dj_c16
#define EQ_ eq_c16
#define T_NAME_ "dj_c16"
#define P_(f) dj_c16_##f
GEN_TYPE_TEST(dj_c16, dj_c16, "dj_c16", dj_c16_seed)
#undef T_
#undef EQ_
#undef T_NAME_
#undef P_
#define T_ dj_c32
#define EQ_ eq_c32
#define T_NAME_ "dj_c32"
#define P_(f) dj_c32_##f
GEN_TYPE_TEST(dj_c32, dj_c32, "dj_c32", dj_c32_seed)
#undef T_
#undef EQ_
#undef T_NAME_
#undef P_
#define T_ dj_c64
#define EQ_ eq_c64
#define T_NAME_ "dj_c64"
#define P_(f) dj_c64_##f
GEN_TYPE_TEST(dj_c64, dj_c64, "dj_c64", dj_c64_seed)
#undef T_
#undef EQ_
#undef T_NAME_
#undef P_

static void test_generic(void)
{
    begin();
    generic_dj_dual();
    generic_dj_c8();
    generic_dj_c16();
    generic_dj_c32();
    generic_dj_c64();

    /* plain numbers: double and int arguments give doubles, libm values */
    double x = opq(0.375), y = opq(1.75);
#define GEN_REAL_U_(f)                                                        \
    CHECK(IS_T(dj_##f(x), double) && same(dj_##f(x), dj_real_##f(x)), #f " on double");
    DJ_UNARY_RULES(GEN_REAL_U_)
#undef GEN_REAL_U_
    CHECK(same(dj_sin(x), sin(x)) && same(dj_exp(y), exp(y)) && same(dj_neg(x), -x),
          "sin/exp/neg on double");
    CHECK(IS_T(dj_sin(1), double) && same(dj_sin(1), sin(opq(1.0))), "sin on int");
    CHECK(IS_T(dj_mul(2, 3), double) && dj_mul(2, 3) == 6.0, "mul on ints");
    CHECK(IS_T(dj_sub(1, x), double) && dj_sub(1, x) == 0.625, "sub(int, double)");
    CHECK(IS_T(dj_pow(x, 2), double) && same(dj_pow(x, 2), pow(x, 2.0)), "pow(double, int)");
    CHECK(same(dj_pow(2.0, y), pow(2.0, y)) && same(dj_atan2(x, y), atan2(x, y)) &&
          same(dj_hypot(x, y), hypot(x, y)) && dj_fmin(x, y) == x && dj_fmax(x, y) == y &&
          same(dj_copysign(x, -1), -x) && dj_add(x, y) == x + y && dj_div(x, y) == x / y,
          "binary on double");
    CHECK(IS_T(dj_fma(x, y, 1.0), double) && same(dj_fma(x, y, 1.0), fma(x, y, 1.0)), "fma on double");
    CHECK(IS_T(dj_value(x), double) && dj_value(x) == x && dj_value(3) == 3.0, "value on numbers");
    CHECK(IS_T(dj_const(double, 2.5), double) && dj_const(double, 2.5) == 2.5, "const double");

    /* dual: seeded and constant, mixed with ints on either side */
    dj_dual xd = dj_dual_seed(x, 0);
    CHECK(xd.v == x && xd.d == 1.0 && dj_dual_seed(x, 1).d == 0.0, "dual seed");
    dj_dual k = dj_const(dj_dual, 7);
    CHECK(k.v == 7.0 && k.d == 0.0, "dj_const(dj_dual, 7)");
    dj_dual q = dj_mul(dj_sub(1, xd), dj_pow(xd, 3)); /* (1-x) x^3 */
    CHECK(rel_close(q.d, 3 * 0.375 * 0.375 - 4 * 0.375 * 0.375 * 0.375, 1e-15),
          "(1-x) x^3 derivative %.17g", q.d);

    /* chunks: seed puts 1 in one lane only; const is all zero lanes */
    dj_c16 c = dj_c16_seed(x, 5);
    int ok = c.v == x;
    for (int j = 0; j < 16; ++j)
        ok &= c.d[j] == (j == 5 ? 1.0 : 0.0);
    CHECK(ok, "c16 seed");
    dj_c32 cc = dj_const(dj_c32, -1.5);
    ok = cc.v == -1.5;
    for (int j = 0; j < 32; ++j)
        ok &= cc.d[j] == 0.0;
    CHECK(ok, "dj_const(dj_c32, -1.5)");
    dj_c64 cs = dj_c64_seed(x, 64); /* out of range lane: a constant */
    ok = cs.v == x;
    for (int j = 0; j < 64; ++j)
        ok &= cs.d[j] == 0.0;
    CHECK(ok, "c64 seed with lane 64 is a constant");
}

/* ---- 5. conventions at kinks and edges --------------------------------------------- */

static double d1(dj_dual (*f)(dj_dual), double x) { return f(dj_dual_make(opq(x), 1.0)).d; }

/* the two partials of a binary op through the full form, and the one-sided forms */
static void d2(const char *name, double a, double b, double *ga, double *gb)
{
    const binary_fn *B = NULL;
    for (int i = 0; i < N_BINARY; ++i)
        if (strcmp(g_binary[i].name, name) == 0)
            B = &g_binary[i];
    a = opq(a);
    b = opq(b);
    *ga = B->d(dj_dual_make(a, 1.0), dj_dual_make(b, 0.0)).d;
    *gb = B->d(dj_dual_make(a, 0.0), dj_dual_make(b, 1.0)).d;
    double xa = B->d_xd(dj_dual_make(a, 1.0), b).d, xb = B->d_dx(a, dj_dual_make(b, 1.0)).d;
    CHECK(same_num(xa, *ga) && same_num(xb, *gb), "%s(%g, %g): one-sided forms %g %g vs %g %g",
          name, a, b, xa, xb, *ga, *gb);
    /* and every chunk width, lane 0 and lane 1 seeded */
    dj_c8 r8 = B->c8(dj_c8_seed(a, 0), dj_c8_seed(b, 1));
    dj_c16 r16 = B->c16(dj_c16_seed(a, 0), dj_c16_seed(b, 1));
    dj_c32 r32 = B->c32(dj_c32_seed(a, 0), dj_c32_seed(b, 1));
    dj_c64 r64 = B->c64(dj_c64_seed(a, 0), dj_c64_seed(b, 1));
    CHECK(same_num(r8.d[0], *ga) && same_num(r8.d[1], *gb) && same_num(r16.d[0], *ga) &&
          same_num(r16.d[1], *gb) && same_num(r32.d[0], *ga) && same_num(r32.d[1], *gb) &&
          same_num(r64.d[0], *ga) && same_num(r64.d[1], *gb),
          "%s(%g, %g): chunk partials differ from dual", name, a, b);
}

#define CONV(cond, ...) CHECK(cond, __VA_ARGS__)

/* hypot and atan2 partials stay right where x^2 + y^2 over- or underflows:
 * the rules scale by max(|a|, |b|). */
static void test_hypot_atan2_extremes(void)
{
    const double big[] = { 1e308, 1e200, 1e-200, 1e-300 };  /* normal: b = 0.75 a exact enough */
    for (size_t k = 0; k < sizeof big / sizeof *big; ++k) {
        double a = big[k], b = big[k] * 0.75;
        dj_dual h = dj_dual_hypot(dj_dual_seed(a, 0), dj_dual_const(b));
        DJ_ASSERT_CLOSE(h.d, 0.8, 4 * DBL_EPSILON);           /* a / hypot = 4/5 */
        h = dj_dual_hypot(dj_dual_const(a), dj_dual_seed(b, 0));
        DJ_ASSERT_CLOSE(h.d, 0.6, 4 * DBL_EPSILON);
        /* d atan2(y, x)/dy = x/(x^2+y^2) = 0.64 / x for y = 0.75 x */
        dj_dual t = dj_dual_atan2(dj_dual_seed(b, 0), dj_dual_const(a));
        double want = 0.64 / a;
        if (isfinite(want) && want > 1e-300)
            CU_ASSERT(fabs(t.d - want) <= 8 * DBL_EPSILON * want);
    }
}

static void test_conventions(void)
{
    begin();
    double ga, gb;
    /* fabs at 0 */
    CONV(d1(dj_dual_fabs, 0.0) == 0.0, "fabs'(0) = %g", d1(dj_dual_fabs, 0.0));
    CONV(d1(dj_dual_fabs, -0.0) == 0.0, "fabs'(-0) = %g", d1(dj_dual_fabs, -0.0));
    CONV(d1(dj_dual_fabs, -2.0) == -1.0 && d1(dj_dual_fabs, 1e-300) == 1.0, "fabs' sign");
    /* sqrt, cbrt at 0: +inf; outside the domain NaN */
    CONV(d1(dj_dual_sqrt, 0.0) == INFINITY, "sqrt'(0) = %g", d1(dj_dual_sqrt, 0.0));
    CONV(d1(dj_dual_cbrt, 0.0) == INFINITY, "cbrt'(0) = %g", d1(dj_dual_cbrt, 0.0));
    CONV(d1(dj_dual_cbrt, -0.0) == INFINITY, "cbrt'(-0) = %g", d1(dj_dual_cbrt, -0.0));
    CONV(d1(dj_dual_sqrt, -0.0) == INFINITY, "sqrt'(-0) = %g, want +inf (sqrt(-0) = -0, "
         "0.5/-0 = -inf)", d1(dj_dual_sqrt, -0.0));
    CONV(isnan(d1(dj_dual_sqrt, -1.0)) && isnan(dj_dual_sqrt(dj_dual_make(opq(-1.0), 1)).v),
         "sqrt(-1): value and derivative NaN");
    /* log at 0: +inf; asin, acos, atanh at +-1, acosh at 1: +-inf */
    CONV(d1(dj_dual_log, 0.0) == INFINITY, "log'(0) = %g", d1(dj_dual_log, 0.0));
    CONV(d1(dj_dual_log2, 0.0) == INFINITY, "log2'(0) = %g", d1(dj_dual_log2, 0.0));
    CONV(d1(dj_dual_log10, 0.0) == INFINITY, "log10'(0) = %g", d1(dj_dual_log10, 0.0));
    CONV(d1(dj_dual_log1p, -1.0) == INFINITY, "log1p'(-1) = %g", d1(dj_dual_log1p, -1.0));
    CONV(d1(dj_dual_log, -0.0) == INFINITY, "log'(-0) = %g, want +inf", d1(dj_dual_log, -0.0));
    CONV(d1(dj_dual_log2, -0.0) == INFINITY, "log2'(-0) = %g, want +inf", d1(dj_dual_log2, -0.0));
    CONV(d1(dj_dual_log10, -0.0) == INFINITY, "log10'(-0) = %g, want +inf", d1(dj_dual_log10, -0.0));
    CONV(d1(dj_dual_asin, 1.0) == INFINITY && d1(dj_dual_asin, -1.0) == INFINITY, "asin'(+-1)");
    CONV(d1(dj_dual_acos, 1.0) == -INFINITY && d1(dj_dual_acos, -1.0) == -INFINITY, "acos'(+-1)");
    CONV(d1(dj_dual_atanh, 1.0) == INFINITY && d1(dj_dual_atanh, -1.0) == INFINITY, "atanh'(+-1)");
    CONV(d1(dj_dual_acosh, 1.0) == INFINITY, "acosh'(1)");
    /* floor, ceil, round, trunc: 0 everywhere, also at the jumps */
    const double steps[] = { 0.0, -0.0, 2.5, -2.5, 3.0, -1.5, 0.49999999999999994, 1e300 };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; ++k) {
        double x = steps[k];
        CONV(d1(dj_dual_floor, x) == 0.0 && d1(dj_dual_ceil, x) == 0.0 &&
             d1(dj_dual_round, x) == 0.0 && d1(dj_dual_trunc, x) == 0.0,
             "floor/ceil/round/trunc' at %g", x);
    }

    /* pow: b == 0 gives df/da = 0 for every a */
    const double as[] = { 0.0, -0.0, 2.0, -3.0, 1e-300, 1e300 };
    for (size_t k = 0; k < sizeof as / sizeof as[0]; ++k) {
        d2("pow", as[k], 0.0, &ga, &gb);
        CONV(ga == 0.0, "dpow/da(%g, 0) = %g", as[k], ga);
    }
    /* a == 0, b > 0: df/db = 0; df/da = b 0^(b-1) */
    const double bs[] = { 0.5, 1.0, 2.0, 3.0, 1e-300 };
    for (size_t k = 0; k < sizeof bs / sizeof bs[0]; ++k) {
        d2("pow", 0.0, bs[k], &ga, &gb);
        CONV(gb == 0.0, "dpow/db(0, %g) = %g", bs[k], gb);
    }
    d2("pow", 0.0, 1.0, &ga, &gb);
    CONV(ga == 1.0, "dpow/da(0, 1) = %g", ga);
    d2("pow", 0.0, 2.0, &ga, &gb);
    CONV(ga == 0.0, "dpow/da(0, 2) = %g", ga);
    d2("pow", 0.0, 0.5, &ga, &gb);
    CONV(ga == INFINITY, "dpow/da(0, 0.5) = %g", ga);
    /* negative base, integer exponent: value and df/da; df/db = NaN */
    d2("pow", -2.0, 3.0, &ga, &gb);
    CONV(ga == 12.0 && isnan(gb), "pow(-2, 3): partials %g %g", ga, gb);
    d2("pow", -2.0, -3.0, &ga, &gb);
    CONV(ga == -0.1875 && isnan(gb), "pow(-2, -3): partials %g %g", ga, gb);
    d2("pow", -1.5, 2.0, &ga, &gb);
    CONV(ga == -3.0, "dpow/da(-1.5, 2) = %g", ga);
    {
        dj_dual r = dj_dual_pow(dj_dual_make(opq(-2.0), 1.0), dj_dual_make(opq(3.0), 0.0));
        CONV(r.v == -8.0 && r.d == 12.0, "pow(-2, 3) with zero b tangent: %g %g", r.v, r.d);
        r = dj_dual_pow(dj_dual_make(opq(-2.0), 0.5), dj_dual_const(3.0));
        CONV(r.v == -8.0 && r.d == 6.0, "pow(-2, const 3): %g %g", r.v, r.d);
        r = dj_dual_pow_xd(dj_dual_make(opq(-2.0), 1.0), 3.0);
        CONV(r.v == -8.0 && r.d == 12.0, "pow_xd(-2, 3): %g %g", r.v, r.d);
        dj_c8 a8 = dj_c8_seed(opq(-2.0), 3), b8 = dj_c8_const(opq(5.0));
        dj_c8 r8 = dj_c8_pow(a8, b8);
        int ok = r8.v == -32.0;
        for (int k = 0; k < 8; ++k)
            ok &= r8.d[k] == (k == 3 ? 80.0 : 0.0);
        CONV(ok, "c8 pow(-2, 5) with constant exponent: all lanes finite, lane 3 = 80");
    }

    /* fmin, fmax: ties 1/2 each; NaN picks the other argument */
    d2("fmin", 2.0, 2.0, &ga, &gb);
    CONV(ga == 0.5 && gb == 0.5, "fmin tie: %g %g", ga, gb);
    d2("fmax", 2.0, 2.0, &ga, &gb);
    CONV(ga == 0.5 && gb == 0.5, "fmax tie: %g %g", ga, gb);
    d2("fmin", 0.0, -0.0, &ga, &gb);
    CONV(ga == 0.5 && gb == 0.5, "fmin(0, -0) tie: %g %g", ga, gb);
    {
        dj_dual r = dj_dual_fmin(dj_dual_make(opq(2.0), 1.0), dj_dual_make(opq(2.0), 1.0));
        CONV(r.v == 2.0 && r.d == 1.0, "fmin(x, x)' = %g", r.d);
        r = dj_dual_fmax(dj_dual_make(opq(-1.0), 3.0), dj_dual_make(opq(-1.0), 5.0));
        CONV(r.v == -1.0 && r.d == 4.0, "fmax tie averages tangents: %g", r.d);
    }
    d2("fmin", NAN, 3.0, &ga, &gb);
    CONV(ga == 0.0 && gb == 1.0, "fmin(NaN, 3) partials %g %g", ga, gb);
    d2("fmin", 3.0, NAN, &ga, &gb);
    CONV(ga == 1.0 && gb == 0.0, "fmin(3, NaN) partials %g %g", ga, gb);
    d2("fmax", NAN, 3.0, &ga, &gb);
    CONV(ga == 0.0 && gb == 1.0, "fmax(NaN, 3) partials %g %g", ga, gb);
    d2("fmax", 3.0, NAN, &ga, &gb);
    CONV(ga == 1.0 && gb == 0.0, "fmax(3, NaN) partials %g %g", ga, gb);
    {
        dj_dual r = dj_dual_fmin(dj_dual_make(opq(NAN), 1.0), dj_dual_make(opq(3.0), 7.0));
        CONV(r.v == 3.0 && r.d == 7.0, "fmin(NaN, 3): %g %g", r.v, r.d);
        r = dj_dual_fmax_xd(dj_dual_make(opq(3.0), 7.0), opq(NAN));
        CONV(r.v == 3.0 && r.d == 7.0, "fmax_xd(3, NaN): %g %g", r.v, r.d);
        r = dj_dual_fmax_dx(opq(NAN), dj_dual_make(opq(3.0), 7.0));
        CONV(r.v == 3.0 && r.d == 7.0, "fmax_dx(NaN, 3): %g %g", r.v, r.d);
        r = dj_dual_fmin_xd(dj_dual_make(opq(NAN), 7.0), opq(3.0));
        CONV(r.v == 3.0 && r.d == 0.0, "fmin_xd(NaN, 3): %g %g", r.v, r.d);
    }

    /* atan2, hypot at the origin: all partials 0 */
    const double zs[] = { 0.0, -0.0 };
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
            d2("atan2", zs[i], zs[j], &ga, &gb);
            CONV(ga == 0.0 && gb == 0.0, "atan2(%g, %g) partials %g %g", zs[i], zs[j], ga, gb);
            d2("hypot", zs[i], zs[j], &ga, &gb);
            CONV(ga == 0.0 && gb == 0.0, "hypot(%g, %g) partials %g %g", zs[i], zs[j], ga, gb);
        }
    {
        dj_dual r = dj_dual_hypot(dj_dual_make(opq(0.0), 1.0), dj_dual_make(opq(0.0), 1.0));
        CONV(r.v == 0.0 && r.d == 0.0, "hypot(0, 0): %g %g", r.v, r.d);
        r = dj_dual_atan2(dj_dual_make(opq(-0.0), 1.0), dj_dual_make(opq(-0.0), 1.0));
        CONV(same(r.v, atan2(opq(-0.0), opq(-0.0))) && r.d == 0.0, "atan2(-0, -0): %g %g", r.v, r.d);
    }
    /* atan2 on the axes (not the origin): exact partials */
    d2("atan2", 0.0, 2.0, &ga, &gb);
    CONV(ga == 0.5 && gb == 0.0, "atan2(0, 2) partials %g %g", ga, gb);
    d2("atan2", 2.0, 0.0, &ga, &gb);
    CONV(ga == 0.0 && gb == -0.5, "atan2(2, 0) partials %g %g", ga, gb);

    /* copysign */
    d2("copysign", 3.0, -1.0, &ga, &gb);
    CONV(ga == -1.0 && gb == 0.0, "copysign(3, -1) partials %g %g", ga, gb);
    d2("copysign", -3.0, -1.0, &ga, &gb);
    CONV(ga == 1.0 && gb == 0.0, "copysign(-3, -1) partials %g %g", ga, gb);
    d2("copysign", 3.0, 2.0, &ga, &gb);
    CONV(ga == 1.0 && gb == 0.0, "copysign(3, 2) partials %g %g", ga, gb);
    d2("copysign", -3.0, 2.0, &ga, &gb);
    CONV(ga == -1.0 && gb == 0.0, "copysign(-3, 2) partials %g %g", ga, gb);
    d2("copysign", 3.0, -0.0, &ga, &gb);
    CONV(ga == -1.0 && gb == 0.0, "copysign(3, -0) partials %g %g", ga, gb);
    d2("copysign", 0.0, -1.0, &ga, &gb);
    CONV(ga == 0.0 && gb == 0.0, "copysign(0, -1) partials %g %g", ga, gb);
    d2("copysign", -0.0, 1.0, &ga, &gb);
    CONV(ga == 0.0 && gb == 0.0, "copysign(-0, 1) partials %g %g", ga, gb);
    {
        dj_dual r = dj_dual_copysign(dj_dual_make(opq(3.0), 2.0), dj_dual_make(opq(-1.0), 5.0));
        CONV(r.v == -3.0 && r.d == -2.0, "copysign((3,2), (-1,5)) = (%g, %g)", r.v, r.d);
    }
}

/* ---- 6. zero tangents stay zero ---------------------------------------------------- */

#define DEF_ZERO(N)                                                           \
/* x seeded in lane 0 only: lanes 1.. must be exactly 0 */                    \
static void zero_unary_##N(const unary_fn *u, double x)                       \
{                                                                             \
    dj_c##N y = u->c##N(dj_c##N##_seed(x, 0));                                \
    dj_dual e = u->dual(dj_dual_make(x, 1.0));                                \
    CHECK(same(y.v, u->ref(x)) && same_num(y.d[0], e.d),                      \
          "c" #N " %s(%g): lane 0 %g, dual %g", u->name, x, (double)y.d[0], e.d); \
    int bad = -1;                                                             \
    for (int k = 1; k < N; ++k)                                               \
        if (!(y.d[k] == 0.0))                                                 \
            bad = k;                                                          \
    CHECK(bad < 0, "c" #N " %s(%g): lane %d = %g, want 0", u->name, x, bad,   \
          bad < 0 ? 0.0 : (double)y.d[bad]);                                  \
}                                                                             \
/* a seeded in lane 0, b in lane 1: lanes 2.. exactly 0; one-sided forms:    \
 * lanes 1.. exactly 0 */                                                     \
static void zero_binary_##N(const binary_fn *B, double a, double b)           \
{                                                                             \
    dj_c##N y = B->c##N(dj_c##N##_seed(a, 0), dj_c##N##_seed(b, 1));          \
    dj_c##N yx = B->c##N##_xd(dj_c##N##_seed(a, 0), b);                       \
    dj_c##N yd = B->c##N##_dx(a, dj_c##N##_seed(b, 0));                       \
    int bad = -1;                                                             \
    for (int k = 1; k < N; ++k)                                               \
        if (!(yx.d[k] == 0.0 && yd.d[k] == 0.0 && (k < 2 || y.d[k] == 0.0)))  \
            bad = k;                                                          \
    CHECK(bad < 0, "c" #N " %s(%g, %g): lane %d not 0", B->name, a, b, bad);  \
}
DEF_ZERO(8)
DEF_ZERO(16)
DEF_ZERO(32)
DEF_ZERO(64)

/* the examples of the brief, for one width */
#define DEF_ZERO_EXAMPLES(N)                                                  \
static void zero_examples_##N(void)                                           \
{                                                                             \
    /* sqrt at 0 with lanes (1, 0, 0, ...): +inf, then exact zeros */         \
    dj_c##N y = dj_c##N##_sqrt(dj_c##N##_seed(opq(0.0), 0));                 \
    int ok = y.v == 0.0 && y.d[0] == INFINITY;                                \
    for (int k = 1; k < N; ++k)                                               \
        ok &= y.d[k] == 0.0 && !signbit(y.d[k]);                              \
    CHECK(ok, "c" #N " sqrt(0) lanes");                                       \
    /* pow(a < 0, b): df/db = NaN; only the lane where b moves is NaN */      \
    dj_c##N a = dj_c##N##_const(opq(-2.0)), b = dj_c##N##_seed(opq(3.0), N - 1); \
    for (int k = 0; k < N; ++k)                                               \
        a.d[k] = k + 1.0;                                                     \
    y = dj_c##N##_pow(a, b);                                                  \
    ok = y.v == -8.0 && isnan(y.d[N - 1]);                                    \
    for (int k = 0; k < N - 1; ++k)                                           \
        ok &= y.d[k] == 12.0 * (k + 1.0);                                     \
    CHECK(ok, "c" #N " pow(-2, 3) with b moving in lane N-1 only");           \
    y = dj_c##N##_pow_dx(opq(-2.0), b);                                       \
    ok = y.v == -8.0 && isnan(y.d[N - 1]);                                    \
    for (int k = 0; k < N - 1; ++k)                                           \
        ok &= y.d[k] == 0.0;                                                  \
    CHECK(ok, "c" #N " pow_dx(-2, 3) with b moving in lane N-1 only");        \
    /* inf * b: a = (inf, tangent 0 in lane 1, 2 in lane 2), b = (2, 1 in    \
     * lane 1): lane 1 = inf * 1, lane 2 = 2 * 2, other lanes 0 */            \
    a = dj_c##N##_const(opq(INFINITY));                                       \
    a.d[2] = 2.0;                                                             \
    b = dj_c##N##_seed(opq(2.0), 1);                                          \
    y = dj_c##N##_mul(a, b);                                                  \
    ok = y.v == INFINITY && y.d[1] == INFINITY && y.d[2] == 4.0 && y.d[0] == 0.0; \
    for (int k = 3; k < N; ++k)                                               \
        ok &= y.d[k] == 0.0;                                                  \
    CHECK(ok, "c" #N " inf * 2 lanes: %g %g %g %g", (double)y.d[0],            \
          (double)y.d[1], (double)y.d[2], (double)y.d[N - 1]);               \
    y = dj_c##N##_mul_dx(opq(INFINITY), b);                                   \
    ok = y.v == INFINITY && y.d[1] == INFINITY && y.d[0] == 0.0;              \
    for (int k = 2; k < N; ++k)                                               \
        ok &= y.d[k] == 0.0;                                                  \
    CHECK(ok, "c" #N " mul_dx(inf, b) lanes");                                \
    /* fma(inf, b, c) with b moving in lane 0 only */                         \
    y = dj_c##N##_fma(dj_c##N##_const(opq(INFINITY)), dj_c##N##_seed(2.0, 0), \
                      dj_c##N##_seed(1.0, 1));                                \
    ok = y.d[0] == INFINITY && y.d[1] == 1.0;                                 \
    for (int k = 2; k < N; ++k)                                               \
        ok &= y.d[k] == 0.0;                                                  \
    CHECK(ok, "c" #N " fma(inf, b, c) lanes");                                \
    /* fabs(NaN): the partial is NaN; lanes with zero tangent stay 0 */       \
    y = dj_c##N##_fabs(dj_c##N##_seed(opq(NAN), 0));                          \
    ok = isnan(y.v) && isnan(y.d[0]);                                         \
    for (int k = 1; k < N; ++k)                                               \
        ok &= y.d[k] == 0.0;                                                  \
    CHECK(ok, "c" #N " fabs(NaN) lanes");                                     \
}
DEF_ZERO_EXAMPLES(8)
DEF_ZERO_EXAMPLES(16)
DEF_ZERO_EXAMPLES(32)
DEF_ZERO_EXAMPLES(64)

static void test_zero_tangent(void)
{
    begin();
    /* dual: tangent 0 gives 0 for every function at every special point */
    for (int i = 0; i < N_UNARY; ++i)
        for (int j = 0; j < N_SPECIAL; ++j) {
            dj_dual y = g_unary[i].dual(dj_dual_make(g_special[j], 0.0));
            CHECK(y.d == 0.0, "dual %s(%g) with tangent 0: %g", g_unary[i].name,
                  g_special[j], y.d);
            zero_unary_8(&g_unary[i], g_special[j]);
            zero_unary_16(&g_unary[i], g_special[j]);
            zero_unary_32(&g_unary[i], g_special[j]);
            zero_unary_64(&g_unary[i], g_special[j]);
        }
    for (int i = 0; i < N_BINARY; ++i)
        for (int j = 0; j < N_SPECIAL; ++j)
            for (int k = 0; k < N_SPECIAL; ++k) {
                const binary_fn *B = &g_binary[i];
                double a = g_special[j], b = g_special[k];
                dj_dual y = B->d(dj_dual_make(a, 0.0), dj_dual_make(b, 0.0));
                dj_dual yx = B->d_xd(dj_dual_make(a, 0.0), b);
                dj_dual yd = B->d_dx(a, dj_dual_make(b, 0.0));
                CHECK(y.d == 0.0 && yx.d == 0.0 && yd.d == 0.0,
                      "dual %s(%g, %g) with tangents 0: %g %g %g", B->name, a, b, y.d, yx.d, yd.d);
                /* a moves, b does not: only the a-partial counts */
                dj_dual ya = B->d(dj_dual_make(a, 1.0), dj_dual_make(b, 0.0));
                dj_dual yb = B->d(dj_dual_make(a, 0.0), dj_dual_make(b, 1.0));
                CHECK(same_num(ya.d, B->rule(a, b).ga) && same_num(yb.d, B->rule(a, b).gb),
                      "dual %s(%g, %g): partials %g %g, rule %g %g", B->name, a, b, ya.d,
                      yb.d, B->rule(a, b).ga, B->rule(a, b).gb);
                zero_binary_8(B, a, b);
                zero_binary_16(B, a, b);
                zero_binary_32(B, a, b);
                zero_binary_64(B, a, b);
            }
    for (int j = 0; j < N_SPECIAL; ++j)
        for (int k = 0; k < N_SPECIAL; ++k) {
            double a = g_special[j], b = g_special[k];
            dj_dual y = dj_dual_fma(dj_dual_make(a, 0.0), dj_dual_make(b, 0.0), dj_dual_make(1.0, 0.0));
            CHECK(y.d == 0.0, "dual fma(%g, %g, 1) with tangents 0: %g", a, b, y.d);
            dj_c8 c = dj_c8_fma(dj_c8_seed(a, 0), dj_c8_seed(b, 1), dj_c8_seed(a, 2));
            int ok = 1;
            for (int l = 3; l < 8; ++l)
                ok &= c.d[l] == 0.0;
            CHECK(ok, "c8 fma(%g, %g, %g) lanes 3..7 not 0", a, b, a);
        }
    /* the dual examples */
    dj_dual y = dj_dual_sqrt(dj_dual_make(opq(0.0), 0.0));
    CHECK(y.v == 0.0 && y.d == 0.0, "dual sqrt(0) tangent 0: %g", y.d);
    y = dj_dual_pow(dj_dual_make(opq(-2.0), 1.0), dj_dual_make(opq(3.0), 0.0));
    CHECK(y.d == 12.0, "dual pow(-2, 3) b fixed: %g", y.d);
    y = dj_dual_mul(dj_dual_make(opq(INFINITY), 0.0), dj_dual_make(opq(2.0), 1.0));
    CHECK(y.v == INFINITY && y.d == INFINITY, "dual inf * (2, 1): %g", y.d);
    y = dj_dual_mul(dj_dual_make(opq(INFINITY), 0.0), dj_dual_make(opq(2.0), 0.0));
    CHECK(y.v == INFINITY && y.d == 0.0, "dual inf * 2, tangents 0: %g", y.d);
    y = dj_dual_mul(dj_dual_make(opq(INFINITY), 1.0), dj_dual_make(opq(2.0), 0.0));
    CHECK(y.v == INFINITY && y.d == 2.0, "dual (inf, 1) * 2: %g", y.d);
    zero_examples_8();
    zero_examples_16();
    zero_examples_32();
    zero_examples_64();
}

/* ---- 7. NaN and Inf inputs --------------------------------------------------------- */

static void test_nonfinite(void)
{
    begin();
    const double nf[] = { NAN, -NAN, INFINITY, -INFINITY };
    for (int i = 0; i < N_UNARY; ++i) {
        const unary_fn *u = &g_unary[i];
        for (int j = 0; j < 4; ++j) {
            double x = opq(nf[j]);
            dj_dual y = u->dual(dj_dual_make(x, 1.0));
            CHECK(same(y.v, u->ref(x)), "%s(%g) = %g, libm %g", u->name, x, y.v, u->ref(x));
            if (isnan(x))
                CHECK(isnan(y.v), "%s(NaN) = %g", u->name, y.v);
            dj_c32 c = u->c32(dj_c32_seed(x, 0));
            CHECK(same(c.v, u->ref(x)), "c32 %s(%g) = %g", u->name, x, c.v);
        }
    }
    const double sp[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e308 };
    const int nsp = (int)(sizeof sp / sizeof sp[0]);
    for (int i = 0; i < N_BINARY; ++i) {
        const binary_fn *B = &g_binary[i];
        for (int j = 0; j < nsp; ++j)
            for (int k = 0; k < nsp; ++k) {
                double a = opq(sp[j]), b = opq(sp[k]), v = B->ref(a, b);
                dj_dual y = B->d(dj_dual_make(a, 1.0), dj_dual_make(b, 1.0));
                dj_dual yx = B->d_xd(dj_dual_make(a, 1.0), b);
                dj_dual yd = B->d_dx(a, dj_dual_make(b, 1.0));
                /* The sign of fmin(+0, -0) and fmax(+0, -0) is unspecified
                 * (C11 F.10.9.2, footnote), and GCC does not give the same
                 * one at every call site of the same inline rule: for those
                 * ties the values are compared with == only. */
                int (*eq)(double, double) = same;
                if (a == 0.0 && b == 0.0 && (strcmp(B->name, "fmin") == 0 ||
                                             strcmp(B->name, "fmax") == 0))
                    eq = same_num;
                CHECK(eq(y.v, v) && eq(yx.v, v) && eq(yd.v, v),
                      "%s(%g, %g): %g %g %g, libm %g", B->name, a, b, y.v, yx.v, yd.v, v);
                dj_c16 c = B->c16(dj_c16_seed(a, 0), dj_c16_seed(b, 1));
                CHECK(eq(c.v, v), "c16 %s(%g, %g) = %g, libm %g", B->name, a, b, c.v, v);
                /* NaN in a NaN-propagating function propagates */
                if ((isnan(a) || isnan(b)) && strcmp(B->name, "fmin") != 0 &&
                    strcmp(B->name, "fmax") != 0 && strcmp(B->name, "hypot") != 0 &&
                    strcmp(B->name, "pow") != 0 && !(strcmp(B->name, "copysign") == 0 && !isnan(a)))
                    CHECK(isnan(y.v), "%s(%g, %g) = %g, want NaN", B->name, a, b, y.v);
            }
    }
    /* the libm exceptions to NaN propagation are kept */
    CHECK(dj_dual_pow(dj_dual_make(opq(NAN), 1.0), dj_dual_make(opq(0.0), 1.0)).v == 1.0, "pow(NaN, 0)");
    CHECK(dj_dual_pow(dj_dual_make(opq(1.0), 1.0), dj_dual_make(opq(NAN), 1.0)).v == 1.0, "pow(1, NaN)");
    CHECK(dj_dual_hypot(dj_dual_make(opq(NAN), 1.0), dj_dual_make(opq(INFINITY), 1.0)).v == INFINITY,
          "hypot(NaN, inf)");
    for (int j = 0; j < nsp; ++j)
        for (int k = 0; k < nsp; k += 3) {
            double a = opq(sp[j]), b = opq(sp[k]), c = opq(sp[(j + k) % nsp]);
            dj_dual y = dj_dual_fma(dj_dual_make(a, 1.0), dj_dual_make(b, 1.0), dj_dual_make(c, 1.0));
            CHECK(same(y.v, fma(a, b, c)), "fma(%g, %g, %g) = %g", a, b, c, y.v);
        }
    /* Inf inputs: a few derivatives with a clear limit */
    CHECK(d1(dj_dual_exp, -INFINITY) == 0.0, "exp'(-inf)");
    CHECK(d1(dj_dual_exp, INFINITY) == INFINITY, "exp'(inf)");
    CHECK(d1(dj_dual_atan, INFINITY) == 0.0 && d1(dj_dual_atan, -INFINITY) == 0.0, "atan'(+-inf)");
    CHECK(d1(dj_dual_tanh, INFINITY) == 0.0, "tanh'(inf)");
    CHECK(d1(dj_dual_log, INFINITY) == 0.0 && d1(dj_dual_sqrt, INFINITY) == 0.0, "log', sqrt' at inf");
    CHECK(d1(dj_dual_erf, INFINITY) == 0.0 && d1(dj_dual_erfc, -INFINITY) == 0.0, "erf', erfc' at inf");
}

int main(void)
{
    const dj_test_case cases[] = {
        { "1 unary: dual vs central differences, value == libm", test_fd_unary },
        { "1 binary: dual vs central differences, all three forms", test_fd_binary },
        { "1 fma: dual vs central differences", test_fd_fma },
        { "2 unary: closed-form derivatives to 1e-15", test_closed_form_unary },
        { "2 binary: closed-form partials to 1e-15", test_closed_form_binary },
        { "2 tails: relative accuracy for large |x| and cancellation", test_tail_accuracy },
        { "3 unary: every chunk width lane by lane vs dual", test_lanes_unary },
        { "3 binary and fma: every chunk width lane by lane vs dual", test_lanes_binary },
        { "4 generic layer dispatch", test_generic },
        { "5 conventions at kinks and domain edges", test_conventions },
        { "5 hypot and atan2 partials at extreme magnitudes", test_hypot_atan2_extremes },
        { "6 zero tangents stay exactly zero", test_zero_tangent },
        { "7 NaN and Inf inputs", test_nonfinite },
        { NULL, NULL },
    };
    return dj_test_run("scalar", cases);
}
