/* dualjac/detail/tangent_type.h - the one definition of every forward-mode
 * scalar type: dj_dual (one tangent) and the chunks dj_c8 ... dj_c64 (a fixed
 * number of tangent lanes). Not a public header and no include guard: it is
 * included once per type by dual.h and chunk.h with these macros defined:
 *
 *   DJ_T_        the type name               (dj_dual, dj_c8, ...)
 *   DJ_P_(f)     the name of operation f     (dj_dual_f, dj_c8_f, ...)
 *   DJ_N_        the number of tangent lanes (1 for dj_dual)
 *   DJ_SCALAR_   1 when the tangent is a plain double (dj_dual), else 0
 *
 * Each operation takes its value and partial derivatives from the rule in
 * rules.h and forms the tangent lanes as a linear combination of the input
 * lanes. The lane loops have a constant trip count and no aliasing (all
 * arguments by value), so compilers vectorize them across lanes at -O2 and
 * above (GCC 12: -O2 enables the cheap vectorizer; -O3 recommended). */

#if DJ_SCALAR_
typedef struct DJ_T_ { double v, d; } DJ_T_;
#define DJ_L_(x, k) ((&(x).d)[k])   /* k is always 0 */
#define DJ_VEC_ 0
#elif defined(__GNUC__) && !defined(DJ_NO_VECTOR_EXT)
/* GCC and Clang: the lanes are one generic vector (lowered to the target's
 * SIMD registers), so a chunk passed and returned by value stays in
 * registers instead of being copied through memory. aligned(8) keeps the
 * struct packed (v then N lanes, no padding) and safe in malloc'd arrays. */
typedef double DJ_P_(lanes_) __attribute__((vector_size(8 * DJ_N_), aligned(8)));
typedef struct DJ_T_ { double v; DJ_P_(lanes_) d; } DJ_T_;
#define DJ_L_(x, k) ((x).d[k])
#define DJ_VEC_ 1
#else
typedef struct DJ_T_ { double v; double d[DJ_N_]; } DJ_T_;
#define DJ_L_(x, k) ((x).d[k])
#define DJ_VEC_ 0
#endif

/* A constant: value c, every tangent lane 0. */
static inline DJ_T_ DJ_P_(const)(double c)
{
    DJ_T_ y;
    y.v = c;
#if DJ_VEC_
    y.d = (DJ_P_(lanes_)){ 0.0 };
#else
    for (int k = 0; k < DJ_N_; ++k)
        DJ_L_(y, k) = 0.0;
#endif
    return y;
}

/* An input seeded with the unit tangent in lane `lane` (0 <= lane < lanes);
 * any other lane index gives a constant. */
static inline DJ_T_ DJ_P_(seed)(double v, int lane)
{
    DJ_T_ y;
    y.v = v;
    for (int k = 0; k < DJ_N_; ++k)
        DJ_L_(y, k) = (k == lane) ? 1.0 : 0.0;
    return y;
}

/* The value (primal part). */
static inline double DJ_P_(value)(DJ_T_ x) { return x.v; }

/* y' = g x' (lanes where x' == 0 stay 0, see rules.h). */
static inline DJ_T_ DJ_P_(lin1_)(double v, double g, DJ_T_ x)
{
    DJ_T_ y;
    y.v = v;
    if (isfinite(g)) {
#if DJ_VEC_
        y.d = g * x.d;
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = g * DJ_L_(x, k);
#endif
    } else {
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(g, DJ_L_(x, k));
    }
    return y;
}

/* y' = ga a' + gb b' */
static inline DJ_T_ DJ_P_(lin2_)(double v, double ga, DJ_T_ a, double gb, DJ_T_ b)
{
    DJ_T_ y;
    y.v = v;
    if (isfinite(ga) && isfinite(gb)) {
#if DJ_VEC_
        y.d = ga * a.d + gb * b.d;
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = ga * DJ_L_(a, k) + gb * DJ_L_(b, k);
#endif
    } else {
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(ga, DJ_L_(a, k)) + dj_tangent_mul(gb, DJ_L_(b, k));
    }
    return y;
}

/* y' = ga a' + gb b' + gc c' */
static inline DJ_T_ DJ_P_(lin3_)(double v, double ga, DJ_T_ a, double gb, DJ_T_ b,
                                 double gc, DJ_T_ c)
{
    DJ_T_ y;
    y.v = v;
    if (isfinite(ga) && isfinite(gb) && isfinite(gc)) {
#if DJ_VEC_
        y.d = ga * a.d + gb * b.d + gc * c.d;
#else
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = ga * DJ_L_(a, k) + gb * DJ_L_(b, k) + gc * DJ_L_(c, k);
#endif
    } else {
        for (int k = 0; k < DJ_N_; ++k)
            DJ_L_(y, k) = dj_tangent_mul(ga, DJ_L_(a, k)) + dj_tangent_mul(gb, DJ_L_(b, k))
                        + dj_tangent_mul(gc, DJ_L_(c, k));
    }
    return y;
}

/* Unary functions: y = f(x), y' = f'(x) x'. */
#define DJ_DEF1_(f)                                                           \
    static inline DJ_T_ DJ_P_(f)(DJ_T_ x)                                     \
    {                                                                         \
        dj_rule1 r = dj_rule_##f(x.v);                                        \
        return DJ_P_(lin1_)(r.v, r.g, x);                                     \
    }
DJ_UNARY_RULES(DJ_DEF1_)
#undef DJ_DEF1_

/* Binary functions: f(T, T), f_xd(T, double), f_dx(double, T). */
#define DJ_DEF2_(f)                                                           \
    static inline DJ_T_ DJ_P_(f)(DJ_T_ a, DJ_T_ b)                            \
    {                                                                         \
        dj_rule2 r = dj_rule_##f(a.v, b.v);                                   \
        return DJ_P_(lin2_)(r.v, r.ga, a, r.gb, b);                           \
    }                                                                         \
    static inline DJ_T_ DJ_P_(f##_xd)(DJ_T_ a, double b)                      \
    {                                                                         \
        dj_rule2 r = dj_rule_##f##_xd(a.v, b);                                \
        return DJ_P_(lin1_)(r.v, r.ga, a);                                    \
    }                                                                         \
    static inline DJ_T_ DJ_P_(f##_dx)(double a, DJ_T_ b)                      \
    {                                                                         \
        dj_rule2 r = dj_rule_##f##_dx(a, b.v);                                \
        return DJ_P_(lin1_)(r.v, r.gb, b);                                    \
    }
DJ_BINARY_RULES(DJ_DEF2_)
#undef DJ_DEF2_

/* fma(a, b, c) = a b + c, rounded once. */
static inline DJ_T_ DJ_P_(fma)(DJ_T_ a, DJ_T_ b, DJ_T_ c)
{
    dj_rule3 r = dj_rule_fma(a.v, b.v, c.v);
    return DJ_P_(lin3_)(r.v, r.ga, a, r.gb, b, r.gc, c);
}

#undef DJ_L_
#undef DJ_VEC_
