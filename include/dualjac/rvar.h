/* dualjac/rvar.h - the reverse-mode scalar: a value recorded on a tape.
 *
 *   typedef struct dj_rvar { double v; size_t i; } dj_rvar;
 *
 * v is the value; i is the value's node on the calling thread's tape
 * (DJ_RVAR_CONST for a constant, which is not recorded). Every operation
 * computes its value with the rule of rules.h and records its partial
 * derivatives; a backward sweep (run by the drivers: dj_vjp, dj_jacrev)
 * then accumulates adjoints, q output directions at once. The operations
 * are those of dj_dual with the prefix dj_rvar_ (dj_rvar_sin,
 * dj_rvar_mul_xd, ...), and dj_rvar joins the generic family (generic.h),
 * so a function written once with the generic operations also runs in
 * reverse mode. The tape is thread-local and only records while a driver
 * has it open; outside the drivers the operations compute values only.
 *
 * Operations (all static inline, all with the derivative rules of rules.h):
 *   dj_rvar_const(c)            constant c (not recorded)
 *   dj_rvar_value(x)            x.v
 *   dj_rvar_F(x)                F in neg exp exp2 expm1 log log2 log10 log1p
 *                               sqrt cbrt sin cos tan asin acos atan sinh cosh
 *                               tanh asinh acosh atanh erf erfc fabs floor
 *                               ceil round trunc
 *   dj_rvar_G(a, b)             G in add sub mul div pow atan2 hypot fmin
 *   dj_rvar_G_xd(a, double b)   fmax copysign; _xd: b is a plain double,
 *   dj_rvar_G_dx(double a, b)   _dx: a is a plain double
 *   dj_rvar_fma(a, b, c)
 *
 * The tape. While a driver has it open, an operation with at least one
 * non-constant argument appends one node: the indices of its non-constant
 * arguments (one or two) and the partial derivatives with respect to them
 * (fma with three non-constant arguments appends two nodes: a b, then + c).
 * An operation whose arguments are all constants gives a constant and
 * records nothing. A node is 32 bytes; appending is inline while the
 * buffer has room and grows it out of line (doubling) otherwise. When that
 * allocation fails the tape stops recording (later results are constants)
 * and remembers the failure: the driver then returns DJ_ENOMEM. The
 * backward sweep costs one multiply-add per recorded partial per adjoint
 * lane, and the adjoints take 8 q bytes per node.
 *
 * Rules for the user's function: a dj_rvar is valid only during the driver
 * call that created it (its index names a node of that call's tape); do not
 * keep one across calls or pass one into a nested driver call. Drivers may
 * nest (a form may call a driver): each call has its own tape, and the
 * caller's is restored when it returns. */
#ifndef DUALJAC_RVAR_H
#define DUALJAC_RVAR_H

#include <stddef.h>
#include <stdint.h>
#include "rules.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DJ_RVAR_CONST SIZE_MAX

typedef struct dj_rvar {
    double v;
    size_t i;
} dj_rvar;

/* ---- the tape (not public: used by the operations and src/rvar.c) --------- */

/* One recorded operation: y = op(a, b), with ga = dy/da, gb = dy/db. An
 * argument index of DJ_RVAR_CONST means no argument (b of a one-argument
 * node; a and b of an input). Arguments always precede their node. */
typedef struct dj_rvar_node_ {
    size_t a, b;
    double ga, gb;
} dj_rvar_node_;

/* The state of the calling thread's tape. While no tape is open, on == 0
 * and cap == 0, so the inline append (len < cap) always falls through to
 * the out-of-line one, which then records nothing. */
typedef struct dj_rvar_tape_ {
    size_t len;               /* nodes recorded */
    size_t cap;               /* room in nodes (0 when not recording) */
    dj_rvar_node_ *nodes;
    int on;                   /* recording */
    int failed;               /* an allocation failed: recording stopped */
    size_t max_nodes;         /* the caller's limit (0: none) */
} dj_rvar_tape_;

#ifdef __cplusplus
extern thread_local dj_rvar_tape_ dj_rvar_tape_state_;
#else
extern _Thread_local dj_rvar_tape_ dj_rvar_tape_state_;
#endif

/* Append a node when the buffer is full (or the tape closed): grows the
 * buffer and appends, returning the new node's index; returns
 * DJ_RVAR_CONST when not recording, or when the allocation fails (then
 * recording stops and the failure is remembered). */
size_t dj_rvar_push_slow_(size_t a, double ga, size_t b, double gb);

DJ_INLINE_ size_t dj_rvar_push_(size_t a, double ga, size_t b, double gb)
{
    dj_rvar_tape_ *t = &dj_rvar_tape_state_;
    size_t k = t->len;
    if (k < t->cap) {
        dj_rvar_node_ *e = &t->nodes[k];
        e->a = a;
        e->b = b;
        e->ga = ga;
        e->gb = gb;
        t->len = k + 1;
        return k;
    }
    return dj_rvar_push_slow_(a, ga, b, gb);
}

/* y = v, with dy/da = ga (a may be a constant: then y is one). */
DJ_INLINE_ dj_rvar dj_rvar_rec1_(double v, size_t a, double ga)
{
    dj_rvar y;
    y.v = v;
    y.i = a == DJ_RVAR_CONST ? DJ_RVAR_CONST : dj_rvar_push_(a, ga, DJ_RVAR_CONST, 0.0);
    return y;
}

/* y = v, with dy/da = ga, dy/db = gb; constant arguments are left out. */
DJ_INLINE_ dj_rvar dj_rvar_rec2_(double v, size_t a, double ga, size_t b, double gb)
{
    if (a == DJ_RVAR_CONST)
        return dj_rvar_rec1_(v, b, gb);
    if (b == DJ_RVAR_CONST)
        return dj_rvar_rec1_(v, a, ga);
    dj_rvar y;
    y.v = v;
    y.i = dj_rvar_push_(a, ga, b, gb);
    return y;
}

/* ---- the operations --------------------------------------------------------- */

/* A constant: value c, not recorded. */
DJ_INLINE_ dj_rvar dj_rvar_const(double c)
{
    dj_rvar y;
    y.v = c;
    y.i = DJ_RVAR_CONST;
    return y;
}

/* The value. */
DJ_INLINE_ double dj_rvar_value(dj_rvar x) { return x.v; }

/* Unary functions: y = f(x), recording dy/dx. */
#define DJ_RVAR_DEF1_(f)                                                      \
    DJ_INLINE_ dj_rvar dj_rvar_##f(dj_rvar x)                                 \
    {                                                                         \
        dj_rule1 r = dj_rule_##f(x.v);                                        \
        return dj_rvar_rec1_(r.v, x.i, r.g);                                  \
    }
DJ_UNARY_RULES(DJ_RVAR_DEF1_)
#undef DJ_RVAR_DEF1_

/* Binary functions: f(rvar, rvar), f_xd(rvar, double), f_dx(double, rvar). */
#define DJ_RVAR_DEF2_(f)                                                      \
    DJ_INLINE_ dj_rvar dj_rvar_##f(dj_rvar a, dj_rvar b)                      \
    {                                                                         \
        dj_rule2 r = dj_rule_##f(a.v, b.v);                                   \
        return dj_rvar_rec2_(r.v, a.i, r.ga, b.i, r.gb);                      \
    }                                                                         \
    DJ_INLINE_ dj_rvar dj_rvar_##f##_xd(dj_rvar a, double b)                  \
    {                                                                         \
        dj_rule2 r = dj_rule_##f##_xd(a.v, b);                                \
        return dj_rvar_rec1_(r.v, a.i, r.ga);                                 \
    }                                                                         \
    DJ_INLINE_ dj_rvar dj_rvar_##f##_dx(double a, dj_rvar b)                  \
    {                                                                         \
        dj_rule2 r = dj_rule_##f##_dx(a, b.v);                                \
        return dj_rvar_rec1_(r.v, b.i, r.gb);                                 \
    }
DJ_BINARY_RULES(DJ_RVAR_DEF2_)
#undef DJ_RVAR_DEF2_

/* fma(a, b, c) = a b + c, rounded once. With three recorded arguments, two
 * nodes: t (dt/da = ga, dt/db = gb) and y (dy/dt = 1, dy/dc = gc); the
 * backward sweep multiplies by the exact 1, so the adjoints are those of a
 * single three-argument node. */
DJ_INLINE_ dj_rvar dj_rvar_fma(dj_rvar a, dj_rvar b, dj_rvar c)
{
    dj_rule3 r = dj_rule_fma(a.v, b.v, c.v);
    if (a.i == DJ_RVAR_CONST)
        return dj_rvar_rec2_(r.v, b.i, r.gb, c.i, r.gc);
    if (b.i == DJ_RVAR_CONST || c.i == DJ_RVAR_CONST)
        return dj_rvar_rec2_(r.v, a.i, r.ga, b.i == DJ_RVAR_CONST ? c.i : b.i,
                             b.i == DJ_RVAR_CONST ? r.gc : r.gb);
    size_t t = dj_rvar_push_(a.i, r.ga, b.i, r.gb);
    dj_rvar y;
    y.v = r.v;
    y.i = t == DJ_RVAR_CONST ? DJ_RVAR_CONST : dj_rvar_push_(t, 1.0, c.i, r.gc);
    return y;
}

#ifdef __cplusplus
}
#endif

#endif
