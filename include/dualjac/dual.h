/* dualjac/dual.h - dual numbers: a value with one tangent, x + x' e, e^2 = 0.
 *
 * Evaluating f on dual inputs whose tangents hold a direction v gives f(x) in
 * .v and the Jacobian-vector product J v in .d of the outputs, exact to
 * rounding, in one pass.
 *
 *   typedef struct dj_dual { double v, d; } dj_dual;
 *
 * Operations (all static inline, all with the derivative rules of rules.h):
 *   dj_dual_const(c)            constant c (tangent 0)
 *   dj_dual_seed(v, 0)          input v with tangent 1
 *   dj_dual_value(x)            x.v
 *   dj_dual_F(x)                F in neg exp exp2 expm1 log log2 log10 log1p
 *                               sqrt cbrt sin cos tan asin acos atan sinh cosh
 *                               tanh asinh acosh atanh erf erfc fabs floor
 *                               ceil round trunc
 *   dj_dual_G(a, b)             G in add sub mul div pow atan2 hypot fmin
 *   dj_dual_G_xd(a, double b)   fmax copysign; _xd: b is a plain double,
 *   dj_dual_G_dx(double a, b)   _dx: a is a plain double
 *   dj_dual_fma(a, b, c)
 * Cost: one libm call (as the primal) plus a few flops per operation.
 * The type-generic spellings (dj_sin(x), dj_mul(a, b), ...) are in generic.h. */
#ifndef DUALJAC_DUAL_H
#define DUALJAC_DUAL_H

#include "rules.h"
#include "detail/memo.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DJ_T_ dj_dual
#define DJ_P_(f) dj_dual_##f
#define DJ_N_ 1
#define DJ_SCALAR_ 1
#include "detail/tangent_type.h"
#undef DJ_T_
#undef DJ_P_
#undef DJ_N_
#undef DJ_SCALAR_

/* A dual number with value v and tangent d. */
static inline dj_dual dj_dual_make(double v, double d)
{
    dj_dual x = { v, d };
    return x;
}

#ifdef __cplusplus
}
#endif

#endif
