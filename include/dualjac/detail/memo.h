/* dualjac/detail/memo.h - remembering libm results across forward passes.
 * Not a public header.
 *
 * A forward Jacobian of n columns with W-lane chunks evaluates f in
 * ceil(n/W) passes, and every pass recomputes the same primal values: the
 * same libm calls on the same arguments. During such a Jacobian the driver
 * (src/jacobian.c) records, in the first pass, each libm rule's arguments,
 * value and partials (dj_memo_record_), and replays them in the later
 * passes: a rule whose recorded operation and arguments match bit for bit
 * takes the recorded results instead of calling libm. Anything else (a
 * different control path, a NaN argument, a full buffer) is recomputed, so
 * replay never changes a result, only its cost. A run of one pass records
 * nothing, but sin and cos of one argument still share one sincos (the
 * table below, kept per thread across runs). The state is thread-local,
 * so threads do not share it, and it is off outside the drivers: then each
 * libm rule costs one extra thread-local load and branch. */
#ifndef DUALJAC_DETAIL_MEMO_H
#define DUALJAC_DETAIL_MEMO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "../rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SHARE: a one-pass run, nothing to replay: only sin and cos share sincos. */
enum { DJ_MEMO_OFF_ = 0, DJ_MEMO_RECORD_ = 1, DJ_MEMO_REPLAY_ = 2, DJ_MEMO_SHARE_ = 3 };

typedef struct dj_memo_entry_ {
    double a, b, v, ga, gb;
    int op;
} dj_memo_entry_;

/* sin and cos of one argument, shared within one pass: an entry counts
 * only in the run whose number (gen, from 1) it carries, so a table kept
 * across runs never carries results from one run into the next. */
typedef struct dj_memo_sc_ {
    double x, s, c;
    uint64_t gen;
} dj_memo_sc_;
#define DJ_MEMO_SC_SIZE_ 512    /* entries of the sin/cos table (a power of 2) */

typedef struct dj_memo_ {
    int mode;
    size_t pos;               /* next entry to replay */
    size_t len;               /* entries recorded */
    size_t cap;
    dj_memo_entry_ *buf;
    dj_memo_sc_ *sc;          /* recording, sharing: sin and cos by argument, or NULL */
    int sc_tried;             /* the table was asked for (made on first use) */
    int sc_kept;              /* sc is the thread's table, kept across runs */
    uint64_t sc_gen;          /* this run's number in sc */
    uint64_t note;            /* the unguarded operations' partials (dj_memo_note_) */
} dj_memo_;

#ifdef __cplusplus
extern thread_local dj_memo_ dj_memo_state_;
#else
extern _Thread_local dj_memo_ dj_memo_state_;
#endif

/* The unguarded chunk operations (chunk.h) record every partial g in the
 * note: the OR of the bits of g - g, which is +0 for a finite g (-0 when
 * rounding downward) and NaN otherwise. So the note has an exponent bit set
 * (DJ_MEMO_NONFINITE_) when some partial was infinite or NaN since it was
 * cleared. No test and no branch: a subtract and an OR, on a variable the
 * compiler keeps in a register through a form's loops. */
DJ_INLINE_ void dj_memo_note_(double g)
{
    double z = g - g;
    uint64_t u;
    memcpy(&u, &z, sizeof u);
    dj_memo_state_.note |= u;
}
#define DJ_MEMO_NONFINITE_(note) (((note) & UINT64_C(0x7ff0000000000000)) != 0)

/* Append an entry: in place while there is room, else out of line (grows
 * the buffer, or stops recording when it cannot). */
void dj_memo_record_(int op, double a, double b, double v, double ga, double gb);

/* The sin/cos table, asked for on the first sin or cos of a recording or
 * sharing pass (so a Jacobian of code without them does not pay for it):
 * the thread's table, kept across runs (a new run number each time, so
 * nothing needs clearing), or one made for this run; NULL when there is no
 * memory, and then not asked for again. */
dj_memo_sc_ *dj_memo_sc_make_(dj_memo_ *m);

DJ_INLINE_ void dj_memo_push_(dj_memo_ *m, int op, double a, double b,
                                 double v, double ga, double gb)
{
    if (m->len < m->cap) {
        dj_memo_entry_ *e = &m->buf[m->len++];
        e->a = a;
        e->b = b;
        e->v = v;
        e->ga = ga;
        e->gb = gb;
        e->op = op;
    } else {
        dj_memo_record_(op, a, b, v, ga, gb);
    }
}

DJ_INLINE_ int dj_memo_same_(double x, double y)
{
    uint64_t u, w;
    memcpy(&u, &x, sizeof u);
    memcpy(&w, &y, sizeof w);
    return u == w;
}

/* The next replayable entry for (op, a, b), or NULL. */
DJ_INLINE_ const dj_memo_entry_ *dj_memo_next_(dj_memo_ *m, int op, double a, double b)
{
    if (m->pos >= m->len)
        return NULL;
    const dj_memo_entry_ *e = &m->buf[m->pos++];
    if (DJ_LIKELY_(e->op == op && dj_memo_same_(e->a, a) && dj_memo_same_(e->b, b)))
        return e;
    return NULL;
}

/* While recording or sharing, sin and cos share one sincos per argument: a
 * program that takes cos(x) and, later, sin(x) (a rotation, a Fourier term,
 * the Trigonometric test problem) calls libm once. A direct-mapped table
 * keyed by the argument's bits; a hit gives the same values sincos would.
 *
 * The hits here and in dj_memo_next_ are marked likely, and dj_memo_rule1_
 * takes the sharing path first with its own returns. Both are for the
 * register allocator, not the branch predictor: a libm call clobbers every
 * vector register, and while GCC 12 counted the call as likely as the hit,
 * it kept the caller's chunks that live across it (the argument's lanes, a
 * running sum) on the stack, stored and reloaded on every rule, hit or not.
 * With the hit likely they stay in registers and only the call path moves
 * them: Trigonometric n = 32, 1.02 -> 0.83 us a Jacobian (one pass, 32 hits
 * and 32 misses). */
DJ_INLINE_ dj_rule1 dj_memo_sincos_(dj_memo_ *m, int op, double x, dj_rule1 (*rule)(double))
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    dj_memo_sc_ *e = &m->sc[(u ^ (u >> 29) ^ (u >> 43)) & (DJ_MEMO_SC_SIZE_ - 1)];
    if (DJ_LIKELY_(e->gen == m->sc_gen && dj_memo_same_(e->x, x))) {
        dj_rule1 r = { op == DJ_RULE_sin ? e->s : e->c, op == DJ_RULE_sin ? e->c : -e->s };
        return r;
    }
    dj_rule1 r = rule(x);
    e->gen = m->sc_gen;
    e->x = x;
    e->s = op == DJ_RULE_sin ? r.v : -r.g;
    e->c = op == DJ_RULE_sin ? r.g : r.v;
    return r;
}

DJ_INLINE_ dj_rule1 dj_memo_rule1_(int op, double x, dj_rule1 (*rule)(double))
{
    dj_memo_ *m = &dj_memo_state_;
    if ((op == DJ_RULE_sin || op == DJ_RULE_cos) &&
        DJ_LIKELY_(m->mode == DJ_MEMO_SHARE_ && m->sc != NULL && x == x))
        return dj_memo_sincos_(m, op, x, rule);
    if (m->mode == DJ_MEMO_OFF_)
        return rule(x);
    if (m->mode == DJ_MEMO_REPLAY_) {
        const dj_memo_entry_ *e = dj_memo_next_(m, op, x, 0.0);
        if (e != NULL) {
            dj_rule1 r = { e->v, e->ga };
            return r;
        }
        return rule(x);
    }
    int sc = (op == DJ_RULE_sin || op == DJ_RULE_cos) && x == x &&
             (m->sc != NULL || (!m->sc_tried && dj_memo_sc_make_(m) != NULL));
    dj_rule1 r = sc ? dj_memo_sincos_(m, op, x, rule) : rule(x);
    if (m->mode == DJ_MEMO_RECORD_)
        dj_memo_push_(m, op, x, 0.0, r.v, r.g, 0.0);
    return r;
}

DJ_INLINE_ dj_rule2 dj_memo_rule2_(int op, double a, double b,
                                      dj_rule2 (*rule)(double, double))
{
    dj_memo_ *m = &dj_memo_state_;
    if (m->mode == DJ_MEMO_OFF_ || m->mode == DJ_MEMO_SHARE_)
        return rule(a, b);
    if (m->mode == DJ_MEMO_REPLAY_) {
        const dj_memo_entry_ *e = dj_memo_next_(m, op, a, b);
        if (e != NULL) {
            dj_rule2 r = { e->v, e->ga, e->gb };
            return r;
        }
        return rule(a, b);
    }
    dj_rule2 r = rule(a, b);
    dj_memo_push_(m, op, a, b, r.v, r.ga, r.gb);
    return r;
}

#ifdef __cplusplus
}
#endif

#endif
