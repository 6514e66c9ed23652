/* test_linalg.c - the LU, triangular and Cholesky operations of linalg.h:
 * inv, solve, trisolve, det, logdet, chol, cholsolve. Every forward rule
 * against finite differences and one-direction runs (mat_check.h) for
 * several shapes, p in {1, 3, 8, 17}, both inputs varying and each one
 * constant; every error path; properties (A A^-1 = I with its tangents,
 * solve = inv B, logdet = log|det|, det at singular matrices). */
#include "mat_check.h"
#include "linalg_ops.h"

static const size_t ps[] = { 1, 3, 8, 17 };
#define NPS (sizeof ps / sizeof *ps)
static const size_t sizes[] = { 1, 2, 5, 17, 64 };
#define NSIZES (sizeof sizes / sizeof *sizes)

/* ---- forward rules vs finite differences and one-direction runs ----------------- */

static int check1(const char *name, mc_prog f, void *u, size_t n, const double *a, int kind,
                  uint64_t seed, double fd_tol)
{
    int fails = 0;
    mc_input in[1] = { { n, n, a, kind } };
    for (size_t q = 0; q < NPS; ++q) {
        int fq = mat_check(name, f, u, 1, in, ps[q], seed + q, fd_tol, 1e-13);
        if (fq)
            fprintf(stderr, "\n  %s n=%zu p=%zu: %d failures\n", name, n, ps[q], fq);
        fails += fq;
    }
    return fails;
}

static int check1x(const char *name, mc_prog f, size_t n, const double *a, int kind,
                   uint64_t seed, double exact_tol)
{
    int fails = 0;
    mc_input in[1] = { { n, n, a, kind } };
    for (size_t q = 0; q < NPS; ++q) {
        int fq = mat_check(name, f, NULL, 1, in, ps[q], seed + q, 1e-6, exact_tol);
        if (fq)
            fprintf(stderr, "\n  %s n=%zu p=%zu: %d failures\n", name, n, ps[q], fq);
        fails += fq;
    }
    return fails;
}

static void test_inv(void)
{
    uint64_t seed = 101;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 0);
        CU_ASSERT_EQUAL(check1("inv", p_inv, NULL, n, a, MC_GENERAL, seed, 1e-6), 0);
        CU_ASSERT_EQUAL(check1("inv const", p_inv, NULL, n, a, MC_CONST, seed, 1e-6), 0);
        free(a);
    }
}

static void test_det_logdet(void)
{
    uint64_t seed = 202;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        wellcond_negdet(&seed, a, n);   /* a negative determinant too */
        /* the tangent is one n^2-term sum <G, dA_k> whose terms cancel (G is
           about I/n, so for n = 64 the sum of |terms| is ~1e4 times the
           result in some directions); BLAS sums in a different order for
           p = 8 than for p = 1, so batched vs alone agree to cond * eps:
           1e-11 at n = 64, the usual 1e-13 below */
        double ex = n >= 64 ? 1e-11 : 1e-13;
        CU_ASSERT_EQUAL(check1x("det", p_det, n, a, MC_GENERAL, seed, ex), 0);
        CU_ASSERT_EQUAL(check1x("logdet", p_logdet, n, a, MC_GENERAL, seed, ex), 0);
        CU_ASSERT_EQUAL(check1("det const", p_det, NULL, n, a, MC_CONST, seed, 1e-6), 0);
        free(a);
    }
}

static void test_chol(void)
{
    uint64_t seed = 303;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 1);
        CU_ASSERT_EQUAL(check1("chol", p_chol, NULL, n, a, MC_SYMMETRIC, seed, 1e-6), 0);
        CU_ASSERT_EQUAL(check1("chol const", p_chol, NULL, n, a, MC_CONST, seed, 1e-6), 0);
        free(a);
    }
}

/* A two-input op (A-like first, B second) over sizes, B shapes, kinds, p. */
static void check2(const char *name, mc_prog f, void *u, int spd, int akind, int lower_only,
                   uint64_t seed)
{
    const size_t ns[] = { 1, 5, 17, 64 };
    for (size_t s = 0; s < sizeof ns / sizeof *ns; ++s) {
        size_t n = ns[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, spd);
        if (lower_only)                 /* a Cholesky-like factor: lower, positive diagonal */
            rand_upper(&seed, a, n);
        for (int w = 0; w < 4; ++w) {
            size_t kc = bcols(n, w);
            double *b = malloc(n * kc * sizeof *b);
            mc_rand(&seed, b, n * kc, -1, 1);
            for (int kinds = 0; kinds < 3; ++kinds) {
                mc_input in[2] = { { n, n, a, kinds == 1 ? MC_CONST : akind },
                                   { n, kc, b, kinds == 2 ? MC_CONST : MC_GENERAL } };
                /* every p for the square and column cases, p = 3 and 17 otherwise */
                for (size_t q = 0; q < NPS; ++q) {
                    if ((w == 1 || w == 3) && (ps[q] == 1 || ps[q] == 8))
                        continue;
                    int fq = mat_check(name, f, u, 2, in, ps[q], seed + q, 1e-6, 1e-13);
                    if (fq)
                        fprintf(stderr, "\n  %s n=%zu kc=%zu %s p=%zu: %d failures\n", name,
                                n, kc, kind_name[kinds], ps[q], fq);
                    CU_ASSERT_EQUAL(fq, 0);
                }
            }
            free(b);
        }
        free(a);
    }
}

static void test_solve(void) { check2("solve", p_solve, NULL, 0, MC_GENERAL, 0, 404); }
static void test_cholsolve(void)
{
    check2("cholsolve", p_cholsolve, NULL, 0, MC_LOWER, 1, 505);
    check2("chol+cholsolve", p_chol_solve, NULL, 1, MC_SYMMETRIC, 0, 606);
}

static void test_trisolve(void)
{
    uint64_t seed = 707;
    for (int o = 0; o < 8; ++o) {
        tri_opts opt = { o & 1, (o >> 1) & 1, (o >> 2) & 1 };
        const size_t ns[] = { 1, 5, 17, 64 };
        for (size_t s = 0; s < sizeof ns / sizeof *ns; ++s) {
            size_t n = ns[s];
            double *t = malloc(n * n * sizeof *t);
            tri_test_matrix(&seed, t, n, opt.unit);
            for (int w = 0; w < 4; ++w) {
                if (n == 64 && w == 1)
                    continue;
                size_t kc = bcols(n, w);
                double *b = malloc(n * kc * sizeof *b);
                mc_rand(&seed, b, n * kc, -1, 1);
                for (int kinds = 0; kinds < 3; ++kinds) {
                    mc_input in[2] = {
                        { n, n, t, kinds == 1 ? MC_CONST : (opt.upper ? MC_UPPER : MC_LOWER) },
                        { n, kc, b, kinds == 2 ? MC_CONST : MC_GENERAL } };
                    for (size_t q = 0; q < NPS; ++q) {
                        if (w != 0 && (ps[q] == 1 || ps[q] == 8))
                            continue;
                        int fq = mat_check("trisolve", p_trisolve, &opt, 2, in, ps[q],
                                           seed + q, 1e-6, 1e-13);
                        if (fq)
                            fprintf(stderr, "\n  trisolve upper=%d trans=%d unit=%d n=%zu "
                                    "kc=%zu %s p=%zu: %d failures\n", opt.upper, opt.trans,
                                    opt.unit, n, kc, kind_name[kinds], ps[q], fq);
                        CU_ASSERT_EQUAL(fq, 0);
                    }
                }
                free(b);
            }
            free(t);
        }
    }
}

/* The tangent of T's unused triangle (and of a unit diagonal) is ignored:
 * a full random tangent gives the same result as the masked one. */
static void test_masked_tangents(void)
{
    const size_t n = 6, p = 3, nn = n * n;
    uint64_t seed = 808;
    double t[36], b[12], dt[108], dm[108], a[36], da[108], dal[108];
    mc_rand(&seed, t, nn, -1, 1);
    for (size_t i = 0; i < n; ++i)
        t[i + i * n] = 4.0;
    mc_rand(&seed, b, 12, -1, 1);
    mc_rand(&seed, dt, nn * p, -1, 1);
    for (int o = 0; o < 8; ++o) {
        int upper = o & 1, trans = (o >> 1) & 1, unit = (o >> 2) & 1;
        for (size_t k = 0; k < p; ++k)
            for (size_t j = 0; j < n; ++j)
                for (size_t i = 0; i < n; ++i) {
                    int in = upper ? i <= j : i >= j;
                    if (unit && i == j)
                        in = 0;
                    dm[k * nn + i + j * n] = in ? dt[k * nn + i + j * n] : 0.0;
                }
        dj_ctx *c = dj_ctx_new();
        dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
        dj_mat *B = dj_mat_const(c, n, 2, b, n);
        dj_mat *X1 = dj_mat_trisolve(c, dj_mat_var(c, n, n, t, n, dt, nn), B, upper, trans, unit);
        dj_mat *X2 = dj_mat_trisolve(c, dj_mat_var(c, n, n, t, n, dm, nn), B, upper, trans, unit);
        CU_ASSERT_PTR_NOT_NULL_FATAL(X1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(X2);
        for (size_t i = 0; i < n * 2 * p; ++i)
            CU_ASSERT_EQUAL(X1->tan[i], X2->tan[i]);
        dj_ctx_free(c);
    }
    /* chol reads the lower triangle of A and of dA (symmetric by assumption):
       garbage in the upper triangles changes nothing */
    mc_wellcond(&seed, a, n, 1);
    mc_rand(&seed, da, nn * p, -1, 1);
    memcpy(dal, da, sizeof da);
    for (size_t k = 0; k < p; ++k)
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < j; ++i)
                dal[k * nn + i + j * n] = 1e3;
    double ag[36];
    memcpy(ag, a, sizeof a);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < j; ++i)
            ag[i + j * n] = NAN;
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
    dj_mat *L1 = dj_mat_chol(c, dj_mat_var(c, n, n, a, n, da, nn));
    dj_mat *L2 = dj_mat_chol(c, dj_mat_var(c, n, n, ag, n, dal, nn));
    CU_ASSERT_PTR_NOT_NULL_FATAL(L1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(L2);
    for (size_t i = 0; i < nn; ++i)
        CU_ASSERT_EQUAL(L1->val[i], L2->val[i]);
    for (size_t i = 0; i < nn * p; ++i)
        CU_ASSERT_EQUAL(L1->tan[i], L2->tan[i]);
    /* the upper triangles are exactly zero */
    for (size_t k = 0; k <= p; ++k) {
        const double *m = k == 0 ? L1->val : L1->tan + (k - 1) * nn;
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < j; ++i)
                CU_ASSERT_EQUAL(m[i + j * n], 0.0);
    }
    dj_ctx_free(c);
}

/* ---- det at singular matrices --------------------------------------------------- */

/* d det along each of p random directions, forward vs central differences
 * (det is a polynomial, so differences are exact up to O(h^2) and rounding). */
static void det_singular_case(const char *name, const double *a, size_t n, double expect_zero)
{
    const size_t p = 4;
    uint64_t seed = 909 + n;
    double *dA = malloc(n * n * p * sizeof *dA), *w = malloc(n * n * sizeof *w);
    mc_rand(&seed, dA, n * n * p, -1, 1);
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
    dj_mat *D = dj_mat_det(c, dj_mat_var(c, n, n, a, n, dA, n * n));
    CU_ASSERT_PTR_NOT_NULL_FATAL(D);
    CU_ASSERT_EQUAL(D->val[0], 0.0);
    dj_ctx *cp = dj_ctx_new();
    double tmax = 0;
    for (size_t k = 0; k < p; ++k)
        tmax = fmax(tmax, fabs(D->tan[k]));
    for (size_t k = 0; k < p; ++k) {
        double fds[2];
        for (int hs = 0; hs < 2; ++hs) {
            double h = hs ? 1e-6 : 1e-5, f[2];
            for (int s = 0; s < 2; ++s) {
                for (size_t i = 0; i < n * n; ++i)
                    w[i] = a[i] + (s ? -h : h) * dA[k * n * n + i];
                dj_ctx_reset(cp);
                f[s] = dj_mat_det(cp, dj_mat_const(cp, n, n, w, n))->val[0];
            }
            fds[hs] = (f[0] - f[1]) / (2 * h);
        }
        double fd = fds[0];
        if (expect_zero) {
            /* rank < n-1: the derivative is 0 (central differences are
               O(h^2) there, scaled by the product of the other pivots:
               they must shrink with h) */
            if (D->tan[k] != 0.0)
                fprintf(stderr, "\n  %s: direction %zu: %.17g, expected 0\n", name, k, D->tan[k]);
            CU_ASSERT_EQUAL(D->tan[k], 0.0);
            CU_ASSERT(fabs(fds[1]) <= 0.05 * fabs(fds[0]) + 1e-300);
        } else {
            if (!(fabs(fd - D->tan[k]) <= 1e-7 * fmax(1.0, tmax)))
                fprintf(stderr, "\n  %s: direction %zu: tangent %.15g, differences %.15g\n",
                        name, k, D->tan[k], fd);
            CU_ASSERT(fabs(fd - D->tan[k]) <= 1e-7 * fmax(1.0, tmax));
        }
    }
    CU_ASSERT(expect_zero || tmax > 1e-3);      /* a real test: not all zero */
    dj_ctx_free(cp);
    dj_ctx_free(c);
    free(dA);
    free(w);
}

static void test_det_singular(void)
{
    uint64_t seed = 1001;
    for (size_t s = 0; s < NDET_SINGULAR; ++s) {
        size_t n = det_singular_ns[s];
        double *a = malloc(n * n * sizeof *a);
        det_zero_row(&seed, a, n);
        det_singular_case("det, zero last row", a, n, 0);
        det_zero_column(&seed, a, n);
        det_singular_case("det, zero column", a, n, 0);
        if (n >= 2) {
            det_jordan(a, n);
            det_singular_case("det, Jordan block", a, n, 0);
            /* rank n-1 with two zero pivots after scrambling rows and columns
               that keep the exact zeros: columns 0 and 1 zero except row 0 */
            mc_wellcond(&seed, a, n, 0);
            for (size_t i = 0; i < n; ++i)
                a[i] = a[i + n] = 0;
            a[0 + n] = 3.0;             /* column 1 = 3 e_0: rank n-1 */
            det_singular_case("det, two zero pivots", a, n, 0);
        }
        if (n >= 3) {
            det_rank_n2(&seed, a, n);
            det_singular_case("det, rank n-2", a, n, 1);
        }
        free(a);
    }
    /* rank n-1 with an exactly cancelling pivot: [1 2 3; 2 4 6.5; 1 1 1] has
       rows 1, 2 dependent only in the first two columns; [1 2; 2 4] exact */
    double r1[4] = { 1, 2, 2, 4 };
    det_singular_case("det, [1 2; 2 4]", r1, 2, 0);
    double r2[9] = { 2, 4, 1, 1, 2, 5, 3, 6, 7 };      /* rows 0, 1: 2x */
    det_singular_case("det, integer rank 2", r2, 3, 0);
    /* the batched check of mat_check at a singular point (FD exact enough) */
    double z[16] = { 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 10, 0, 1, 2, 3, 0 };
    mc_input in[1] = { { 4, 4, z, MC_GENERAL } };
    for (size_t q = 0; q < NPS; ++q)
        CU_ASSERT_EQUAL(mat_check("det singular", p_det, NULL, 1, in, ps[q], 17 + q, 1e-6,
                                  1e-13), 0);
}

/* ---- properties ---------------------------------------------------------------- */

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(a[i]));
    return m;
}

static void test_properties(void)
{
    const size_t n = 12, p = 5, nn = n * n, kc = 3;
    uint64_t seed = 1111;
    double *a = malloc(nn * sizeof *a), *da = malloc(nn * p * sizeof *da);
    double *b = malloc(n * kc * sizeof *b), *db = malloc(n * kc * p * sizeof *db);
    mc_wellcond(&seed, a, n, 0);
    mc_rand(&seed, da, nn * p, -1, 1);
    mc_rand(&seed, b, n * kc, -1, 1);
    mc_rand(&seed, db, n * kc * p, -1, 1);
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
    dj_mat *A = dj_mat_var(c, n, n, a, n, da, nn);
    dj_mat *B = dj_mat_var(c, n, kc, b, n, db, n * kc);
    /* A A^-1 = I, and its tangent d(A A^-1) = dA C + A dC = 0 */
    dj_mat *C = dj_mat_inv(c, A);
    dj_mat *I = dj_mat_matmul(c, A, 0, C, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(I);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i)
            CU_ASSERT(fabs(I->val[i + j * n] - (i == j)) < 1e-13);
    CU_ASSERT(max_abs(I->tan, nn * p) < 1e-13 * max_abs(C->tan, nn * p) * (double)n);
    /* solve(A, B) = inv(A) B, tangents too */
    dj_mat *X = dj_mat_solve(c, A, B), *Y = dj_mat_matmul(c, C, 0, B, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(Y);
    for (size_t i = 0; i < n * kc; ++i)
        DJ_ASSERT_CLOSE(X->val[i], Y->val[i], 1e-12);
    for (size_t i = 0; i < n * kc * p; ++i)
        DJ_ASSERT_CLOSE(X->tan[i], Y->tan[i], 1e-11);
    /* logdet = log|det|, sign = sign det; dlogdet = ddet / det */
    double sg = 0;
    dj_mat *D = dj_mat_det(c, A), *L = dj_mat_logdet(c, A, &sg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(L);
    DJ_ASSERT_CLOSE(L->val[0], log(fabs(D->val[0])), 1e-13);
    CU_ASSERT_EQUAL(sg, D->val[0] > 0 ? 1.0 : -1.0);
    for (size_t k = 0; k < p; ++k)
        DJ_ASSERT_CLOSE(L->tan[k], D->tan[k] / D->val[0], 1e-12);
    /* a negative determinant: the sign */
    dj_mat *An = dj_mat_scale(c, A, -1.0);      /* n even: det(-A) = det A */
    dj_mat *Ar = dj_mat_vcat(c, dj_mat_block(c, A, 1, 0, n - 1, n), dj_mat_block(c, A, 0, 0, 1, n));
    dj_mat *Lr = dj_mat_logdet(c, Ar, &sg);     /* a cyclic row shift: (-1)^(n-1) */
    CU_ASSERT_PTR_NOT_NULL_FATAL(Lr);
    CU_ASSERT_EQUAL(sg, D->val[0] > 0 ? -1.0 : 1.0);
    DJ_ASSERT_CLOSE(Lr->val[0], L->val[0], 1e-13);
    DJ_ASSERT_CLOSE(dj_mat_det(c, An)->val[0], D->val[0], 1e-13);
    /* chol: L L^T = S; cholsolve(chol(S), B) = solve(S, B) */
    double *s = malloc(nn * sizeof *s), *ds = malloc(nn * p * sizeof *ds);
    mc_wellcond(&seed, s, n, 1);
    mc_input sin_ = { n, n, s, MC_SYMMETRIC };
    for (size_t k = 0; k < p; ++k)
        mc_direction(&seed, &sin_, ds + k * nn);
    dj_mat *S = dj_mat_var(c, n, n, s, n, ds, nn);
    dj_mat *Lc = dj_mat_chol(c, S);
    dj_mat *LLt = dj_mat_matmul(c, Lc, 0, Lc, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(LLt);
    for (size_t i = 0; i < nn; ++i)
        DJ_ASSERT_CLOSE(LLt->val[i], s[i], 1e-13);
    for (size_t i = 0; i < nn * p; ++i)
        DJ_ASSERT_CLOSE(LLt->tan[i], ds[i], 1e-12);
    dj_mat *X1 = dj_mat_cholsolve(c, Lc, B), *X2 = dj_mat_solve(c, S, B);
    CU_ASSERT_PTR_NOT_NULL_FATAL(X2);
    for (size_t i = 0; i < n * kc; ++i)
        DJ_ASSERT_CLOSE(X1->val[i], X2->val[i], 1e-12);
    for (size_t i = 0; i < n * kc * p; ++i)
        DJ_ASSERT_CLOSE(X1->tan[i], X2->tan[i], 1e-11);
    /* trisolve with the Cholesky factor twice = cholsolve */
    dj_mat *Z = dj_mat_trisolve(c, Lc, dj_mat_trisolve(c, Lc, B, 0, 0, 0), 0, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(Z);
    for (size_t i = 0; i < n * kc * p; ++i)
        DJ_ASSERT_CLOSE(Z->tan[i], X1->tan[i], 1e-11);
    /* the inputs are not modified */
    for (size_t i = 0; i < nn; ++i)
        CU_ASSERT(A->val[i] == a[i] && S->val[i] == s[i]);
    for (size_t i = 0; i < nn * p; ++i)
        CU_ASSERT(A->tan[i] == da[i] && S->tan[i] == ds[i]);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
    free(a); free(da); free(b); free(db); free(s); free(ds);
}

/* Constants stay constants: primal mode, and forward mode with constant
 * inputs, give tan == NULL; a varying input gives tangents. */
static void test_constness(void)
{
    double a[9] = { 4, 1, 0, 1, 5, 1, 0, 1, 6 }, b[3] = { 1, 2, 3 }, t[18] = { 0 };
    t[0] = 1;
    for (int mode = 0; mode < 2; ++mode) {
        dj_ctx *c = dj_ctx_new();
        if (mode)
            dj_ctx_set_mode(c, DJ_MODE_FORWARD, 2);
        dj_mat *A = dj_mat_const(c, 3, 3, a, 3), *B = dj_mat_const(c, 3, 1, b, 3);
        dj_mat *L = dj_mat_chol(c, A);
        dj_mat *outs[7] = { dj_mat_inv(c, A), dj_mat_solve(c, A, B),
                            dj_mat_trisolve(c, A, B, 1, 0, 0), dj_mat_det(c, A),
                            dj_mat_logdet(c, A, NULL), L, dj_mat_cholsolve(c, L, B) };
        for (int i = 0; i < 7; ++i) {
            CU_ASSERT_PTR_NOT_NULL(outs[i]);
            if (outs[i])
                CU_ASSERT_PTR_NULL(outs[i]->tan);
        }
        /* one varying input: tangents (in forward mode only) */
        dj_mat *Av = dj_mat_var(c, 3, 3, a, 3, t, 9), *Bv = dj_mat_var(c, 3, 1, b, 3, t, 3);
        dj_mat *Lv = dj_mat_chol(c, Av);
        dj_mat *v[8] = { dj_mat_inv(c, Av), dj_mat_solve(c, A, Bv), dj_mat_solve(c, Av, B),
                         dj_mat_trisolve(c, A, Bv, 0, 1, 1), dj_mat_det(c, Av), Lv,
                         dj_mat_cholsolve(c, L, Bv), dj_mat_cholsolve(c, Lv, B) };
        for (int i = 0; i < 8; ++i) {
            CU_ASSERT_PTR_NOT_NULL(v[i]);
            if (v[i])
                CU_ASSERT((v[i]->tan != NULL) == (mode == 1));
        }
        CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
        dj_ctx_free(c);
    }
}

/* ---- errors ------------------------------------------------------------------- */

#define EXPECT_FAIL(call, status, opname)                                       \
    do {                                                                        \
        dj_ctx_reset(c);                                                        \
        A = dj_mat_var(c, 3, 3, a, 3, ta, 9);                                   \
        dj_mat *r_ = (call);                                                    \
        CU_ASSERT_PTR_NULL(r_);                                                 \
        if (dj_ctx_status(c) != (status))                                       \
            fprintf(stderr, "\n  line %d: status %d (%s), expected %d\n",       \
                    __LINE__, dj_ctx_status(c), dj_ctx_error(c), (status));     \
        CU_ASSERT_EQUAL(dj_ctx_status(c), (status));                            \
        CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), (opname));                   \
        CU_ASSERT(strlen(dj_ctx_error(c)) > 5);                                 \
    } while (0)

static void test_errors(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 3);
    double a[9] = { 4, 1, 2, 1, 5, 1, 2, 1, 6 }, ta[27] = { 0 };
    double sing[9] = { 1, 2, 3, 2, 4, 6, 0, 1, 1 };      /* column 1 = 2 column 0 */
    double nan_[9], inf_[9], notspd[9] = { 1, 2, 0, 2, 1, 0, 0, 0, 1 };
    double r6[6] = { 1, 2, 3, 4, 5, 6 }, zdiag[9] = { 1, 5, 5, 5, 0, 5, 5, 5, 1 };
    memcpy(nan_, a, sizeof a);
    memcpy(inf_, a, sizeof a);
    nan_[4] = NAN;
    inf_[2] = -INFINITY;                /* lower triangle */
    dj_mat *A = NULL;
#define M3(x) dj_mat_const(c, 3, 3, (x), 3)
#define R23 dj_mat_const(c, 2, 3, r6, 2)
#define B2 dj_mat_const(c, 2, 1, r6, 2)
    /* singular */
    EXPECT_FAIL(dj_mat_inv(c, M3(sing)), DJ_ESINGULAR, "dj_mat_inv");
    EXPECT_FAIL(dj_mat_solve(c, M3(sing), A), DJ_ESINGULAR, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_trisolve(c, M3(zdiag), A, 0, 0, 0), DJ_ESINGULAR, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_cholsolve(c, M3(zdiag), A), DJ_ESINGULAR, "dj_mat_cholsolve");
    double sg = 5;
    EXPECT_FAIL(dj_mat_logdet(c, M3(sing), &sg), DJ_ESINGULAR, "dj_mat_logdet");
    CU_ASSERT_EQUAL(sg, 0.0);
    /* ... but det is fine there (0) */
    dj_ctx_reset(c);
    dj_mat *D = dj_mat_det(c, M3(sing));
    CU_ASSERT_PTR_NOT_NULL(D);
    CU_ASSERT(D && D->val[0] == 0.0);
    /* a unit triangle ignores its zero diagonal */
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_trisolve(c, M3(zdiag), M3(a), 0, 0, 1));
    /* not positive definite */
    EXPECT_FAIL(dj_mat_chol(c, M3(notspd)), DJ_ENOTSPD, "dj_mat_chol");
    EXPECT_FAIL(dj_mat_chol(c, dj_mat_scale(c, A, -1.0)), DJ_ENOTSPD, "dj_mat_chol");
    /* NaN and Inf in the matrix to factor */
    EXPECT_FAIL(dj_mat_inv(c, M3(nan_)), DJ_ENONFINITE, "dj_mat_inv");
    EXPECT_FAIL(dj_mat_solve(c, M3(inf_), A), DJ_ENONFINITE, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_det(c, M3(nan_)), DJ_ENONFINITE, "dj_mat_det");
    EXPECT_FAIL(dj_mat_logdet(c, M3(inf_), NULL), DJ_ENONFINITE, "dj_mat_logdet");
    EXPECT_FAIL(dj_mat_chol(c, M3(nan_)), DJ_ENONFINITE, "dj_mat_chol");
    EXPECT_FAIL(dj_mat_chol(c, M3(inf_)), DJ_ENONFINITE, "dj_mat_chol");
    EXPECT_FAIL(dj_mat_trisolve(c, M3(inf_), A, 0, 1, 0), DJ_ENONFINITE, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_trisolve(c, M3(nan_), A, 1, 0, 0), DJ_ENONFINITE, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_cholsolve(c, M3(nan_), A), DJ_ENONFINITE, "dj_mat_cholsolve");
    /* NaN outside the part read is fine */
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_trisolve(c, M3(inf_), M3(a), 1, 0, 0));   /* upper */
    CU_ASSERT_PTR_NOT_NULL(dj_mat_trisolve(c, M3(nan_), M3(a), 0, 0, 1));   /* unit */
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* non-square */
    EXPECT_FAIL(dj_mat_inv(c, R23), DJ_EDIM, "dj_mat_inv");
    EXPECT_FAIL(dj_mat_solve(c, R23, B2), DJ_EDIM, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_trisolve(c, R23, B2, 0, 0, 0), DJ_EDIM, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_det(c, R23), DJ_EDIM, "dj_mat_det");
    EXPECT_FAIL(dj_mat_logdet(c, R23, NULL), DJ_EDIM, "dj_mat_logdet");
    EXPECT_FAIL(dj_mat_chol(c, R23), DJ_EDIM, "dj_mat_chol");
    EXPECT_FAIL(dj_mat_cholsolve(c, R23, B2), DJ_EDIM, "dj_mat_cholsolve");
    /* mismatched B */
    EXPECT_FAIL(dj_mat_solve(c, A, B2), DJ_EDIM, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_trisolve(c, A, R23, 1, 1, 1), DJ_EDIM, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_cholsolve(c, A, B2), DJ_EDIM, "dj_mat_cholsolve");
    /* NULL arguments */
    EXPECT_FAIL(dj_mat_inv(c, NULL), DJ_EARG, "dj_mat_inv");
    EXPECT_FAIL(dj_mat_solve(c, A, NULL), DJ_EARG, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_solve(c, NULL, A), DJ_EARG, "dj_mat_solve");
    EXPECT_FAIL(dj_mat_trisolve(c, NULL, A, 0, 0, 0), DJ_EARG, "dj_mat_trisolve");
    EXPECT_FAIL(dj_mat_det(c, NULL), DJ_EARG, "dj_mat_det");
    EXPECT_FAIL(dj_mat_logdet(c, NULL, &sg), DJ_EARG, "dj_mat_logdet");
    EXPECT_FAIL(dj_mat_chol(c, NULL), DJ_EARG, "dj_mat_chol");
    EXPECT_FAIL(dj_mat_cholsolve(c, A, NULL), DJ_EARG, "dj_mat_cholsolve");
    CU_ASSERT_PTR_NULL(dj_mat_inv(NULL, A));
    CU_ASSERT_PTR_NULL(dj_mat_det(NULL, A));
    /* sticky: after a failure every op returns NULL and the first error stays */
    dj_ctx_reset(c);
    A = dj_mat_var(c, 3, 3, a, 3, ta, 9);
    CU_ASSERT_PTR_NULL(dj_mat_chol(c, M3(notspd)));
    CU_ASSERT_PTR_NULL(dj_mat_inv(c, A));
    CU_ASSERT_PTR_NULL(dj_mat_solve(c, A, A));
    CU_ASSERT_PTR_NULL(dj_mat_trisolve(c, A, A, 0, 0, 0));
    CU_ASSERT_PTR_NULL(dj_mat_det(c, A));
    sg = 3;
    CU_ASSERT_PTR_NULL(dj_mat_logdet(c, A, &sg));
    CU_ASSERT_EQUAL(sg, 0.0);
    CU_ASSERT_PTR_NULL(dj_mat_cholsolve(c, A, A));
    CU_ASSERT_PTR_NULL(dj_mat_inv(c, M3(sing)));
    CU_ASSERT_PTR_NULL(dj_mat_inv(c, NULL));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOTSPD);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_chol");
    /* a chain on a failed op's NULL keeps the first error */
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_det(c, dj_mat_inv(c, dj_mat_solve(c, M3(sing), M3(a)))));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ESINGULAR);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_solve");
#undef M3
#undef R23
#undef B2
    dj_ctx_free(c);
}

/* Every scratch allocation failing in turn (an arena limit from tiny to
 * enough): each op fails with DJ_ENOMEM and no crash, or succeeds. */
static void test_out_of_memory(void)
{
    const size_t n = 7, p = 4, nn = n * n;
    uint64_t seed = 1313;
    double a[49], s[49], b[21], da[196], db[84];
    mc_wellcond(&seed, a, n, 0);
    mc_wellcond(&seed, s, n, 1);
    mc_rand(&seed, b, 21, -1, 1);
    mc_rand(&seed, da, nn * p, -1, 1);
    mc_rand(&seed, db, n * 3 * p, -1, 1);
    for (size_t k = 0; k < p; ++k)      /* symmetric for chol */
        for (size_t j = 0; j < n; ++j)
            for (size_t i = 0; i < j; ++i)
                da[k * nn + i + j * n] = da[k * nn + j + i * n];
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, p);
    for (int o = 0; o < 7; ++o) {
        int ok_seen = 0;
        for (size_t limit = 512; limit < (1u << 17) && !ok_seen; limit += 64) {
            dj_ctx_set_limit(c, 0);
            dj_ctx_reset(c);
            dj_mat *A = dj_mat_var(c, n, n, o >= 5 ? s : a, n, da, nn);
            dj_mat *B = dj_mat_var(c, n, 3, b, n, db, n * 3);
            dj_mat *L = o == 6 ? dj_mat_chol(c, A) : A;
            dj_ctx_set_limit(c, dj_ctx_bytes_used(c) + limit);
            dj_mat *r = NULL;
            switch (o) {
            case 0: r = dj_mat_inv(c, A); break;
            case 1: r = dj_mat_solve(c, A, B); break;
            case 2: r = dj_mat_trisolve(c, A, B, 1, 1, 0); break;
            case 3: r = dj_mat_det(c, A); break;
            case 4: r = dj_mat_logdet(c, A, NULL); break;
            case 5: r = dj_mat_chol(c, A); break;
            default: r = dj_mat_cholsolve(c, L, B); break;
            }
            if (r) {
                ok_seen = 1;
                CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
            } else {
                CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
            }
        }
        CU_ASSERT(ok_seen);
    }
    /* det's adjugate path too */
    double z[49];
    memcpy(z, a, sizeof z);
    for (size_t j = 0; j < n; ++j)
        z[n - 1 + j * n] = z[n - 2 + j * n] = 0;
    for (int two = 0; two < 2; ++two) {
        if (two)
            z[n - 1 + (n - 1) * n] = 1;     /* one zero pivot: the rank-one path */
        int ok_seen = 0;
        for (size_t limit = 512; limit < (1u << 17) && !ok_seen; limit += 64) {
            dj_ctx_set_limit(c, 0);
            dj_ctx_reset(c);
            dj_mat *A = dj_mat_var(c, n, n, z, n, da, nn);
            dj_ctx_set_limit(c, dj_ctx_bytes_used(c) + limit);
            if (dj_mat_det(c, A))
                ok_seen = 1;
            else
                CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
        }
        CU_ASSERT(ok_seen);
    }
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "inv: forward rule", test_inv },
        { "det and logdet: forward rules", test_det_logdet },
        { "chol: forward rule", test_chol },
        { "solve: shapes of B, constant inputs", test_solve },
        { "trisolve: upper/lower, trans, unit", test_trisolve },
        { "cholsolve: on L and composed with chol", test_cholsolve },
        { "unread triangles and their tangents are ignored", test_masked_tangents },
        { "det at singular matrices (the adjugate)", test_det_singular },
        { "properties: A A^-1 = I, solve = inv B, logdet = log|det|", test_properties },
        { "constants stay constant", test_constness },
        { "errors: singular, not SPD, NaN, shapes, NULL, sticky", test_errors },
        { "arena exhausted at every allocation", test_out_of_memory },
        { NULL, NULL },
    };
    return dj_test_run("linalg", cases);
}
