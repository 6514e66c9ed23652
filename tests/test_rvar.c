/* test_rvar.c - the reverse-mode scalar dj_rvar (rvar.h) and its driver
 * dj_rvar_vjp_ (src/rvar.c):
 *
 *  1. every unary rule, every binary rule in all three forms (and with a
 *     constant dj_rvar on either side), fma with every choice of constant
 *     arguments: the adjoints equal the dual tangents (the same partials
 *     from rules.h), lane by lane, for q = 1 and q = 4 (lanes 0, 1, ...);
 *  2. a function written once (tfun.inc): W^T J from the sweep equals
 *     W^T (J from dj_jacfwd), for q in {1, 3, 8} and n from 1 to 200;
 *  3. the book's example: x1 -30, w1 -12, w2 -10;
 *  4. the zero-adjoint convention, constants not recorded, outputs that are
 *     constants or inputs, the generic spellings;
 *  5. nested and repeated calls, a failing form's code, allocation failure
 *     (DJ_ENOMEM, nothing leaked). */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

/* internal (src/internal.h): the reverse-mode driver under test */
struct dj_function;
int dj_rvar_vjp_(const struct dj_function *F, const double *x, size_t q, const double *W,
                 size_t ldw, double *y, double *JTW, size_t ldjtw, size_t limit,
                 size_t *bytes);

#include "tfun.h"

#define DJ_TEMPLATE "book.inc"
#include <dualjac/instantiate.h>

/* Messages per test are capped, every check still counts as an assertion. */
static int g_msgs;
#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        int ok_ = (cond) ? 1 : 0;                                             \
        if (!ok_ && g_msgs++ < 40) {                                          \
            fprintf(stderr, "\n  %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                     \
        }                                                                     \
        CU_assertImplementation(ok_, __LINE__, #cond, __FILE__, "", CU_FALSE); \
    } while (0)

/* The same number (-0 == +0), both NaN, or within rtol relative. */
static int rel_close(double got, double want, double rtol)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    if (got == want)
        return 1;
    if (!isfinite(got) || !isfinite(want))
        return 0;
    return fabs(got - want) <= rtol * fabs(want);
}

/* The adjoint lanes of the rule tests: q = 1 (W = 1) and q = 4. */
static const double lanes4[4] = { 1.0, 0.0, -2.75, 1e-3 };
#define RTOL 1e-15

/* ---- 1. every rule --------------------------------------------------------- */

static const double upts[] = { -3.0, -1.0, -0.75, -0.0, 0.0, 1e-300, 0.25, 0.5,
                               0.999, 1.0, 1.5, 2.0, 7.25, 40.0, 1e200,
                               INFINITY, -INFINITY, NAN };
#define NUPTS (sizeof upts / sizeof *upts)
static const double bpts[] = { -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.5, 3.0 };
#define NBPTS (sizeof bpts / sizeof *bpts)

typedef struct un_case {
    const char *name;
    dj_fn_rvar fr;
    dj_dual (*fd)(dj_dual);
} un_case;

#define UN_DEF_(f)                                                            \
    static int un_r_##f(void *u, const dj_rvar *x, dj_rvar *y)                \
    {                                                                         \
        (void)u;                                                              \
        y[0] = dj_rvar_##f(x[0]);                                             \
        return 0;                                                             \
    }                                                                         \
    static dj_dual un_d_##f(dj_dual x) { return dj_dual_##f(x); }
DJ_UNARY_RULES(UN_DEF_)
#undef UN_DEF_
#define UN_ROW_(f) { #f, un_r_##f, un_d_##f },
static const un_case un_cases[] = { DJ_UNARY_RULES(UN_ROW_) };
#undef UN_ROW_
#define NUN (sizeof un_cases / sizeof *un_cases)

/* The sweep for one output: JTW(:, k) = J^T w_k with w_k = lanes[k]. */
static int vjp_lanes(dj_function *F, const double *x, size_t q, const double *lanes,
                     double *y, double *JTW)
{
    return dj_rvar_vjp_(F, x, q, lanes, 1, y, JTW, F->n, 0, NULL);
}

static void test_unary_rules(void)
{
    g_msgs = 0;
    size_t nchecks = 0;
    for (size_t c = 0; c < NUN; ++c) {
        dj_function F = { .n = 1, .m = 1, .f_rvar = un_cases[c].fr };
        for (size_t p = 0; p < NUPTS; ++p) {
            double x = upts[p], y, g1, g4[4];
            CU_ASSERT_EQUAL_FATAL(vjp_lanes(&F, &x, 1, lanes4, &y, &g1), DJ_OK);
            dj_dual d = un_cases[c].fd(dj_dual_seed(x, 0));
            CHECK(rel_close(y, d.v, 0.0) || (isnan(y) && isnan(d.v)),
                  "%s(%g): value %.17g, dual %.17g\n", un_cases[c].name, x, y, d.v);
            CHECK(rel_close(g1, d.d, RTOL), "%s(%g): adjoint %.17g, dual %.17g\n",
                  un_cases[c].name, x, g1, d.d);
            CU_ASSERT_EQUAL_FATAL(vjp_lanes(&F, &x, 4, lanes4, &y, g4), DJ_OK);
            for (int k = 0; k < 4; ++k) {
                dj_dual dk = un_cases[c].fd(dj_dual_make(x, lanes4[k]));
                CHECK(rel_close(g4[k], dk.d, RTOL), "%s(%g) lane %d: %.17g, dual %.17g\n",
                      un_cases[c].name, x, k, g4[k], dk.d);
                ++nchecks;
            }
        }
    }
    CU_ASSERT(nchecks == NUN * NUPTS * 4);
}

/* Binary rules: the rvar function and the dual operations of each form. The
 * one-sided forms take the plain argument from *user; "ca"/"cb" pass it as
 * a constant dj_rvar to the two-sided operation instead. */
typedef struct bin_case {
    const char *name;
    dj_fn_rvar fr, fr_xd, fr_dx, fr_ca, fr_cb;
    dj_dual (*fd)(dj_dual, dj_dual);
    dj_dual (*fd_xd)(dj_dual, double);
    dj_dual (*fd_dx)(double, dj_dual);
} bin_case;

#define BIN_DEF_(f)                                                           \
    static int bin_r_##f(void *u, const dj_rvar *x, dj_rvar *y)               \
    {                                                                         \
        (void)u;                                                              \
        y[0] = dj_rvar_##f(x[0], x[1]);                                       \
        return 0;                                                             \
    }                                                                         \
    static int bin_rxd_##f(void *u, const dj_rvar *x, dj_rvar *y)             \
    {                                                                         \
        y[0] = dj_rvar_##f##_xd(x[0], *(const double *)u);                    \
        return 0;                                                             \
    }                                                                         \
    static int bin_rdx_##f(void *u, const dj_rvar *x, dj_rvar *y)             \
    {                                                                         \
        y[0] = dj_rvar_##f##_dx(*(const double *)u, x[0]);                    \
        return 0;                                                             \
    }                                                                         \
    static int bin_rca_##f(void *u, const dj_rvar *x, dj_rvar *y)             \
    {                                                                         \
        y[0] = dj_rvar_##f(dj_rvar_const(*(const double *)u), x[0]);          \
        return 0;                                                             \
    }                                                                         \
    static int bin_rcb_##f(void *u, const dj_rvar *x, dj_rvar *y)             \
    {                                                                         \
        y[0] = dj_rvar_##f(x[0], dj_rvar_const(*(const double *)u));          \
        return 0;                                                             \
    }                                                                         \
    static dj_dual bin_d_##f(dj_dual a, dj_dual b) { return dj_dual_##f(a, b); } \
    static dj_dual bin_dxd_##f(dj_dual a, double b) { return dj_dual_##f##_xd(a, b); } \
    static dj_dual bin_ddx_##f(double a, dj_dual b) { return dj_dual_##f##_dx(a, b); }
DJ_BINARY_RULES(BIN_DEF_)
#undef BIN_DEF_
#define BIN_ROW_(f)                                                           \
    { #f, bin_r_##f, bin_rxd_##f, bin_rdx_##f, bin_rca_##f, bin_rcb_##f,      \
      bin_d_##f, bin_dxd_##f, bin_ddx_##f },
static const bin_case bin_cases[] = { DJ_BINARY_RULES(BIN_ROW_) };
#undef BIN_ROW_
#define NBIN (sizeof bin_cases / sizeof *bin_cases)

static void test_binary_rules(void)
{
    g_msgs = 0;
    size_t nchecks = 0;
    for (size_t c = 0; c < NBIN; ++c) {
        const bin_case *bc = &bin_cases[c];
        for (size_t i = 0; i < NBPTS; ++i)
            for (size_t j = 0; j < NBPTS; ++j) {
                double a = bpts[i], b = bpts[j], x2[2] = { a, b }, y;
                double G[2 * 4], g[4];
                for (size_t qi = 0; qi < 2; ++qi) {
                    size_t q = qi == 0 ? 1 : 4;
                    /* both arguments recorded */
                    dj_function F = { .n = 2, .m = 1, .f_rvar = bc->fr };
                    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x2, q, lanes4, 1, &y, G, 2, 0, NULL), DJ_OK);
                    CHECK(rel_close(y, bc->fd(dj_dual_const(a), dj_dual_const(b)).v, 0.0),
                          "%s(%g, %g) value\n", bc->name, a, b);
                    for (size_t k = 0; k < q; ++k) {
                        double w = lanes4[k];
                        dj_dual da = bc->fd(dj_dual_make(a, w), dj_dual_const(b));
                        dj_dual db = bc->fd(dj_dual_const(a), dj_dual_make(b, w));
                        CHECK(rel_close(G[0 + 2 * k], da.d, RTOL),
                              "%s(%g, %g) lane %zu d/da: %.17g, dual %.17g\n", bc->name, a,
                              b, k, G[2 * k], da.d);
                        CHECK(rel_close(G[1 + 2 * k], db.d, RTOL),
                              "%s(%g, %g) lane %zu d/db: %.17g, dual %.17g\n", bc->name, a,
                              b, k, G[1 + 2 * k], db.d);
                        ++nchecks;
                    }
                    /* _xd and a constant rvar b: d/da only */
                    dj_function Fx = { .n = 1, .m = 1, .user = &b, .f_rvar = bc->fr_xd };
                    dj_function Fcb = { .n = 1, .m = 1, .user = &b, .f_rvar = bc->fr_cb };
                    for (int form = 0; form < 2; ++form) {
                        dj_function *P = form ? &Fcb : &Fx;
                        CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(P, &a, q, lanes4, 1, &y, g, 1, 0, NULL), DJ_OK);
                        for (size_t k = 0; k < q; ++k) {
                            dj_dual d = bc->fd_xd(dj_dual_make(a, lanes4[k]), b);
                            CHECK(rel_close(g[k], d.d, RTOL),
                                  "%s%s(%g, %g) lane %zu: %.17g, dual %.17g\n", bc->name,
                                  form ? "(x, const)" : "_xd", a, b, k, g[k], d.d);
                            CHECK(rel_close(y, d.v, 0.0), "%s_xd value\n", bc->name);
                            ++nchecks;
                        }
                    }
                    /* _dx and a constant rvar a: d/db only */
                    dj_function Fd = { .n = 1, .m = 1, .user = &a, .f_rvar = bc->fr_dx };
                    dj_function Fca = { .n = 1, .m = 1, .user = &a, .f_rvar = bc->fr_ca };
                    for (int form = 0; form < 2; ++form) {
                        dj_function *P = form ? &Fca : &Fd;
                        CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(P, &b, q, lanes4, 1, &y, g, 1, 0, NULL), DJ_OK);
                        for (size_t k = 0; k < q; ++k) {
                            dj_dual d = bc->fd_dx(a, dj_dual_make(b, lanes4[k]));
                            CHECK(rel_close(g[k], d.d, RTOL),
                                  "%s%s(%g, %g) lane %zu: %.17g, dual %.17g\n", bc->name,
                                  form ? "(const, x)" : "_dx", a, b, k, g[k], d.d);
                            CHECK(rel_close(y, d.v, 0.0), "%s_dx value\n", bc->name);
                            ++nchecks;
                        }
                    }
                }
            }
    }
    CU_ASSERT(nchecks == NBIN * NBPTS * NBPTS * 5 * 5);
}

/* fma with the arguments in *mask recorded and the others constants. */
static int fma_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    int mask = *(const int *)u;
    dj_rvar a[3];
    for (int k = 0; k < 3; ++k)
        a[k] = (mask >> k) & 1 ? x[k] : dj_rvar_const(x[k].v);
    y[0] = dj_rvar_fma(a[0], a[1], a[2]);
    return 0;
}

static void test_fma(void)
{
    g_msgs = 0;
    const double pts[] = { -1.5, 0.0, 0.5, 2.0, INFINITY };
    const size_t np = sizeof pts / sizeof *pts;
    for (int mask = 0; mask < 8; ++mask) {
        dj_function F = { .n = 3, .m = 1, .user = &mask, .f_rvar = fma_r };
        for (size_t i = 0; i < np * np * np; ++i) {
            double x[3] = { pts[i % np], pts[i / np % np], pts[i / np / np] }, y;
            double G[3 * 4];
            for (size_t q = 1; q <= 4; q += 3) {
                CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, q, lanes4, 1, &y, G, 3, 0, NULL), DJ_OK);
                CHECK(rel_close(y, fma(x[0], x[1], x[2]), 0.0), "fma value\n");
                for (size_t k = 0; k < q; ++k)
                    for (int arg = 0; arg < 3; ++arg) {
                        dj_dual d[3];
                        for (int t = 0; t < 3; ++t)
                            d[t] = dj_dual_make(x[t], t == arg ? lanes4[k] : 0.0);
                        double want = (mask >> arg) & 1 ? dj_dual_fma(d[0], d[1], d[2]).d : 0.0;
                        CHECK(rel_close(G[arg + 3 * k], want, RTOL),
                              "fma mask %d (%g, %g, %g) lane %zu arg %d: %.17g, dual %.17g\n",
                              mask, x[0], x[1], x[2], k, arg, G[arg + 3 * k], want);
                    }
            }
        }
    }
}

/* ---- 2. a function written once: W^T J against forward mode --------------- */

static void rand_vec(uint64_t *s, size_t n, double *x)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = dj_test_rand(s, -2.0, 2.0);
}

static void test_tfun_vjp(void)
{
    g_msgs = 0;
    static const size_t sizes[] = { 1, 2, 3, 7, 8, 9, 31, 64, 100, 130, 200 };
    static const size_t qs[] = { 1, 3, 8 };
    uint64_t seed = 11;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        size_t n = sizes[s], m = n + 1;
        tfun_params p = { n, 0, 0, 0 };
        dj_function F = { .n = n, .m = m, .user = &p, DJ_FORMS(tfun) };
        double *x = malloc(n * sizeof *x), *J = malloc(m * n * sizeof *J);
        double *y = malloc(m * sizeof *y), *y0 = malloc(m * sizeof *y0);
        rand_vec(&seed, n, x);
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y0, J, m, NULL), DJ_OK);
        for (size_t qi = 0; qi < sizeof qs / sizeof *qs; ++qi) {
            size_t q = qs[qi], ldw = m + 2, ldo = n + 3;
            double *W = malloc(ldw * q * sizeof *W), *JTW = malloc(ldo * q * sizeof *JTW);
            rand_vec(&seed, ldw * q, W);
            for (size_t k = 0; k < ldo * q; ++k)
                JTW[k] = -777.0;
            CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, q, W, ldw, y, JTW, ldo, 0, NULL), DJ_OK);
            for (size_t i = 0; i < m; ++i)
                CHECK(y[i] == y0[i], "n %zu: y[%zu] %.17g, want %.17g\n", n, i, y[i], y0[i]);
            for (size_t k = 0; k < q; ++k) {
                for (size_t j = 0; j < n; ++j) {
                    double r = 0, mag = 0;
                    for (size_t i = 0; i < m; ++i) {
                        r += J[i + j * m] * W[i + k * ldw];
                        mag += fabs(J[i + j * m] * W[i + k * ldw]);
                    }
                    double got = JTW[j + k * ldo];
                    CHECK(fabs(got - r) <= 1e-13 * mag, "n %zu q %zu: JTW(%zu,%zu) %.17g, "
                          "want %.17g\n", n, q, j, k, got, r);
                }
                for (size_t j = n; j < ldo; ++j)
                    CHECK(JTW[j + k * ldo] == -777.0, "row past n written\n");
            }
            free(W);
            free(JTW);
        }
        free(x); free(J); free(y); free(y0);
    }
}

/* ---- 3. the book's example -------------------------------------------------- */

static void test_book(void)
{
    double Y[4] = { 10, 10, 10, 10 }, in[12], ones[4] = { 1, 1, 1, 1 }, L[4], g[12];
    for (int k = 0; k < 4; ++k) {
        in[k] = 2;
        in[4 + k] = 5;
        in[8 + k] = 6;
    }
    dj_function F = { .n = 12, .m = 4, .user = Y, DJ_FORMS(book) };
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, in, 1, ones, 4, L, g, 12, 0, NULL), DJ_OK);
    for (int k = 0; k < 4; ++k) {
        CU_ASSERT_EQUAL(L[k], 10.0 - 60.0);
        CU_ASSERT_EQUAL(g[k], -30.0);
        CU_ASSERT_EQUAL(g[4 + k], -12.0);
        CU_ASSERT_EQUAL(g[8 + k], -10.0);
    }
}

/* ---- 4. conventions, constants, generic spellings ---------------------------- */

/* y0 = sqrt(x0) (infinite partial at 0), y1 = pow(x1, x0) at x1 < 0 (NaN
 * partial d/dx0), y2 = x0 + x1. */
static int edge_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    (void)u;
    y[0] = dj_rvar_sqrt(x[0]);
    y[1] = dj_rvar_pow(x[1], x[0]);
    y[2] = dj_rvar_add(x[0], x[1]);
    return 0;
}

static void test_zero_adjoint(void)
{
    dj_function F = { .n = 2, .m = 3, .f_rvar = edge_r };
    double x[2] = { 0.0, -1.0 }, y[3], G[2 * 3];
    /* lane 0: only y2 (the infinite and NaN partials meet zero adjoints);
       lane 1: y0 (d sqrt/dx0 = +inf); lane 2: y1 (d/dx0 of (-1)^x0 is NaN) */
    double W[3 * 3] = { 0, 0, 1,   1, 0, 0,   0, 1, 0 };
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 3, W, 3, y, G, 2, 0, NULL), DJ_OK);
    CU_ASSERT_EQUAL(G[0], 1.0);
    CU_ASSERT_EQUAL(G[1], 1.0);
    CU_ASSERT(isinf(G[2]) && G[2] > 0);
    CU_ASSERT_EQUAL(G[3], 0.0);
    CU_ASSERT(isnan(G[4]));
    CU_ASSERT_EQUAL(G[5], 0.0);       /* d/dx1 of x1^x0 at x0 = 0 is 0 */
    /* the q == 1 sweep too */
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 1, W, 3, y, G, 2, 0, NULL), DJ_OK);
    CU_ASSERT_EQUAL(G[0], 1.0);
    CU_ASSERT_EQUAL(G[1], 1.0);
}

typedef struct rec_probe {
    size_t len_before, len_const, len_mixed, len_fma;
    size_t i_const;
} rec_probe;

/* Operations on constants record nothing; each other operation one node
 * (fma with three recorded arguments two); the outputs are a constant and
 * an input itself (y = x). */
static int rec_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    rec_probe *p = u;
    p->len_before = dj_rvar_tape_state_.len;
    dj_rvar c = dj_rvar_const(2.0);
    dj_rvar t = dj_rvar_mul(dj_rvar_sin(c), dj_rvar_pow_xd(c, 3.0));
    t = dj_rvar_fma(t, c, dj_rvar_hypot_dx(1.0, c));
    p->i_const = t.i;
    p->len_const = dj_rvar_tape_state_.len;
    dj_rvar u1 = dj_rvar_mul(x[0], c);          /* 1 */
    dj_rvar u2 = dj_rvar_add(c, x[1]);          /* 1 */
    dj_rvar u3 = dj_rvar_fma(x[0], c, x[1]);    /* 1 */
    dj_rvar u4 = dj_rvar_sub(u1, u2);           /* 1 */
    p->len_mixed = dj_rvar_tape_state_.len;
    dj_rvar u5 = dj_rvar_fma(u3, u4, x[0]);     /* 2 */
    p->len_fma = dj_rvar_tape_state_.len;
    y[0] = u5;
    y[1] = t;                                   /* a constant output */
    y[2] = x[1];                                /* an input as output */
    return 0;
}

static void test_constants(void)
{
    /* outside a driver: values only, nothing recorded */
    dj_rvar a = dj_rvar_const(0.5);
    dj_rvar b = dj_rvar_exp(dj_rvar_mul(a, a));
    CU_ASSERT_EQUAL(b.i, DJ_RVAR_CONST);
    CU_ASSERT_EQUAL(b.v, exp(0.25));
    dj_rvar stray = { 1.0, 5 };                 /* not on any open tape */
    CU_ASSERT_EQUAL(dj_rvar_sin(stray).i, DJ_RVAR_CONST);
    CU_ASSERT_EQUAL(dj_rvar_tape_state_.len, 0);
    CU_ASSERT_EQUAL(dj_rvar_tape_state_.on, 0);

    rec_probe p;
    dj_function F = { .n = 2, .m = 3, .user = &p, .f_rvar = rec_r };
    double x[2] = { 1.5, -0.5 }, y[3], G[2 * 2], W[3 * 2] = { 1, 7, 0,   0, 0, 1 };
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 2, W, 3, y, G, 2, 0, NULL), DJ_OK);
    CU_ASSERT_EQUAL(p.len_before, 2);           /* the inputs */
    CU_ASSERT_EQUAL(p.len_const, 2);
    CU_ASSERT_EQUAL(p.i_const, DJ_RVAR_CONST);
    CU_ASSERT_EQUAL(p.len_mixed, 6);
    CU_ASSERT_EQUAL(p.len_fma, 8);
    /* y0 = (2 x0 + x1)(2 x0 - 2 - x1) + x0:
       d/dx0 = 2 (2 x0 - 2 - x1) + 2 (2 x0 + x1) + 1, d/dx1 = (2 x0 - 2 - x1) - (2 x0 + x1) */
    double s = 2 * x[0] + x[1], d = 2 * x[0] - 2 - x[1];
    DJ_ASSERT_CLOSE(y[0], s * d + x[0], 1e-15);
    DJ_ASSERT_CLOSE(G[0], 2 * d + 2 * s + 1, 1e-15);
    DJ_ASSERT_CLOSE(G[1], d - s, 1e-15);
    CU_ASSERT_EQUAL(y[2], x[1]);                /* lane 1: y2 = x1 */
    CU_ASSERT_EQUAL(G[2], 0.0);
    CU_ASSERT_EQUAL(G[3], 1.0);
    /* the tape is closed again */
    CU_ASSERT_EQUAL(dj_rvar_tape_state_.on, 0);
    CU_ASSERT_PTR_NULL(dj_rvar_tape_state_.nodes);
}

/* The generic spellings on dj_rvar. */
static int gen_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    (void)u;
    dj_rvar t = dj_mul(2, x[0]);                    /* 2 x0 */
    t = dj_add(t, dj_mul(x[1], 3.0f));              /* + 3 x1 */
    t = dj_sub(t, dj_div(1, x[0]));                 /* - 1/x0 */
    y[0] = dj_fma(t, dj_sin(x[1]), dj_const(dj_rvar, 4.0));
    y[1] = dj_pow(x[0], x[1]);
    y[2] = dj_value(x[0]) > 0 ? dj_neg(x[1]) : x[1];
    return 0;
}

static void test_generic(void)
{
    dj_function F = { .n = 2, .m = 3, .f_rvar = gen_r };
    double x[2] = { 1.25, 0.75 }, y[3], G[2 * 3];
    double W[9] = { 1, 0, 0,  0, 1, 0,  0, 0, 1 };
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 3, W, 3, y, G, 2, 0, NULL), DJ_OK);
    double t = 2 * x[0] + 3 * x[1] - 1 / x[0], s = sin(x[1]);
    DJ_ASSERT_CLOSE(y[0], t * s + 4, 1e-15);
    DJ_ASSERT_CLOSE(G[0], (2 + 1 / (x[0] * x[0])) * s, 1e-15);
    DJ_ASSERT_CLOSE(G[1], 3 * s + t * cos(x[1]), 1e-15);
    DJ_ASSERT_CLOSE(G[2], x[1] * pow(x[0], x[1] - 1), 1e-15);
    DJ_ASSERT_CLOSE(G[3], pow(x[0], x[1]) * log(x[0]), 1e-15);
    CU_ASSERT_EQUAL(G[4], 0.0);
    CU_ASSERT_EQUAL(G[5], -1.0);
    CU_ASSERT_EQUAL(dj_value(dj_const(dj_rvar, 2.5)), 2.5);
    CU_ASSERT_EQUAL(dj_const(dj_rvar, 2.5).i, DJ_RVAR_CONST);
}

/* ---- 5. nesting, repetition, failures ---------------------------------------- */

typedef struct nest_params {
    int inner_rc, inner_ok;
    size_t len_before, len_after;
} nest_params;

/* y0 = x0 x1 + sin(x0), with a whole reverse sweep of tfun (n = 5) run in
 * the middle. */
static int nest_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    nest_params *np = u;
    dj_rvar t = dj_rvar_mul(x[0], x[1]);
    np->len_before = dj_rvar_tape_state_.len;
    tfun_params p = { 5, 0, 0, 0 };
    dj_function G = { .n = 5, .m = 6, .user = &p, DJ_FORMS(tfun) };
    double xi[5] = { 0.1, 0.2, 0.3, 0.4, 0.5 }, W[6] = { 1, 2, 3, 4, 5, 6 }, g[5], J[30];
    np->inner_rc = dj_rvar_vjp_(&G, xi, 1, W, 6, NULL, g, 5, 0, NULL);
    np->inner_ok = dj_jacfwd(&G, xi, NULL, J, 6, NULL) == DJ_OK;
    for (int j = 0; j < 5; ++j) {
        double r = 0;
        for (int i = 0; i < 6; ++i)
            r += J[i + 6 * j] * W[i];
        np->inner_ok &= fabs(g[j] - r) <= 1e-14 * (1 + fabs(r));
    }
    np->len_after = dj_rvar_tape_state_.len;
    y[0] = dj_rvar_add(t, dj_rvar_sin(x[0]));
    return 0;
}

static void test_nested_repeated(void)
{
    nest_params np = { -1, 0, 0, 0 };
    dj_function F = { .n = 2, .m = 1, .user = &np, .f_rvar = nest_r };
    double x[2] = { 0.7, -1.3 }, one = 1.0, y, g[2];
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 1, &one, 1, &y, g, 2, 0, NULL), DJ_OK);
    CU_ASSERT_EQUAL(np.inner_rc, DJ_OK);
    CU_ASSERT(np.inner_ok);
    CU_ASSERT_EQUAL(np.len_before, 3);
    CU_ASSERT_EQUAL(np.len_after, 3);
    DJ_ASSERT_CLOSE(g[0], x[1] + cos(x[0]), 1e-15);
    DJ_ASSERT_CLOSE(g[1], x[0], 1e-15);
    CU_ASSERT_EQUAL(dj_rvar_tape_state_.on, 0);

    /* repeated calls give the same bits */
    size_t n = 50, m = 51;
    tfun_params p = { n, 0, 0, 0 };
    dj_function T = { .n = n, .m = m, .user = &p, DJ_FORMS(tfun) };
    double xs[50], W[51 * 3], G0[50 * 3], G1[50 * 3];
    uint64_t seed = 5;
    rand_vec(&seed, n, xs);
    rand_vec(&seed, m * 3, W);
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&T, xs, 3, W, m, NULL, G0, n, 0, NULL), DJ_OK);
    int same = 1;
    for (int r = 0; r < 100; ++r) {
        CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&T, xs, 3, W, m, NULL, G1, n, 0, NULL), DJ_OK);
        same &= memcmp(G0, G1, sizeof G0) == 0;
    }
    CU_ASSERT(same);
}

/* A failing form: its code comes back unchanged, also from a nested call,
 * and the tape is closed afterwards. */
static int outer_fail_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    tfun_params *p = u;
    dj_function G = { .n = p->n, .m = p->n + 1, .user = p, DJ_FORMS(tfun) };
    double xi[3] = { 1, 2, 3 }, W[4] = { 1, 1, 1, 1 }, g[3];
    y[0] = dj_rvar_mul(x[0], x[0]);
    return dj_rvar_vjp_(&G, xi, 1, W, 4, NULL, g, 3, 0, NULL);
}

static void test_callback_stops(void)
{
    double x[3] = { 0.1, 0.2, 0.3 }, W[4] = { 1, 1, 1, 1 }, y[4], g[3];
    const int codes[] = { -42, -1, 3, 1000 };
    for (size_t c = 0; c < sizeof codes / sizeof *codes; ++c) {
        tfun_params p = { 3, 1, 0, codes[c] };
        dj_function F = { .n = 3, .m = 4, .user = &p, DJ_FORMS(tfun) };
        CU_ASSERT_EQUAL(dj_rvar_vjp_(&F, x, 1, W, 4, y, g, 3, 0, NULL), codes[c]);
        CU_ASSERT_EQUAL(p.calls, 1);
        CU_ASSERT_EQUAL(dj_rvar_tape_state_.on, 0);
        CU_ASSERT_PTR_NULL(dj_rvar_tape_state_.nodes);
        p.calls = 0;
        dj_function O = { .n = 1, .m = 1, .user = &p, .f_rvar = outer_fail_r };
        CU_ASSERT_EQUAL(dj_rvar_vjp_(&O, x, 2, W, 1, y, g, 1, 0, NULL), codes[c]);
        CU_ASSERT_PTR_NULL(dj_rvar_tape_state_.nodes);
    }
    /* no reverse form */
    dj_function N = { .n = 3, .m = 4, .f = tfun_real };
    CU_ASSERT_EQUAL(dj_rvar_vjp_(&N, x, 1, W, 4, y, g, 3, 0, NULL), DJ_ENOFORM);
}

/* Allocation failure at every allocation in turn: DJ_ENOMEM, nothing
 * leaked (every allocation freed), and later calls work. The chain makes a
 * tape that grows several times. */
static int fail_after;
static long live_allocs;
static void *counting_malloc(size_t n)
{
    if (fail_after-- <= 0)
        return NULL;
    void *p = malloc(n);
    if (p)
        ++live_allocs;
    return p;
}
static void counting_free(void *p)
{
    if (p)
        --live_allocs;
    free(p);
}

static int chain_r(void *u, const dj_rvar *x, dj_rvar *y)
{
    int len = *(const int *)u;
    dj_rvar t = x[0];
    for (int k = 0; k < len; ++k)
        t = dj_rvar_add(dj_rvar_mul_xd(dj_rvar_sin(t), 0.5), x[1]);
    y[0] = t;
    y[1] = dj_rvar_mul(x[0], x[1]);
    return 0;
}

static void test_enomem(void)
{
    int len = 20000;                 /* 60000 nodes: several doublings */
    dj_function F = { .n = 2, .m = 2, .user = &len, .f_rvar = chain_r };
    double x[2] = { 0.3, 0.2 }, W[2 * 2] = { 1, 0,  0, 1 }, y[2], G[4], R[4];
    CU_ASSERT_EQUAL_FATAL(dj_rvar_vjp_(&F, x, 2, W, 2, y, R, 2, 0, NULL), DJ_OK);
    CU_ASSERT_EQUAL(dj_set_allocator(counting_malloc, counting_free), DJ_OK);
    int k, enomem = 0;
    for (k = 0; k < 100; ++k) {
        fail_after = k;
        live_allocs = 0;
        int rc = dj_rvar_vjp_(&F, x, 2, W, 2, y, G, 2, 0, NULL);
        CU_ASSERT_EQUAL(live_allocs, 0);
        CU_ASSERT_PTR_NULL(dj_rvar_tape_state_.nodes);
        CU_ASSERT_EQUAL(dj_rvar_tape_state_.on, 0);
        if (rc == DJ_OK)
            break;
        CU_ASSERT_EQUAL(rc, DJ_ENOMEM);
        ++enomem;
    }
    CU_ASSERT(k < 100 && enomem >= 4);     /* inputs, tape, growths, adjoints */
    for (int i = 0; i < 4; ++i)
        CU_ASSERT_EQUAL(G[i], R[i]);
    /* the small tfun too, and nested inside a failing allocator */
    tfun_params p = { 10, 0, 0, 0 };
    dj_function T = { .n = 10, .m = 11, .user = &p, DJ_FORMS(tfun) };
    double xt[10] = { 0 }, Wt[11] = { 0 }, gt[10];
    fail_after = 0;
    live_allocs = 0;
    CU_ASSERT_EQUAL(dj_rvar_vjp_(&T, xt, 1, Wt, 11, NULL, gt, 10, 0, NULL), DJ_ENOMEM);
    CU_ASSERT_EQUAL(live_allocs, 0);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, NULL), DJ_OK);
    CU_ASSERT_EQUAL(dj_rvar_vjp_(&T, xt, 1, Wt, 11, NULL, gt, 10, 0, NULL), DJ_OK);
    /* a huge q: the adjoint size overflows, DJ_ENOMEM */
    CU_ASSERT_EQUAL(dj_rvar_vjp_(&T, xt, SIZE_MAX / 4, Wt, 11, NULL, gt, 10, 0, NULL), DJ_ENOMEM);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "unary rules: adjoint == dual tangent", test_unary_rules },
        { "binary rules, all forms: adjoint == dual tangent", test_binary_rules },
        { "fma, every choice of constants", test_fma },
        { "tfun: W^T J == W^T (jacfwd J), q = 1, 3, 8", test_tfun_vjp },
        { "the book's example", test_book },
        { "zero-adjoint convention", test_zero_adjoint },
        { "constants are not recorded", test_constants },
        { "generic spellings on dj_rvar", test_generic },
        { "nested and repeated calls", test_nested_repeated },
        { "a failing form's code comes back", test_callback_stops },
        { "allocation failure", test_enomem },
        { NULL, NULL },
    };
    return dj_test_run("rvar", cases);
}
