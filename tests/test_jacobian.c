/* test_jacobian.c - the forward drivers: Jacobians, JVPs, batched JVPs, the
 * chunk plan, and every error path. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

#include "tfun.h"


static dj_function tfun_function(tfun_params *p)
{
    dj_function F = { .n = p->n, .m = p->n + 1, .user = p, DJ_FORMS(tfun) };
    return F;
}

static const size_t sizes[] = { 1, 2, 7, 8, 9, 16, 31, 33, 63, 64, 65, 100, 130, 200 };
#define NSIZES (sizeof sizes / sizeof *sizes)
static const int widths[] = { 0, 1, 8, 16, 32, 64 };
#define NWIDTHS (sizeof widths / sizeof *widths)

static void rand_vec(uint64_t *s, size_t n, double *x)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = dj_test_rand(s, -2.0, 2.0);
}

/* Every size and width: the Jacobian is exact to rounding (about 1e-15 of
 * the entry: each entry is one or two products), y is the primal, and the
 * rows past m in a leading dimension ldj > m are left alone. */
static void test_jacfwd_exact(void)
{
    uint64_t seed = 42;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s], m = n + 1, ld = m + 3;
        tfun_params p = { n, 0, 0, 0 };
        dj_function F = tfun_function(&p);
        double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y);
        double *y0 = malloc(m * sizeof *y0);
        double *J = malloc(ld * n * sizeof *J), *R = malloc(ld * n * sizeof *R);
        rand_vec(&seed, n, x);
        tfun_jac(n, x, R, ld);
        CU_ASSERT_EQUAL(tfun_real(&p, x, y0), 0);
        for (size_t w = 0; w < NWIDTHS; ++w) {
            dj_jac_opts o = { widths[w], 0, NULL, 0, 0 };
            for (size_t k = 0; k < ld * n; ++k)
                J[k] = -777.0;
            CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, J, ld, &o), DJ_OK);
            for (size_t i = 0; i < m; ++i)
                CU_ASSERT_EQUAL(y[i], y0[i]);
            for (size_t j = 0; j < n; ++j) {
                for (size_t i = 0; i < m; ++i)
                    DJ_ASSERT_CLOSE(J[i + j * ld], R[i + j * ld], 4 * DBL_EPSILON);
                for (size_t i = m; i < ld; ++i)
                    CU_ASSERT_EQUAL(J[i + j * ld], -777.0);
            }
        }
        free(x); free(y); free(y0); free(J); free(R);
    }
}

/* J V from dj_jvp_batch equals J (from dj_jacfwd) times V, for p below, at
 * and above every chunk width; dj_jvp equals column-by-column. Tolerance:
 * a sum of n products, n eps relative to the sum of magnitudes. */
static void test_jvp_batch(void)
{
    uint64_t seed = 7;
    const size_t ps[] = { 1, 3, 8, 17, 64, 65, 150 };
    for (size_t s = 0; s < NSIZES; s += 3) {
        size_t n = sizes[s], m = n + 1;
        tfun_params par = { n, 0, 0, 0 };
        dj_function F = tfun_function(&par);
        double *x = malloc(n * sizeof *x), *J = malloc(m * n * sizeof *J);
        double *y = malloc(m * sizeof *y), *jv = malloc(m * sizeof *jv);
        rand_vec(&seed, n, x);
        tfun_jac(n, x, J, m);
        for (size_t q = 0; q < sizeof ps / sizeof *ps; ++q) {
            size_t p = ps[q], ldv = n + 2, ldjv = m + 1;
            double *V = malloc(ldv * p * sizeof *V), *JV = malloc(ldjv * p * sizeof *JV);
            rand_vec(&seed, ldv * p, V);
            for (size_t w = 0; w < NWIDTHS; ++w) {
                dj_jac_opts o = { widths[w], 0, NULL, 0, 0 };
                CU_ASSERT_EQUAL_FATAL(dj_jvp_batch(&F, x, p, V, ldv, y, JV, ldjv, &o), DJ_OK);
                for (size_t k = 0; k < p; ++k)
                    for (size_t i = 0; i < m; ++i) {
                        double r = 0, mag = 0;
                        for (size_t j = 0; j < n; ++j) {
                            r += J[i + j * m] * V[j + k * ldv];
                            mag += fabs(J[i + j * m] * V[j + k * ldv]);
                        }
                        CU_ASSERT(fabs(JV[i + k * ldjv] - r) <= 8 * n * DBL_EPSILON * (mag + 1e-300));
                    }
            }
            /* dj_jvp on the first direction */
            CU_ASSERT_EQUAL_FATAL(dj_jvp(&F, x, V, y, jv), DJ_OK);
            for (size_t i = 0; i < m; ++i)
                DJ_ASSERT_CLOSE(jv[i], JV[i], 8 * n * DBL_EPSILON);
            free(V); free(JV);
        }
        free(x); free(J); free(y); free(jv);
    }
}

/* Drivers work with any subset of forms. */
static void test_partial_forms(void)
{
    size_t n = 20, m = 21;
    tfun_params p = { n, 0, 0, 0 };
    double x[20], y[21], y0[21], J[21 * 20], R[21 * 20];
    uint64_t seed = 3;
    rand_vec(&seed, n, x);
    tfun_jac(n, x, R, m);
    tfun_real(&p, x, y0);
    dj_function forms[] = {
        { .n = n, .m = m, .user = &p, .f_dual = tfun_dual },
        { .n = n, .m = m, .user = &p, .f_c8 = tfun_c8 },
        { .n = n, .m = m, .user = &p, .f_c64 = tfun_c64 },
        { .n = n, .m = m, .user = &p, .f_c16 = tfun_c16, .f_c32 = tfun_c32 },
    };
    for (size_t f = 0; f < sizeof forms / sizeof *forms; ++f) {
        CU_ASSERT_EQUAL(dj_eval(&forms[f], x, y), DJ_OK);
        for (size_t i = 0; i < m; ++i)
            CU_ASSERT_EQUAL(y[i], y0[i]);
        CU_ASSERT_EQUAL(dj_jacfwd(&forms[f], x, NULL, J, m, NULL), DJ_OK);
        for (size_t k = 0; k < m * n; ++k)
            DJ_ASSERT_CLOSE(J[k], R[k], 4 * DBL_EPSILON);
    }
    /* primal only: no derivative call can run */
    dj_function Fp = { .n = n, .m = m, .user = &p, .f = tfun_real };
    CU_ASSERT_EQUAL(dj_eval(&Fp, x, y), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacfwd(&Fp, x, y, J, m, NULL), DJ_ENOFORM);
    CU_ASSERT_EQUAL(dj_jvp(&Fp, x, x, y, y), DJ_ENOFORM);
    dj_function F0 = { .n = n, .m = m };
    CU_ASSERT_EQUAL(dj_eval(&F0, x, y), DJ_ENOFORM);
}

static void test_plan(void)
{
    tfun_params p = { 4, 0, 0, 0 };
    dj_function F = tfun_function(&p);
    F.chunk_hint = 64;              /* the pure heuristic: every width allowed */
    dj_chunk_plan pl;
    struct { size_t p; int maxc, w, last; size_t passes; } cases[] = {
        { 1, 0, 64, 8, 1 },     { 8, 0, 64, 8, 1 },     { 9, 0, 64, 16, 1 },
        { 33, 0, 64, 64, 1 },   { 64, 0, 64, 64, 1 },   { 65, 0, 64, 8, 2 },
        { 130, 0, 64, 8, 3 },   { 200, 0, 64, 8, 4 },   { 100, 16, 16, 8, 7 },
        { 40, 32, 32, 8, 2 },   { 3, 1, 1, 1, 3 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; ++c) {
        dj_jac_opts o = { 0, cases[c].maxc, NULL, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(&F, cases[c].p, &o, &pl), DJ_OK);
        CU_ASSERT_EQUAL(pl.width, cases[c].w);
        CU_ASSERT_EQUAL(pl.last_width, cases[c].last);
        CU_ASSERT_EQUAL(pl.passes, cases[c].passes);
    }
    /* forced width */
    dj_jac_opts o = { 16, 0, NULL, 0, 0 };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 40, &o, &pl), DJ_OK);
    CU_ASSERT(pl.width == 16 && pl.last_width == 16 && pl.passes == 3);
    /* only some forms: the widest given, then the narrowest that fits */
    dj_function G = { .n = 4, .m = 5, .user = &p, .f_c8 = tfun_c8, .f_c32 = tfun_c32,
                      .chunk_hint = 64 };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&G, 70, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 32 && pl.last_width == 8 && pl.passes == 3);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&G, 20, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 32 && pl.last_width == 32 && pl.passes == 1);
    dj_function D = { .n = 4, .m = 5, .user = &p, .f_dual = tfun_dual };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&D, 5, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 1 && pl.last_width == 1 && pl.passes == 5);
    /* the hint caps the width; below every given form, the narrowest */
    F.chunk_hint = 16;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 40, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 16 && pl.last_width == 8 && pl.passes == 3);
    F.chunk_hint = 4;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 40, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 8 && pl.last_width == 8 && pl.passes == 5);
    dj_function H = { .n = 4, .m = 5, .user = &p, .f_c32 = tfun_c32, .chunk_hint = 16 };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&H, 40, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 32 && pl.passes == 2);
    /* DJ_FORMS records the translation unit's hint; 0 means the library's */
    CU_ASSERT_EQUAL(tfun_function(&p).chunk_hint, DJ_CHUNK_HINT);
    F.chunk_hint = 0;
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 200, NULL, &pl), DJ_OK);
    CU_ASSERT_EQUAL(pl.width, DJ_CHUNK_HINT);
    /* errors */
    CU_ASSERT_EQUAL(dj_chunk_plan_make(NULL, 5, NULL, &pl), DJ_EARG);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 5, NULL, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 0, NULL, &pl), DJ_EDIM);
    dj_jac_opts bad = { 7, 0, NULL, 0, 0 };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, 5, &bad, &pl), DJ_EARG);
    dj_jac_opts missing = { 16, 0, NULL, 0, 0 };
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&G, 5, &missing, &pl), DJ_ENOFORM);
}

static void test_bad_arguments(void)
{
    tfun_params p = { 3, 0, 0, 0 };
    dj_function F = tfun_function(&p);
    double x[3] = { 1, 2, 3 }, y[4], J[4 * 3], V[3 * 2], JV[4 * 2];
    for (size_t k = 0; k < 6; ++k)
        V[k] = 1.0;
    CU_ASSERT_EQUAL(dj_jacfwd(NULL, x, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, NULL, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp(NULL, x, x, y, y), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, NULL, y, y), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, x, y, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_eval(&F, x, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_eval(&F, NULL, y), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, NULL, 3, y, JV, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, V, 3, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 0, V, 3, y, JV, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, V, 2, y, JV, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, V, 3, y, JV, 3, NULL), DJ_EDIM);
    dj_jac_opts bad = { 5, 0, NULL, 0, 0 };
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, V, 3, y, JV, 4, &bad), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 4, &bad), DJ_EARG);
    /* zero and overflowing sizes */
    dj_function Z = F;
    Z.n = 0;
    CU_ASSERT_EQUAL(dj_jacfwd(&Z, x, y, J, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_eval(&Z, x, y), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp(&Z, x, x, y, y), DJ_EDIM);
    Z = F;
    Z.m = 0;
    CU_ASSERT_EQUAL(dj_jacfwd(&Z, x, y, J, 4, NULL), DJ_EDIM);
    Z = F;
    Z.n = SIZE_MAX / 16;
    CU_ASSERT_EQUAL(dj_jacfwd(&Z, x, y, J, 4, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jvp(&Z, x, x, y, y), DJ_EDIM);
    Z = F;
    Z.m = SIZE_MAX - 2;
    CU_ASSERT_EQUAL(dj_jacfwd(&Z, x, y, J, SIZE_MAX, NULL), DJ_EDIM);
    /* dj_jacobian in its steady state (F's last run chosen forward, one
       pass: the key is checked once, F's sizes not again), the arguments
       still are; a good call after the bad ones gives the same J */
    double J0[4 * 3];
    for (int k = 0; k < 3; ++k)
        CU_ASSERT_EQUAL_FATAL(dj_jacobian(&F, x, y, J0, 4, NULL), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacobian(&F, NULL, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, NULL, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 3, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, SIZE_MAX, NULL), DJ_EDIM);
    CU_ASSERT_EQUAL(dj_jacobian(NULL, x, y, J, 4, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 4, NULL), DJ_OK);
    CU_ASSERT_EQUAL(memcmp(J, J0, sizeof J0), 0);
}

/* A failing form stops the driver on the pass where it fails, and its code
 * comes back unchanged. */
static void test_callback_stops(void)
{
    double x[70], y[71], *J = malloc(71 * 70 * sizeof *J);
    for (int k = 0; k < 70; ++k)
        x[k] = 0.01 * k;
    for (int at = 1; at <= 3; ++at) {
        tfun_params p = { 70, at, 0, -42 };
        dj_function F = tfun_function(&p);
        dj_jac_opts o = { 32, 0, NULL, 0, 0 };     /* 3 passes */
        CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 71, &o), -42);
        CU_ASSERT_EQUAL(p.calls, at);
    }
    tfun_params p = { 70, 1, 0, -7 };
    dj_function F = tfun_function(&p);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, x, y, y), -7);
    p.calls = 0;
    CU_ASSERT_EQUAL(dj_eval(&F, x, y), -7);
    p.calls = 0;
    p.fail_code = 3;               /* a positive code also comes back */
    double V[140];
    for (int k = 0; k < 140; ++k)
        V[k] = 1.0;
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 2, V, 70, y, J, 71, NULL), 3);
    free(J);
}

/* The thread's workspace keeps the seeded inputs between runs: repeated
 * Jacobians at new points, with runs of other kinds (dj_jvp_batch, dj_eval,
 * another width, another function of the same size, a failing form) in
 * between, each exact at its own point. */
static void check_tfun_jac(dj_function *F, const double *x, const dj_jac_opts *o)
{
    size_t n = F->n, m = n + 1;
    double *J = malloc(m * n * sizeof *J), *R = malloc(m * n * sizeof *R);
    double *y = malloc(m * sizeof *y), *y0 = malloc(m * sizeof *y0);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(F, x, y, J, m, o), DJ_OK);
    tfun_jac(n, x, R, m);
    CU_ASSERT_EQUAL(tfun_real(F->user, x, y0), 0);
    for (size_t i = 0; i < m; ++i)
        CU_ASSERT_EQUAL(y[i], y0[i]);
    for (size_t k = 0; k < m * n; ++k)
        DJ_ASSERT_CLOSE(J[k], R[k], 4 * DBL_EPSILON);
    free(J); free(R); free(y); free(y0);
}

static void test_repeated_runs(void)
{
    static const size_t ns[] = { 1, 7, 9, 16, 24, 31, 33 };
    static const int ws[] = { 0, 8, 16, 32 };
    uint64_t seed = 99;
    double x[3][33], V[33 * 2], JV[34 * 33], y[34];
    for (size_t s = 0; s < sizeof ns / sizeof *ns; ++s)
        for (size_t w = 0; w < sizeof ws / sizeof *ws; ++w) {
            size_t n = ns[s];
            tfun_params p = { n, 0, 0, 0 }, q = { n, 0, 0, 0 };
            dj_function F = tfun_function(&p), G = tfun_function(&q);
            dj_jac_opts o = { ws[w], 0, NULL, 0, 0 };
            for (int k = 0; k < 3; ++k)
                rand_vec(&seed, n, x[k]);
            rand_vec(&seed, 2 * n, V);
            check_tfun_jac(&F, x[0], &o);
            check_tfun_jac(&F, x[1], &o);
            check_tfun_jac(&G, x[2], &o);       /* another function */
            CU_ASSERT_EQUAL(dj_jvp_batch(&F, x[0], 2, V, n, y, JV, n + 1, &o), DJ_OK);
            check_tfun_jac(&F, x[1], &o);
            CU_ASSERT_EQUAL(dj_eval(&F, x[0], y), DJ_OK);
            check_tfun_jac(&F, x[2], &o);
            dj_jac_opts narrow = { 8, 0, NULL, 0, 0 };
            check_tfun_jac(&F, x[0], &narrow);  /* another width */
            check_tfun_jac(&F, x[1], &o);
            p.fail_at = 1;                      /* a run that stops */
            p.fail_code = -5;
            p.calls = 0;
            CU_ASSERT_EQUAL(dj_jacfwd(&F, x[2], y, JV, n + 1, &o), -5);
            p.fail_at = 0;
            check_tfun_jac(&F, x[0], &o);
        }
}

/* A form that calls a driver (the workspace is in use, and the memo of
 * libm results is recording, replaying or sharing sin and cos): its chunk
 * form takes the Jacobian of tfun (n = 3, one pass, sin inside) at a point
 * made of its first inputs' values, and returns y_i = J_00 sin(x_i) (the
 * inner Jacobian is a constant factor): J = diag(J_00 cos(x_i)). */
typedef struct nested_ctx {
    dj_function inner;
    size_t n;
    double J00;
} nested_ctx;

static int nested_c8(void *user, const dj_c8 *x, dj_c8 *y)
{
    nested_ctx *c = user;
    double xi[3] = { x[0].v, x[1].v, x[2].v }, yi[4], Ji[12];
    int rc = dj_jacfwd(&c->inner, xi, yi, Ji, 4, NULL);
    if (rc != DJ_OK)
        return -1;
    c->J00 = Ji[0];
    for (size_t i = 0; i < c->n; ++i)
        y[i] = dj_c8_mul_dx(Ji[0], dj_c8_sin(x[i]));
    return 0;
}

static void test_nested_driver(void)
{
    enum { NN = 20 };
    tfun_params p = { 3, 0, 0, 0 };
    nested_ctx c = { tfun_function(&p), NN, 0.0 };
    dj_function F = { .n = NN, .m = NN, .user = &c, .f_c8 = nested_c8 };
    double x[NN], y[NN], J[NN * NN], R[12];
    for (int i = 0; i < NN; ++i)
        x[i] = 0.1 * i - 0.7;
    for (int rep = 0; rep < 3; ++rep) {        /* 3 passes of 8 lanes */
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, J, NN, NULL), DJ_OK);
        tfun_jac(3, x, R, 4);
        DJ_ASSERT_CLOSE(c.J00, R[0], 4 * DBL_EPSILON);
        for (int j = 0; j < NN; ++j) {
            CU_ASSERT_EQUAL(y[j], c.J00 * sin(x[j]));
            for (int i = 0; i < NN; ++i)
                CU_ASSERT_EQUAL(J[i + NN * j], i == j ? c.J00 * cos(x[j]) : 0.0);
        }
        x[0] += 0.25;
    }
    /* one outer pass (m = n = 3 here): the outer run shares sin and cos too */
    c.n = 3;
    F.n = F.m = 3;
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, J, 3, NULL), DJ_OK);
    for (int j = 0; j < 3; ++j)
        for (int i = 0; i < 3; ++i)
            CU_ASSERT_EQUAL(J[i + 3 * j], i == j ? c.J00 * cos(x[j]) : 0.0);
}

/* Width tuning: tfun's forms, counting the runs of each width. */
typedef struct count_ctx {
    tfun_params p;
    int calls[65];
    int slow_below;     /* forms narrower than this also spin for a while */
} count_ctx;
#define COUNTING_FORM(N)                                                      \
    static int count_c##N(void *user, const dj_c##N *x, dj_c##N *y)           \
    {                                                                         \
        count_ctx *c = user;                                                  \
        c->calls[N]++;                                                        \
        if (N < c->slow_below)                                                \
            for (volatile int i = 0; i < 20000; ++i)                          \
                ;                                                             \
        return tfun_c##N(&c->p, x, y);                                        \
    }
COUNTING_FORM(8)
COUNTING_FORM(16)
COUNTING_FORM(32)
COUNTING_FORM(64)

/* The tuning of F (W its default width; forms counting into c) by 40
 * Jacobians (dj_jacobian when autom, else dj_jacfwd) into J: runs
 * alternate between W, W/2 and 2W (where given), and the Jacobian is J0
 * bit for bit; then only the width dj_chunk_plan_make reports runs. */
static void tuned_runs(const dj_function *F, count_ctx *c, int W, int autom, const double *x,
                       double *y, double *J, const double *J0)
{
    size_t m = F->m, bytes = F->m * F->n * sizeof *J;
    for (int r = 0; r < 40; ++r) {
        CU_ASSERT_EQUAL_FATAL(autom ? dj_jacobian(F, x, y, J, m, NULL)
                                    : dj_jacfwd(F, x, y, J, m, NULL), DJ_OK);
        CU_ASSERT(memcmp(J, J0, bytes) == 0);
    }
    CU_ASSERT(c->calls[W] > 0 && c->calls[W / 2] > 0 && (W == 64 || c->calls[2 * W] > 0));
    dj_chunk_plan tuned;
    CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(F, F->n, NULL, &tuned), DJ_OK);
    CU_ASSERT(tuned.width == W || tuned.width == W / 2 || tuned.width == 2 * W);
    memset(c->calls, 0, sizeof c->calls);
    for (int r = 0; r < 5; ++r)
        CU_ASSERT_EQUAL(autom ? dj_jacobian(F, x, y, J, m, NULL)
                              : dj_jacfwd(F, x, y, J, m, NULL), DJ_OK);
    CU_ASSERT_EQUAL(c->calls[tuned.width], 5 * (int)tuned.passes);
    CU_ASSERT_EQUAL(c->calls[8] + c->calls[16] + c->calls[32] + c->calls[64],
                    5 * (int)tuned.passes);
    CU_ASSERT(memcmp(J, J0, bytes) == 0);
}

static void test_width_tuning(void)
{
    enum { N = 64, M = N + 1 };
    static count_ctx c;
    memset(&c, 0, sizeof c);
    c.p.n = N;
    dj_function F = { .n = N, .m = M, .user = &c, .f_c8 = count_c8, .f_c16 = count_c16,
                      .f_c32 = count_c32, .f_c64 = count_c64, .chunk_hint = DJ_CHUNK_HINT };
    dj_chunk_plan def, pl;
    CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(&F, N, NULL, &def), DJ_OK);
    int W = def.width;
    CU_ASSERT_FATAL(def.passes >= 2 && W >= 16);
    static double x[N], y[M], J[M * N], J0[M * N], R[M * N];
    uint64_t seed = 7;
    rand_vec(&seed, N, x);
    tfun_jac(N, x, R, M);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, J0, M, NULL), DJ_OK);
    for (size_t k = 0; k < (size_t)M * N; ++k)
        DJ_ASSERT_CLOSE(J0[k], R[k], 1e-13 * (1.0 + fabs(R[k])));
    tuned_runs(&F, &c, W, 0, x, y, J, J0);
    /* a width or a cap in the options is not tuned */
    dj_jac_opts forced = { W, 0, NULL, 0, 0 }, capped = { 0, W, NULL, 0, 0 };
    memset(c.calls, 0, sizeof c.calls);
    for (int r = 0; r < 20; ++r)
        CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, M, &capped), DJ_OK);
    CU_ASSERT_EQUAL(c.calls[W], 20 * (int)def.passes);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, N, &capped, &pl), DJ_OK);
    CU_ASSERT(pl.width == W && pl.passes == def.passes);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, N, &forced, &pl), DJ_OK);
    CU_ASSERT(pl.width == W);
    /* dj_jacobian (a reverse form too, so the automatic choice makes the
       plan, and chooses forward) tunes a new user's function the same way,
       then runs only the tuned width (it passes its plan on only once that
       plan is final) */
    static count_ctx c3;
    c3 = c;
    memset(c3.calls, 0, sizeof c3.calls);
    dj_function G = F;
    G.user = &c3;               /* p is c3's first member: tfun_rvar's user */
    G.f_rvar = tfun_rvar;
    CU_ASSERT_EQUAL_FATAL(dj_jacobian_mode(&G, NULL), DJ_JAC_FORWARD);
    tuned_runs(&G, &c3, W, 1, x, y, J, J0);
    /* another function (other sizes: two passes of W) starts untuned: the
       default width first, then the tuning runs all three widths again (a
       key that matched the first function would run only its tuned width);
       narrower forms made slow, the one-pass width 2W wins */
    if (W == 64)
        return;
    size_t n2 = (size_t)W + 8, m2 = n2 + 1;
    F.n = c.p.n = n2;
    F.m = m2;
    c.slow_below = 2 * W;
    CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(&F, n2, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == W && pl.passes == 2);
    tfun_jac(n2, x, R, m2);
    memset(c.calls, 0, sizeof c.calls);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, J0, m2, NULL), DJ_OK);
    for (size_t k = 0; k < m2 * n2; ++k)
        DJ_ASSERT_CLOSE(J0[k], R[k], 1e-13 * (1.0 + fabs(R[k])));
    tuned_runs(&F, &c, W, 0, x, y, J, J0);
    CU_ASSERT_EQUAL(dj_chunk_plan_make(&F, n2, NULL, &pl), DJ_OK);
    CU_ASSERT(pl.width == 2 * W && pl.passes == 1);
    /* the same function with another user pointer is tuned anew too, though
       its last runs (one pass) took the hot path (which must not skip it) */
    static count_ctx c2;
    c2 = c;
    F.user = &c2;
    memset(c2.calls, 0, sizeof c2.calls);
    tuned_runs(&F, &c2, W, 0, x, y, J, J0);
}

static int fail_after;
static void *failing_malloc(size_t n)
{
    if (fail_after-- <= 0)
        return NULL;
    return malloc(n);
}

static void test_enomem(void)
{
    /* small: one pass keeps its values in the thread's workspace, which
       exists after a first run: then it allocates nothing, and succeeds
       with every allocation failing */
    tfun_params p = { 10, 0, 0, 0 };
    dj_function F = tfun_function(&p);
    double x[10] = { 0 }, y[11], J[110];
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 11, NULL), DJ_OK);
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_set_allocator(failing_malloc, free), DJ_OK);
    CU_ASSERT_EQUAL(dj_jvp(&F, x, x, y, y), DJ_OK);
    CU_ASSERT_EQUAL(dj_jvp_batch(&F, x, 1, x, 10, y, J, 11, NULL), DJ_OK);
    dj_function G = { .n = 10, .m = 11, .user = &p, .f_c8 = tfun_c8 };
    CU_ASSERT_EQUAL(dj_eval(&G, x, y), DJ_OK);
    /* without the workspace, a run must allocate it: DJ_ENOMEM */
    dj_workspace_release();
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 11, NULL), DJ_ENOMEM);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, NULL), DJ_OK);
    /* large: the values are allocated, and a failure is DJ_ENOMEM */
    enum { LN = 1000 };
    tfun_params q = { LN, 0, 0, 0 };
    dj_function L = tfun_function(&q);
    double *xl = calloc(LN, sizeof *xl), *yl = calloc(LN + 1, sizeof *yl);
    double *Jl = calloc((size_t)LN * (LN + 1), sizeof *Jl);
    CU_ASSERT_FATAL(xl != NULL && yl != NULL && Jl != NULL);
    CU_ASSERT_EQUAL(dj_set_allocator(failing_malloc, free), DJ_OK);
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_jacfwd(&L, xl, yl, Jl, LN + 1, NULL), DJ_ENOMEM);
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_jvp(&L, xl, xl, yl, yl), DJ_ENOMEM);
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_jvp_batch(&L, xl, 1, xl, LN, yl, Jl, LN + 1, NULL), DJ_ENOMEM);
    dj_function H = { .n = LN, .m = LN + 1, .user = &q, .f_c8 = tfun_c8 };
    fail_after = 0;
    CU_ASSERT_EQUAL(dj_eval(&H, xl, yl), DJ_ENOMEM);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, NULL), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacfwd(&L, xl, yl, Jl, LN + 1, NULL), DJ_OK);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 11, NULL), DJ_OK);
    free(xl);
    free(yl);
    free(Jl);
}

/* The steady state of a repeated one-pass Jacobian (the forward driver's
 * hot path: a function called again with the default options only writes
 * the new values and makes its pass; and
 * dj_jacobian's choice of mode, kept for it). The function: y_i = x_i
 * x_{(i+1) mod n} + a x_i (i < min(n, m)), then m - n outputs y_{n+r} =
 * (r + 1) |x|^2; its forms count their runs per width (2: reverse). Every run
 * is checked at a new point, with what the hot path must notice in
 * between: dj_jacobian and dj_jacfwd in turn, another `user`, a field of
 * the same dj_function changed (chunk_hint, n, m), another function of the
 * same size at another width, a run that regrows the workspace, its
 * release, and a failing run. */
typedef struct poly_params {
    size_t n, m;
    double a;
    int fail;
    int calls[65];
} poly_params;
#define POLY_FORM(T, SFX, W)                                                  \
    static int poly_##SFX(void *user, const T *x, T *y)                       \
    {                                                                         \
        poly_params *p = user;                                                \
        p->calls[W]++;                                                        \
        if (p->fail)                                                          \
            return p->fail;                                                   \
        T s = dj_const(T, 0.0);                                               \
        for (size_t i = 0; i < p->n; ++i) {                                   \
            if (i < p->m)                                                     \
                y[i] = dj_add(dj_mul(x[i], x[(i + 1) % p->n]), dj_mul(p->a, x[i])); \
            s = dj_add(s, dj_mul(x[i], x[i]));                                \
        }                                                                     \
        for (size_t r = 0; r + p->n < p->m; ++r)                              \
            y[p->n + r] = dj_mul((double)(r + 1), s);                         \
        return 0;                                                             \
    }
POLY_FORM(double, real, 0)
POLY_FORM(dj_dual, dual, 1)
POLY_FORM(dj_c8, c8, 8)
POLY_FORM(dj_c16, c16, 16)
POLY_FORM(dj_c32, c32, 32)
POLY_FORM(dj_c64, c64, 64)
POLY_FORM(dj_rvar, rvar, 2)

static dj_function poly_function(poly_params *p)
{
    dj_function F = { .n = p->n, .m = p->m, .user = p, .f = poly_real, .f_dual = poly_dual,
                      .f_c8 = poly_c8, .f_c16 = poly_c16, .f_c32 = poly_c32,
                      .f_c64 = poly_c64, .f_rvar = poly_rvar, .chunk_hint = 32 };
    return F;
}

/* One Jacobian of F (p its parameters) at a new point from *seed, by
 * dj_jacobian or dj_jacfwd, checked against the hand-made one. */
static void check_poly(dj_function *F, uint64_t *seed, int by_jacobian)
{
    const poly_params *p = F->user;
    size_t n = F->n, m = F->m;
    double x[64], y[80], J[80 * 64], R[80 * 64];
    rand_vec(seed, n, x);
    int rc = by_jacobian ? dj_jacobian(F, x, y, J, m, NULL) : dj_jacfwd(F, x, y, J, m, NULL);
    CU_ASSERT_EQUAL_FATAL(rc, DJ_OK);
    double s = 0.0;
    for (size_t k = 0; k < m * n; ++k)
        R[k] = 0.0;
    for (size_t i = 0; i < n; ++i) {
        size_t k = (i + 1) % n;
        s += x[i] * x[i];
        if (i >= m)
            continue;
        DJ_ASSERT_CLOSE(y[i], x[i] * x[k] + p->a * x[i], 4 * DBL_EPSILON);
        R[i + i * m] += x[k] + p->a;
        R[i + k * m] += x[i];
    }
    for (size_t r = 0; r + n < m; ++r) {
        DJ_ASSERT_CLOSE(y[n + r], (double)(r + 1) * s, 64 * DBL_EPSILON);
        for (size_t j = 0; j < n; ++j)
            R[n + r + j * m] = (double)(r + 1) * 2.0 * x[j];
    }
    for (size_t k = 0; k < m * n; ++k)
        DJ_ASSERT_CLOSE(J[k], R[k], 4 * DBL_EPSILON);
}

static void test_hot_runs(void)
{
    uint64_t seed = 7;
    dj_workspace_release();                /* from its smallest size */
    poly_params p = { 16, 17, 0.5, 0, { 0 } }, q = { 16, 17, -3.0, 0, { 0 } };
    dj_function F = poly_function(&p), G = poly_function(&q);
    for (int k = 0; k < 200; ++k)         /* past the memo's 64-run check */
        check_poly(&F, &seed, k % 2);
    CU_ASSERT_EQUAL(p.calls[16], 200);     /* one pass of 16 lanes each */
    F.user = &q;                           /* another user (not the hot path:
                                              test_width_tuning checks that) */
    check_poly(&F, &seed, 0);
    CU_ASSERT_EQUAL(q.calls[16], 1);
    F.user = &p;
    check_poly(&F, &seed, 1);
    F.chunk_hint = 8;                      /* now two passes of 8 lanes */
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[8], 4);
    CU_ASSERT_EQUAL(p.calls[16], 201);
    F.chunk_hint = 32;
    check_poly(&F, &seed, 0);
    p.n = F.n = 12;                        /* fewer inputs, same struct */
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    p.m = F.m = 80;                        /* more outputs */
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[16], 206);
    G.n = q.n = 12;                        /* another function, other width */
    G.m = q.m = 80;
    dj_jac_opts wide = { 32, 0, NULL, 0, 0 };
    double x[64], y[80], J[80 * 64];
    rand_vec(&seed, 12, x);
    CU_ASSERT_EQUAL(dj_jacfwd(&G, x, y, J, 80, &wide), DJ_OK);
    CU_ASSERT_EQUAL(q.calls[32], 1);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[16], 207);
    poly_params big = { 64, 80, 1.0, 0, { 0 } };   /* regrows the workspace */
    dj_function B = poly_function(&big);
    check_poly(&B, &seed, 0);
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    dj_workspace_release();
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    p.fail = -9;                           /* a failing run: NaN outputs */
    rand_vec(&seed, 12, x);
    CU_ASSERT_EQUAL(dj_jacfwd(&F, x, y, J, 80, NULL), -9);
    CU_ASSERT(isnan(y[0]) && isnan(y[79]) && isnan(J[0]) && isnan(J[80 * 12 - 1]));
    p.fail = 0;
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[16], 214);
    CU_ASSERT_EQUAL(p.calls[2], 0);        /* so far dj_jacobian chose forward */
    /* one output (n = 40, one pass of 64 lanes): dj_jacobian chooses
       reverse mode, also after forward runs made the function the hot one;
       and forward again with m back */
    p.n = F.n = 40;
    p.m = F.m = 1;
    F.chunk_hint = 64;
    check_poly(&F, &seed, 0);
    check_poly(&F, &seed, 0);
    CU_ASSERT_EQUAL(p.calls[64], 2);
    check_poly(&F, &seed, 1);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[64], 2);
    CU_ASSERT_EQUAL(p.calls[2], 2);
    p.m = F.m = 41;
    check_poly(&F, &seed, 1);
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[64], 4);
    CU_ASSERT_EQUAL(p.calls[2], 2);
    F.f_rvar = NULL;                       /* the forms changed: decided anew */
    p.m = F.m = 1;
    check_poly(&F, &seed, 1);              /* forward: the only mode left */
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[64], 6);
    F.f_rvar = poly_rvar;                  /* reverse again */
    check_poly(&F, &seed, 1);
    CU_ASSERT_EQUAL(p.calls[64], 6);
    CU_ASSERT_EQUAL(p.calls[2], 3);
}

/* Width tuning of a function the hot path takes (tfun, whose sin the
 * memo replays, is tuned in test_width_tuning): a
 * tuning run at the width that makes one pass (64 lanes, n = 64) must not
 * end the tuning; each candidate runs its 8 runs, then only the width
 * dj_chunk_plan_make reports. */
static void test_hot_tuning(void)
{
    poly_params p = { 64, 65, 0.25, 0, { 0 } };
    dj_function F = poly_function(&p);
    dj_chunk_plan def, tuned;
    CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(&F, 64, NULL, &def), DJ_OK);
    CU_ASSERT_FATAL(def.width == 32 && def.passes == 2);
    static double x[64], y[65], J[65 * 64], J0[65 * 64];
    uint64_t seed = 3;
    rand_vec(&seed, 64, x);
    for (int r = 0; r < 24; ++r) {
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, y, r ? J : J0, 65, NULL), DJ_OK);
        CU_ASSERT(r == 0 || memcmp(J, J0, sizeof J) == 0);
    }
    CU_ASSERT_EQUAL(p.calls[32], 8 * 2);
    CU_ASSERT_EQUAL(p.calls[16], 8 * 4);
    CU_ASSERT_EQUAL(p.calls[64], 8 * 1);
    CU_ASSERT_EQUAL_FATAL(dj_chunk_plan_make(&F, 64, NULL, &tuned), DJ_OK);
    memset(p.calls, 0, sizeof p.calls);
    for (int r = 0; r < 5; ++r)
        CU_ASSERT_EQUAL(dj_jacobian(&F, x, y, J, 65, NULL), DJ_OK);
    CU_ASSERT_EQUAL(p.calls[tuned.width], 5 * (int)tuned.passes);
    CU_ASSERT_EQUAL(p.calls[8] + p.calls[16] + p.calls[32] + p.calls[64],
                    5 * (int)tuned.passes);
    CU_ASSERT(memcmp(J, J0, sizeof J) == 0);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "jacfwd exact, every size and width", test_jacfwd_exact },
        { "jvp_batch equals J V", test_jvp_batch },
        { "any subset of forms", test_partial_forms },
        { "chunk plan heuristic", test_plan },
        { "bad arguments", test_bad_arguments },
        { "a failing callback stops the driver", test_callback_stops },
        { "allocation failure", test_enomem },
        { "repeated runs reuse the seeded inputs", test_repeated_runs },
        { "a form that calls a driver", test_nested_driver },
        { "the width is tuned by timing, results unchanged", test_width_tuning },
        { "a repeated one-pass Jacobian (the hot path)", test_hot_runs },
        { "width tuning of a function the hot path takes", test_hot_tuning },
        { NULL, NULL },
    };
    return dj_test_run("jacobian", cases);
}
