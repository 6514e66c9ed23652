/* memo.c - the thread-local record of libm results across forward passes
 * (see include/dualjac/detail/memo.h). */
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

/* A sharing run saves and restores only the mode and the sin/cos fields
 * (the record, an outer run's, stays as it is): copying the whole state was
 * about 8 ns a run. */
static void copy_share_fields(dj_memo_ *to, const dj_memo_ *from)
{
    to->mode = from->mode;
    to->sc = from->sc;
    to->sc_tried = from->sc_tried;
    to->sc_kept = from->sc_kept;
    to->sc_gen = from->sc_gen;
}

void dj_memo_begin_(dj_memo_ *saved, int record)
{
    dj_memo_ *m = &dj_memo_state_;
    if (record) {
        *saved = *m;
        memset(m, 0, sizeof *m);
        m->mode = DJ_MEMO_RECORD_;
        return;
    }
    copy_share_fields(saved, m);
    m->mode = DJ_MEMO_SHARE_;
    m->sc = NULL;
    m->sc_tried = 0;
    m->sc_kept = 0;
}

void dj_memo_sc_clear_(dj_memo_sc_ *sc)
{
    /* empty: run number 0 is never a run's */
    for (size_t i = 0; i < DJ_MEMO_SC_SIZE_; ++i)
        sc[i].gen = 0;
}

dj_memo_sc_ *dj_memo_sc_make_(dj_memo_ *m)
{
    /* without memory the table is simply not used */
    m->sc_tried = 1;
    dj_memo_sc_ *sc = dj_ws_sincos_(&m->sc_gen);
    m->sc_kept = sc != NULL;
    if (sc == NULL) {
        sc = dj_malloc_(DJ_MEMO_SC_SIZE_ * sizeof *sc);
        if (sc != NULL)
            dj_memo_sc_clear_(sc);
        m->sc_gen = 1;
    }
    m->sc = sc;
    return sc;
}

/* Done with the sin/cos table: free it unless it is the thread's. */
static void drop_sc(dj_memo_ *m)
{
    if (!m->sc_kept)
        dj_free_(m->sc);
    m->sc = NULL;
    m->sc_kept = 0;
}

void dj_memo_replay_(void)
{
    drop_sc(&dj_memo_state_);           /* only the recording pass uses it */
    if (dj_memo_state_.mode != DJ_MEMO_OFF_ || dj_memo_state_.len > 0)
        dj_memo_state_.mode = DJ_MEMO_REPLAY_;
    dj_memo_state_.pos = 0;
}

void dj_memo_end_(const dj_memo_ *saved)
{
    dj_memo_ *m = &dj_memo_state_;
    drop_sc(m);
    if (m->mode == DJ_MEMO_SHARE_) {
        copy_share_fields(m, saved);
        return;
    }
    dj_free_(m->buf);
    *m = *saved;
}
