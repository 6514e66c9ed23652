/* dualjac/detail/cplx.h - the double _Complex branch of the generic
 * operations (generic.h), for the complex step of check.h:
 *
 *     f'(x) v = Im f(x + i h v) / h     (h tiny: exact to rounding)
 *
 * A function written once with dj_add, dj_sin, ... and instantiated for
 * double _Complex (instantiate.h, DJ_TEMPLATE_CPLX) gives the complex form
 * dj_function.f_cplx. The complex step is only right when every operation
 * on the way is analytic (complex-differentiable) near the real axis, or
 * at least its imaginary part is the real derivative times the imaginary
 * part of its argument to first order ("complex-safe"). Here:
 *
 *   analytic, by the C99 complex functions (cexp, clog, csin, ...) or by
 *   exact formulas in real functions of the parts:
 *     + - * / neg, exp exp2 expm1 log log2 log10 log1p sqrt cbrt pow,
 *     sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh, hypot,
 *     atan2, fma (as a*b + c: not fused);
 *   the standard complex-step conventions for the non-analytic ones (the
 *   derivative they give is that of dualjac's rules, rules.h, kinks
 *   included):
 *     fabs(z)        -z when Re z < 0, z when Re z > 0, Re z + 0i at 0
 *                    (derivative 0 at the kink, as rules.h)
 *     fmin, fmax     the argument with the smaller / larger real part; a
 *                    NaN real part loses (as fmin); a tie gives
 *                    (a + b) / 2 (each side 1/2, as rules.h)
 *     copysign(a, b) a or -a by the signs of the real parts; d/db = 0;
 *                    0 when Re a == 0 (as rules.h)
 *     floor ceil round trunc   of the real part, imaginary part 0
 *   linearized (there is no C99 complex erf): erf, erfc give
 *     erf(Re z) + i Im z erf'(Re z). That is exactly what the complex step
 *     sees while |Im z| is tiny (at h = 1e-20 |x| the neglected terms are
 *     O(h^2) relative: nothing in double precision), but it is not
 *     analytic (wrong for a large imaginary part) and it repeats the
 *     derivative formula instead of checking it independently.
 *
 * Domains: where the real function is undefined (log, log2, log10, sqrt of
 * Re z < 0; log1p of Re z < -1; asin, acos, atanh of |Re z| > 1; acosh of
 * Re z < 1; pow of a negative base with a complex exponent), the result is
 * NaN + NaN i, as the real function gives NaN, rather than the complex
 * function's value, whose imaginary part would not be a derivative.
 * pow(a, b) with Re a < 0 and a real b: Re a^b (1 + i Im a / Re a)^b, which
 * is right for integer b (a negative base's cube) where cpow's branch
 * rotation by pi would swamp the tiny imaginary part with rounding.
 *
 * The value (dj_value) is the real part. The accuracy of the imaginary part
 * is that of the same computation in dual numbers: a few roundings per
 * operation, relative, with no cancellation from the step.
 *
 * <complex.h> is not included (its macros I and complex would break user
 * code): the C99 functions are declared here (C11 7.1.4 allows declaring a
 * library function without its header); link with the math library. */
#ifndef DUALJAC_DETAIL_CPLX_H
#define DUALJAC_DETAIL_CPLX_H

#if !defined(__STDC_NO_COMPLEX__) && !defined(__cplusplus)

#include <math.h>

/* The complex scalar of the complex form. */
typedef double _Complex dj_cplx;

double _Complex cexp(double _Complex z);
double _Complex clog(double _Complex z);
double _Complex csqrt(double _Complex z);
double _Complex cpow(double _Complex z, double _Complex w);
double _Complex csin(double _Complex z);
double _Complex ccos(double _Complex z);
double _Complex ctan(double _Complex z);
double _Complex casin(double _Complex z);
double _Complex cacos(double _Complex z);
double _Complex catan(double _Complex z);
double _Complex csinh(double _Complex z);
double _Complex ccosh(double _Complex z);
double _Complex ctanh(double _Complex z);
double _Complex casinh(double _Complex z);
double _Complex cacosh(double _Complex z);
double _Complex catanh(double _Complex z);

#define DJ_CPLX_INLINE_ static inline

/* z = re + i im, and the parts (C11 6.2.5: a complex has the representation
 * of an array of two reals, real part first). */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_make(double re, double im)
{
    union { dj_cplx z; double p[2]; } u;
    u.p[0] = re;
    u.p[1] = im;
    return u.z;
}

DJ_CPLX_INLINE_ double dj_cplx_re(dj_cplx z)
{
    union { dj_cplx z; double p[2]; } u;
    u.z = z;
    return u.p[0];
}

DJ_CPLX_INLINE_ double dj_cplx_im(dj_cplx z)
{
    union { dj_cplx z; double p[2]; } u;
    u.z = z;
    return u.p[1];
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_nan_(void) { return dj_cplx_make(NAN, NAN); }

DJ_CPLX_INLINE_ dj_cplx dj_cplx_const(double c) { return dj_cplx_make(c, 0.0); }
DJ_CPLX_INLINE_ double dj_cplx_value(dj_cplx z) { return dj_cplx_re(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_neg(dj_cplx z) { return -z; }

/* Arithmetic; the mixed forms use C's real-complex arithmetic (Annex G:
 * a real operand is not converted, so no 0 * Inf appears). */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_add(dj_cplx a, dj_cplx b) { return a + b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_sub(dj_cplx a, dj_cplx b) { return a - b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_mul(dj_cplx a, dj_cplx b) { return a * b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_div(dj_cplx a, dj_cplx b) { return a / b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_add_xd(dj_cplx a, double b) { return a + b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_sub_xd(dj_cplx a, double b) { return a - b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_mul_xd(dj_cplx a, double b) { return a * b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_div_xd(dj_cplx a, double b) { return a / b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_add_dx(double a, dj_cplx b) { return a + b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_sub_dx(double a, dj_cplx b) { return a - b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_mul_dx(double a, dj_cplx b) { return a * b; }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_div_dx(double a, dj_cplx b) { return a / b; }

/* ---- exponentials and logarithms ---------------------------------------- */

DJ_CPLX_INLINE_ dj_cplx dj_cplx_exp(dj_cplx z) { return cexp(z); }

/* 2^z = 2^a (cos(b ln 2) + i sin(b ln 2)) */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_exp2(dj_cplx z)
{
    double e = exp2(dj_cplx_re(z)), t = dj_cplx_im(z) * 0.69314718055994530942;
    return dj_cplx_make(e * cos(t), e * sin(t));
}

/* e^z - 1 = (expm1(a) cos b - 2 sin^2(b/2)) + i e^a sin b: no cancellation
 * for small a */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_expm1(dj_cplx z)
{
    double a = dj_cplx_re(z), b = dj_cplx_im(z), s = sin(0.5 * b);
    return dj_cplx_make(expm1(a) * cos(b) - 2.0 * s * s, exp(a) * sin(b));
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_log(dj_cplx z)
{
    return dj_cplx_re(z) < 0.0 ? dj_cplx_nan_() : clog(z);
}

/* log_B z = log_B |z| + i arg z / ln B */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_log2(dj_cplx z)
{
    double a = dj_cplx_re(z), b = dj_cplx_im(z);
    if (a < 0.0)
        return dj_cplx_nan_();
    return dj_cplx_make(log2(hypot(a, b)), atan2(b, a) * 1.44269504088896340736);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_log10(dj_cplx z)
{
    double a = dj_cplx_re(z), b = dj_cplx_im(z);
    if (a < 0.0)
        return dj_cplx_nan_();
    return dj_cplx_make(log10(hypot(a, b)), atan2(b, a) * 0.43429448190325182765);
}

/* log(1 + z): real part log|1 + z| = log1p(a (2 + a) + b^2) / 2 for small
 * |a| (no cancellation in 1 + a), log hypot(1 + a, b) otherwise */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_log1p(dj_cplx z)
{
    double a = dj_cplx_re(z), b = dj_cplx_im(z);
    if (a < -1.0)
        return dj_cplx_nan_();
    double re = fabs(a) < 0.5 ? 0.5 * log1p(a * (2.0 + a) + b * b) : log(hypot(1.0 + a, b));
    return dj_cplx_make(re, atan2(b, 1.0 + a));
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_sqrt(dj_cplx z)
{
    return dj_cplx_re(z) < 0.0 ? dj_cplx_nan_() : csqrt(z);
}

/* The real cube root continued analytically: cbrt|z| e^{i arg(z)/3} for
 * Re z >= 0, -cbrt(-z) for Re z < 0 (the real branch, not cpow's). */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_cbrt(dj_cplx z)
{
    double a = dj_cplx_re(z), b = dj_cplx_im(z), s = 1.0;
    if (a < 0.0) {
        a = -a;
        b = -b;
        s = -1.0;
    }
    double r = cbrt(hypot(a, b)), t = atan2(b, a) / 3.0;
    return dj_cplx_make(s * r * cos(t), s * r * sin(t));
}

/* a^b; see the header comment for negative bases. */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_pow(dj_cplx a, dj_cplx b)
{
    double ar = dj_cplx_re(a), ai = dj_cplx_im(a), br = dj_cplx_re(b), bi = dj_cplx_im(b);
    if (ar == 0.0)
        return ai == 0.0 && bi == 0.0 ? dj_cplx_make(pow(ar, br), 0.0) : cpow(a, b);
    if (ar < 0.0 && bi != 0.0)
        return dj_cplx_nan_();
    /* a^b = ar^br * ar^(i bi) * (1 + i ai/ar)^b; the last factor's base
     * has a positive real part, so the principal branch is the right one */
    dj_cplx t = bi != 0.0 ? dj_cplx_make(0.0, bi * log(ar)) : dj_cplx_make(0.0, 0.0);
    if (ai != 0.0)
        t += b * clog(dj_cplx_make(1.0, ai / ar));
    return pow(ar, br) * cexp(t);
}

/* ---- trigonometric and hyperbolic ------------------------------------------ */

DJ_CPLX_INLINE_ dj_cplx dj_cplx_sin(dj_cplx z) { return csin(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_cos(dj_cplx z) { return ccos(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_tan(dj_cplx z) { return ctan(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_atan(dj_cplx z) { return catan(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_sinh(dj_cplx z) { return csinh(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_cosh(dj_cplx z) { return ccosh(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_tanh(dj_cplx z) { return ctanh(z); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_asinh(dj_cplx z) { return casinh(z); }

DJ_CPLX_INLINE_ dj_cplx dj_cplx_asin(dj_cplx z)
{
    return fabs(dj_cplx_re(z)) > 1.0 ? dj_cplx_nan_() : casin(z);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_acos(dj_cplx z)
{
    return fabs(dj_cplx_re(z)) > 1.0 ? dj_cplx_nan_() : cacos(z);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_acosh(dj_cplx z)
{
    return dj_cplx_re(z) < 1.0 ? dj_cplx_nan_() : cacosh(z);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_atanh(dj_cplx z)
{
    return fabs(dj_cplx_re(z)) > 1.0 ? dj_cplx_nan_() : catanh(z);
}

/* atan2(y, x) = the angle of x + i y, continued analytically:
 * atan(y/x) (+- pi for Re x < 0) where |Re x| >= |Re y|, else
 * +-pi/2 - atan(x/y): the quotient stays in [-1, 1], away from the
 * branch points +-i of catan. */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_atan2(dj_cplx y, dj_cplx x)
{
    double yr = dj_cplx_re(y), xr = dj_cplx_re(x);
    if (xr == 0.0 && yr == 0.0)
        return dj_cplx_make(atan2(yr, xr), 0.0);
    if (fabs(xr) >= fabs(yr)) {
        dj_cplx t = catan(y / x);
        if (xr < 0.0)
            t += signbit(yr) ? -3.14159265358979323846 : 3.14159265358979323846;
        return t;
    }
    return (yr > 0.0 ? 1.57079632679489661923 : -1.57079632679489661923) - catan(x / y);
}

/* sqrt(a^2 + b^2) scaled by the larger real part (no overflow); at
 * a = b = 0 (a kink) the imaginary part is 0. */
DJ_CPLX_INLINE_ dj_cplx dj_cplx_hypot(dj_cplx a, dj_cplx b)
{
    double s = fmax(fabs(dj_cplx_re(a)), fabs(dj_cplx_re(b)));
    if (!(s > 0.0) || isinf(s))
        return dj_cplx_make(hypot(dj_cplx_re(a), dj_cplx_re(b)), 0.0);
    dj_cplx p = a / s, q = b / s;
    return s * csqrt(p * p + q * q);
}

/* ---- the non-analytic ones, by the real part ---------------------------------- */

DJ_CPLX_INLINE_ dj_cplx dj_cplx_fabs(dj_cplx z)
{
    double a = dj_cplx_re(z);
    if (a == 0.0)
        return dj_cplx_make(0.0, 0.0);
    return a < 0.0 ? -z : z;
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_floor(dj_cplx z) { return dj_cplx_make(floor(dj_cplx_re(z)), 0.0); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_ceil(dj_cplx z) { return dj_cplx_make(ceil(dj_cplx_re(z)), 0.0); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_round(dj_cplx z) { return dj_cplx_make(round(dj_cplx_re(z)), 0.0); }
DJ_CPLX_INLINE_ dj_cplx dj_cplx_trunc(dj_cplx z) { return dj_cplx_make(trunc(dj_cplx_re(z)), 0.0); }

DJ_CPLX_INLINE_ dj_cplx dj_cplx_fmin(dj_cplx a, dj_cplx b)
{
    double ar = dj_cplx_re(a), br = dj_cplx_re(b);
    if (isnan(ar))
        return b;
    if (isnan(br) || ar < br)
        return a;
    return br < ar ? b : 0.5 * (a + b);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_fmax(dj_cplx a, dj_cplx b)
{
    double ar = dj_cplx_re(a), br = dj_cplx_re(b);
    if (isnan(ar))
        return b;
    if (isnan(br) || ar > br)
        return a;
    return br > ar ? b : 0.5 * (a + b);
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_copysign(dj_cplx a, dj_cplx b)
{
    double ar = dj_cplx_re(a), br = dj_cplx_re(b);
    if (ar == 0.0)
        return dj_cplx_make(copysign(0.0, br), 0.0);
    return signbit(ar) != signbit(br) ? -a : a;
}

/* ---- linearized (no complex version in C99) --------------------------------- */

DJ_CPLX_INLINE_ dj_cplx dj_cplx_erf(dj_cplx z)
{
    double a = dj_cplx_re(z);
    return dj_cplx_make(erf(a), dj_cplx_im(z) * 1.12837916709551257390 * exp(-a * a));
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_erfc(dj_cplx z)
{
    double a = dj_cplx_re(z);
    return dj_cplx_make(erfc(a), -dj_cplx_im(z) * 1.12837916709551257390 * exp(-a * a));
}

DJ_CPLX_INLINE_ dj_cplx dj_cplx_fma(dj_cplx a, dj_cplx b, dj_cplx c) { return a * b + c; }

/* Binary functions with a plain number on one side: the number as a
 * complex with imaginary part 0. */
#define DJ_CPLX_MIXED_(f)                                                       \
    DJ_CPLX_INLINE_ dj_cplx dj_cplx_##f##_xd(dj_cplx a, double b)                \
    {                                                                           \
        return dj_cplx_##f(a, dj_cplx_make(b, 0.0));                            \
    }                                                                           \
    DJ_CPLX_INLINE_ dj_cplx dj_cplx_##f##_dx(double a, dj_cplx b)                \
    {                                                                           \
        return dj_cplx_##f(dj_cplx_make(a, 0.0), b);                            \
    }
DJ_CPLX_MIXED_(pow) DJ_CPLX_MIXED_(atan2) DJ_CPLX_MIXED_(hypot)
DJ_CPLX_MIXED_(fmin) DJ_CPLX_MIXED_(fmax) DJ_CPLX_MIXED_(copysign)
#undef DJ_CPLX_MIXED_

#undef DJ_CPLX_INLINE_

#endif /* complex available */
#endif
