/* peers_dj.c - see peers_dj.h. */
#include <stdio.h>
#include <stdlib.h>
#include "dualjac.h"
#include "mgh.h"
#include "matprob.h"
#include "peers_dj.h"

struct pj_prob {
    int is_mgh;
    mgh_problem mgh;    /* F.user points into this struct: never moved */
    matprob mp;
    dj_ctx *ctx;        /* matrix programs: reused context */
};

pj_prob *pj_mgh(const char *name, size_t n)
{
    pj_prob *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->is_mgh = 1;
    if (mgh_init(&p->mgh, name, n) != DJ_OK) {
        free(p);
        return NULL;
    }
    return p;
}

static pj_prob *mat_done(pj_prob *p, int rc)
{
    if (rc == DJ_OK)
        p->ctx = dj_ctx_new();
    if (rc != DJ_OK || p->ctx == NULL) {
        matprob_free(&p->mp);
        free(p);
        return NULL;
    }
    return p;
}

pj_prob *pj_mlp(size_t n, size_t h, size_t m)
{
    pj_prob *p = calloc(1, sizeof *p);
    return p ? mat_done(p, matprob_mlp(&p->mp, n, h, m, 1)) : NULL;
}

pj_prob *pj_inverse(size_t n)
{
    pj_prob *p = calloc(1, sizeof *p);
    return p ? mat_done(p, matprob_inverse(&p->mp, n)) : NULL;
}

void pj_free(pj_prob *p)
{
    if (p == NULL)
        return;
    if (!p->is_mgh) {
        dj_ctx_free(p->ctx);
        matprob_free(&p->mp);
    }
    free(p);
}

static const dj_function *fn(const pj_prob *p)
{
    return p->is_mgh ? &p->mgh.F : &p->mp.F;
}

size_t pj_n(const pj_prob *p) { return fn(p)->n; }
size_t pj_m(const pj_prob *p) { return fn(p)->m; }

void pj_start(const pj_prob *p, double *x)
{
    if (p->is_mgh)
        mgh_start(&p->mgh, 1.0, x);
    else
        matprob_start(&p->mp, 42, x);
}

const double *pj_W1(const pj_prob *p) { return p->is_mgh ? NULL : p->mp.W1; }
const double *pj_b1(const pj_prob *p) { return p->is_mgh ? NULL : p->mp.b1; }
const double *pj_W2(const pj_prob *p) { return p->is_mgh ? NULL : p->mp.W2; }

int pj_primal(const pj_prob *p, const double *x, double *y)
{
    if (p->is_mgh)
        return p->mgh.F.f(p->mgh.F.user, x, y);
    return matprob_primal_loops(&p->mp, x, y);
}

int pj_jac(pj_prob *p, int mode, const double *x, double *y, double *J)
{
    dj_jac_opts o = { 0, 0, p->is_mgh ? NULL : p->ctx, DJ_JAC_AUTO, 0 };
    const dj_function *F = fn(p);
    if (mode == 1)
        return dj_jacfwd(F, x, y, J, F->m, &o);
    o.mode = mode == 2 ? DJ_JAC_REVERSE : DJ_JAC_AUTO;
    return dj_jacobian(F, x, y, J, F->m, &o);
}

int pj_reference(const pj_prob *p, const double *x, double *J)
{
    if (p->is_mgh)
        return mgh_jacobian(&p->mgh, x, J, p->mgh.m);
    return matprob_jacobian(&p->mp, x, J, p->mp.nout);
}

const char *pj_auto_mode(const pj_prob *p)
{
    int r = dj_jacobian_mode(fn(p), NULL);
    return r == DJ_JAC_FORWARD ? "forward" : r == DJ_JAC_REVERSE ? "reverse" : "none";
}

void pj_plan(const pj_prob *p, char *buf, size_t len)
{
    dj_chunk_plan pl;
    const dj_function *F = fn(p);
    if (dj_chunk_plan_make(F, F->n, NULL, &pl) != DJ_OK)
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%zu pass%s of %d", pl.passes, pl.passes == 1 ? "" : "es", pl.width);
}

const char *pj_strerror(int rc) { return dj_strerror(rc); }

const char *pj_version(void)
{
    static char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", DJ_VERSION_MAJOR, DJ_VERSION_MINOR, DJ_VERSION_PATCH);
    return v;
}
