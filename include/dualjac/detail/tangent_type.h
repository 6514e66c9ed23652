/* dualjac/detail/tangent_type.h - the one definition of every forward-mode
 * scalar type: dj_dual (one tangent) and the chunks dj_c8 ... dj_c64 (a fixed
 * number of tangent lanes). Not a public header and no include guard: it is
 * included once per type by dual.h and chunk.h with these macros defined:
 *
 *   DJ_T_        the type name               (dj_dual, dj_c8, ...)
 *   DJ_P_(f)     the name of operation f     (dj_dual_f, dj_c8_f, ...)
 *   DJ_N_        the number of tangent lanes (1 for dj_dual)
 *   DJ_SCALAR_   1 when the tangent is a plain double (dj_dual), else 0
 *   DJ_UNGUARDED_  (optional, chunks only) define to make the operations
 *                of an existing chunk type once more, without the
 *                non-finite partials' guards: see "Unguarded operations"
 *                in chunk.h. The type itself is then not defined again.
 *
 * Each operation takes its value and partial derivatives from the rule in
 * rules.h and forms the tangent lanes as a linear combination of the input
 * lanes, vectorized across lanes (see the struct below). */

#if DJ_SCALAR_
#ifdef DJ_UNGUARDED_
#error "DJ_UNGUARDED_: chunks only"
#endif
typedef struct DJ_T_ { double v, d; } DJ_T_;
#define DJ_L_(x, k) ((&(x).d)[k])   /* k is always 0 */
#define DJ_VEC_ 0
#elif DJ_HAVE_VECTOR_EXT_
/* GCC and Clang: the lanes are also an array of native-width SIMD vectors
 * (dj_vblk_, see chunk.h), and every operation is a loop of vector
 * expressions over those blocks: values then stay in registers or move with
 * whole-register loads and stores. (One generic vector of N lanes, wider
 * than the hardware, made GCC spill through the stack, up to 4x slower.)
 * d[] is the same storage as plain doubles, for reading and writing lanes.
 * The lanes come first and v last: a struct copy then moves the lanes as
 * whole registers at the offsets the operations load them from (with v
 * first, copies split the lanes across register-sized pieces and every
 * later load stalled on store forwarding: 2-3x slower). vpad_ makes the size
 * a multiple of 64 bytes, so that in an array that starts on a cache line
 * (the drivers' arrays do) no lane block straddles two lines: 10-15% of a
 * 32-column MGH Jacobian. The type is not over-aligned (arrays from plain
 * malloc stay valid). */
#ifndef DJ_UNGUARDED_
typedef struct DJ_T_ {
    union {
        double d[DJ_N_];
        dj_vblk_ blk_[DJ_N_ / DJ_VB_];
    };
    union {             /* v, in a block of 64 bytes: the size is a */
        double v;       /* multiple of 64 bytes (vpad_ is unused) */
        double vpad_[8];
    };
} DJ_T_;
#endif
#define DJ_L_(x, k) ((x).d[k])
#define DJ_VEC_ 1
#define DJ_NB_ (DJ_N_ / DJ_VB_)
/* g * x per lane, with exact-zero lanes of x giving +0 (see rules.h), on
 * whole blocks: the product's bits masked by (x != 0). Touching single
 * lanes here instead would force every chunk argument into memory. */
#define DJ_TMUL_(g, x)                                                        \
    ((dj_vblk_)((dj_vmask_)((g) * (x)) & (dj_vmask_)((x) != 0.0)))
#else
#ifndef DJ_UNGUARDED_
typedef struct DJ_T_ { double d[DJ_N_]; union { double v; double vpad_[8]; }; } DJ_T_;
#endif
#define DJ_L_(x, k) ((x).d[k])
#define DJ_VEC_ 0
#endif

/* DJ_FINITE_(c): the partials c are finite, so the plain lane products
 * are exact (the guarded path is needed only otherwise). The unguarded
 * operations take the plain products always, without a test or a branch,
 * and DJ_NOTE_ records each partial in the thread's note (detail/memo.h)
 * for the driver to look at after the form. */
#ifdef DJ_UNGUARDED_
#define DJ_FINITE_(c) 1
#define DJ_NOTE_(g) dj_memo_note_(g)
#else
#define DJ_FINITE_(c) DJ_LIKELY_(c)
#define DJ_NOTE_(g) ((void)0)
#endif

/* A constant: value c, every tangent lane 0. */
DJ_INLINE_ DJ_T_ DJ_P_(const)(double c)
{
    DJ_T_ y;
    y.v = c;
#if DJ_VEC_
    DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
        y.blk_[k] = (dj_vblk_){ 0.0 };
#else
    for (int k = 0; k < DJ_N_; ++k)
        DJ_L_(y, k) = 0.0;
#endif
    return y;
}

/* An input seeded with the unit tangent in lane `lane` (0 <= lane < lanes);
 * any other lane index gives a constant. */
DJ_INLINE_ DJ_T_ DJ_P_(seed)(double v, int lane)
{
    DJ_T_ y = DJ_P_(const)(v);
    if (lane >= 0 && lane < DJ_N_) {
        DJ_L_(y, lane) = 1.0;
#if DJ_VEC_
        /* GCC 12 with AVX-512 miscompiles arithmetic on a vector it knows
           to be zeros with one lane set at a variable index (x + y gave all
           lanes 1; a 10-line reproducer, also with the lane written through
           the vector): the empty asm hides y's contents from the optimizer */
        __asm__("" : "+m"(y));
#endif
    }
    return y;
}

/* The value (primal part). */
DJ_INLINE_ double DJ_P_(value)(DJ_T_ x) { return x.v; }

/* y' = g x' (lanes where x' == 0 stay 0, see rules.h). */
DJ_INLINE_ DJ_T_ DJ_P_(lin1_)(double v, double g, DJ_T_ x)
{
    DJ_T_ y;
    y.v = v;
    DJ_NOTE_(g);
    if (DJ_FINITE_(isfinite(g))) {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = g * x.blk_[k];
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = g * DJ_L_(x, k);
#endif
    } else {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = DJ_TMUL_(g, x.blk_[k]);
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(g, DJ_L_(x, k));
#endif
    }
    return y;
}

/* y' = ga a' + gb b' */
DJ_INLINE_ DJ_T_ DJ_P_(lin2_)(double v, double ga, DJ_T_ a, double gb, DJ_T_ b)
{
    DJ_T_ y;
    y.v = v;
    DJ_NOTE_(ga);
    DJ_NOTE_(gb);
    if (DJ_FINITE_(isfinite(ga) && isfinite(gb))) {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = DJ_VLIN2_(ga, a.blk_[k], gb, b.blk_[k]);
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = ga * DJ_L_(a, k) + gb * DJ_L_(b, k);
#endif
    } else {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = DJ_TMUL_(ga, a.blk_[k]) + DJ_TMUL_(gb, b.blk_[k]);
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(ga, DJ_L_(a, k)) + dj_tangent_mul(gb, DJ_L_(b, k));
#endif
    }
    return y;
}

/* y' = ga a' + gb b' + gc c' */
DJ_INLINE_ DJ_T_ DJ_P_(lin3_)(double v, double ga, DJ_T_ a, double gb, DJ_T_ b,
                                 double gc, DJ_T_ c)
{
    DJ_T_ y;
    y.v = v;
    DJ_NOTE_(ga);
    DJ_NOTE_(gb);
    DJ_NOTE_(gc);
    if (DJ_FINITE_(isfinite(ga) && isfinite(gb) && isfinite(gc))) {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = DJ_VFMA_(gc, c.blk_[k], DJ_VLIN2_(ga, a.blk_[k], gb, b.blk_[k]));
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = ga * DJ_L_(a, k) + gb * DJ_L_(b, k) + gc * DJ_L_(c, k);
#endif
    } else {
#if DJ_VEC_
        DJ_UNROLL_ for (int k = 0; k < DJ_NB_; ++k)
            y.blk_[k] = DJ_TMUL_(ga, a.blk_[k]) + DJ_TMUL_(gb, b.blk_[k])
                      + DJ_TMUL_(gc, c.blk_[k]);
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(ga, DJ_L_(a, k)) + dj_tangent_mul(gb, DJ_L_(b, k))
                        + dj_tangent_mul(gc, DJ_L_(c, k));
#endif
    }
    return y;
}

/* Unary functions: y = f(x), y' = f'(x) x'. The libm ones go through the
 * cross-pass memo (detail/memo.h). */
#define DJ_DEF1_(f)                                                           \
    DJ_INLINE_ DJ_T_ DJ_P_(f)(DJ_T_ x)                                     \
    {                                                                         \
        dj_rule1 r = dj_rule_##f(x.v);                                        \
        return DJ_P_(lin1_)(r.v, r.g, x);                                     \
    }
#define DJ_DEF1_MEMO_(f)                                                      \
    DJ_INLINE_ DJ_T_ DJ_P_(f)(DJ_T_ x)                                     \
    {                                                                         \
        dj_rule1 r = dj_memo_rule1_(DJ_RULE_##f, x.v, dj_rule_##f);           \
        return DJ_P_(lin1_)(r.v, r.g, x);                                     \
    }
DJ_UNARY_RULES_CHEAP(DJ_DEF1_)
DJ_UNARY_RULES_LIBM(DJ_DEF1_MEMO_)
#undef DJ_DEF1_
#undef DJ_DEF1_MEMO_

/* Binary functions: f(T, T), f_xd(T, double), f_dx(double, T). RULE(id, a,
 * b, rule) computes the rule directly or through the memo. */
#define DJ_DIRECT_(id, a, b, rule) rule(a, b)
#define DJ_DEF2_(f, RULE)                                                     \
    DJ_INLINE_ DJ_T_ DJ_P_(f)(DJ_T_ a, DJ_T_ b)                            \
    {                                                                         \
        dj_rule2 r = RULE(DJ_RULE_##f, a.v, b.v, dj_rule_##f);                \
        return DJ_P_(lin2_)(r.v, r.ga, a, r.gb, b);                           \
    }                                                                         \
    DJ_INLINE_ DJ_T_ DJ_P_(f##_xd)(DJ_T_ a, double b)                      \
    {                                                                         \
        dj_rule2 r = RULE(DJ_RULE_##f##_xd, a.v, b, dj_rule_##f##_xd);        \
        return DJ_P_(lin1_)(r.v, r.ga, a);                                    \
    }                                                                         \
    DJ_INLINE_ DJ_T_ DJ_P_(f##_dx)(double a, DJ_T_ b)                      \
    {                                                                         \
        dj_rule2 r = RULE(DJ_RULE_##f##_dx, a, b.v, dj_rule_##f##_dx);        \
        return DJ_P_(lin1_)(r.v, r.gb, b);                                    \
    }
#define DJ_DEF2_DIRECT_(f) DJ_DEF2_(f, DJ_DIRECT_)
#define DJ_DEF2_MEMO_(f) DJ_DEF2_(f, dj_memo_rule2_)
DJ_BINARY_RULES_CHEAP(DJ_DEF2_DIRECT_)
DJ_BINARY_RULES_LIBM(DJ_DEF2_MEMO_)
#undef DJ_DEF2_
#undef DJ_DEF2_DIRECT_
#undef DJ_DEF2_MEMO_
#undef DJ_DIRECT_

/* fma(a, b, c) = a b + c, rounded once. */
DJ_INLINE_ DJ_T_ DJ_P_(fma)(DJ_T_ a, DJ_T_ b, DJ_T_ c)
{
    dj_rule3 r = dj_rule_fma(a.v, b.v, c.v);
    return DJ_P_(lin3_)(r.v, r.ga, a, r.gb, b, r.gc, c);
}

#undef DJ_L_
#undef DJ_VEC_
#undef DJ_NB_
#undef DJ_TMUL_
#undef DJ_FINITE_
#undef DJ_NOTE_
