/* memo.c - the thread-local record of libm results across forward passes
 * (see include/dualjac/detail/memo.h). */
#include <math.h>
#include <string.h>
#include "dualjac/detail/memo.h"
#include "internal.h"

_Thread_local dj_memo_ dj_memo_state_;

void dj_memo_record_(int op, double a, double b, double v, double ga, double gb)
{
    dj_memo_ *m = &dj_memo_state_;
    if (m->len == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 256;
        dj_memo_entry_ *nb = NULL;
        if (!dj_mul_overflows_(cap, sizeof *nb))
            nb = dj_malloc_(cap * sizeof *nb);
        if (nb == NULL) {
            m->mode = DJ_MEMO_OFF_;      /* no memory: just stop recording */
            return;
        }
        if (m->len)
            memcpy(nb, m->buf, m->len * sizeof *nb);
        dj_free_(m->buf);
        m->buf = nb;
        m->cap = cap;
    }
    dj_memo_entry_ *e = &m->buf[m->len++];
    e->op = op;
    e->a = a;
    e->b = b;
    e->v = v;
    e->ga = ga;
    e->gb = gb;
}

void dj_memo_begin_(dj_memo_ *saved)
{
    *saved = dj_memo_state_;
    memset(&dj_memo_state_, 0, sizeof dj_memo_state_);
    dj_memo_state_.mode = DJ_MEMO_RECORD_;
}

dj_memo_sc_ *dj_memo_sc_make_(dj_memo_ *m)
{
    /* empty: its x fields are NaN, which never matches (without memory the
       table is simply not used) */
    m->sc_tried = 1;
    dj_memo_sc_ *sc = dj_malloc_(DJ_MEMO_SC_SIZE_ * sizeof *sc);
    if (sc != NULL)
        for (size_t i = 0; i < DJ_MEMO_SC_SIZE_; ++i)
            sc[i].x = NAN;
    m->sc = sc;
    return sc;
}

void dj_memo_replay_(void)
{
    dj_free_(dj_memo_state_.sc);          /* only the recording pass uses it */
    dj_memo_state_.sc = NULL;
    if (dj_memo_state_.mode != DJ_MEMO_OFF_ || dj_memo_state_.len > 0)
        dj_memo_state_.mode = DJ_MEMO_REPLAY_;
    dj_memo_state_.pos = 0;
}

void dj_memo_end_(const dj_memo_ *saved)
{
    dj_free_(dj_memo_state_.buf);
    dj_free_(dj_memo_state_.sc);
    dj_memo_state_ = *saved;
}
