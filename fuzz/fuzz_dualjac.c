/* fuzz_dualjac.c - libFuzzer harness: random matrix programs and scalar
 * functions, run in every mode, with their results cross-checked.
 *
 * The input's first byte picks one of two kinds of test; the rest decodes
 * into it (a byte reader that returns 0 once the input is used up, so every
 * input is valid):
 *
 *  (a) a matrix program (dj_fn_mat): the input x (n entries) reshaped to
 *      r0-by-c0, up to 3 constant matrices of random shapes, then up to 10
 *      operations of mat.h / linalg.h on earlier results chosen by index:
 *      add, sub, emul, ediv, matmul (with transposes), transpose, neg,
 *      scale, axpy, the elementwise functions, epow/emin/emax/atan2/hypot,
 *      reductions, inv, solve, trisolve, det, logdet, chol, cholsolve,
 *      eigh, qr, svd, expm, the norms, structural ops, matvec/outer, and
 *      two helpers that make a symmetric (A + A^T) or SPD (A^T A + s I)
 *      matrix so that the factorizations are reached. Shapes mismatch on
 *      purpose and values are hostile (NaN, Inf, denormals, 1e300, zeros,
 *      singular and indefinite matrices).
 *  (b) a scalar function: a straight-line program of up to 40 generic
 *      operations (scalar_prog.inc, instantiated for double, dj_dual, every
 *      chunk and dj_rvar), with a data-dependent callback failure.
 *
 * Every test runs in every mode: primal (dj_eval, and a context in primal
 * mode), forward (dj_jacfwd with the chosen or a forced chunk, dj_jvp,
 * dj_jvp_batch), reverse (dj_jacrev, dj_vjp, dj_vjp_batch, a tape limit)
 * and dj_jacobian. The invariants, each an abort() that libFuzzer reports:
 *
 *  1. No crash, no sanitizer finding (build: -fsanitize=fuzzer,address,
 *     undefined), nothing written outside the caller's arrays (J has a
 *     padding row that must keep its sentinel).
 *  2. Status codes agree: every derivative call returns the same status as
 *     the others; when the primal fails so do they (a value failure is one
 *     in every mode); a derivative call may fail where the primal succeeded
 *     only with a derivative-only code (DJ_EDOMAIN: repeated eigen- or
 *     singular values whose vectors are differentiated).
 *     A scalar function's callback failure comes back unchanged from every
 *     driver.
 *  3. Values agree bit for bit: y from every driver equals the primal's.
 *  4. Forward and reverse derivatives agree, where both succeed, every
 *     value is finite and the problem is reasonably conditioned:
 *     - scalar functions: the harness propagates S = |partials| along the
 *       program (S_ij = sum over paths of |product of partials|, computed
 *       with the same rules), so |J_ij| <= S_ij and any two correct
 *       evaluation orders differ by at most (8 L + 16) eps S_ij for L
 *       operations (each path's product and each sum rounds at most ~2L
 *       times). Checked: forward (chunks) vs forward (dj_dual) vs reverse,
 *       |J| <= S, and w^T (J v) vs (J^T w)^T v.
 *     - matrix programs: compared only when every intermediate value is
 *       finite and at most 1e6 in size, every matrix LAPACK factors has a
 *       condition number (from its singular values) of at most 1e4 (the
 *       product over the program at most 1e6), eigen/singular values whose
 *       vectors are differentiated are separated by 1e-3 relative, and
 *       expm's argument has 1-norm at most 4. Tolerance
 *       64 eps kappa (ops + 1) T, with kappa the product of condition
 *       numbers and T the largest tangent or adjoint of any intermediate
 *       and of J (forward and reverse compute the same sums of such terms
 *       in other orders; each LAPACK op amplifies rounding by its kappa).
 *     Cases outside these gates are skipped, not guessed at: a false alarm
 *     would be a harness bug.
 *
 * Build (clang only): cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang
 * -DDJ_BUILD_FUZZ=ON && cmake --build build-fuzz --target dualjac-fuzz;
 * run: build-fuzz/fuzz/dualjac-fuzz fuzz/corpus (see fuzz/README.md).
 * With -DFUZZ_STANDALONE (the dualjac-fuzz-replay target, any compiler) a
 * main() runs the files named on the command line once each. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include <dualjac.h>

/* ---- reading the input ---------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

static unsigned u8(rd *r) { return r->i < r->n ? r->p[r->i++] : 0; }

static const double hostile_[] = {
    0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX,
    DBL_MIN, 4.9406564584124654e-324, 1e-310, -1e-310, 1e300, -1e300, 1e-300, 1e8, 1e-8,
    3.141592653589793, 1.0000000000000002, 1e16, -1e16, 0.1,
};
#define NHOSTILE_ (sizeof hostile_ / sizeof hostile_[0])

/* One value: a quarter hostile, the rest moderate (k / 2048, |k| < 2^15). */
static double value(rd *r)
{
    unsigned t = u8(r);
    if (t % 4 == 0)
        return hostile_[u8(r) % NHOSTILE_];
    int k = (int)(int16_t)(uint16_t)(u8(r) | (u8(r) << 8));
    return k / 2048.0 + (t & 0x80 ? 0.25 : 0.0);
}

/* ---- invariants --------------------------------------------------------------- */

static const char *fuzz_what_ = "";

#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "\nfuzz invariant violated (%s, %s:%d): ",        \
                    fuzz_what_, __FILE__, __LINE__);                          \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Bitwise equal, any NaN equal to any NaN. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0 || (a == 0.0 && b == 0.0);
}

static int all_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

#define SENTINEL_ 1234.5678

/* J (m-by-n, leading dimension m + 1) with its padding row still the sentinel. */
static void check_padding(const double *J, size_t m, size_t n, const char *call)
{
    for (size_t j = 0; j < n; ++j)
        FUZZ_CHECK(J[m + j * (m + 1)] == SENTINEL_, "%s wrote outside the m rows", call);
}

/* A failed driver leaves its outputs NaN (jacobian.h): y[m] and J's block. */
static void check_failed_outputs(const double *y, size_t m, const double *J, size_t n,
                                 size_t ld, const char *call)
{
    for (size_t i = 0; y && i < m; ++i)
        FUZZ_CHECK(isnan(y[i]), "%s failed but left y[%zu] = %g", call, i, y[i]);
    for (size_t j = 0; J && j < n; ++j)
        for (size_t i = 0; i < m; ++i)
            FUZZ_CHECK(isnan(J[i + j * ld]), "%s failed but left J(%zu,%zu) = %g", call, i, j,
                       J[i + j * ld]);
}

static void fill(double *a, size_t n, double v)
{
    for (size_t i = 0; i < n; ++i)
        a[i] = v;
}

/* ==== (b) scalar functions ======================================================= */

#define SP_MAX_NODES 48

enum sp_op {
    SP_CONST, SP_ADD, SP_SUB, SP_MUL, SP_DIV, SP_POW, SP_ATAN2, SP_HYPOT, SP_FMIN, SP_FMAX,
    SP_COPYSIGN, SP_ADD_XD, SP_SUB_DX, SP_MUL_XD, SP_DIV_DX, SP_DIV_XD, SP_POW_XD,
    SP_POW_DX, SP_FMA, SP_SELECT, SP_FAIL,
    SP_NEG, SP_EXP, SP_EXP2, SP_EXPM1, SP_LOG, SP_LOG2, SP_LOG10, SP_LOG1P, SP_SQRT,
    SP_CBRT, SP_SIN, SP_COS, SP_TAN, SP_ASIN, SP_ACOS, SP_ATAN, SP_SINH, SP_COSH,
    SP_TANH, SP_ASINH, SP_ACOSH, SP_ATANH, SP_ERF, SP_ERFC, SP_FABS, SP_FLOOR, SP_CEIL,
    SP_ROUND, SP_TRUNC, SP_NOPS
};

typedef struct sp_node {
    int op;
    size_t a, b, d;
    double c;
} sp_node;

typedef struct sprog {
    size_t n, m, len;
    int fail_code;
    sp_node node[SP_MAX_NODES];
} sprog;

#define DJ_TEMPLATE "scalar_prog.inc"
#include <dualjac/instantiate.h>

/* Value and partials of one node, by the rules every type uses. */
typedef struct sp_part {
    double v, g[3];
    size_t arg[3];
    int nargs;
} sp_part;

static sp_part sp_partials(const sp_node *e, const double *val)
{
    sp_part r = { 0, { 0, 0, 0 }, { e->a, e->b, e->d }, 0 };
    double a = val[e->a], b = val[e->b], c = e->c;
    dj_rule1 u;
    dj_rule2 t;
#define B2_(OP, f) case OP: t = dj_rule_##f(a, b); r.v = t.v; r.g[0] = t.ga; r.g[1] = t.gb; r.nargs = 2; break;
#define XD_(OP, f) case OP: t = dj_rule_##f##_xd(a, c); r.v = t.v; r.g[0] = t.ga; r.nargs = 1; break;
#define DX_(OP, f) case OP: t = dj_rule_##f##_dx(c, a); r.v = t.v; r.g[0] = t.gb; r.nargs = 1; break;
#define U1_(OP, f) case OP: u = dj_rule_##f(a); r.v = u.v; r.g[0] = u.g; r.nargs = 1; break;
    switch (e->op) {
    case SP_CONST: r.v = c; break;
    B2_(SP_ADD, add) B2_(SP_SUB, sub) B2_(SP_MUL, mul) B2_(SP_DIV, div) B2_(SP_POW, pow)
    B2_(SP_ATAN2, atan2) B2_(SP_HYPOT, hypot) B2_(SP_FMIN, fmin) B2_(SP_FMAX, fmax)
    B2_(SP_COPYSIGN, copysign)
    XD_(SP_ADD_XD, add) DX_(SP_SUB_DX, sub) XD_(SP_MUL_XD, mul) DX_(SP_DIV_DX, div)
    XD_(SP_DIV_XD, div) XD_(SP_POW_XD, pow) DX_(SP_POW_DX, pow)
    case SP_FMA: {
        dj_rule3 f = dj_rule_fma(a, b, val[e->d]);
        r.v = f.v; r.g[0] = f.ga; r.g[1] = f.gb; r.g[2] = f.gc; r.nargs = 3;
        break;
    }
    case SP_SELECT:
        r.v = val[e->d] > c ? a : b;
        r.arg[0] = val[e->d] > c ? e->a : e->b;
        r.g[0] = 1.0;
        r.nargs = 1;
        break;
    case SP_FAIL: r.v = a; r.g[0] = 1.0; r.nargs = 1; break;
    U1_(SP_NEG, neg) U1_(SP_EXP, exp) U1_(SP_EXP2, exp2) U1_(SP_EXPM1, expm1)
    U1_(SP_LOG, log) U1_(SP_LOG2, log2) U1_(SP_LOG10, log10) U1_(SP_LOG1P, log1p)
    U1_(SP_SQRT, sqrt) U1_(SP_CBRT, cbrt) U1_(SP_SIN, sin) U1_(SP_COS, cos)
    U1_(SP_TAN, tan) U1_(SP_ASIN, asin) U1_(SP_ACOS, acos) U1_(SP_ATAN, atan)
    U1_(SP_SINH, sinh) U1_(SP_COSH, cosh) U1_(SP_TANH, tanh) U1_(SP_ASINH, asinh)
    U1_(SP_ACOSH, acosh) U1_(SP_ATANH, atanh) U1_(SP_ERF, erf) U1_(SP_ERFC, erfc)
    U1_(SP_FABS, fabs) U1_(SP_FLOOR, floor) U1_(SP_CEIL, ceil) U1_(SP_ROUND, round)
    default: u = dj_rule_trunc(a); r.v = u.v; r.g[0] = u.g; r.nargs = 1; break;
    }
#undef B2_
#undef XD_
#undef DX_
#undef U1_
    return r;
}

/* The values and S = sum over paths of |product of partials| (len-by-n,
 * row k for node k), with a zero row contributing nothing whatever the
 * partial (the zero-tangent rule). Returns 1 when the function fails (its
 * SP_FAIL fires), and sets *finite when every S entry is finite. */
static int sp_scale(const sprog *P, const double *x, double *val, double *S, int *finite,
                    int *clean, double *gmax)
{
    *gmax = 1.0;
    size_t n = P->n;
    unsigned char active[SP_MAX_NODES] = { 0 };
    *finite = 1;
    *clean = 1;
    memset(S, 0, P->len * n * sizeof *S);
    for (size_t j = 0; j < n; ++j) {
        val[j] = x[j];
        S[j * n + j] = 1.0;
        active[j] = 1;
    }
    for (size_t k = n; k < P->len; ++k) {
        const sp_node *e = &P->node[k];
        if (e->op == SP_FAIL && val[e->a] > e->c)
            return 1;
        sp_part r = sp_partials(e, val);
        val[k] = r.v;
        for (int t = 0; t < r.nargs; ++t) {
            /* an active (recorded) argument with a non-finite partial: the
               modes' zero conventions may differ (forward multiplies from
               the inputs, reverse from the outputs) */
            if (active[r.arg[t]]) {
                active[k] = 1;
                if (!isfinite(r.g[t]))
                    *clean = 0;
                else
                    *gmax = fmax(*gmax, fabs(r.g[t]));
            }
        }
        for (int t = 0; t < r.nargs; ++t)
            for (size_t j = 0; j < n; ++j) {
                double s = S[r.arg[t] * n + j];
                if (s != 0.0)
                    S[k * n + j] += fabs(r.g[t]) * s;
            }
        for (size_t j = 0; j < n; ++j)
            if (!isfinite(S[k * n + j]))
                *finite = 0;
    }
    return 0;
}

static void sp_decode(rd *r, sprog *P, double *x)
{
    P->n = 1 + u8(r) % 6;
    size_t ops = 1 + u8(r) % 40;
    if (P->n + ops > SP_MAX_NODES)
        ops = SP_MAX_NODES - P->n;
    P->len = P->n + ops;
    P->m = 1 + u8(r) % 4;
    if (P->m > P->len)
        P->m = P->len;
    P->fail_code = -1 - (int)(u8(r) % 100);
    for (size_t j = 0; j < P->n; ++j)
        x[j] = value(r);
    for (size_t k = P->n; k < P->len; ++k) {
        sp_node *e = &P->node[k];
        e->op = (int)(u8(r) % SP_NOPS);
        /* mostly recent nodes, so that programs are deep as well as wide */
        unsigned ra = u8(r), rb = u8(r), rdd = u8(r);
        e->a = ra & 1 ? k - 1 - (ra >> 1) % (k < 4 ? k : 4) : (ra >> 1) % k;
        e->b = rb % k;
        e->d = rdd % k;
        e->c = (e->op == SP_FAIL || e->op == SP_SELECT || u8(r) & 1) ? value(r)
                                                                      : (double)(u8(r) % 7) - 3;
    }
}

/* FUZZ_VERBOSE=1 in the environment: print the program (for triage). */
static void sp_dump(const sprog *P, const double *x, const double *val)
{
    fprintf(stderr, "scalar program: n %zu m %zu len %zu\n", P->n, P->m, P->len);
    for (size_t j = 0; j < P->n; ++j)
        fprintf(stderr, "  v%zu = x%zu = %.17g\n", j, j, x[j]);
    for (size_t k = P->n; k < P->len; ++k) {
        const sp_node *e = &P->node[k];
        fprintf(stderr, "  v%zu = op%d(v%zu, v%zu, v%zu; c %.17g) = %.17g\n", k, e->op, e->a,
                e->b, e->d, e->c, val[k]);
    }
}

static void fuzz_scalar(rd *r)
{
    sprog P;
    double x[8], val[SP_MAX_NODES], S[SP_MAX_NODES * 8];
    sp_decode(r, &P, x);
    size_t n = P.n, m = P.m, L = P.len - P.n, ldj = m + 1;
    unsigned forms = u8(r);
    dj_function F = { .n = n, .m = m, .user = &P, DJ_FORMS(sprog) };
    static const int hints[] = { 0, 8, 16, 32, 64 };
    F.chunk_hint = hints[u8(r) % 5];
    if (forms & 1)  F.f = NULL;
    if (forms & 2)  F.f_c8 = NULL;
    if (forms & 4)  F.f_c16 = NULL;
    if (forms & 8)  F.f_c32 = NULL;
    if (forms & 16) F.f_c64 = NULL;
    if ((forms & 32) && (F.f_c8 || F.f_c16 || F.f_c32 || F.f_c64))
        F.f_dual = NULL;
    if (forms & 64) {   /* the guarded chunk forms only */
        F.fast_c8 = NULL;
        F.fast_c16 = NULL;
        F.fast_c32 = NULL;
        F.fast_c64 = NULL;
    }
    dj_jac_opts fo = { 0 }, ro = { 0 };
    fo.max_chunk = (int)(u8(r) % 80);
    ro.chunk = (int)(u8(r) % (m + 1));        /* 0: default */

    int finite, clean;
    double gmax;
    int fails = sp_scale(&P, x, val, S, &finite, &clean, &gmax);
    int expect = fails ? P.fail_code : DJ_OK;
    if (getenv("FUZZ_VERBOSE"))
        sp_dump(&P, x, val);
    const double *S_out = S + (P.len - m) * n;   /* rows of the outputs */

    double y0[4], yf[4], yd[4], yr[4], ya[4], Jf[5 * 6], Jd[5 * 6], Jr[5 * 6], Ja[5 * 6];
    double v[6], w[4], jv[4], jtw[6];
    for (size_t j = 0; j < n; ++j)
        v[j] = (double)(int)(u8(r) % 9) - 4;
    for (size_t i = 0; i < m; ++i)
        w[i] = (double)(int)(u8(r) % 9) - 4;
    fill(Jf, ldj * n, SENTINEL_);
    fill(Jd, ldj * n, SENTINEL_);
    fill(Jr, ldj * n, SENTINEL_);
    fill(Ja, ldj * n, SENTINEL_);

    fuzz_what_ = "scalar: dj_eval";
    int rc0 = dj_eval(&F, x, y0);
    FUZZ_CHECK(rc0 == expect, "dj_eval returned %d, expected %d", rc0, expect);
    fuzz_what_ = "scalar: dj_jacfwd";
    dj_chunk_plan plan;
    int prc = dj_chunk_plan_make(&F, n, &fo, &plan);
    if (prc != DJ_OK) {         /* the cap leaves no form: that code, then no cap */
        int rcp = dj_jacfwd(&F, x, yf, Jf, ldj, &fo);
        FUZZ_CHECK(prc == DJ_ENOFORM && rcp == prc, "plan %d, dj_jacfwd %d", prc, rcp);
        fo.max_chunk = 0;
    }
    int rcf = dj_jacfwd(&F, x, yf, Jf, ldj, &fo);
    FUZZ_CHECK(rcf == expect, "dj_jacfwd returned %d, expected %d", rcf, expect);
    check_padding(Jf, m, n, "dj_jacfwd");
    int rcd = DJ_OK;
    if (F.f_dual) {
        dj_jac_opts d1 = { 0 };
        d1.chunk = 1;
        fuzz_what_ = "scalar: dj_jacfwd (dj_dual)";
        rcd = dj_jacfwd(&F, x, yd, Jd, ldj, &d1);
        FUZZ_CHECK(rcd == expect, "dj_jacfwd (dual) returned %d, expected %d", rcd, expect);
        check_padding(Jd, m, n, "dj_jacfwd (dual)");
    }
    fuzz_what_ = "scalar: dj_jacrev";
    int rcr = dj_jacrev(&F, x, yr, Jr, ldj, &ro);
    FUZZ_CHECK(rcr == expect, "dj_jacrev returned %d, expected %d", rcr, expect);
    check_padding(Jr, m, n, "dj_jacrev");
    fuzz_what_ = "scalar: dj_jacobian";
    int rca = dj_jacobian(&F, x, ya, Ja, ldj, NULL);
    FUZZ_CHECK(rca == expect, "dj_jacobian returned %d, expected %d", rca, expect);
    check_padding(Ja, m, n, "dj_jacobian");
    fuzz_what_ = "scalar: dj_jvp";
    int rcv = dj_jvp(&F, x, v, NULL, jv);
    FUZZ_CHECK(rcv == expect, "dj_jvp returned %d, expected %d", rcv, expect);
    fuzz_what_ = "scalar: dj_vjp";
    int rcw = dj_vjp(&F, x, w, NULL, jtw);
    FUZZ_CHECK(rcw == expect, "dj_vjp returned %d, expected %d", rcw, expect);
    /* a tape limit: the same result, or DJ_ENOMEM */
    dj_jac_opts lo = ro;
    lo.tape_limit = 64 + 32 * (size_t)(u8(r) % 64);
    double Jl[5 * 6];
    fuzz_what_ = "scalar: dj_jacrev (tape limit)";
    int rcl = dj_jacrev(&F, x, NULL, Jl, m, &lo);
    FUZZ_CHECK(rcl == expect || rcl == DJ_ENOMEM, "dj_jacrev (limit) returned %d", rcl);
    if (expect != DJ_OK) {
        check_failed_outputs(y0, m, NULL, 0, 0, "dj_eval");
        check_failed_outputs(yf, m, Jf, n, ldj, "dj_jacfwd");
        check_failed_outputs(yr, m, Jr, n, ldj, "dj_jacrev");
        check_failed_outputs(ya, m, Ja, n, ldj, "dj_jacobian");
        check_failed_outputs(NULL, m, jv, 1, m, "dj_jvp");
        check_failed_outputs(NULL, n, jtw, 1, n, "dj_vjp");
        return;
    }

    /* values: bit for bit the primal's */
    fuzz_what_ = "scalar: values";
    for (size_t i = 0; i < m; ++i) {
        FUZZ_CHECK(same(y0[i], val[P.len - m + i]), "y[%zu] %.17g, rules %.17g", i, y0[i],
                   val[P.len - m + i]);
        FUZZ_CHECK(same(y0[i], yf[i]) && same(y0[i], yr[i]) && same(y0[i], ya[i])
                   && (!F.f_dual || same(y0[i], yd[i])),
                   "y[%zu]: primal %.17g forward %.17g reverse %.17g", i, y0[i], yf[i], yr[i]);
    }
    if (rcl == DJ_OK)
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < m; ++i)
                FUZZ_CHECK(same(Jl[i + j * m], Jr[i + j * ldj]),
                           "J(%zu,%zu) with a tape limit differs", i, j);
    if (!finite)
        return;            /* some derivative is infinite or NaN */

    /* derivatives: within (8 L + 16) eps S_ij of each other, and |J| <= S.
       When a recorded partial is infinite or NaN (but S, which follows the
       forward convention, is finite), an entry may be finite in one mode
       and NaN in the other: only entries finite in both are compared. */
    fuzz_what_ = "scalar: derivatives";
    /* Underflow: a tangent or adjoint that goes subnormal loses relative
       accuracy (down to one bit), with an absolute error of at most
       DBL_TRUE_MIN per operation, which the partials after it amplify by
       at most gmax^L (gmax the largest recorded |partial|, >= 1). That is
       the absolute term; when it overflows nothing can be compared. */
    double k = (8.0 * (double)L + 16.0) * DBL_EPSILON;
    double floor_ = 2.0 * (double)(L + 1) * 4.9406564584124654e-324 * pow(gmax, (double)L + 1);
    if (!isfinite(floor_))
        return;
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < m; ++i) {
            double s = S_out[i * n + j], tol = k * s + floor_;
            double f = Jf[i + j * ldj], b = Jr[i + j * ldj];
            if (!clean && !(isfinite(f) && isfinite(b) && isfinite(Jd[i + j * ldj])
                            && isfinite(Ja[i + j * ldj])))
                continue;
            FUZZ_CHECK(isfinite(f) && isfinite(b), "J(%zu,%zu) not finite: fwd %g rev %g", i, j, f, b);
            FUZZ_CHECK(fabs(f) <= s + tol && fabs(b) <= s + tol,
                       "|J(%zu,%zu)| above its bound %g: fwd %.17g rev %.17g", i, j, s, f, b);
            FUZZ_CHECK(fabs(f - b) <= tol, "J(%zu,%zu): forward %.17g reverse %.17g (S %g)",
                       i, j, f, b, s);
            if (F.f_dual)
                FUZZ_CHECK(fabs(f - Jd[i + j * ldj]) <= tol,
                           "J(%zu,%zu): chunks %.17g dual %.17g", i, j, f, Jd[i + j * ldj]);
            FUZZ_CHECK(fabs(f - Ja[i + j * ldj]) <= tol,
                       "J(%zu,%zu): forward %.17g dj_jacobian %.17g", i, j, f, Ja[i + j * ldj]);
        }
    if (!clean)
        return;
    /* w^T (J v) against (J^T w)^T v: bound |w|^T S |v| */
    double a = 0, b = 0, bound = 0;
    for (size_t i = 0; i < m; ++i)
        a += w[i] * jv[i];
    for (size_t j = 0; j < n; ++j)
        b += jtw[j] * v[j];
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j)
            bound += fabs(w[i]) * S_out[i * n + j] * fabs(v[j]);
    if (!isfinite(bound))
        return;                                /* the sum overflows: nothing to compare */
    FUZZ_CHECK(fabs(a - b) <= (k + (double)(n + m) * DBL_EPSILON) * bound * 2 + floor_,
               "w^T J v: forward %.17g reverse %.17g (bound %g)", a, b, bound);
}

/* ==== (a) matrix programs ======================================================== */

#define MP_MAX_OPS 10
#define MP_MAX_REG (1 + 3 + 2 * MP_MAX_OPS)
/* Operands larger than this are not operated on (the op becomes a copy):
   outer, kron and matmul square the size, so a chain of them grows the
   matrices as 16^(2^k); with this cap no result has more than 256^2
   entries (a few MB with its tangents) instead of running out of memory. */
#define MP_MAX_ARG 256

static size_t mp_size(const dj_mat *A)
{
    return A ? A->rows * A->cols : 0;
}

typedef struct mp_op {
    unsigned op, a, b, p0, p1;
    double s;
} mp_op;

/* What the gates need, gathered while the program runs. */
typedef struct mp_stats {
    int collect_cond;      /* primal run: compute condition numbers */
    int bad;               /* some gate failed: do not compare derivatives */
    double kappa;          /* product of condition numbers */
    size_t cur;            /* the operation running */
    double amp[MP_MAX_OPS];/* its rule's amplification: ||A^-1|| (1 + ||A^-1||),
                              1 / (eigen- or singular value gap), e^||A||,
                              the largest |partial| of an elementwise op */
    size_t yreg[MP_MAX_OPS], areg[MP_MAX_OPS][2];   /* registers of result, args */
    double tmax;           /* largest |tangent| of an intermediate */
} mp_stats;

typedef struct mprog {
    size_t n, r0, c0;
    size_t nconst, cr[3], cc[3];
    double cv[3][16];
    size_t nops;
    mp_op ops[MP_MAX_OPS];
    mp_stats st;
    dj_mat *reg[MP_MAX_REG];   /* the last run's results (for the adjoints) */
    size_t nreg;
} mprog;

/* Singular values of the rows-by-cols values of A into s (descending);
 * 0 on failure. */
static int singular_values(const dj_mat *A, double *s)
{
    size_t r = A->rows, c = A->cols, k = r < c ? r : c;
    double a[64], sup[8];
    if (r * c > 64 || k > 8 || !all_finite(A->val, r * c))
        return 0;
    memcpy(a, A->val, r * c * sizeof *a);
    return LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)r, (lapack_int)c, a,
                          (lapack_int)r, s, NULL, 1, NULL, 1, sup) == 0;
}

static void gate_cond(mprog *P, const dj_mat *A, int tri, int unit, int upper)
{
    if (!P->st.collect_cond || A == NULL)
        return;
    size_t k = A->rows < A->cols ? A->rows : A->cols;
    double s[8];
    dj_mat T = *A;
    double t[64];
    if (tri && A->rows == A->cols && A->rows <= 8) {   /* the triangle LAPACK reads */
        size_t nn = A->rows;
        for (size_t j = 0; j < nn; ++j)
            for (size_t i = 0; i < nn; ++i)
                t[i + j * nn] = i == j ? (unit ? 1.0 : A->val[i + j * nn])
                              : ((i < j) == (upper != 0)) ? A->val[i + j * nn] : 0.0;
        T.val = t;
    }
    if (!singular_values(&T, s) || !(s[k - 1] > 0)) {
        P->st.bad = 1;
        return;
    }
    double kap = s[0] / s[k - 1], inv = 1.0 / s[k - 1];
    if (kap > 1e4)
        P->st.bad = 1;
    P->st.kappa *= kap;
    P->st.amp[P->st.cur] = fmax(P->st.amp[P->st.cur], inv * (1.0 + inv));
}

/* Separation of the eigenvalues (symmetric, lower triangle) or singular
 * values of A whose vectors are differentiated: relative gap >= 1e-3. */
static void gate_gap(mprog *P, const dj_mat *A, int sym)
{
    if (!P->st.collect_cond || A == NULL)
        return;
    size_t k = A->rows < A->cols ? A->rows : A->cols;
    double s[8], a[64];
    if (sym) {
        size_t nn = A->rows;
        if (nn != A->cols || nn > 8 || !all_finite(A->val, nn * nn)) {
            P->st.bad = 1;
            return;
        }
        memcpy(a, A->val, nn * nn * sizeof *a);
        if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'L', (lapack_int)nn, a, (lapack_int)nn, s) != 0) {
            P->st.bad = 1;
            return;
        }
    } else if (!singular_values(A, s)) {
        P->st.bad = 1;
        return;
    }
    double big = 0;
    for (size_t i = 0; i < k; ++i)
        big = fmax(big, fabs(s[i]));
    for (size_t i = 0; i + 1 < k; ++i) {
        if (fabs(s[i + 1] - s[i]) < 1e-3 * big)
            P->st.bad = 1;
        else
            P->st.amp[P->st.cur] = fmax(P->st.amp[P->st.cur], 1.0 / fabs(s[i + 1] - s[i]));
    }
    if (!sym && k > 0 && s[k - 1] > 0)
        P->st.amp[P->st.cur] = fmax(P->st.amp[P->st.cur], 1.0 / s[k - 1]);
    if (!sym && (k == 0 || s[k - 1] < 1e-3 * big))     /* SVD: distinct from 0 too */
        P->st.bad = 1;
    if (big == 0)
        P->st.bad = 1;
}

static void scan(mprog *P, const dj_mat *R, dj_ctx *c)
{
    if (R == NULL)
        return;
    size_t nn = R->rows * R->cols;
    for (size_t i = 0; i < nn; ++i)
        if (!isfinite(R->val[i]) || fabs(R->val[i]) > 1e6)
            P->st.bad = 1;
    if (R->tan) {
        size_t nt = nn * dj_ctx_tangents(c);
        for (size_t i = 0; i < nt; ++i) {
            if (!isfinite(R->tan[i]))
                P->st.bad = 1;
            else
                P->st.tmax = fmax(P->st.tmax, fabs(R->tan[i]));
        }
    }
}

static dj_mat *mp_unary(dj_ctx *c, unsigned k, const dj_mat *A)
{
    switch (k % 28) {
    case 0:  return dj_mat_exp(c, A);
    case 1:  return dj_mat_exp2(c, A);
    case 2:  return dj_mat_expm1(c, A);
    case 3:  return dj_mat_log(c, A);
    case 4:  return dj_mat_log2(c, A);
    case 5:  return dj_mat_log10(c, A);
    case 6:  return dj_mat_log1p(c, A);
    case 7:  return dj_mat_sqrt(c, A);
    case 8:  return dj_mat_cbrt(c, A);
    case 9:  return dj_mat_sin(c, A);
    case 10: return dj_mat_cos(c, A);
    case 11: return dj_mat_tan(c, A);
    case 12: return dj_mat_asin(c, A);
    case 13: return dj_mat_acos(c, A);
    case 14: return dj_mat_atan(c, A);
    case 15: return dj_mat_sinh(c, A);
    case 16: return dj_mat_cosh(c, A);
    case 17: return dj_mat_tanh(c, A);
    case 18: return dj_mat_asinh(c, A);
    case 19: return dj_mat_acosh(c, A);
    case 20: return dj_mat_atanh(c, A);
    case 21: return dj_mat_erf(c, A);
    case 22: return dj_mat_erfc(c, A);
    case 23: return dj_mat_fabs(c, A);
    case 24: return dj_mat_floor(c, A);
    case 25: return dj_mat_ceil(c, A);
    case 26: return dj_mat_round(c, A);
    default: return dj_mat_trunc(c, A);
    }
}

/* The partials of elementwise operation `which` (mp_unary's numbering, or
 * 100 + k for the binary ones: 0 emul, 1 ediv, 2 epow, 3 emin, 4 emax,
 * 5 eatan2, 6 ehypot) at one entry. */
static dj_rule2 ew_rule(unsigned which, double a, double b)
{
    dj_rule1 u;
    dj_rule2 r = { 0, 0, 0 };
    switch (which) {
    case 100: return dj_rule_mul(a, b);
    case 101: return dj_rule_div(a, b);
    case 102: return dj_rule_pow(a, b);
    case 103: return dj_rule_fmin(a, b);
    case 104: return dj_rule_fmax(a, b);
    case 105: return dj_rule_atan2(a, b);
    case 106: return dj_rule_hypot(a, b);
    default: break;
    }
    switch (which % 28) {
    case 0:  u = dj_rule_exp(a); break;
    case 1:  u = dj_rule_exp2(a); break;
    case 2:  u = dj_rule_expm1(a); break;
    case 3:  u = dj_rule_log(a); break;
    case 4:  u = dj_rule_log2(a); break;
    case 5:  u = dj_rule_log10(a); break;
    case 6:  u = dj_rule_log1p(a); break;
    case 7:  u = dj_rule_sqrt(a); break;
    case 8:  u = dj_rule_cbrt(a); break;
    case 9:  u = dj_rule_sin(a); break;
    case 10: u = dj_rule_cos(a); break;
    case 11: u = dj_rule_tan(a); break;
    case 12: u = dj_rule_asin(a); break;
    case 13: u = dj_rule_acos(a); break;
    case 14: u = dj_rule_atan(a); break;
    case 15: u = dj_rule_sinh(a); break;
    case 16: u = dj_rule_cosh(a); break;
    case 17: u = dj_rule_tanh(a); break;
    case 18: u = dj_rule_asinh(a); break;
    case 19: u = dj_rule_acosh(a); break;
    case 20: u = dj_rule_atanh(a); break;
    case 21: u = dj_rule_erf(a); break;
    case 22: u = dj_rule_erfc(a); break;
    case 23: u = dj_rule_fabs(a); break;
    default: u.v = 0; u.g = 0; break;          /* floor ... trunc */
    }
    r.v = u.v;
    r.ga = u.g;
    return r;
}

/* The largest |partial| of an elementwise operation over its entries (with
 * broadcasting): the amplification of its rule (forward: g dA; reverse:
 * g Yb), which the tolerance must see even when the terms cancel in the
 * result (a ./ a at a = 1e-308: partials +-1e308). A non-finite partial:
 * the modes' zero conventions may differ, no comparison. */
static void gate_elementwise(mprog *P, unsigned which, const dj_mat *A, const dj_mat *B)
{
    if (!P->st.collect_cond || A == NULL || (which >= 100 && B == NULL))
        return;
    size_t rows = A->rows, cols = A->cols;
    if (which >= 100) {
        rows = A->rows > B->rows ? A->rows : B->rows;
        cols = A->cols > B->cols ? A->cols : B->cols;
        if ((A->rows != rows && A->rows != 1) || (B->rows != rows && B->rows != 1)
            || (A->cols != cols && A->cols != 1) || (B->cols != cols && B->cols != 1))
            return;                                  /* the op fails: EDIM */
    }
    double g = 0;
    for (size_t j = 0; j < cols; ++j)
        for (size_t i = 0; i < rows; ++i) {
            double a = A->val[(A->rows == 1 ? 0 : i) + (A->cols == 1 ? 0 : j) * A->rows];
            double b = which >= 100
                     ? B->val[(B->rows == 1 ? 0 : i) + (B->cols == 1 ? 0 : j) * B->rows] : 0;
            dj_rule2 r = ew_rule(which, a, b);
            if (!isfinite(r.ga) || !isfinite(r.gb))
                P->st.bad = 1;
            g = fmax(g, fmax(fabs(r.ga), fabs(r.gb)));
        }
    P->st.amp[P->st.cur] = fmax(P->st.amp[P->st.cur], g);
}

/* One operation; *extra gets a second result (eigh's V, qr's R, svd's U). */
static dj_mat *mp_apply(mprog *P, dj_ctx *c, const mp_op *o, dj_mat *A, dj_mat *B,
                        dj_mat **extra)
{
    *extra = NULL;
    switch (o->op % 30) {
    case 0:  return dj_mat_add(c, A, B);
    case 1:  return dj_mat_sub(c, A, B);
    case 2:  gate_elementwise(P, 100, A, B); return dj_mat_emul(c, A, B);
    case 3:  gate_elementwise(P, 101, A, B); return dj_mat_ediv(c, A, B);
    case 4:  return dj_mat_matmul(c, A, (int)(o->p0 & 1), B, (int)(o->p0 & 2));
    case 5:  return dj_mat_transpose(c, A);
    case 6:  return dj_mat_neg(c, A);
    case 7:  return dj_mat_scale(c, A, o->s);
    case 8:  return dj_mat_axpy(c, o->s, A, B);
    case 9:  case 10: gate_elementwise(P, o->p0 % 28, A, NULL); return mp_unary(c, o->p0, A);
    case 11:
        gate_elementwise(P, 102 + o->p0 % 5, A, B);
        switch (o->p0 % 5) {
        case 0:  return dj_mat_epow(c, A, B);
        case 1:  return dj_mat_emin(c, A, B);
        case 2:  return dj_mat_emax(c, A, B);
        case 3:  return dj_mat_eatan2(c, A, B);
        default: return dj_mat_ehypot(c, A, B);
        }
    case 12:
        switch (o->p0 % 6) {
        case 0:  return dj_mat_sum(c, A);
        case 1:  return dj_mat_sum_cols(c, A);
        case 2:  return dj_mat_sum_rows(c, A);
        case 3:  return dj_mat_mean(c, A);
        case 4:  return dj_mat_trace(c, A);
        default: return dj_mat_dot(c, A, B);
        }
    case 13: gate_cond(P, A, 0, 0, 0); return dj_mat_inv(c, A);
    case 14: gate_cond(P, A, 0, 0, 0); return dj_mat_solve(c, A, B);
    case 15: {
        int upper = o->p0 & 1, trans = (o->p0 >> 1) & 1, unit = (o->p0 >> 2) & 1;
        gate_cond(P, A, 1, unit, upper);
        return dj_mat_trisolve(c, A, B, upper, trans, unit);
    }
    case 16: gate_cond(P, A, 0, 0, 0); return dj_mat_det(c, A);
    case 17: {
        gate_cond(P, A, 0, 0, 0);
        double sign = 7;
        dj_mat *R = dj_mat_logdet(c, A, o->p0 & 1 ? &sign : NULL);
        if (R && (o->p0 & 1))
            FUZZ_CHECK(sign == 1.0 || sign == -1.0, "logdet sign %g", sign);
        return R;
    }
    case 18: gate_cond(P, A, 0, 0, 0); return dj_mat_chol(c, A);
    case 19: gate_cond(P, A, 1, 0, 0); gate_cond(P, A, 1, 0, 0);
             return dj_mat_cholsolve(c, A, B);
    case 20: {
        int vec = o->p0 & 1;
        if (vec)
            gate_gap(P, A, 1);
        return dj_mat_eigh(c, A, vec ? extra : NULL);
    }
    case 21: {
        gate_cond(P, A, 0, 0, 0);
        return dj_mat_qr(c, A, o->p0 & 1 ? extra : NULL);
    }
    case 22: {
        int vec = o->p0 % 3;
        dj_mat *V = NULL;
        if (vec)
            gate_gap(P, A, 0);
        dj_mat *s = dj_mat_svd(c, A, vec ? extra : NULL, vec == 2 ? &V : NULL);
        if (vec == 2 && s) {            /* U and V: return V, extra U */
            dj_mat *U = *extra;
            *extra = V;
            return U;
        }
        return s;
    }
    case 23: {
        if (P->st.collect_cond && A) {
            double norm = 0;
            for (size_t j = 0; j < A->cols; ++j) {
                double cs = 0;
                for (size_t i = 0; i < A->rows; ++i)
                    cs += fabs(A->val[i + j * A->rows]);
                norm = fmax(norm, cs);
            }
            if (!(norm <= 4))
                P->st.bad = 1;
            else
                P->st.amp[P->st.cur] = fmax(P->st.amp[P->st.cur], exp(norm));
        }
        return dj_mat_expm(c, A);
    }
    case 24:
        switch (o->p0 % 3) {
        case 0:  return dj_mat_norm_fro(c, A);
        case 1:  gate_gap(P, A, 0); return dj_mat_norm_nuc(c, A);
        default: gate_gap(P, A, 0); return dj_mat_norm_2(c, A);
        }
    case 25: return dj_mat_add(c, A, dj_mat_transpose(c, A));           /* symmetric */
    case 26: {                                                          /* SPD-ish */
        dj_mat *G = dj_mat_matmul(c, A, 1, A, 0);
        return dj_mat_add(c, G, dj_mat_scale(c, dj_mat_identity(c, A ? A->cols : 1), o->s));
    }
    case 27:
        switch (o->p0 % 8) {
        case 0:  return dj_mat_copy(c, A);
        case 1:  return dj_mat_vec(c, A);
        case 2:  return dj_mat_reshape(c, A, 1 + o->p1 % 4, A ? (A->rows * A->cols) / (1 + o->p1 % 4) : 1);
        case 3:  return dj_mat_block(c, A, o->p1 % 3, (o->p1 >> 2) % 3, 1 + (o->p1 >> 4) % 3,
                                     1 + (o->p1 >> 6) % 3);
        case 4:  return dj_mat_hcat(c, A, B);
        case 5:  return dj_mat_vcat(c, A, B);
        case 6:  return dj_mat_slice(c, A, o->p1 % 4, (ptrdiff_t)(o->p1 >> 2) % 5 - 2,
                                     1 + (o->p1 >> 5) % 4);
        default: {
            size_t idx[3] = { o->p1 % 5, (o->p1 >> 3) % 5, 0 };
            return dj_mat_gather(c, A, idx, 1 + o->p1 % 3);
        }
        }
    case 28: return o->p0 & 1 ? dj_mat_matvec(c, A, B) : dj_mat_outer(c, A, B);
    default:
        switch (o->p0 % 3) {
        case 0:  return dj_mat_zeros(c, 1 + o->p1 % 3, 1 + (o->p1 >> 2) % 3);
        case 1:  return dj_mat_identity(c, 1 + o->p1 % 4);
        default: return dj_mat_scalar(c, o->s);
        }
    }
}

static double valmax(const dj_mat *A)
{
    double t = 0;
    for (size_t i = 0; A && i < A->rows * A->cols; ++i)
        t = fmax(t, fabs(A->val[i]));
    return t;
}

static double tanmax(const dj_mat *A, dj_ctx *c)
{
    double t = 0;
    size_t nn = A && A->tan ? A->rows * A->cols * dj_ctx_tangents(c) : 0;
    for (size_t i = 0; i < nn; ++i)
        t = fmax(t, fabs(A->tan[i]));
    return t;
}

static int mp_run(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    mprog *P = user;
    dj_mat **R = P->reg;
    size_t nr = 0;
    R[nr++] = dj_mat_reshape(c, x, P->r0, P->c0);
    for (size_t k = 0; k < P->nconst; ++k)
        R[nr++] = dj_mat_const(c, P->cr[k], P->cc[k], P->cv[k], P->cr[k]);
    for (size_t k = 0; k < P->nops; ++k) {
        const mp_op *o = &P->ops[k];
        dj_mat *extra = NULL;
        size_t ia = o->a & 1 ? nr - 1 - (o->a >> 1) % (nr < 2 ? 1 : 2) : (o->a >> 1) % nr;
        P->st.cur = k;
        P->st.yreg[k] = nr;
        P->st.areg[k][0] = ia;
        P->st.areg[k][1] = o->b % nr;
        dj_mat *Y = mp_size(R[ia]) > MP_MAX_ARG || mp_size(R[o->b % nr]) > MP_MAX_ARG
                        ? dj_mat_copy(c, R[ia])
                        : mp_apply(P, c, o, R[ia], R[o->b % nr], &extra);
        scan(P, Y, c);
        if (Y && Y->tan && P->st.amp[k] > 0) {
            /* the terms inside a LAPACK-backed rule (A^-1 dB, A^-1 dA X,
               dA / gap, ...) can be far larger than what comes out: they
               set the rounding both modes make */
            double t = tanmax(R[ia], c) + tanmax(R[o->b % nr], c);
            double v = 1.0 + valmax(R[ia]) + valmax(R[o->b % nr]) + valmax(Y);
            double dim = (double)(Y->rows + Y->cols + R[ia]->rows + R[ia]->cols);
            P->st.tmax = fmax(P->st.tmax, P->st.amp[k] * t * v * dim);
        }
        R[nr++] = Y;
        if (extra) {
            scan(P, extra, c);
            R[nr++] = extra;
        }
    }
    P->nreg = nr;
    *y = R[nr - 1];
    return 0;
}

static void mp_decode(rd *r, mprog *P, double *x)
{
    static const size_t shapes[][2] = { { 1, 1 }, { 2, 2 }, { 3, 3 }, { 2, 1 }, { 1, 3 },
                                        { 3, 2 }, { 2, 3 }, { 4, 4 }, { 4, 1 }, { 4, 2 } };
    const size_t ns = sizeof shapes / sizeof shapes[0];
    unsigned s = u8(r) % ns;
    P->r0 = shapes[s][0];
    P->c0 = shapes[s][1];
    P->n = P->r0 * P->c0;
    for (size_t j = 0; j < P->n; ++j)
        x[j] = value(r);
    P->nconst = u8(r) % 4;
    for (size_t k = 0; k < P->nconst; ++k) {
        unsigned t = u8(r) % ns;
        P->cr[k] = shapes[t][0];
        P->cc[k] = shapes[t][1];
        for (size_t i = 0; i < P->cr[k] * P->cc[k]; ++i)
            P->cv[k][i] = value(r);
    }
    P->nops = 1 + u8(r) % MP_MAX_OPS;
    for (size_t k = 0; k < P->nops; ++k) {
        mp_op *o = &P->ops[k];
        o->op = u8(r);
        unsigned a = u8(r);
        o->a = a;             /* odd: one of the two latest results */
        o->b = u8(r);
        o->p0 = u8(r);
        o->p1 = u8(r);
        o->s = value(r);
    }
}

/* Run the program once in a context of our own, primal mode: status, shape. */
static int mp_primal(mprog *P, const double *x, double *y, size_t *m)
{
    dj_ctx *c = dj_ctx_new();
    FUZZ_CHECK(c != NULL, "dj_ctx_new failed");
    dj_mat *X = dj_mat_const(c, P->n, 1, x, P->n), *Y = NULL;
    mp_run(P, c, X, &Y);
    int rc = dj_ctx_status(c);
    *m = 0;
    if (rc == DJ_OK) {
        FUZZ_CHECK(Y != NULL, "no result and no error");
        *m = Y->rows * Y->cols;
        if (*m <= 64)
            memcpy(y, Y->val, *m * sizeof *y);
    } else {
        FUZZ_CHECK(*dj_ctx_error(c) && *dj_ctx_error_op(c), "a failure without a message");
    }
    dj_ctx_free(c);
    return rc;
}

static double adj_max(const mprog *P, dj_ctx *c, int *finite)
{
    double t = 0;
    /* the terms inside each rule: amplification times the result's adjoint */
    for (size_t k = 0; k < P->nops; ++k) {
        const dj_mat *Y = P->st.yreg[k] < P->nreg ? P->reg[P->st.yreg[k]] : NULL;
        if (Y == NULL || Y->adj == NULL || P->st.amp[k] <= 0)
            continue;
        double a = 0;
        for (size_t i = 0; i < Y->rows * Y->cols * dj_ctx_tangents(c); ++i)
            a = fmax(a, fabs(Y->adj[i]));
        const dj_mat *A = P->reg[P->st.areg[k][0]], *B = P->reg[P->st.areg[k][1]];
        double v = 1.0 + valmax(A) + valmax(B) + valmax(Y);
        double dim = (double)(Y->rows + Y->cols + A->rows + A->cols);
        t = fmax(t, P->st.amp[k] * a * v * dim);
    }
    for (size_t k = 0; k < P->nreg; ++k) {
        const dj_mat *R = P->reg[k];
        if (R == NULL || R->adj == NULL)
            continue;
        size_t nn = R->rows * R->cols * dj_ctx_tangents(c);
        for (size_t i = 0; i < nn; ++i) {
            if (!isfinite(R->adj[i]))
                *finite = 0;
            else
                t = fmax(t, fabs(R->adj[i]));
        }
    }
    return t;
}

static void mp_dump(const mprog *P, const double *x, int rc0, size_t m)
{
    fprintf(stderr, "matrix program: x %zux%zu, primal status %d, m %zu, gates: bad %d kappa %g\n",
            P->r0, P->c0, rc0, m, P->st.bad, P->st.kappa);
    for (size_t j = 0; j < P->n; ++j)
        fprintf(stderr, "  x[%zu] = %.17g\n", j, x[j]);
    for (size_t k = 0; k < P->nconst; ++k) {
        fprintf(stderr, "  const %zux%zu:", P->cr[k], P->cc[k]);
        for (size_t i = 0; i < P->cr[k] * P->cc[k]; ++i)
            fprintf(stderr, " %.17g", P->cv[k][i]);
        fputc('\n', stderr);
    }
    for (size_t k = 0; k < P->nops; ++k) {
        const mp_op *o = &P->ops[k];
        fprintf(stderr, "  op %u (a %u b %u p0 %u p1 %u s %.17g)\n", o->op % 30, o->a, o->b,
                o->p0, o->p1, o->s);
    }
}

static int derivative_only_code(int rc)
{
    return rc == DJ_EDOMAIN;
}

static void fuzz_matrix(rd *r)
{
    static mprog P;
    double x[16], y0[64];
    memset(&P, 0, sizeof P);
    mp_decode(r, &P, x);
    size_t n = P.n, m = 0;
    P.st.collect_cond = 1;
    P.st.kappa = 1;
    fuzz_what_ = "matrix: primal";
    int rc0 = mp_primal(&P, x, y0, &m);
    P.st.collect_cond = 0;
    if (m > 64)
        return;                       /* larger than the harness's arrays */
    int gated_out = P.st.bad || P.st.kappa > 1e6;
    if (rc0 != DJ_OK)
        m = 1;
    size_t ldj = m + 1;
    dj_function F = { .n = n, .m = m, .user = &P, .f_mat = mp_run };
    double ye[64], yf[64], yr[64], yv[64];
    static double Jf[65 * 16], Jb[65 * 16], Jr[65 * 16], Jl[64 * 16], JV[64 * 16], E[16 * 16];
    fill(Jf, ldj * n, SENTINEL_);
    fill(Jb, ldj * n, SENTINEL_);
    fill(Jr, ldj * n, SENTINEL_);

    fuzz_what_ = "matrix: dj_eval";
    int rce = dj_eval(&F, x, ye);
    FUZZ_CHECK(rce == rc0, "dj_eval returned %d, the primal run %d", rce, rc0);

    dj_ctx *cf = dj_ctx_new(), *cr = dj_ctx_new();
    FUZZ_CHECK(cf && cr, "dj_ctx_new failed");
    dj_jac_opts fo = { 0 }, ro = { 0 };
    fo.chunk = (int)(u8(r) % (n + 1));
    fo.ctx = cf;
    ro.ctx = cr;                                     /* one sweep: adjoints stay */
    P.st.tmax = 0;
    fuzz_what_ = "matrix: dj_jacfwd";
    int rcf = dj_jacfwd(&F, x, yf, Jf, ldj, &fo);
    check_padding(Jf, m, n, "dj_jacfwd");
    double tmax = P.st.tmax;
    int fwd_finite = !P.st.bad;
    fuzz_what_ = "matrix: dj_jacrev";
    int rcr = dj_jacrev(&F, x, yr, Jr, ldj, &ro);
    check_padding(Jr, m, n, "dj_jacrev");
    int adj_finite = 1;
    double amax = rcr == DJ_OK ? adj_max(&P, cr, &adj_finite) : 0;
    /* the same directions as unit vectors, not seeded: no shortcuts */
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            E[i + j * n] = i == j;
    fuzz_what_ = "matrix: dj_jvp_batch";
    int rcb = dj_jvp_batch(&F, x, n, E, n, yv, Jb, ldj, NULL);
    check_padding(Jb, m, n, "dj_jvp_batch");
    dj_jac_opts lo = { 0 };
    lo.chunk = (int)(1 + u8(r) % m);
    lo.tape_limit = 1024 * (size_t)(1 + u8(r) % 32);
    fuzz_what_ = "matrix: dj_jacrev (chunk, tape limit)";
    int rcl = dj_jacrev(&F, x, NULL, Jl, m, &lo);
    char ferr[256], rerr[256];
    snprintf(ferr, sizeof ferr, "%s: %s", dj_ctx_error_op(cf), dj_ctx_error(cf));
    snprintf(rerr, sizeof rerr, "%s: %s", dj_ctx_error_op(cr), dj_ctx_error(cr));
    dj_ctx_free(cf);
    dj_ctx_free(cr);
    if (getenv("FUZZ_VERBOSE"))
        mp_dump(&P, x, rc0, m);

    fuzz_what_ = "matrix: outputs of a failure";
    if (rce != DJ_OK)
        check_failed_outputs(ye, m, NULL, 0, 0, "dj_eval");
    if (rcf != DJ_OK)
        check_failed_outputs(yf, m, Jf, n, ldj, "dj_jacfwd");
    if (rcr != DJ_OK)
        check_failed_outputs(yr, m, Jr, n, ldj, "dj_jacrev");
    if (rcb != DJ_OK)
        check_failed_outputs(yv, m, Jb, n, ldj, "dj_jvp_batch");
    fuzz_what_ = "matrix: status";
    FUZZ_CHECK(rcf == rcr, "dj_jacfwd returned %d (%s), dj_jacrev %d (%s) (primal %d)", rcf,
               ferr, rcr, rerr, rc0);
    FUZZ_CHECK(rcb == rcf, "dj_jvp_batch returned %d, dj_jacfwd %d", rcb, rcf);
    FUZZ_CHECK(rcl == rcr || rcl == DJ_ENOMEM, "dj_jacrev with a limit returned %d, without %d",
               rcl, rcr);
    if (rc0 != DJ_OK) {
        FUZZ_CHECK(rcf != DJ_OK, "the primal failed (%d) but dj_jacfwd succeeded", rc0);
        return;
    }
    /* LAPACK that does not converge when eigenvectors are computed for the
       derivative only (eigh without V: values alone converged in the
       primal; seen with entries of 1e300 next to 1e-310): a documented
       limitation (linalg.h), allowed for those operations alone */
    int vec_fail = rcf == DJ_ELAPACK && (strstr(ferr, "dj_mat_eigh") || strstr(ferr, "dj_mat_svd")
                                         || strstr(ferr, "dj_mat_norm"));
    FUZZ_CHECK(rcf == DJ_OK || derivative_only_code(rcf) || vec_fail,
               "the primal succeeded, dj_jacfwd returned %d (%s)", rcf, ferr);
    if (rcf != DJ_OK)
        return;

    fuzz_what_ = "matrix: values";
    for (size_t i = 0; i < m; ++i)
        FUZZ_CHECK(same(y0[i], ye[i]) && same(y0[i], yf[i]) && same(y0[i], yr[i])
                   && same(y0[i], yv[i]),
                   "y[%zu]: primal %.17g eval %.17g forward %.17g reverse %.17g batch %.17g",
                   i, y0[i], ye[i], yf[i], yr[i], yv[i]);
    if (rcl == DJ_OK)
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < m; ++i)
                FUZZ_CHECK(same(Jl[i + j * m], Jr[i + j * ldj]) || lo.chunk != (int)m,
                           "J(%zu,%zu) with a tape limit differs", i, j);
    if (gated_out || !fwd_finite || !adj_finite)
        return;
    double T = fmax(tmax, amax);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < m; ++i) {
            if (!isfinite(Jf[i + j * ldj]) || !isfinite(Jr[i + j * ldj]))
                return;
            T = fmax(T, fmax(fabs(Jf[i + j * ldj]), fabs(Jr[i + j * ldj])));
        }
    fuzz_what_ = "matrix: derivatives";
    double tol = 64 * DBL_EPSILON * P.st.kappa * (double)(P.nops + 1) * T + 1e-300;
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < m; ++i) {
            double f = Jf[i + j * ldj], b = Jr[i + j * ldj], v = Jb[i + j * ldj];
            FUZZ_CHECK(fabs(f - b) <= tol, "J(%zu,%zu): forward %.17g reverse %.17g (tol %g)",
                       i, j, f, b, tol);
            FUZZ_CHECK(fabs(f - v) <= tol, "J(%zu,%zu): seeded %.17g unseeded %.17g (tol %g)",
                       i, j, f, v, tol);
            if (rcl == DJ_OK)
                FUZZ_CHECK(fabs(b - Jl[i + j * m]) <= tol,
                           "J(%zu,%zu): reverse %.17g, in other sweeps %.17g", i, j, b,
                           Jl[i + j * m]);
        }
    (void)JV;
}

/* ==== the entry point ============================================================= */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = { data, size, 0 };
    if (u8(&r) & 1)
        fuzz_scalar(&r);
    else
        fuzz_matrix(&r);
    return 0;
}

#ifdef FUZZ_STANDALONE
/* Run each file named on the command line once (regression replay). */
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 2;
        }
        static uint8_t buf[1 << 16];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
#endif
