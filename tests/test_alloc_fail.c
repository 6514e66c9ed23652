/* test_alloc_fail.c - allocation failure injection, as CSparse's coverage
 * tests do: a counting allocator (dj_set_allocator) makes the k-th
 * allocation fail, and every public call that allocates is run with
 * k = 1, 2, ... until it succeeds with no failure injected. Every run that
 * had a failure injected must return DJ_ENOMEM (matrix programs: the
 * context's status DJ_ENOMEM), or succeed with results bit-identical to a
 * run without failures (allocations that are only an optimization: the
 * memo of libm results, the coalescing of a context's arena); it must leave
 * the caller's inputs unchanged and leak nothing (live allocations back to
 * 0 once the call and its context are done). The arena of a context makes
 * few, large allocations, so its failure paths are also driven by
 * dj_ctx_set_limit / tape_limit: the limit is raised step by step until the
 * program fits. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

#include "tfun.h"


/* ---- the counting allocator ------------------------------------------------ */

static long alloc_count;     /* allocations since the last arm() */
static long alloc_fail_at;   /* this one fails (0: none) */
static long alloc_live;      /* allocated and not yet freed */
static int alloc_injected;   /* a failure was injected since the last arm() */

static void *count_malloc(size_t size)
{
    ++alloc_count;
    if (alloc_fail_at > 0 && alloc_count == alloc_fail_at) {
        alloc_injected = 1;
        return NULL;
    }
    void *p = malloc(size);
    if (p != NULL)
        ++alloc_live;
    return p;
}

static void count_free(void *p)
{
    if (p != NULL) {
        --alloc_live;
        free(p);
    }
}

static void arm(long fail_at)
{
    alloc_count = 0;
    alloc_fail_at = fail_at;
    alloc_injected = 0;
}

/* ---- one call, swept over its allocations ---------------------------------- */

#define MAX_IN 4

typedef struct call {
    const char *name;
    /* makes the call (including any context it creates and frees) and
       returns its status; writes its results to out */
    int (*run)(struct call *cl);
    const void *in[MAX_IN];       /* the caller's inputs: must not change */
    size_t in_bytes[MAX_IN];
    double *out;                  /* results compared with the clean run */
    size_t out_len;
    int want;                     /* the status of the clean run */
    /* the call's arguments */
    const dj_function *F;
    const double *x, *v, *V, *W, *J;
    size_t p;
    const dj_jac_opts *opts;
} call;

static size_t total_runs, total_degraded;

/* Sweep k = 1, 2, ... and check every run; returns the number of
 * allocations of the clean run. */
static long sweep_call(call *cl)
{
    void *copy[MAX_IN] = { 0 };
    for (int i = 0; i < MAX_IN; ++i)
        if (cl->in[i]) {
            copy[i] = malloc(cl->in_bytes[i]);
            memcpy(copy[i], cl->in[i], cl->in_bytes[i]);
        }
    double *ref = malloc((cl->out_len ? cl->out_len : 1) * sizeof *ref);
    /* the clean run; the forward drivers' per-thread workspace is released
       after every run (and before the first: it may come from another
       allocator), so each run allocates it and leaves nothing live */
    dj_workspace_release();
    alloc_live = 0;
    arm(0);
    for (size_t i = 0; i < cl->out_len; ++i)
        cl->out[i] = NAN;
    int rc = cl->run(cl);
    dj_workspace_release();
    long clean = alloc_count;
    if (rc != cl->want)
        fprintf(stderr, "\n  %s: clean run returned %d (%s), want %d\n", cl->name, rc,
                dj_strerror(rc), cl->want);
    CU_ASSERT_EQUAL_FATAL(rc, cl->want);
    CU_ASSERT_EQUAL(alloc_live, 0);
    CU_ASSERT(clean > 0);          /* every call swept here allocates */
    memcpy(ref, cl->out, cl->out_len * sizeof *ref);
    size_t degraded = 0;
    for (long k = 1;; ++k) {
        alloc_live = 0;
        arm(k);
        for (size_t i = 0; i < cl->out_len; ++i)
            cl->out[i] = NAN;
        rc = cl->run(cl);
        dj_workspace_release();
        int injected = alloc_injected;
        total_runs++;
        if (alloc_live != 0)
            fprintf(stderr, "\n  %s: allocation %ld failing: %ld allocations leaked\n",
                    cl->name, k, alloc_live);
        CU_ASSERT_EQUAL(alloc_live, 0);
        for (int i = 0; i < MAX_IN; ++i)
            if (cl->in[i]) {
                int same = memcmp(copy[i], cl->in[i], cl->in_bytes[i]) == 0;
                if (!same)
                    fprintf(stderr, "\n  %s: allocation %ld failing: input %d changed\n",
                            cl->name, k, i);
                CU_ASSERT(same);
            }
        int same_out = memcmp(ref, cl->out, cl->out_len * sizeof *ref) == 0;
        if (!injected) {
            /* past the last allocation: the clean run again */
            CU_ASSERT_EQUAL(rc, cl->want);
            CU_ASSERT(same_out);
            CU_ASSERT_EQUAL(k, clean + 1);
            break;
        }
        if (rc == cl->want && same_out) {
            degraded++;          /* an optional allocation: same results */
        } else {
            if (rc != DJ_ENOMEM)
                fprintf(stderr, "\n  %s: allocation %ld of %ld failing: returned %d (%s)\n",
                        cl->name, k, clean, rc, dj_strerror(rc));
            CU_ASSERT_EQUAL(rc, DJ_ENOMEM);
        }
        if (k > clean + 1) {     /* cannot happen: the allocations must stop */
            CU_FAIL("more allocations than the clean run");
            break;
        }
    }
    total_degraded += degraded;
    for (int i = 0; i < MAX_IN; ++i)
        free(copy[i]);
    free(ref);
    return clean;
}

/* ---- the functions ---------------------------------------------------------- */

/* Scalar code: tfun with n = 40, m = 41 (two passes of 32 lanes, three of
 * 16 or five of 8: the memo of libm results is used, so forward runs make
 * allocations besides the workspace). */
#define SN 40
#define SM (SN + 1)
static tfun_params sparams = { SN, 0, 0, 0 };
static dj_function SF;               /* every form */
static dj_function SF8;              /* only dj_c8 (dj_eval through a chunk form) */
static dj_function SFR;              /* only f and f_rvar (reverse mode) */
/* The same code with n = 1000: single-pass forward runs of SF keep their
 * values on the stack (no allocation to fail), those of LF do not. */
#define LN 1000
#define LM (LN + 1)
static tfun_params lparams = { LN, 0, 0, 0 };
static dj_function LF, LF8;

/* A matrix program with LAPACK operations: A is K-by-K (x = vec A),
 * S = A A^T + K I (symmetric positive definite), and the output stacks
 * inv(S), S^-1 A, chol(S), the eigenvalues and vectors of S, the singular
 * values and vectors of A, expm(A / 4) and logdet S. */
#define K 3
#define MN (K * K)
#define MM (5 * K * K + 2 * K + K * K + K * K + 1)
static int lapack_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    (void)user;
    dj_mat *A = dj_mat_reshape(c, x, K, K);
    dj_mat *S = dj_mat_add(c, dj_mat_matmul(c, A, 0, A, 1), dj_mat_scale(c, dj_mat_identity(c, K), K));
    dj_mat *Si = dj_mat_inv(c, S);
    dj_mat *X = dj_mat_solve(c, S, A);
    dj_mat *L = dj_mat_chol(c, S);
    dj_mat *V = NULL, *U = NULL, *Vs = NULL;
    dj_mat *lam = dj_mat_eigh(c, S, &V);
    dj_mat *s = dj_mat_svd(c, A, &U, &Vs);
    dj_mat *E = dj_mat_expm(c, dj_mat_scale(c, A, 0.25));
    dj_mat *ld = dj_mat_logdet(c, S, NULL);
    dj_mat *parts[] = { Si, X, L, V, U, lam, s, Vs, E, ld };
    dj_mat *r = NULL;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; ++i) {
        dj_mat *v = dj_mat_vec(c, parts[i]);
        r = r == NULL ? v : dj_mat_vcat(c, r, v);
    }
    /* the eigen- and singular vectors have a sign convention of LAPACK's; it
       is the same in every run, so results can be compared exactly */
    *y = r;
    return 0;
}
static dj_function MF = { .n = MN, .m = MM, .f_mat = lapack_prog };

static double sx[SN], sv[SN], sV[SN * 3], sW[SM * 3], sw[SM];
static double lx[LN], lv[LN], lV[LN * 3];
static double mx[MN], mv[MN], mV[MN * 3], mW[MM * 3], mw[MM];

static void setup(void)
{
    SF = (dj_function){ .n = SN, .m = SM, .user = &sparams, DJ_FORMS(tfun) };
    SF8 = (dj_function){ .n = SN, .m = SM, .user = &sparams, .f_c8 = tfun_c8 };
    SFR = (dj_function){ .n = SN, .m = SM, .user = &sparams, .f = tfun_real, .f_rvar = tfun_rvar };
    LF = (dj_function){ .n = LN, .m = LM, .user = &lparams, DJ_FORMS(tfun) };
    LF8 = (dj_function){ .n = LN, .m = LM, .user = &lparams, .f_c8 = tfun_c8 };
    uint64_t seed = 7;
    for (size_t i = 0; i < LN; ++i)
        lx[i] = dj_test_rand(&seed, -2, 2), lv[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < LN * 3; ++i)
        lV[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < SN; ++i)
        sx[i] = dj_test_rand(&seed, -2, 2), sv[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < SN * 3; ++i)
        sV[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < SM * 3; ++i)
        sW[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < SM; ++i)
        sw[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < MN; ++i)
        mx[i] = dj_test_rand(&seed, -1, 1), mv[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < MN * 3; ++i)
        mV[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < MM * 3; ++i)
        mW[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < MM; ++i)
        mw[i] = dj_test_rand(&seed, -1, 1);
}

/* ---- the calls ---------------------------------------------------------------- */

/* out layout: y (m) first, then the rest */
static int run_jacfwd(call *cl)
{
    return dj_jacfwd(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, cl->opts);
}
static int run_jacrev(call *cl)
{
    return dj_jacrev(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, cl->opts);
}
static int run_jacobian(call *cl)
{
    return dj_jacobian(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, cl->opts);
}
static int run_jvp(call *cl)
{
    return dj_jvp(cl->F, cl->x, cl->v, cl->out, cl->out + cl->F->m);
}
static int run_jvp_batch(call *cl)
{
    return dj_jvp_batch(cl->F, cl->x, cl->p, cl->V, cl->F->n, cl->out, cl->out + cl->F->m,
                        cl->F->m, cl->opts);
}
static int run_eval(call *cl)
{
    return dj_eval(cl->F, cl->x, cl->out);
}
static int run_vjp(call *cl)
{
    return dj_vjp(cl->F, cl->x, cl->v, cl->out, cl->out + cl->F->m);
}
static int run_vjp_batch(call *cl)
{
    return dj_vjp_batch(cl->F, cl->x, cl->p, cl->W, cl->F->m, cl->out, cl->out + cl->F->m,
                        cl->F->n, cl->opts);
}
static int run_fd(call *cl)
{
    size_t mn = cl->F->m * cl->F->n;
    return dj_fd_central(cl->F, cl->x, 0.0, cl->out, cl->F->m, cl->out + mn);
}
static int run_check_jacobian(call *cl)
{
    dj_check_report rep;
    int rc = dj_check_jacobian(cl->F, cl->x, cl->J, cl->F->m, NULL, &rep, cl->out);
    if (rc == DJ_OK)
        cl->out[cl->F->m] = rep.max_abs_err;
    return rc;
}
static int run_check_adjoint(call *cl)
{
    dj_adjoint_report rep;
    int rc = dj_check_adjoint(cl->F, cl->x, 3, 11, 0.0, &rep);
    if (rc == DJ_OK) {
        cl->out[0] = rep.max_rel_err;
        cl->out[1] = rep.worst_fwd;
        cl->out[2] = rep.worst_rev;
    }
    return rc;
}
static int run_check_modes(call *cl)
{
    dj_check_report rep;
    size_t mn = cl->F->m * cl->F->n;
    int rc = dj_check_modes(cl->F, cl->x, NULL, &rep, cl->out, cl->out + mn);
    if (rc == DJ_OK)
        cl->out[2 * mn] = rep.max_abs_err;
    return rc;
}
/* With a context given in the options (made and freed here): two calls
 * in it, the second after the arena was coalesced by a reset. */
static int run_jacfwd_ctx_twice(call *cl)
{
    dj_ctx *c = dj_ctx_new();
    if (c == NULL)
        return DJ_ENOMEM;
    dj_jac_opts o = *cl->opts;
    o.ctx = c;
    int rc = dj_jacfwd(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, &o);
    if (rc == DJ_OK)
        rc = dj_jacfwd(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, &o);
    dj_ctx_free(c);
    return rc;
}
static int run_jacrev_ctx_twice(call *cl)
{
    dj_ctx *c = dj_ctx_new();
    if (c == NULL)
        return DJ_ENOMEM;
    dj_jac_opts o = *cl->opts;
    o.ctx = c;
    int rc = dj_jacrev(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, &o);
    if (rc == DJ_OK)
        rc = dj_jacrev(cl->F, cl->x, cl->out, cl->out + cl->F->m, cl->F->m, &o);
    dj_ctx_free(c);
    return rc;
}

static double outbuf[4 * MM * MN + 4 * SM * SN + 64];

static call make_call(const char *name, int (*run)(call *), const dj_function *F,
                      const double *x, size_t out_len)
{
    call cl;
    memset(&cl, 0, sizeof cl);
    cl.name = name;
    cl.run = run;
    cl.F = F;
    cl.x = x;
    cl.in[0] = x;
    cl.in_bytes[0] = F->n * sizeof(double);
    cl.out = outbuf;
    cl.out_len = out_len;
    cl.want = DJ_OK;
    return cl;
}

static void add_in(call *cl, const void *p, size_t bytes)
{
    for (int i = 0; i < MAX_IN; ++i)
        if (cl->in[i] == NULL) {
            cl->in[i] = p;
            cl->in_bytes[i] = bytes;
            return;
        }
}

/* The forward drivers, dj_eval. */
static void test_forward(void)
{
    /* dj_jacfwd on SF (several passes: the memo of libm results
       allocates); the single-pass dj_jvp and dj_jvp_batch on LF, whose
       values do not fit the stack buffer */
    const dj_function *fs[2] = { &SF, &MF }, *js[2] = { &LF, &MF };
    const double *xs[2] = { sx, mx }, *jxs[2] = { lx, mx }, *vs[2] = { lv, mv },
                 *Vs[2] = { lV, mV };
    for (int f = 0; f < 2; ++f) {
        const dj_function *F = fs[f];
        size_t n = F->n, m = F->m;
        const int chunks[] = { 0, 8, 1 };
        for (int q = 0; q < 3; ++q) {
            dj_jac_opts o = { chunks[q], 0, NULL, 0, 0 };
            call cl = make_call("dj_jacfwd", run_jacfwd, F, xs[f], m + m * n);
            cl.opts = &o;
            sweep_call(&cl);
        }
        F = js[f];
        n = F->n;
        m = F->m;
        call cl = make_call("dj_jvp", run_jvp, F, jxs[f], 2 * m);
        cl.v = vs[f];
        add_in(&cl, vs[f], n * sizeof(double));
        sweep_call(&cl);
        dj_jac_opts o = { 0, 0, NULL, 0, 0 };
        cl = make_call("dj_jvp_batch", run_jvp_batch, F, jxs[f], m + 3 * m);
        cl.V = Vs[f];
        cl.p = 3;
        cl.opts = &o;
        add_in(&cl, Vs[f], 3 * n * sizeof(double));
        sweep_call(&cl);
    }
    /* dj_eval: chunk form only, matrix program */
    call cl = make_call("dj_eval (dj_c8 form)", run_eval, &LF8, lx, LM);
    sweep_call(&cl);
    cl = make_call("dj_eval (matrix program)", run_eval, &MF, mx, MM);
    sweep_call(&cl);
    /* a given context, reused: the second call coalesces its arena */
    dj_jac_opts o = { 2, 0, NULL, 0, 0 };
    cl = make_call("dj_jacfwd (given context, twice)", run_jacfwd_ctx_twice, &MF, mx,
                   MM + MM * MN);
    cl.opts = &o;
    sweep_call(&cl);
}

/* The reverse drivers and the automatic choice. */
static void test_reverse(void)
{
    const dj_function *fs[3] = { &SF, &SFR, &MF };
    const double *xs[3] = { sx, sx, mx }, *ws[3] = { sw, sw, mw }, *Ws[3] = { sW, sW, mW };
    for (int f = 0; f < 3; ++f) {
        const dj_function *F = fs[f];
        size_t n = F->n, m = F->m;
        call cl = make_call("dj_vjp", run_vjp, F, xs[f], m + n);
        cl.v = ws[f];
        add_in(&cl, ws[f], m * sizeof(double));
        sweep_call(&cl);
        const int chunks[] = { 0, 5 };
        for (int q = 0; q < 2; ++q) {
            dj_jac_opts o = { chunks[q], 0, NULL, 0, 0 };
            cl = make_call("dj_vjp_batch", run_vjp_batch, F, xs[f], m + 3 * n);
            cl.W = Ws[f];
            cl.p = 3;
            cl.opts = &o;
            add_in(&cl, Ws[f], 3 * m * sizeof(double));
            sweep_call(&cl);
            cl = make_call("dj_jacrev", run_jacrev, F, xs[f], m + m * n);
            cl.opts = &o;
            sweep_call(&cl);
        }
        const int modes[] = { DJ_JAC_AUTO, DJ_JAC_FORWARD, DJ_JAC_REVERSE };
        for (int q = 0; q < 3; ++q) {
            dj_jac_opts o = { 0, 0, NULL, modes[q], 0 };
            cl = make_call("dj_jacobian", run_jacobian, F, xs[f], m + m * n);
            cl.opts = &o;
            if (F == &SFR && modes[q] == DJ_JAC_FORWARD)
                continue;
            sweep_call(&cl);
        }
    }
    dj_jac_opts o = { 4, 0, NULL, 0, 0 };
    call cl = make_call("dj_jacrev (given context, twice)", run_jacrev_ctx_twice, &MF, mx,
                        MM + MM * MN);
    cl.opts = &o;
    sweep_call(&cl);
}

/* The checks. */
static void test_checks(void)
{
    static double Js[SM * SN], Jm[MM * MN];
    const dj_function *fs[2] = { &SF, &MF };
    const double *xs[2] = { sx, mx };
    double *Js_[2] = { Js, Jm };
    dj_set_allocator(NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&SF, sx, NULL, Js, SM, NULL), DJ_OK);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&MF, mx, NULL, Jm, MM, NULL), DJ_OK);
    dj_set_allocator(count_malloc, count_free);
    for (int f = 0; f < 2; ++f) {
        const dj_function *F = fs[f];
        size_t n = F->n, m = F->m;
        call cl = make_call("dj_fd_central", run_fd, F, xs[f], 2 * m * n);
        if (F == &SF)      /* the primal form allocates nothing: use a chunk form */
            cl.F = &SF8;
        sweep_call(&cl);
        cl = make_call("dj_check_jacobian", run_check_jacobian, F, xs[f], m + 1);
        cl.F = F == &SF ? &SF8 : F;
        cl.J = Js_[f];
        add_in(&cl, Js_[f], m * n * sizeof(double));
        sweep_call(&cl);
        cl = make_call("dj_check_adjoint", run_check_adjoint, F, xs[f], 3);
        sweep_call(&cl);
        cl = make_call("dj_check_modes", run_check_modes, F, xs[f], 2 * m * n + 1);
        sweep_call(&cl);
    }
}

/* dj_ctx_new: NULL when its allocation fails. */
static void test_ctx_new(void)
{
    alloc_live = 0;
    arm(1);
    CU_ASSERT_PTR_NULL(dj_ctx_new());
    CU_ASSERT_EQUAL(alloc_live, 0);
    arm(0);
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(alloc_count, 1);
    dj_ctx_free(c);
    CU_ASSERT_EQUAL(alloc_live, 0);
}

/* ---- a matrix program run through a context by hand ------------------------ */

/* A bigger version of lapack_prog's operations on an N-by-N A with P tangent
 * or adjoint blocks, so that the arena needs several blocks (it allocates
 * at least 64 KiB at a time). Returns the context's status; the results
 * (tangent or adjoint blocks of every input) go to out. */
#define CN 6
#define CP 24
static double cA[CN * CN], cB[CN * 2], cT[CP * CN * CN], cTB[CP * CN * 2],
    cYb[CP * 300];
static size_t ctx_out_len;

static dj_mat *ctx_program(dj_ctx *c, dj_mat *A, dj_mat *B)
{
    dj_mat *S = dj_mat_add(c, dj_mat_matmul(c, A, 1, A, 0),
                           dj_mat_scale(c, dj_mat_identity(c, CN), (double)CN));
    dj_mat *V = NULL, *U = NULL, *Vs = NULL;
    dj_mat *parts[] = {
        dj_mat_inv(c, S),
        dj_mat_solve(c, S, B),
        dj_mat_chol(c, S),
        dj_mat_eigh(c, S, &V),
        V,
        dj_mat_svd(c, A, &U, &Vs),
        U,
        Vs,
        dj_mat_expm(c, dj_mat_scale(c, A, 0.25)),
        dj_mat_tanh(c, dj_mat_matmul(c, A, 0, B, 0)),
    };
    dj_mat *r = NULL;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; ++i) {
        dj_mat *v = dj_mat_vec(c, parts[i]);
        r = r == NULL ? v : dj_mat_vcat(c, r, v);
    }
    return r;
}

/* One run in a fresh context: forward (tangents of the output) or reverse
 * (the backward sweep, adjoints of A and B); limit caps the arena. */
static int ctx_run(int reverse, size_t limit, double *out, size_t *used)
{
    dj_ctx *c = dj_ctx_new();
    if (c == NULL)
        return DJ_ENOMEM;
    int rc = dj_ctx_set_mode(c, reverse ? DJ_MODE_REVERSE : DJ_MODE_FORWARD, CP);
    CU_ASSERT_EQUAL(rc, DJ_OK);
    dj_ctx_set_limit(c, limit);
    dj_mat *A = dj_mat_var(c, CN, CN, cA, CN, cT, CN * CN);
    dj_mat *B = dj_mat_var(c, CN, 2, cB, CN, cTB, CN * 2);
    dj_mat *Y = ctx_program(c, A, B);
    rc = dj_ctx_status(c);
    if (rc == DJ_OK) {
        CU_ASSERT_PTR_NOT_NULL(Y);
        size_t ny = Y->rows * Y->cols;
        CU_ASSERT_FATAL(ny <= 300);
        if (!reverse) {
            for (size_t k = 0; k < CP; ++k)
                CU_ASSERT_EQUAL(dj_mat_get_tangent(c, Y, k, out + k * ny, ny), DJ_OK);
            ctx_out_len = CP * ny;
        } else {
            rc = dj_ctx_backward(c, Y, cYb, ny);
            CU_ASSERT_EQUAL(rc, dj_ctx_status(c));
            if (rc == DJ_OK) {
                for (size_t k = 0; k < CP; ++k) {
                    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, k, out + k * CN * CN, CN), DJ_OK);
                    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, B, k, out + CP * CN * CN + k * CN * 2,
                                                       CN), DJ_OK);
                }
                ctx_out_len = CP * CN * (CN + 2);
            }
        }
    } else {
        CU_ASSERT_PTR_NULL(Y);
    }
    if (used)
        *used = dj_ctx_bytes_used(c);
    dj_ctx_free(c);
    return rc;
}

static void ctx_setup(void)
{
    uint64_t seed = 99;
    for (size_t i = 0; i < CN * CN; ++i)
        cA[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < CN * 2; ++i)
        cB[i] = dj_test_rand(&seed, -1, 1);
    /* symmetric tangents (chol reads S's lower triangle: S = A^T A + N I is
       symmetric for any dA, so any tangent of A works) */
    for (size_t i = 0; i < CP * CN * CN; ++i)
        cT[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < CP * CN * 2; ++i)
        cTB[i] = dj_test_rand(&seed, -1, 1);
    for (size_t i = 0; i < CP * 300; ++i)
        cYb[i] = dj_test_rand(&seed, -1, 1);
}

static double ctx_ref[CP * 300], ctx_got[CP * 300];

/* Allocation k failing, and the arena limit raised step by step. */
static void ctx_sweep(int reverse)
{
    ctx_setup();
    double A0[CN * CN], B0[CN * 2];
    memcpy(A0, cA, sizeof A0);
    memcpy(B0, cB, sizeof B0);
    alloc_live = 0;
    arm(0);
    size_t used = 0;
    CU_ASSERT_EQUAL_FATAL(ctx_run(reverse, 0, ctx_ref, &used), DJ_OK);
    long clean = alloc_count;
    size_t len = ctx_out_len;
    CU_ASSERT(clean >= 3);      /* the context and several arena blocks */
    CU_ASSERT_EQUAL(alloc_live, 0);
    for (long k = 1; k <= clean + 1; ++k) {
        alloc_live = 0;
        arm(k);
        memset(ctx_got, 0, sizeof ctx_got);
        int rc = ctx_run(reverse, 0, ctx_got, NULL);
        total_runs++;
        CU_ASSERT_EQUAL(alloc_live, 0);
        if (alloc_injected) {
            CU_ASSERT_EQUAL(rc, DJ_ENOMEM);
        } else {
            CU_ASSERT_EQUAL(k, clean + 1);
            CU_ASSERT_EQUAL(rc, DJ_OK);
            CU_ASSERT_EQUAL(memcmp(ctx_got, ctx_ref, len * sizeof(double)), 0);
        }
    }
    /* the limit: every arena allocation of every operation fails once */
    arm(0);
    size_t step = used / 400 / 64 * 64;
    if (step < 64)
        step = 64;
    size_t fails = 0;
    for (size_t lim = 64;; lim += step) {
        alloc_live = 0;
        int rc = ctx_run(reverse, lim, ctx_got, NULL);
        total_runs++;
        CU_ASSERT_EQUAL(alloc_live, 0);
        if (rc == DJ_OK) {
            CU_ASSERT(lim >= used);
            CU_ASSERT_EQUAL(memcmp(ctx_got, ctx_ref, len * sizeof(double)), 0);
            break;
        }
        fails++;
        if (rc != DJ_ENOMEM)
            fprintf(stderr, "\n  limit %zu of %zu: status %d (%s)\n", lim, used, rc,
                    dj_strerror(rc));
        CU_ASSERT_EQUAL(rc, DJ_ENOMEM);
        if (lim > used + step) {
            CU_FAIL("the program does not fit in the bytes it used");
            break;
        }
    }
    CU_ASSERT(fails > 100);
    CU_ASSERT_EQUAL(memcmp(A0, cA, sizeof A0), 0);
    CU_ASSERT_EQUAL(memcmp(B0, cB, sizeof B0), 0);
}

static void test_ctx_forward(void) { ctx_sweep(0); }
static void test_ctx_reverse(void) { ctx_sweep(1); }

/* dj_jacrev with tape_limit: scalar code (the dj_rvar tape: a node is 32
 * bytes and q = min(m, 64) adjoint lanes of 8 bytes; the n inputs are
 * nodes) and a matrix program (the context's arena). Every limit from 1 to
 * twice what the clean run took: DJ_ENOMEM or the clean Jacobian, never
 * anything else; DJ_ENOMEM whenever the limit cannot hold what the call
 * must store; once a limit suffices every larger one does; no leaks. */
static void test_tape_limit(void)
{
    const dj_function *fs[2] = { &SFR, &MF };
    const double *xs[2] = { sx, mx };
    for (int f = 0; f < 2; ++f) {
        const dj_function *F = fs[f];
        size_t n = F->n, m = F->m;
        double *J = malloc(m * n * sizeof *J), *R = malloc(m * n * sizeof *R);
        double x0[MN > SN ? MN : SN];
        memcpy(x0, xs[f], n * sizeof(double));
        alloc_live = 0;
        arm(0);
        CU_ASSERT_EQUAL_FATAL(dj_jacrev(F, xs[f], NULL, R, m, NULL), DJ_OK);
        size_t bytes = dj_tape_bytes_last();
        CU_ASSERT(bytes > 0);
        /* below this the call cannot succeed: scalar code, the inputs' nodes
           with their adjoints; a matrix program, what it used */
        size_t q = m < 64 ? m : 64;
        size_t need = f == 0 ? n * (32 + 8 * q) : bytes;
        size_t step = bytes / 300 < 8 ? 8 : bytes / 300;
        size_t fails = 0, oks = 0, first_ok = 0;
        for (size_t lim = 1; lim <= 2 * bytes; lim += step) {
            dj_jac_opts o = { 0, 0, NULL, 0, lim };
            alloc_live = 0;
            for (size_t i = 0; i < m * n; ++i)
                J[i] = NAN;
            int rc = dj_jacrev(F, xs[f], NULL, J, m, &o);
            total_runs++;
            CU_ASSERT_EQUAL(alloc_live, 0);
            if (rc == DJ_OK) {
                CU_ASSERT_EQUAL(memcmp(J, R, m * n * sizeof *J), 0);
                if (lim < need && oks == 0)
                    fprintf(stderr, "\n  %s: tape_limit %zu succeeded; it cannot hold the "
                            "%zu bytes needed\n", f ? "matrix program" : "scalar code", lim,
                            need);
                CU_ASSERT(lim >= need);
                if (oks++ == 0)
                    first_ok = lim;
            } else {
                fails++;
                CU_ASSERT_EQUAL(rc, DJ_ENOMEM);
                CU_ASSERT_EQUAL(oks, 0);     /* a larger limit never fails */
            }
        }
        CU_ASSERT(fails > 10);
        CU_ASSERT(oks > 10);
        CU_ASSERT(first_ok >= need);
        CU_ASSERT_EQUAL(memcmp(x0, xs[f], n * sizeof(double)), 0);
        free(J);
        free(R);
    }
}

static void test_summary(void)
{
    printf("\n  %zu runs with a failure injected or a limit; %zu succeeded with identical "
           "results (optional allocations)\n", total_runs, total_degraded);
    CU_ASSERT(total_runs > 0);
}

static void install(void)
{
    CU_ASSERT_EQUAL_FATAL(dj_set_allocator(count_malloc, count_free), DJ_OK);
}

static void t_forward(void) { install(); test_forward(); }
static void t_reverse(void) { install(); test_reverse(); }
static void t_checks(void) { install(); test_checks(); }
static void t_ctx_new(void) { install(); test_ctx_new(); }
static void t_ctx_fwd(void) { install(); test_ctx_forward(); }
static void t_ctx_rev(void) { install(); test_ctx_reverse(); }
static void t_tape_limit(void) { install(); test_tape_limit(); }

int main(void)
{
    setup();
    const dj_test_case cases[] = {
        { "forward drivers and dj_eval, k-th allocation failing", t_forward },
        { "reverse drivers and dj_jacobian, k-th allocation failing", t_reverse },
        { "checks, k-th allocation failing", t_checks },
        { "dj_ctx_new failing", t_ctx_new },
        { "LAPACK operations in a context, forward: allocations and limits", t_ctx_fwd },
        { "LAPACK operations in a context, reverse: allocations and limits", t_ctx_rev },
        { "tape_limit exhaustion, scalar code and matrix programs", t_tape_limit },
        { "summary", test_summary },
        { NULL, NULL },
    };
    int rc = dj_test_run("alloc_fail", cases);
    dj_set_allocator(NULL, NULL);
    return rc;
}
