/* dualjac/instantiate.h - write a scalar function once, get it for every type.
 *
 * Put the function in a file of its own (say rosen.inc), written with the
 * generic operations of generic.h on the type DJ_T, and named with DJ_NAME:
 *
 *     static int DJ_NAME(rosen)(void *user, const DJ_T *x, DJ_T *y)
 *     {
 *         (void)user;
 *         DJ_T t = dj_sub(x[1], dj_mul(x[0], x[0]));
 *         y[0] = dj_mul(10.0, t);
 *         y[1] = dj_sub(1.0, x[0]);
 *         return 0;
 *     }
 *
 * then instantiate it:
 *
 *     #define DJ_TEMPLATE "rosen.inc"
 *     #include <dualjac/instantiate.h>
 *
 * This includes the file once per type, with DJ_T set to double, dj_dual,
 * dj_c8, dj_c16, dj_c32, dj_c64 and dj_rvar, and DJ_NAME(rosen) expanding to
 * rosen_real, rosen_dual, rosen_c8, ..., rosen_c64, rosen_rvar; then once
 * more per chunk type for the unguarded forms rosen_c8_ng ... rosen_c64_ng
 * (the generic operations there call the chunks' unguarded operations, see
 * chunk.h; the drivers run them first and fall back to the guarded forms).
 * DJ_FORMS(rosen) then fills every form of a dj_function at once:
 *
 *     dj_function F = { .n = 2, .m = 2, DJ_FORMS(rosen) };
 *
 * The complex form (for the complex step of check.h) is opt-in: define
 * DJ_TEMPLATE_CPLX as well,
 *
 *     #define DJ_TEMPLATE "rosen.inc"
 *     #define DJ_TEMPLATE_CPLX 1
 *     #include <dualjac/instantiate.h>
 *
 *     dj_function F = { .n = 2, .m = 2, DJ_FORMS_CPLX(rosen) };
 *
 * and the file is also included with DJ_T = dj_cplx (double _Complex),
 * giving rosen_cplx; DJ_FORMS_CPLX(base) is DJ_FORMS(base) plus
 * .f_cplx = base_cplx. Opt in only for a template that is complex-safe:
 * every value flows through the generic operations (generic.h and
 * detail/cplx.h list how each behaves on complex numbers), never through
 * a plain double taken from dj_value (that drops the imaginary part, so the
 * complex step would see a constant there; dj_value in branches and loop
 * bounds is fine). Without complex types (__STDC_NO_COMPLEX__) asking for
 * it is a compile error.
 *
 * Inside the template, DJ_C(c) is the constant c as a DJ_T, and
 * dj_value(x) is the value of x as a double (for branches and loop bounds).
 * A template may define several functions; it is included once per type, so
 * it must not define types or non-static objects.
 *
 * Where the compiler looks for DJ_TEMPLATE: it is #included from this
 * header, so a quoted name is searched in this header's directory first and
 * then on the include path (-I): put the template's directory on the
 * include path (CMake: target_include_directories) or give a path from one
 * that is. */

#include "generic.h"

#ifndef DJ_TEMPLATE
#error "define DJ_TEMPLATE as the file to instantiate before including dualjac/instantiate.h"
#endif

#ifndef DJ_FORMS
#define DJ_NAME_CAT2_(a, b) a##_##b
#define DJ_NAME_CAT_(a, b) DJ_NAME_CAT2_(a, b)
#define DJ_FORMS(base)                                                        \
    .f = base##_real, .f_dual = base##_dual, .f_c8 = base##_c8,              \
    .f_c16 = base##_c16, .f_c32 = base##_c32, .f_c64 = base##_c64,          \
    .f_rvar = base##_rvar, .chunk_hint = DJ_CHUNK_HINT,                      \
    .fast_c8 = base##_c8_ng, .fast_c16 = base##_c16_ng,                      \
    .fast_c32 = base##_c32_ng, .fast_c64 = base##_c64_ng
#endif
#ifndef DJ_FORMS_CPLX
#define DJ_FORMS_CPLX(base) DJ_FORMS(base), .f_cplx = base##_cplx
#endif

#define DJ_C(c) dj_const(DJ_T, (c))
#define DJ_NAME(base) DJ_NAME_CAT_(base, DJ_SFX_)

/* The forms are compiled without floating-point contraction. GCC fuses a
 * product and a sum into one FMA across statements (-ffp-contract=fast,
 * its default outside the ISO modes: plain `gcc -O2` is -std=gnu17), and
 * where it can depends on the form: in the chunk forms the partials' guard
 * branches separate a value's product from its sum, in the double form
 * nothing does. Values would then differ from the primal's in the last bit,
 * and Jacobians between chunk widths. The lanes' FMAs are explicit
 * (chunk.h) and stay. Clang contracts only within one expression by
 * default (the same in every form); with clang's -ffp-contract=fast, which
 * ignores pragmas, those two guarantees do not hold. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

#define DJ_T double
#define DJ_SFX_ real
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_dual
#define DJ_SFX_ dual
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c8
#define DJ_SFX_ c8
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c16
#define DJ_SFX_ c16
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c32
#define DJ_SFX_ c32
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c64
#define DJ_SFX_ c64
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

/* the unguarded chunk forms (fast_c8 ... fast_c64 of dj_function): the
 * same template on the same types, its generic operations expanded to the
 * chunks' unguarded ones (DJ_CHUNK_OPS_, generic.h; chunk.h says why) */
#undef DJ_CHUNK_OPS_
#define DJ_CHUNK_OPS_ _ng

#define DJ_T dj_c8
#define DJ_SFX_ c8_ng
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c16
#define DJ_SFX_ c16_ng
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c32
#define DJ_SFX_ c32_ng
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#define DJ_T dj_c64
#define DJ_SFX_ c64_ng
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#undef DJ_CHUNK_OPS_
#define DJ_CHUNK_OPS_

#define DJ_T dj_rvar
#define DJ_SFX_ rvar
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_

#ifdef DJ_TEMPLATE_CPLX
#if defined(__STDC_NO_COMPLEX__)
#error "DJ_TEMPLATE_CPLX: this compiler has no complex types (__STDC_NO_COMPLEX__)"
#else
#define DJ_T dj_cplx
#define DJ_SFX_ cplx
#include DJ_TEMPLATE
#undef DJ_T
#undef DJ_SFX_
#endif
#undef DJ_TEMPLATE_CPLX
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#undef DJ_C
#undef DJ_NAME
#undef DJ_TEMPLATE
