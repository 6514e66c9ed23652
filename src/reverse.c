/* reverse.c - reverse-mode drivers (VJP, batched VJP, reverse Jacobian) and
 * the automatic choice between forward and reverse mode. Matrix programs
 * run in a context in reverse mode (tape.c); scalar code runs on the
 * dj_rvar tape (rvar.c). */
#include <string.h>
#include "dualjac/jacobian.h"
#include "dualjac/status.h"
#include "mat_internal.h"

#define DJ_REV_CHUNK_MAT 256   /* adjoint blocks per sweep, matrix programs */

static _Thread_local size_t dj_tape_bytes_;

size_t dj_tape_bytes_last(void) { return dj_tape_bytes_; }
#define DJ_REV_CHUNK_SCALAR 64 /* adjoint lanes per sweep, scalar code */

/* Where a sweep's results go: columns of JTW (vjp) or rows of J (jacrev). */
typedef struct rev_sink {
    double *out;
    size_t ld;
    int rows;        /* 1: out is J (m-by-n), block k is row r0 + k */
} rev_sink;

static void store(const rev_sink *s, size_t n, size_t r0, size_t k, const double *adj)
{
    if (s->rows) {
        for (size_t j = 0; j < n; ++j)
            s->out[r0 + k + j * s->ld] = adj ? adj[j] + 0.0 : 0.0;
    } else {
        double *col = s->out + (r0 + k) * s->ld;
        for (size_t j = 0; j < n; ++j)
            col[j] = adj ? adj[j] + 0.0 : 0.0;
    }
}

/* q output directions, from W (m-by-q) or the identity rows when W is
 * NULL, in sweeps of at most w. */
static int rev_run(const dj_function *F, const double *x, size_t q, const double *W,
                   size_t ldw, double *y, const rev_sink *sink, const dj_jac_opts *opts)
{
    size_t n = F->n, m = F->m;
    int mat = F->f_mat != NULL;
    size_t w = opts && opts->chunk > 0 ? (size_t)opts->chunk
             : opts && opts->max_chunk > 0 ? (size_t)opts->max_chunk
             : mat ? DJ_REV_CHUNK_MAT : DJ_REV_CHUNK_SCALAR;
    if (opts && (opts->chunk < 0 || opts->max_chunk < 0))
        return DJ_EARG;
    if (w > q)
        w = q;
    /* the seeds (m-by-w) and the results (n-by-w) in one block; n + m
       cannot overflow (dj_check_sizes_) */
    if (!dj_array_fits_(m + n, w))
        return DJ_EDIM;
    double *seed = dj_malloc_((m * w + n * w) * sizeof(double));
    if (seed == NULL)
        return DJ_ENOMEM;
    double *res = seed + m * w;
    dj_ctx *c = NULL;
    int rc = DJ_OK;
    size_t limit = opts ? opts->tape_limit : 0;
    dj_tape_bytes_ = 0;
    if (mat) {
        c = opts && opts->ctx ? opts->ctx : dj_ctx_new();
        if (c == NULL)
            rc = DJ_ENOMEM;
        else if (limit)
            dj_ctx_set_limit(c, limit);
    }
    for (size_t r0 = 0; r0 < q && rc == DJ_OK; r0 += w) {
        size_t cols = q - r0 < w ? q - r0 : w;
        dj_fill_seeds_(seed, m, cols, W, ldw, r0);
        if (!mat) {
            size_t bytes = 0;
            rc = dj_rvar_vjp_(F, x, cols, seed, m, r0 == 0 ? y : NULL, res, n, limit, &bytes);
            if (bytes > dj_tape_bytes_)
                dj_tape_bytes_ = bytes;
            if (rc == DJ_OK)
                for (size_t k = 0; k < cols; ++k)
                    store(sink, n, r0, k, res + k * n);
            continue;
        }
        rc = dj_ctx_set_mode(c, DJ_MODE_REVERSE, cols);
        if (rc != DJ_OK)
            break;
        dj_mat *X = NULL, *Y = NULL;
        rc = dj_run_program_(F, c, x, x, 0, 0, &X, &Y);  /* x marks the variable */
        if (rc != DJ_OK)
            break;
        if (y != NULL && r0 == 0)
            memcpy(y, Y->val, m * sizeof(double));
        rc = dj_ctx_backward(c, Y, seed, m);
        if (dj_ctx_bytes_used(c) > dj_tape_bytes_)
            dj_tape_bytes_ = dj_ctx_bytes_used(c);
        if (rc != DJ_OK)
            break;
        for (size_t k = 0; k < cols; ++k)
            store(sink, n, r0, k, X->adj ? X->adj + k * n : NULL);
    }
    if (mat && !(opts && opts->ctx))
        dj_ctx_free(c);
    dj_free_(seed);
    return rc;
}

static int rev_forms(const dj_function *F)
{
    return F->f_mat != NULL || F->f_rvar != NULL;
}

int dj_vjp_batch(const dj_function *F, const double *x, size_t q, const double *W,
                 size_t ldw, double *y, double *JTW, size_t ldjtw, const dj_jac_opts *opts)
{
    if (F == NULL || x == NULL || W == NULL || JTW == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (q == 0 || ldw < F->m || ldjtw < F->n || !dj_array_fits_(ldw, q)
        || !dj_array_fits_(ldjtw, q))
        return DJ_EDIM;
    if (!rev_forms(F))
        return dj_fail_outputs_(DJ_ENOFORM, y, F->m, JTW, F->n, q, ldjtw);
    rev_sink s = { JTW, ldjtw, 0 };
    return dj_fail_outputs_(rev_run(F, x, q, W, ldw, y, &s, opts), y, F->m, JTW, F->n, q,
                            ldjtw);
}

int dj_vjp(const dj_function *F, const double *x, const double *w, double *y, double *jtw)
{
    if (F == NULL)
        return DJ_EARG;
    return dj_vjp_batch(F, x, 1, w, F->m, y, jtw, F->n, NULL);
}

int dj_jacrev(const dj_function *F, const double *x, double *y, double *J, size_t ldj,
              const dj_jac_opts *opts)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    int rc = dj_check_sizes_(F);
    if (rc != DJ_OK)
        return rc;
    if (ldj < F->m || !dj_array_fits_(ldj, F->n))
        return DJ_EDIM;
    if (!rev_forms(F))
        return dj_fail_outputs_(DJ_ENOFORM, y, F->m, J, F->m, F->n, ldj);
    rev_sink s = { J, ldj, 1 };
    return dj_fail_outputs_(rev_run(F, x, F->m, NULL, 0, y, &s, opts), y, F->m, J, F->m, F->n,
                            ldj);
}

/* ---- the automatic choice ---------------------------------------------------- */

static int fwd_forms(const dj_function *F)
{
    return F->f_mat || F->f_dual || F->f_c8 || F->f_c16 || F->f_c32 || F->f_c64;
}

/* The mode, and in *plan the forward chunk plan for n when it was made
 * and is final (else plan->passes is 0): dj_jacobian passes it on instead
 * of making it again. */
static int jacobian_mode(const dj_function *F, const dj_jac_opts *opts, dj_chunk_plan *plan)
{
    plan->passes = 0;
    if (F == NULL)
        return -DJ_EARG;
    int fwd = fwd_forms(F), rev = rev_forms(F);
    if (!fwd && !rev)
        return -DJ_ENOFORM;
    int want = opts ? opts->mode : DJ_JAC_AUTO;
    if (want == DJ_JAC_FORWARD)
        return fwd ? DJ_JAC_FORWARD : -DJ_ENOFORM;
    if (want == DJ_JAC_REVERSE)
        return rev ? DJ_JAC_REVERSE : -DJ_ENOFORM;
    if (want != DJ_JAC_AUTO)
        return -DJ_EARG;
    if (!fwd || !rev)
        return fwd ? DJ_JAC_FORWARD : DJ_JAC_REVERSE;
    double n = (double)F->n, m = (double)F->m, cf, cr;
    if (F->f_mat != NULL) {
        cf = 1.0 + 1.0 * n;
        cr = 2.0 + 1.5 * m;
    } else {
        int final;
        if (dj_chunk_plan_final_(F, opts, plan, &final) != DJ_OK) {
            plan->passes = 0;
            return DJ_JAC_REVERSE;
        }
        double wq = m < DJ_REV_CHUNK_SCALAR ? m : DJ_REV_CHUNK_SCALAR;
        cf = (double)plan->passes * (1.0 + 0.05 * plan->width);
        cr = (double)((F->m - 1) / DJ_REV_CHUNK_SCALAR + 1) * (3.0 + 0.5 * wq);
        if (!final)     /* the run will time widths: it makes its own plan */
            plan->passes = 0;
    }
    return cr < cf ? DJ_JAC_REVERSE : DJ_JAC_FORWARD;
}

int dj_jacobian_mode(const dj_function *F, const dj_jac_opts *opts)
{
    dj_chunk_plan plan;
    return jacobian_mode(F, opts, &plan);
}

int dj_jacobian(const dj_function *F, const double *x, double *y, double *J, size_t ldj,
                const dj_jac_opts *opts)
{
    /* the function of the thread's last one-pass run, chosen forward then:
       the same choice (its fields and the options it depends on are the
       same), without making the plan again */
    int autom = opts == NULL || opts->mode == DJ_JAC_AUTO;
    if (autom) {
        int rc = dj_jac_auto_fwd_(F, x, y, J, ldj, opts);
        if (rc >= 0)
            return rc;
    }
    dj_chunk_plan plan;
    int mode = jacobian_mode(F, opts, &plan);
    if (mode < 0)
        return -mode;
    if (mode == DJ_JAC_REVERSE)
        return dj_jacrev(F, x, y, J, ldj, opts);
    int rc = dj_jacfwd_plan_(F, x, y, J, ldj, opts, plan.passes ? &plan : NULL);
    if (autom && rc == DJ_OK)
        dj_jac_auto_fwd_set_(F, opts);
    return rc;
}
