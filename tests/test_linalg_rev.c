/* test_linalg_rev.c - reverse mode (adjoint rules) of the LU, triangular and
 * Cholesky operations of linalg.h: inv, solve, trisolve, det, logdet, chol,
 * cholsolve. The dot-product test (adjoint_check: <Yb, dY> == <Xb, dX>
 * against the forward rule) for every op over shapes 1x1 to 32x32, B a
 * column, tall, square and wide, q in {1, 3, 8, 17}, each input varying and
 * each constant, in the tangent space of each input (symmetric for chol,
 * triangular for trisolve and cholsolve's L) and also with full tangents
 * where the op reads only a triangle (the adjoint must then vanish off the
 * part read); det at singular matrices (the adjugate); reverse Jacobians of
 * matrix programs against forward ones; the tape (one entry per op, none
 * for constants); the sweep out of memory; error paths as in forward mode. */
#include "mat_check.h"
#include "linalg_ops.h"

static const size_t qs[] = { 1, 3, 8, 17 };
#define NQS (sizeof qs / sizeof *qs)
static const size_t sizes[] = { 1, 2, 5, 17, 32 };
#define NSIZES (sizeof sizes / sizeof *sizes)
/* <Yb, dY> and <Xb, dX> are sums of products of O(1) numbers (the inputs
 * are well conditioned): agreement to 1e-13 relative to the sum of their
 * magnitudes */
#define ADJ_TOL 1e-13

/* ---- programs ------------------------------------------------------------------ */

/* the same variable in both arguments: adjoints from both terms accumulate
 * (solve(A, A) = I would test nothing: its derivative is zero) */
static dj_mat *p_solve_self(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_solve(c, in[0], dj_mat_transpose(c, in[0]));
}
/* the same matrix as both arguments: (L L^T)^-1 L = L^-T */
static dj_mat *p_cholsolve_self(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    return dj_mat_cholsolve(c, in[0], in[0]);
}
/* results used further (the sweep reaches the op through other ops, and its
 * result adjoint has several contributions) */
static dj_mat *p_inv_chain(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *C = dj_mat_inv(c, in[0]);
    return dj_mat_add(c, dj_mat_matmul(c, C, 0, in[0], 1), dj_mat_sin(c, C));
}
static dj_mat *p_chol_chain(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *L = dj_mat_chol(c, in[0]);    /* L L^T = A, and L read whole by matmul */
    return dj_mat_add(c, dj_mat_matmul(c, L, 0, L, 1), dj_mat_exp(c, L));
}

static int run_check(const char *name, mc_prog f, void *u, int nin, const mc_input *in,
                     uint64_t seed, double tol, const char *what)
{
    int fails = 0;
    for (size_t q = 0; q < NQS; ++q) {
        int fq = adjoint_check(name, f, u, nin, in, qs[q], seed + q, tol);
        if (fq)
            fprintf(stderr, "\n  %s %zux%zu %s q=%zu: %d failures\n", name, in[0].rows,
                    in[0].cols, what, qs[q], fq);
        fails += fq;
    }
    return fails;
}

/* ---- one-input ops ---------------------------------------------------------------- */

static void test_inv(void)
{
    uint64_t seed = 11;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 0);
        mc_input in[1] = { { n, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(run_check("inv", p_inv, NULL, 1, in, seed, ADJ_TOL, "varying"), 0);
        CU_ASSERT_EQUAL(run_check("inv chain", p_inv_chain, NULL, 1, in, seed, ADJ_TOL, ""), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(run_check("inv", p_inv, NULL, 1, in, seed, ADJ_TOL, "const"), 0);
        free(a);
    }
}

static void test_det_logdet(void)
{
    uint64_t seed = 12;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        wellcond_negdet(&seed, a, n);   /* a negative determinant for logdet */
        mc_input in[1] = { { n, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(run_check("det", p_det, NULL, 1, in, seed, ADJ_TOL, "varying"), 0);
        CU_ASSERT_EQUAL(run_check("logdet", p_logdet, NULL, 1, in, seed, ADJ_TOL, "varying"),
                        0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(run_check("det", p_det, NULL, 1, in, seed, ADJ_TOL, "const"), 0);
        CU_ASSERT_EQUAL(run_check("logdet", p_logdet, NULL, 1, in, seed, ADJ_TOL, "const"), 0);
        free(a);
    }
}

/* det at singular matrices: the adjugate (one zero pivot, several zero pivots
 * of a rank n-1 matrix, rank n-2 where the gradient is zero). */
static void test_det_singular(void)
{
    uint64_t seed = 13;
    for (size_t s = 0; s < NDET_SINGULAR; ++s) {
        size_t n = det_singular_ns[s];
        double *a = malloc(n * n * sizeof *a);
        mc_input in[1] = { { n, n, a, MC_GENERAL } };
        det_zero_row(&seed, a, n);
        CU_ASSERT_EQUAL(run_check("det zero row", p_det, NULL, 1, in, seed, ADJ_TOL, ""), 0);
        det_zero_column(&seed, a, n);
        CU_ASSERT_EQUAL(run_check("det zero column", p_det, NULL, 1, in, seed, ADJ_TOL, ""), 0);
        if (n >= 2) {
            det_jordan(a, n);
            CU_ASSERT_EQUAL(run_check("det Jordan", p_det, NULL, 1, in, seed, ADJ_TOL, ""), 0);
        }
        if (n >= 3) {
            det_rank_n2(&seed, a, n);
            CU_ASSERT_EQUAL(run_check("det rank n-2", p_det, NULL, 1, in, seed, ADJ_TOL, ""), 0);
        }
        free(a);
    }
    /* the gradient itself at [1 2; 2 4]: adj(A)^T = [4 -2; -2 1] */
    double r1[4] = { 1, 2, 2, 4 }, yb = 1.5, g[4];
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    dj_mat *A = dj_mat_var(c, 2, 2, r1, 2, r1, 4);
    dj_mat *D = dj_mat_det(c, A);
    CU_ASSERT_PTR_NOT_NULL_FATAL(D);
    CU_ASSERT_EQUAL(D->val[0], 0.0);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, D, &yb, 1), DJ_OK);
    dj_mat_get_adjoint(c, A, 0, g, 2);
    const double want[4] = { 4, -2, -2, 1 };
    for (int i = 0; i < 4; ++i)
        DJ_ASSERT_CLOSE(g[i], yb * want[i], 1e-15);
    dj_ctx_free(c);
}

/* chol: symmetric tangents (the tangent space), and full ones: the adjoint
 * lives on the lower triangle (off-diagonal doubled, the upper zero), the
 * derivative of the entries the op reads, so the test holds for any dA. */
static void test_chol(void)
{
    uint64_t seed = 14;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 1);
        rand_upper(&seed, a, n);                /* the upper triangle is not read */
        mc_input in[1] = { { n, n, a, MC_SYMMETRIC } };
        CU_ASSERT_EQUAL(run_check("chol", p_chol, NULL, 1, in, seed, ADJ_TOL, "symmetric"), 0);
        CU_ASSERT_EQUAL(run_check("chol chain", p_chol_chain, NULL, 1, in, seed, ADJ_TOL,
                                  "symmetric"), 0);
        in[0].kind = MC_GENERAL;
        CU_ASSERT_EQUAL(run_check("chol", p_chol, NULL, 1, in, seed, ADJ_TOL, "full dA"), 0);
        in[0].kind = MC_LOWER;
        CU_ASSERT_EQUAL(run_check("chol", p_chol, NULL, 1, in, seed, ADJ_TOL, "lower dA"), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(run_check("chol", p_chol, NULL, 1, in, seed, ADJ_TOL, "const"), 0);
        free(a);
    }
}

/* The convention of chol's adjoint, exactly: for A = [4 2; 2 5] (L = [2 0;
 * 1 2]) and Lb = e_1 e_1^T (the adjoint of L(0,0) = sqrt(A(0,0))), the
 * gradient is 1/(2 L(0,0)) = 1/4 at (0,0), and zero elsewhere; for Lb =
 * E(1,0) (L(1,0) = A(1,0) / L(0,0)): 1/2 at (1,0), -A(1,0)/(2 L00^3) =
 * -1/8 at (0,0), and the upper entry (0,1) is 0. */
static void test_chol_convention(void)
{
    double a[4] = { 4, 2, 2, 5 }, yb[8] = { 1, 0, 0, 0, 0, 1, 0, 0 }, g[4];
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    dj_mat *A = dj_mat_var(c, 2, 2, a, 2, a, 4);
    dj_mat *L = dj_mat_chol(c, A);
    CU_ASSERT_PTR_NOT_NULL_FATAL(L);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, L, yb, 4), DJ_OK);
    dj_mat_get_adjoint(c, A, 0, g, 2);
    DJ_ASSERT_CLOSE(g[0], 0.25, 1e-15);
    CU_ASSERT(g[1] == 0 && g[2] == 0 && g[3] == 0);
    dj_mat_get_adjoint(c, A, 1, g, 2);
    DJ_ASSERT_CLOSE(g[0], -0.125, 1e-15);
    DJ_ASSERT_CLOSE(g[1], 0.5, 1e-15);
    CU_ASSERT_EQUAL(g[2], 0.0);
    DJ_ASSERT_CLOSE(g[3], 0.0, 1e-15);
    dj_ctx_free(c);
}

/* ---- two-input ops ---------------------------------------------------------------- */

/* A two-input op over sizes, B shapes, kinds (both vary, A const, B const)
 * and q; akind2 >= 0: also A with that tangent kind (full tangents where
 * only a triangle is read). */
static void check2(const char *name, mc_prog f, void *u, int spd, int akind, int akind2,
                   int lower_only, uint64_t seed)
{
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, spd);
        if (lower_only)
            rand_upper(&seed, a, n);            /* never read */
        for (int w = 0; w < 4; ++w) {
            size_t kc = bcols(n, w);
            double *b = malloc(n * kc * sizeof *b);
            mc_rand(&seed, b, n * kc, -1, 1);
            for (int kinds = 0; kinds < 4; ++kinds) {
                if (kinds == 3 && akind2 < 0)
                    continue;
                int ak = kinds == 1 ? MC_CONST : kinds == 3 ? akind2 : akind;
                mc_input in[2] = { { n, n, a, ak },
                                   { n, kc, b, kinds == 2 ? MC_CONST : MC_GENERAL } };
                for (size_t q = 0; q < NQS; ++q) {
                    int fq = adjoint_check(name, f, u, 2, in, qs[q], seed + q, ADJ_TOL);
                    if (fq)
                        fprintf(stderr, "\n  %s n=%zu kc=%zu %s q=%zu: %d failures\n", name, n,
                                kc, kinds == 3 ? "full dA" : kind_name[kinds], qs[q], fq);
                    CU_ASSERT_EQUAL(fq, 0);
                }
            }
            free(b);
        }
        free(a);
    }
}

static void test_solve(void)
{
    check2("solve", p_solve, NULL, 0, MC_GENERAL, -1, 0, 21);
    uint64_t seed = 22;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 0);
        mc_input in[1] = { { n, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(run_check("solve(A, A^T)", p_solve_self, NULL, 1, in, seed, ADJ_TOL,
                                  ""), 0);
        free(a);
    }
}

static void test_cholsolve(void)
{
    check2("cholsolve", p_cholsolve, NULL, 0, MC_LOWER, MC_GENERAL, 1, 31);
    check2("chol+cholsolve", p_chol_solve, NULL, 1, MC_SYMMETRIC, MC_GENERAL, 0, 32);
    uint64_t seed = 33;
    for (size_t s = 0; s < NSIZES; ++s) {
        size_t n = sizes[s];
        double *a = malloc(n * n * sizeof *a);
        mc_wellcond(&seed, a, n, 0);
        mc_input in[1] = { { n, n, a, MC_LOWER } };
        CU_ASSERT_EQUAL(run_check("cholsolve(L, L)", p_cholsolve_self, NULL, 1, in, seed,
                                  ADJ_TOL, ""), 0);
        free(a);
    }
}

static void test_trisolve(void)
{
    uint64_t seed = 41;
    for (int o = 0; o < 8; ++o) {
        tri_opts opt = { o & 1, (o >> 1) & 1, (o >> 2) & 1 };
        for (size_t s = 0; s < NSIZES; ++s) {
            size_t n = sizes[s];
            double *t = malloc(n * n * sizeof *t);
            tri_test_matrix(&seed, t, n, opt.unit);
            for (int w = 0; w < 4; ++w) {
                size_t kc = bcols(n, w);
                double *b = malloc(n * kc * sizeof *b);
                mc_rand(&seed, b, n * kc, -1, 1);
                for (int kinds = 0; kinds < 4; ++kinds) {
                    /* kinds 3: a full tangent of T (the forward rule reads its
                       triangle only, so the adjoint must be zero elsewhere) */
                    int tk = kinds == 1 ? MC_CONST : kinds == 3 ? MC_GENERAL
                                                   : (opt.upper ? MC_UPPER : MC_LOWER);
                    mc_input in[2] = { { n, n, t, tk },
                                       { n, kc, b, kinds == 2 ? MC_CONST : MC_GENERAL } };
                    for (size_t q = 0; q < NQS; ++q) {
                        int fq = adjoint_check("trisolve", p_trisolve, &opt, 2, in, qs[q],
                                               seed + q, ADJ_TOL);
                        if (fq)
                            fprintf(stderr, "\n  trisolve upper=%d trans=%d unit=%d n=%zu "
                                    "kc=%zu kinds=%d q=%zu: %d failures\n", opt.upper,
                                    opt.trans, opt.unit, n, kc, kinds, qs[q], fq);
                        CU_ASSERT_EQUAL(fq, 0);
                    }
                }
                free(b);
            }
            free(t);
        }
    }
}

/* ---- reverse Jacobians of matrix programs ------------------------------------------- */

typedef struct { size_t n, kc; const double *B; } jprog;

/* x = vec(A): [vec(A^-1); logdet A; det A; vec(A^-1 B)] */
static int prog_lu(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    jprog *p = user;
    dj_mat *A = dj_mat_reshape(c, x, p->n, p->n);
    dj_mat *B = dj_mat_const(c, p->n, p->kc, p->B, p->n);
    dj_mat *r = dj_mat_vcat(c, dj_mat_vec(c, dj_mat_inv(c, A)), dj_mat_logdet(c, A, NULL));
    r = dj_mat_vcat(c, r, dj_mat_det(c, A));
    *y = dj_mat_vcat(c, r, dj_mat_vec(c, dj_mat_solve(c, A, B)));
    return 0;
}

/* x = vec(A), A SPD in its lower triangle: [vec(chol A); vec((L L^T)^-1 B);
 * vec(T^-1 B) for T = A's lower and upper triangles, transposed, unit] */
static int prog_chol(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    jprog *p = user;
    dj_mat *A = dj_mat_reshape(c, x, p->n, p->n);
    dj_mat *B = dj_mat_const(c, p->n, p->kc, p->B, p->n);
    dj_mat *L = dj_mat_chol(c, A);
    dj_mat *r = dj_mat_vcat(c, dj_mat_vec(c, L), dj_mat_vec(c, dj_mat_cholsolve(c, L, B)));
    r = dj_mat_vcat(c, r, dj_mat_vec(c, dj_mat_trisolve(c, A, B, 0, 0, 0)));
    r = dj_mat_vcat(c, r, dj_mat_vec(c, dj_mat_trisolve(c, A, B, 1, 1, 0)));
    *y = dj_mat_vcat(c, r, dj_mat_vec(c, dj_mat_trisolve(c, L, B, 0, 1, 1)));
    return 0;
}

static double rel_diff(const double *A, const double *B, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; ++i) {
        e = fmax(e, fabs(A[i] - B[i]));
        s = fmax(s, fabs(B[i]));
    }
    return s > 0 ? e / s : e;
}

static void check_jac(dj_function *F, const double *x, const char *name)
{
    size_t n = F->n, m = F->m;
    double *Jf = malloc(m * n * sizeof *Jf), *Jr = malloc(m * n * sizeof *Jr);
    double *yf = malloc(m * sizeof *yf), *yr = malloc(m * sizeof *yr);
    CU_ASSERT_EQUAL_FATAL(dj_jacfwd(F, x, yf, Jf, m, NULL), DJ_OK);
    const int chunks[] = { 0, 1, 5, 17 };
    for (size_t k = 0; k < 4; ++k) {
        dj_jac_opts o = { chunks[k], 0, NULL, 0, 0 };
        int st = dj_jacrev(F, x, yr, Jr, m, &o);
        CU_ASSERT_EQUAL(st, DJ_OK);
        if (st != DJ_OK)
            continue;
        double e = rel_diff(Jr, Jf, m * n);
        if (!(e < 1e-12))
            fprintf(stderr, "\n  %s jacrev n=%zu m=%zu chunk %d: rel err %.3g\n", name, n, m,
                    chunks[k], e);
        CU_ASSERT(e < 1e-12);
        CU_ASSERT(rel_diff(yr, yf, m) == 0.0);
    }
    free(Jf); free(Jr); free(yf); free(yr);
}

static void test_jacobians(void)
{
    uint64_t seed = 51;
    const size_t ns[] = { 1, 3, 6 };
    for (size_t s = 0; s < 3; ++s) {
        size_t n = ns[s], kc = 2;
        double *a = malloc(n * n * sizeof *a), *b = malloc(n * kc * sizeof *b);
        mc_wellcond(&seed, a, n, 1);          /* SPD, a dominant diagonal */
        rand_upper(&seed, a, n);              /* not symmetric: chol reads the lower */
        mc_rand(&seed, b, n * kc, -1, 1);
        jprog p = { n, kc, b };
        dj_function F = { .n = n * n, .m = n * n + 2 + n * kc, .user = &p, .f_mat = prog_lu };
        check_jac(&F, a, "inv/logdet/det/solve");
        dj_function G = { .n = n * n, .m = n * n + 4 * n * kc, .user = &p, .f_mat = prog_chol };
        check_jac(&G, a, "chol/cholsolve/trisolve");
        free(a);
        free(b);
    }
}

/* ---- the tape -------------------------------------------------------------------------- */

static void test_tape(void)
{
    double a[9] = { 4, 1, 2, 1, 5, 1, 2, 1, 6 }, b[6] = { 1, 2, 3, 4, 5, 6 };
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 3);
    dj_mat *A = dj_mat_var(c, 3, 3, a, 3, a, 9), *K = dj_mat_const(c, 3, 3, a, 3);
    dj_mat *B = dj_mat_const(c, 3, 2, b, 3);
    /* constants: nothing recorded, results off the tape */
    dj_mat *r[7] = { dj_mat_inv(c, K), dj_mat_solve(c, K, B), dj_mat_trisolve(c, K, B, 0, 0, 0),
                     dj_mat_det(c, K), dj_mat_logdet(c, K, NULL), dj_mat_chol(c, K),
                     dj_mat_cholsolve(c, K, B) };
    for (int i = 0; i < 7; ++i)
        CU_ASSERT(r[i] != NULL && !r[i]->on_tape);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), 0);
    /* a variable argument: one entry each */
    dj_mat *v[7] = { dj_mat_inv(c, A), dj_mat_solve(c, K, dj_mat_var(c, 3, 2, b, 3, b, 6)),
                     dj_mat_trisolve(c, A, B, 0, 0, 0), dj_mat_det(c, A),
                     dj_mat_logdet(c, A, NULL), dj_mat_chol(c, A), dj_mat_cholsolve(c, A, B) };
    for (int i = 0; i < 7; ++i)
        CU_ASSERT(v[i] != NULL && v[i]->on_tape);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), 7);
    dj_ctx_free(c);
}

/* The sweep out of memory: with the arena capped anywhere between what the
 * recording needs and what the sweep needs, the sweep fails with DJ_ENOMEM
 * (no crash, no partial success reported) or succeeds with the right
 * gradient. */
typedef dj_mat *(*rec_fn)(dj_ctx *c, dj_mat *A, dj_mat *B);
static dj_mat *r_inv(dj_ctx *c, dj_mat *A, dj_mat *B) { (void)B; return dj_mat_inv(c, A); }
static dj_mat *r_solve(dj_ctx *c, dj_mat *A, dj_mat *B) { return dj_mat_solve(c, A, B); }
static dj_mat *r_tri(dj_ctx *c, dj_mat *A, dj_mat *B) { return dj_mat_trisolve(c, A, B, 1, 1, 0); }
static dj_mat *r_det(dj_ctx *c, dj_mat *A, dj_mat *B) { (void)B; return dj_mat_det(c, A); }
static dj_mat *r_logdet(dj_ctx *c, dj_mat *A, dj_mat *B) { (void)B; return dj_mat_logdet(c, A, NULL); }
static dj_mat *r_chol(dj_ctx *c, dj_mat *A, dj_mat *B) { (void)B; return dj_mat_chol(c, A); }
static dj_mat *r_cholsolve(dj_ctx *c, dj_mat *A, dj_mat *B) { return dj_mat_cholsolve(c, A, B); }

static void test_sweep_out_of_memory(void)
{
    const rec_fn fs[] = { r_inv, r_solve, r_tri, r_det, r_logdet, r_chol, r_cholsolve };
    const size_t n = 6, kc = 3, q = 3;
    uint64_t seed = 61;
    double a[36], b[18], yb[36 * 3], g0[36 * 3], g[36 * 3];
    mc_wellcond(&seed, a, n, 1);
    mc_rand(&seed, b, n * kc, -1, 1);
    mc_rand(&seed, yb, sizeof yb / sizeof *yb, -1, 1);
    for (size_t f = 0; f < sizeof fs / sizeof *fs; ++f) {
        dj_ctx *c = dj_ctx_new();
        dj_ctx_set_mode(c, DJ_MODE_REVERSE, q);
        dj_mat *A = dj_mat_var(c, n, n, a, n, a, n * n);
        dj_mat *B = dj_mat_var(c, n, kc, b, n, b, n * kc);
        dj_mat *Y = fs[f](c, A, B);
        CU_ASSERT_PTR_NOT_NULL_FATAL(Y);
        size_t ny = Y->rows * Y->cols, rec = dj_ctx_bytes_used(c);
        CU_ASSERT_EQUAL_FATAL(dj_ctx_backward(c, Y, yb, ny), DJ_OK);
        size_t full = dj_ctx_bytes_used(c);
        for (size_t k = 0; k < q; ++k)
            dj_mat_get_adjoint(c, A, k, g0 + k * n * n, n);
        int ok = 0, nomem = 0;
        for (size_t lim = rec; lim <= full; lim += 64) {
            dj_ctx_set_mode(c, DJ_MODE_REVERSE, q);
            dj_ctx_set_limit(c, 0);
            A = dj_mat_var(c, n, n, a, n, a, n * n);
            B = dj_mat_var(c, n, kc, b, n, b, n * kc);
            Y = fs[f](c, A, B);
            CU_ASSERT_PTR_NOT_NULL_FATAL(Y);
            dj_ctx_set_limit(c, lim);
            int st = dj_ctx_backward(c, Y, yb, ny);
            if (st == DJ_ENOMEM) {
                nomem++;
                CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
                continue;
            }
            CU_ASSERT_EQUAL(st, DJ_OK);
            ok++;
            for (size_t k = 0; k < q; ++k)
                dj_mat_get_adjoint(c, A, k, g + k * n * n, n);
            CU_ASSERT(memcmp(g, g0, q * n * n * sizeof *g) == 0);
        }
        CU_ASSERT(nomem > 0);
        dj_ctx_free(c);
    }
}

/* ---- errors: the same codes (and op names) as in forward mode --------------------------- */

typedef dj_mat *(*err_fn)(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m);
static const double zero27[27];     /* 3 tangent blocks (forward mode) */
#define M3(x) dj_mat_var(c, 3, 3, (x), 3, zero27, 9)
static dj_mat *e_inv(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; (void)B; return dj_mat_inv(c, M3(m)); }
static dj_mat *e_solve(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; return dj_mat_solve(c, M3(m), B); }
static dj_mat *e_tri(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; return dj_mat_trisolve(c, M3(m), B, 0, 0, 0); }
static dj_mat *e_triu(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; return dj_mat_trisolve(c, M3(m), B, 1, 1, 0); }
static dj_mat *e_det(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; (void)B; return dj_mat_det(c, M3(m)); }
static dj_mat *e_logdet(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; (void)B; return dj_mat_logdet(c, M3(m), NULL); }
static dj_mat *e_chol(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; (void)B; return dj_mat_chol(c, M3(m)); }
static dj_mat *e_cholsolve(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; return dj_mat_cholsolve(c, M3(m), B); }
static dj_mat *e_shape_solve(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)m; return dj_mat_solve(c, B, A); }
static dj_mat *e_shape_inv(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)A; (void)m; return dj_mat_inv(c, B); }
static dj_mat *e_null(dj_ctx *c, dj_mat *A, dj_mat *B, const double *m) { (void)B; (void)m; return dj_mat_cholsolve(c, A, NULL); }
#undef M3

/* Run fn in forward mode (p = 3) and in reverse mode (q = 3); returns the
 * reverse status after checking it equals the forward one (op name too). */
static int same_error(err_fn fn, const double *m, const char *what)
{
    double a[9] = { 4, 1, 2, 1, 5, 1, 2, 1, 6 }, b[6] = { 1, 2, 3, 4, 5, 6 }, t[27] = { 0 };
    int st[2];
    char opn[2][64];
    for (int r = 0; r < 2; ++r) {
        dj_ctx *c = dj_ctx_new();
        dj_ctx_set_mode(c, r ? DJ_MODE_REVERSE : DJ_MODE_FORWARD, 3);
        dj_mat *A = dj_mat_var(c, 3, 3, a, 3, t, 9), *B = dj_mat_var(c, 3, 2, b, 3, t, 6);
        dj_mat *Y = fn(c, A, B, m);
        st[r] = dj_ctx_status(c);
        CU_ASSERT(Y == NULL || st[r] == DJ_OK);
        snprintf(opn[r], sizeof opn[r], "%s", dj_ctx_error_op(c));
        dj_ctx_free(c);
    }
    if (st[0] != st[1] || strcmp(opn[0], opn[1]) != 0)
        fprintf(stderr, "\n  %s: forward %d (%s), reverse %d (%s)\n", what, st[0], opn[0],
                st[1], opn[1]);
    CU_ASSERT_EQUAL(st[0], st[1]);
    CU_ASSERT_STRING_EQUAL(opn[0], opn[1]);
    return st[1];
}

static void test_errors(void)
{
    double sing[9] = { 1, 2, 3, 2, 4, 6, 0, 1, 1 };
    double notspd[9] = { 1, 2, 0, 2, 1, 0, 0, 0, 1 }, zdiag[9] = { 1, 5, 5, 5, 0, 5, 5, 5, 1 };
    double nan_[9] = { 4, 1, 2, 1, NAN, 1, 2, 1, 6 }, inf_[9] = { 4, 1, -INFINITY, 1, 5, 1, 2, 1, 6 };
    CU_ASSERT_EQUAL(same_error(e_inv, sing, "inv singular"), DJ_ESINGULAR);
    CU_ASSERT_EQUAL(same_error(e_solve, sing, "solve singular"), DJ_ESINGULAR);
    CU_ASSERT_EQUAL(same_error(e_tri, zdiag, "trisolve singular"), DJ_ESINGULAR);
    CU_ASSERT_EQUAL(same_error(e_cholsolve, zdiag, "cholsolve singular"), DJ_ESINGULAR);
    CU_ASSERT_EQUAL(same_error(e_logdet, sing, "logdet singular"), DJ_ESINGULAR);
    CU_ASSERT_EQUAL(same_error(e_det, sing, "det singular"), DJ_OK);
    CU_ASSERT_EQUAL(same_error(e_chol, notspd, "chol not SPD"), DJ_ENOTSPD);
    CU_ASSERT_EQUAL(same_error(e_inv, nan_, "inv NaN"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_solve, inf_, "solve Inf"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_det, nan_, "det NaN"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_logdet, inf_, "logdet Inf"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_chol, nan_, "chol NaN"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_tri, inf_, "trisolve Inf"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_triu, inf_, "trisolve Inf upper"), DJ_OK);   /* not read */
    CU_ASSERT_EQUAL(same_error(e_cholsolve, nan_, "cholsolve NaN"), DJ_ENONFINITE);
    CU_ASSERT_EQUAL(same_error(e_shape_solve, NULL, "solve shapes"), DJ_EDIM);
    CU_ASSERT_EQUAL(same_error(e_shape_inv, NULL, "inv non-square"), DJ_EDIM);
    CU_ASSERT_EQUAL(same_error(e_null, NULL, "cholsolve NULL"), DJ_EARG);
    /* the sweep after a failed op is refused with the op's status */
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    dj_mat *A = dj_mat_var(c, 3, 3, notspd, 3, notspd, 9);
    dj_mat *D = dj_mat_det(c, A);
    CU_ASSERT_PTR_NULL(dj_mat_chol(c, A));
    double yb = 1;
    CU_ASSERT_EQUAL(dj_ctx_backward(c, D, &yb, 1), DJ_ENOTSPD);
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "adjoint test: inv", test_inv },
        { "adjoint test: det, logdet", test_det_logdet },
        { "adjoint test: det at singular matrices (the adjugate)", test_det_singular },
        { "adjoint test: chol (symmetric, full, lower tangents)", test_chol },
        { "chol's adjoint convention: lower triangle, off-diagonal doubled",
          test_chol_convention },
        { "adjoint test: solve", test_solve },
        { "adjoint test: cholsolve, chol+cholsolve", test_cholsolve },
        { "adjoint test: trisolve (upper/lower, trans, unit)", test_trisolve },
        { "matrix programs: reverse Jacobian = forward", test_jacobians },
        { "the tape: one entry per op, none for constants", test_tape },
        { "the sweep out of memory", test_sweep_out_of_memory },
        { "errors: the same codes as forward mode", test_errors },
        { NULL, NULL },
    };
    return dj_test_run("linalg_rev", cases);
}
