/* rvar.c - reverse mode of the tape scalar dj_rvar (include/dualjac/rvar.h):
 * the thread-local tape, its growth, and the vector-Jacobian driver.
 *
 * dj_rvar_vjp_ opens a tape of its own (saving any tape already open on
 * this thread, for nested calls), records one evaluation of f_rvar on input
 * nodes 0 .. n-1, seeds the output adjoints from W, sweeps the nodes
 * backward once carrying q adjoint lanes per node, and frees everything
 * before it returns (nothing is kept between calls). */
#include <string.h>
#include "dualjac/jacobian.h"
#include "dualjac/rvar.h"
#include "dualjac/status.h"
#include "internal.h"

_Thread_local dj_rvar_tape_ dj_rvar_tape_state_;

/* Stop recording for good (this tape): later operations give constants. */
static void tape_fail(dj_rvar_tape_ *t)
{
    t->failed = 1;
    t->on = 0;
    t->cap = t->len;         /* the inline append now always falls through */
}

/* Room for at least `want` nodes; 0 on failure (the tape is unchanged). */
static int tape_reserve(dj_rvar_tape_ *t, size_t want)
{
    if (want <= t->cap)
        return 1;
    if (t->max_nodes && want > t->max_nodes)
        return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * cap;
    if (t->max_nodes && cap > t->max_nodes)
        cap = t->max_nodes;
    dj_rvar_node_ *nb = NULL;
    if (!dj_mul_overflows_(cap, sizeof *nb))
        nb = dj_malloc_(cap * sizeof *nb);
    if (nb == NULL)
        return 0;
    if (t->len)
        memcpy(nb, t->nodes, t->len * sizeof *nb);
    dj_free_(t->nodes);
    t->nodes = nb;
    t->cap = cap;
    return 1;
}

size_t dj_rvar_push_slow_(size_t a, double ga, size_t b, double gb)
{
    dj_rvar_tape_ *t = &dj_rvar_tape_state_;
    if (!t->on)
        return DJ_RVAR_CONST;
    if (t->len == SIZE_MAX - 1 || !tape_reserve(t, t->len + 1)) {
        tape_fail(t);
        return DJ_RVAR_CONST;
    }
    size_t k = t->len++;
    dj_rvar_node_ *e = &t->nodes[k];
    e->a = a;
    e->b = b;
    e->ga = ga;
    e->gb = gb;
    return k;
}

/* dst[k] += g src[k] for the q lanes, where a lane with src[k] == 0 adds
 * exactly 0 even when g is infinite or NaN (dj_tangent_mul, rules.h). The
 * rows are distinct nodes' adjoints, so they do not overlap. */
static void axpy_lanes(double *restrict dst, double g, const double *restrict src, size_t q)
{
    if (isfinite(g)) {
        for (size_t k = 0; k < q; ++k)
            dst[k] += g * src[k];
    } else {
        for (size_t k = 0; k < q; ++k)
            dst[k] += dj_tangent_mul(g, src[k]);
    }
}

/* The backward sweep over nodes len-1 .. 0: adj[arg] += partial adj[node],
 * q lanes per node (adj[node*q + k]). An argument index that does not
 * precede its node is no argument (DJ_RVAR_CONST: b of a one-argument
 * node, both of an input); the same test keeps a stray index from writing
 * outside the adjoints. */
static void sweep(const dj_rvar_node_ *nodes, size_t len, double *adj, size_t q)
{
    if (q == 1) {
        for (size_t j = len; j-- > 0;) {
            double w = adj[j];
            if (w == 0.0)        /* adds exactly 0 (zero-adjoint convention) */
                continue;
            const dj_rvar_node_ *e = &nodes[j];
            if (e->a < j)
                adj[e->a] += e->ga * w;
            if (e->b < j)
                adj[e->b] += e->gb * w;
        }
        return;
    }
    for (size_t j = len; j-- > 0;) {
        const dj_rvar_node_ *e = &nodes[j];
        const double *w = adj + j * q;
        if (e->a < j)
            axpy_lanes(adj + e->a * q, e->ga, w, q);
        if (e->b < j)
            axpy_lanes(adj + e->b * q, e->gb, w, q);
    }
}

int dj_rvar_vjp_(const dj_function *F, const double *x, size_t q, const double *W,
                 size_t ldw, double *y, double *JTW, size_t ldjtw, size_t limit,
                 size_t *bytes)
{
    if (bytes)
        *bytes = 0;
    if (F->f_rvar == NULL)
        return DJ_ENOFORM;
    size_t n = F->n, m = F->m;
    size_t lim = SIZE_MAX / sizeof(dj_rvar_node_) / 8;
    if (n > lim || m > lim || n > lim - m)
        return DJ_ENOMEM;
    dj_rvar *xr = dj_malloc_((n + m) * sizeof *xr);
    if (xr == NULL)
        return DJ_ENOMEM;
    dj_rvar *yr = xr + n;

    /* open a tape of our own; the caller's (if any) comes back at the end */
    dj_rvar_tape_ saved = dj_rvar_tape_state_;
    dj_rvar_tape_ *t = &dj_rvar_tape_state_;
    memset(t, 0, sizeof *t);
    int rc = DJ_OK;
    double *adj = NULL;
    /* the limit covers nodes and q adjoint lanes per node; it must at least
       hold the n inputs */
    if (limit) {
        t->max_nodes = limit / (sizeof(dj_rvar_node_) + q * sizeof(double));
        if (t->max_nodes < n || t->max_nodes == 0) {
            rc = DJ_ENOMEM;
            goto done;
        }
    }
    /* a first guess at the tape's length (it grows as needed): the inputs
       and a few operations per input and output; no overflow, n + m <= lim */
    size_t guess = n + 4 * (n + m) + 256;
    if (t->max_nodes && guess > t->max_nodes)
        guess = t->max_nodes;
    if (!tape_reserve(t, guess) && !tape_reserve(t, n)) {
        rc = DJ_ENOMEM;
        goto done;
    }
    t->on = 1;
    for (size_t j = 0; j < n; ++j) {     /* inputs: nodes 0 .. n-1 */
        t->nodes[j].a = t->nodes[j].b = DJ_RVAR_CONST;
        t->nodes[j].ga = t->nodes[j].gb = 0.0;
        xr[j].v = x[j];
        xr[j].i = j;
    }
    t->len = n;
    for (size_t i = 0; i < m; ++i)
        yr[i] = dj_rvar_const(0.0);

    rc = F->f_rvar(F->user, xr, yr);
    t->on = 0;
    if (rc != 0)
        goto done;
    if (t->failed) {
        rc = DJ_ENOMEM;
        goto done;
    }
    if (y != NULL)
        for (size_t i = 0; i < m; ++i)
            y[i] = yr[i].v;

    /* adjoints: q lanes per node, seeded with W's rows at the outputs (+=:
       two outputs may be the same node) */
    size_t len = t->len;
    if (!dj_mul_overflows_(len, q) && !dj_mul_overflows_(len * q, sizeof *adj))
        adj = dj_malloc_(len * q * sizeof *adj);
    if (adj == NULL) {
        rc = DJ_ENOMEM;
        goto done;
    }
    memset(adj, 0, len * q * sizeof *adj);
    for (size_t i = 0; i < m; ++i) {
        size_t node = yr[i].i;
        if (node >= len)                 /* a constant: no adjoint effect */
            continue;
        for (size_t k = 0; k < q; ++k)
            adj[node * q + k] += W[i + k * ldw];
    }
    if (bytes)
        *bytes = t->cap * sizeof(dj_rvar_node_) + len * q * sizeof *adj;
    sweep(t->nodes, len, adj, q);
    for (size_t k = 0; k < q; ++k)
        for (size_t j = 0; j < n; ++j)
            JTW[j + k * ldjtw] = adj[j * q + k];

done:
    dj_free_(adj);
    dj_free_(t->nodes);
    dj_free_(xr);
    dj_rvar_tape_state_ = saved;
    return rc;
}
