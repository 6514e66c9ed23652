/* test_decomp.c - eigh, QR, SVD, expm and the norms in forward mode: every
 * output of every op against finite differences and one-direction runs
 * (mat_check.h) for several shapes and p in {1, 3, 8, 17}, on matrices with
 * well-separated spectra; the algebraic properties of the factors (with
 * their tangents); the sign conventions; the error paths. The test
 * matrices, shapes and one-output programs are decomp_ops.h's. */
#include "mat_check.h"
#include "decomp_ops.h"

static const size_t ps[] = { 1, 3, 8, 17 };
#define NPS (sizeof ps / sizeof *ps)

static int run_all_p(const char *name, mc_prog f, const mc_input *in, uint64_t seed,
                     double fd_tol, double exact_tol)
{
    int fails = 0;
    for (size_t q = 0; q < NPS; ++q) {
        int r = mat_check(name, f, NULL, 1, in, ps[q], seed + q, fd_tol, exact_tol);
        if (r)
            fprintf(stderr, "\n  %s %zux%zu kind %d p=%zu: %d failures\n", name, in->rows,
                    in->cols, in->kind, ps[q], r);
        fails += r;
    }
    return fails;
}

/* Each program on the m-by-n a: varying (every p), and constant (p = 3). */
static void check_progs(const prog_entry *progs, size_t np, size_t m, size_t n, const double *a,
                        uint64_t seed)
{
    for (size_t o = 0; o < np; ++o) {
        mc_input in[1] = { { m, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(run_all_p(progs[o].name, progs[o].f, in, seed, 1e-6, 1e-13), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(mat_check(progs[o].name, progs[o].f, NULL, 1, in, 3, seed, 1e-6,
                                  1e-13), 0);
    }
}

/* ---- forward rules against finite differences ------------------------------- */

static void test_eigh_rules(void)
{
    const prog_entry progs[] = { { "eigh values", p_eig_vals },
                                 { "eigh values (vectors asked)", p_eig_vals_v },
                                 { "eigh vectors", p_eig_vecs } };
    uint64_t seed = 2024;
    for (size_t s = 0; s < DEC_NNS; ++s) {
        size_t n = dec_ns[s];
        double *a = malloc(n * n * sizeof *a);
        sym_test_matrix(&seed, a, n);
        for (size_t o = 0; o < 3; ++o) {
            mc_input in[1] = { { n, n, a, MC_SYMMETRIC } };
            CU_ASSERT_EQUAL(run_all_p(progs[o].name, progs[o].f, in, seed, 1e-6, 1e-13), 0);
            /* any tangent: only its lower triangle counts, as for the values */
            in[0].kind = MC_GENERAL;
            CU_ASSERT_EQUAL(mat_check(progs[o].name, progs[o].f, NULL, 1, in, 3, seed, 1e-6,
                                      1e-13), 0);
            in[0].kind = MC_CONST;
            CU_ASSERT_EQUAL(mat_check(progs[o].name, progs[o].f, NULL, 1, in, 3, seed, 1e-6,
                                      1e-13), 0);
        }
        free(a);
    }
}

static void test_qr_rules(void)
{
    const prog_entry progs[] = { { "qr Q", p_qr_q }, { "qr Q (R asked)", p_qr_q_r },
                                 { "qr R", p_qr_r } };
    uint64_t seed = 31;
    for (size_t s = 0; s < NQR_SHAPES; ++s) {
        size_t m = qr_shapes[s][0], n = qr_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        qr_test_matrix(&seed, a, m, n);
        check_progs(progs, sizeof progs / sizeof *progs, m, n, a, seed);
        free(a);
    }
}

static void test_svd_rules(void)
{
    const prog_entry progs[] = { { "svd s", p_svd_s }, { "svd s (U, V asked)", p_svd_s_uv },
                                 { "svd U", p_svd_u }, { "svd V", p_svd_v },
                                 { "svd U (both asked)", p_svd_uv_u },
                                 { "svd V (both asked)", p_svd_uv_v } };
    uint64_t seed = 57;
    for (size_t s = 0; s < NSVD_SHAPES; ++s) {
        size_t m = svd_shapes[s][0], n = svd_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        svd_separated(&seed, a, m, n, 1.0);
        check_progs(progs, sizeof progs / sizeof *progs, m, n, a, seed);
        free(a);
    }
}

/* expm: sizes, and norms that select each Pade degree (3, 5, 7, 9, 13) and
 * several scalings. */
static void test_expm_rules(void)
{
    uint64_t seed = 99;
    for (size_t s = 0; s < DEC_NNS; ++s)
        for (size_t t = 0; t < NEXPM_NORMS; ++t) {
            size_t n = dec_ns[s];
            double *a = malloc(n * n * sizeof *a);
            rand_norm1(&seed, a, n, expm_norms[t]);
            mc_input in[1] = { { n, n, a, MC_GENERAL } };
            CU_ASSERT_EQUAL(run_all_p("expm", p_expm, in, seed, 1e-6, 1e-13), 0);
            if (t == 3) {
                in[0].kind = MC_CONST;
                CU_ASSERT_EQUAL(mat_check("expm", p_expm, NULL, 1, in, 3, seed, 1e-6, 1e-13),
                                0);
            }
            free(a);
        }
}

static void test_norm_rules(void)
{
    uint64_t seed = 4242;
    for (size_t s = 0; s < NNORM_SHAPES; ++s) {
        size_t m = norm_shapes[s][0], n = norm_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        svd_separated_any(&seed, a, m, n, 0.5);
        mc_input in[1] = { { m, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(run_all_p("norm_fro", p_fro, in, seed, 1e-6, 1e-13), 0);
        CU_ASSERT_EQUAL(run_all_p("norm_nuc", p_nuc, in, seed, 1e-6, 1e-13), 0);
        CU_ASSERT_EQUAL(run_all_p("norm_2", p_norm2, in, seed, 1e-6, 1e-13), 0);
        /* a plain random matrix too (generic spectrum) */
        mc_rand(&seed, a, m * n, -1, 1);
        CU_ASSERT_EQUAL(mat_check("norm_fro", p_fro, NULL, 1, in, 8, seed, 1e-6, 1e-13), 0);
        CU_ASSERT_EQUAL(mat_check("norm_nuc", p_nuc, NULL, 1, in, 8, seed, 1e-6, 1e-13), 0);
        CU_ASSERT_EQUAL(mat_check("norm_2", p_norm2, NULL, 1, in, 8, seed, 1e-6, 1e-13), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(mat_check("norm_nuc", p_nuc, NULL, 1, in, 3, seed, 1e-6, 1e-13), 0);
        CU_ASSERT_EQUAL(mat_check("norm_2", p_norm2, NULL, 1, in, 3, seed, 1e-6, 1e-13), 0);
        free(a);
    }
}

/* ---- properties --------------------------------------------------------------- */

/* max |X - Y| over values and every tangent block, relative to max(1, |Y|) */
static double mat_diff(const dj_ctx *c, const dj_mat *X, const dj_mat *Y)
{
    if (X == NULL || Y == NULL || X->rows != Y->rows || X->cols != Y->cols)
        return INFINITY;
    size_t n = X->rows * X->cols, p = dj_ctx_tangents(c);
    double d = 0, s = 1;
    for (size_t i = 0; i < n; ++i) {
        d = fmax(d, fabs(X->val[i] - Y->val[i]));
        s = fmax(s, fabs(Y->val[i]));
    }
    double *tx = malloc(n * sizeof *tx), *ty = malloc(n * sizeof *ty);
    for (size_t k = 0; k < p; ++k) {
        dj_mat_get_tangent(c, X, k, tx, X->rows);
        dj_mat_get_tangent(c, Y, k, ty, Y->rows);
        for (size_t i = 0; i < n; ++i) {
            d = fmax(d, fabs(tx[i] - ty[i]));
            s = fmax(s, fabs(ty[i]));
        }
    }
    free(tx);
    free(ty);
    return d / s;
}

/* max |entry| over values and tangent blocks */
static double maxabs_all(const dj_ctx *c, const dj_mat *X)
{
    size_t n = X->rows * X->cols, p = dj_ctx_tangents(c);
    double m = 0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(X->val[i]));
    for (size_t i = 0; X->tan && i < n * p; ++i)
        m = fmax(m, fabs(X->tan[i]));
    return m;
}

/* A variable with random tangents (symmetric when sym). */
static dj_mat *rand_var(dj_ctx *c, uint64_t *seed, size_t r, size_t cc, const double *a,
                        int sym)
{
    size_t p = dj_ctx_tangents(c), n = r * cc;
    double *t = malloc(n * p * sizeof *t);
    mc_input in = { r, cc, a, sym ? MC_SYMMETRIC : MC_GENERAL };
    for (size_t k = 0; k < p; ++k)
        mc_direction(seed, &in, t + k * n);
    dj_mat *A = dj_mat_var(c, r, cc, a, r, t, n);
    free(t);
    return A;
}

static void test_factor_properties(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 5), DJ_OK);
    uint64_t seed = 7;
    /* Q R = A, Q^T Q = I (so Q^T dQ + dQ^T Q = 0), R upper with positive
       diagonal, dR upper */
    {
        const size_t m = 12, n = 7;
        double a[84];
        mc_rand(&seed, a, m * n, -1, 1);
        dj_mat *A = rand_var(c, &seed, m, n, a, 0), *R = NULL;
        dj_mat *Q = dj_mat_qr(c, A, &R);
        CU_ASSERT_PTR_NOT_NULL_FATAL(R);
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, Q, 0, R, 0), A) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, Q, 1, Q, 0), dj_mat_identity(c, n)) < 1e-13);
        for (size_t j = 0; j < n; ++j) {
            CU_ASSERT(R->val[j + j * n] > 0);
            for (size_t i = j + 1; i < n; ++i) {
                CU_ASSERT_EQUAL(R->val[i + j * n], 0.0);
                for (size_t k = 0; k < 5; ++k)
                    CU_ASSERT_EQUAL(R->tan[k * n * n + i + j * n], 0.0);
            }
        }
    }
    /* V diag(lam) V^T = A (symmetric tangents), V^T V = I, lam ascending,
       largest component of each vector positive */
    {
        const size_t n = 9;
        double a[81];
        sym_test_matrix(&seed, a, n);
        dj_mat *A = rand_var(c, &seed, n, n, a, 1), *V = NULL;
        dj_mat *lam = dj_mat_eigh(c, A, &V);
        CU_ASSERT_PTR_NOT_NULL_FATAL(V);
        dj_mat *VL = dj_mat_emul(c, V, dj_mat_transpose(c, lam));
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, VL, 0, V, 1), A) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, V, 1, V, 0), dj_mat_identity(c, n)) < 1e-13);
        for (size_t j = 0; j < n; ++j) {
            if (j + 1 < n)
                CU_ASSERT(lam->val[j] < lam->val[j + 1]);
            size_t best = 0;
            for (size_t i = 1; i < n; ++i)
                if (fabs(V->val[i + j * n]) > fabs(V->val[best + j * n]))
                    best = i;
            CU_ASSERT(V->val[best + j * n] > 0);
        }
        /* the values alone are those with vectors, to rounding */
        dj_mat *lam2 = dj_mat_eigh(c, A, NULL);
        CU_ASSERT(mat_diff(c, lam2, lam) < 1e-13);
    }
    /* U diag(s) V^T = A, U^T U = V^T V = I; s descending */
    {
        const size_t m = 10, n = 6;
        double a[60];
        svd_separated(&seed, a, m, n, 1.0);
        dj_mat *A = rand_var(c, &seed, m, n, a, 0), *U = NULL, *V = NULL;
        dj_mat *s = dj_mat_svd(c, A, &U, &V);
        CU_ASSERT_PTR_NOT_NULL_FATAL(V);
        dj_mat *US = dj_mat_emul(c, U, dj_mat_transpose(c, s));
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, US, 0, V, 1), A) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, U, 1, U, 0), dj_mat_identity(c, n)) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, V, 1, V, 0), dj_mat_identity(c, n)) < 1e-13);
        for (size_t i = 0; i + 1 < n; ++i)
            CU_ASSERT(s->val[i] > s->val[i + 1]);
        for (size_t j = 0; j < n; ++j) {        /* largest component of v_j positive */
            size_t best = 0;
            for (size_t i = 1; i < n; ++i)
                if (fabs(V->val[i + j * n]) > fabs(V->val[best + j * n]))
                    best = i;
            CU_ASSERT(V->val[best + j * n] > 0);
        }
        CU_ASSERT(mat_diff(c, dj_mat_svd(c, A, NULL, NULL), s) < 1e-13);
        /* the norms from the same singular values */
        dj_mat *n2 = dj_mat_norm_2(c, A), *nn = dj_mat_norm_nuc(c, A), *nf = dj_mat_norm_fro(c, A);
        CU_ASSERT(mat_diff(c, n2, dj_mat_block(c, s, 0, 0, 1, 1)) < 1e-13);
        CU_ASSERT(mat_diff(c, nn, dj_mat_sum(c, s)) < 1e-13);
        CU_ASSERT(mat_diff(c, nf, dj_mat_sqrt(c, dj_mat_dot(c, s, s))) < 1e-13);
        /* norms of A^T: the same */
        dj_mat *At = dj_mat_transpose(c, A);
        CU_ASSERT(mat_diff(c, dj_mat_norm_2(c, At), n2) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_norm_nuc(c, At), nn) < 1e-13);
        CU_ASSERT(mat_diff(c, dj_mat_norm_fro(c, At), nf) < 1e-13);
    }
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

static void test_expm_properties(void)
{
    dj_ctx *c = dj_ctx_new();
    CU_ASSERT_EQUAL(dj_ctx_set_mode(c, DJ_MODE_FORWARD, 4), DJ_OK);
    uint64_t seed = 8;
    /* expm(0) = I exactly, constant */
    dj_mat *E0 = dj_mat_expm(c, dj_mat_zeros(c, 6, 6));
    CU_ASSERT_PTR_NOT_NULL_FATAL(E0);
    CU_ASSERT_PTR_NULL(E0->tan);
    for (size_t j = 0; j < 6; ++j)
        for (size_t i = 0; i < 6; ++i)
            CU_ASSERT_EQUAL(E0->val[i + j * 6], i == j ? 1.0 : 0.0);
    /* diagonal A and diagonal tangents: exp(a_i), d = exp(a_i) da_i; off the
       diagonal everything 0; for norms that need scaling too */
    const double scales[] = { 0.01, 1.0, 12.0 };
    for (size_t t = 0; t < 3; ++t) {
        double a[25] = { 0 }, tan[100] = { 0 };
        for (size_t i = 0; i < 5; ++i) {
            a[i * 6] = scales[t] * ((double)i - 2.2);
            for (size_t k = 0; k < 4; ++k)
                tan[k * 25 + i * 6] = (double)k - (double)i * 0.5;
        }
        dj_mat *E = dj_mat_expm(c, dj_mat_var(c, 5, 5, a, 5, tan, 25));
        CU_ASSERT_PTR_NOT_NULL_FATAL(E);
        for (size_t j = 0; j < 5; ++j)
            for (size_t i = 0; i < 5; ++i) {
                double ex = i == j ? exp(a[i * 6]) : 0.0;
                CU_ASSERT(fabs(E->val[i + j * 5] - ex) <= 1e-14 * fmax(1, ex));
                for (size_t k = 0; k < 4; ++k) {
                    double dx = i == j ? ex * tan[k * 25 + i * 6] : 0.0;
                    CU_ASSERT(fabs(E->tan[k * 25 + i + j * 5] - dx)
                              <= 1e-13 * fmax(1, fabs(ex)) * 4);
                }
            }
    }
    /* expm(A) expm(-A) = I, tangents 0; and the Frechet derivative equals the
       upper-right block of exp([[A, dA], [0, A]]) (a primal 2n-by-2n expm) */
    const double norms[] = { 0.1, 1.5, 7.0, 30.0 };
    for (size_t t = 0; t < 4; ++t) {
        const size_t n = 7;
        double a[49];
        mc_rand(&seed, a, 49, -1, 1);
        for (size_t i = 0; i < 49; ++i)
            a[i] *= norms[t] / 4.0;
        dj_mat *A = rand_var(c, &seed, n, n, a, 0);
        dj_mat *E = dj_mat_expm(c, A), *Em = dj_mat_expm(c, dj_mat_neg(c, A));
        /* the rounding of the product is relative to |E| |E^-1| (values and
           tangents), which grows like exp(2 |A|) */
        double kappa = maxabs_all(c, E) * maxabs_all(c, Em) * (double)n;
        double dI = mat_diff(c, dj_mat_matmul(c, E, 0, Em, 0), dj_mat_identity(c, n));
        if (!(dI < 1e-14 * kappa))
            fprintf(stderr, "\n  expm(A) expm(-A): norm %g: %g (kappa %g)\n", norms[t], dI,
                    kappa);
        CU_ASSERT(dI < 1e-14 * kappa);
        /* expm(A) commutes with A, and so d: A dE + dA E = dE A + E dA */
        CU_ASSERT(mat_diff(c, dj_mat_matmul(c, A, 0, E, 0), dj_mat_matmul(c, E, 0, A, 0))
                  < 1e-13);
        dj_ctx *cp = dj_ctx_new();
        double big[196], blk[49], tk[49];
        for (size_t k = 0; k < 4; ++k) {
            dj_mat_get_tangent(c, A, k, tk, n);
            for (size_t j = 0; j < 2 * n; ++j)
                for (size_t i = 0; i < 2 * n; ++i) {
                    double v = 0;
                    if (i < n && j < n)
                        v = a[i + j * n];
                    else if (i >= n && j >= n)
                        v = a[(i - n) + (j - n) * n];
                    else if (i < n && j >= n)
                        v = tk[i + (j - n) * n];
                    big[i + j * 2 * n] = v;
                }
            dj_ctx_reset(cp);
            dj_mat *EB = dj_mat_expm(cp, dj_mat_const(cp, 2 * n, 2 * n, big, 2 * n));
            CU_ASSERT_PTR_NOT_NULL_FATAL(EB);
            dj_mat_get_tangent(c, E, k, blk, n);
            double d = 0, s = 1e-300;
            for (size_t j = 0; j < n; ++j)
                for (size_t i = 0; i < n; ++i) {
                    double ref = EB->val[i + (j + n) * 2 * n];
                    d = fmax(d, fabs(blk[i + j * n] - ref));
                    s = fmax(s, fabs(ref));
                }
            if (!(d <= 1e-12 * s))
                fprintf(stderr, "\n  expm Frechet vs block form: norm %g dir %zu: %g\n",
                        norms[t], k, d / s);
            CU_ASSERT(d <= 1e-12 * s);
        }
        dj_ctx_free(cp);
    }
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

/* Frobenius norm at 0: value 0, derivative 0 (defined so). */
static void test_norm_zero(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 3);
    double z[6] = { 0 }, t[18];
    for (int i = 0; i < 18; ++i)
        t[i] = i + 1;
    dj_mat *F = dj_mat_norm_fro(c, dj_mat_var(c, 2, 3, z, 2, t, 6));
    CU_ASSERT_PTR_NOT_NULL_FATAL(F);
    CU_ASSERT_EQUAL(F->val[0], 0.0);
    for (int k = 0; k < 3; ++k)
        CU_ASSERT_EQUAL(F->tan[k], 0.0);
    /* the nuclear and spectral norms have no derivative there */
    CU_ASSERT_PTR_NULL(dj_mat_norm_nuc(c, dj_mat_var(c, 2, 3, z, 2, t, 6)));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDOMAIN);
    dj_ctx_reset(c);
    CU_ASSERT_PTR_NULL(dj_mat_norm_2(c, dj_mat_var(c, 2, 3, z, 2, t, 6)));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDOMAIN);
    /* their values are fine in primal mode */
    dj_ctx_set_mode(c, DJ_MODE_PRIMAL, 0);
    dj_mat *Z = dj_mat_const(c, 2, 3, z, 2);
    CU_ASSERT_EQUAL(dj_mat_norm_nuc(c, Z)->val[0], 0.0);
    CU_ASSERT_EQUAL(dj_mat_norm_2(c, Z)->val[0], 0.0);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

/* ---- errors ------------------------------------------------------------------- */

#define EXPECT_FAIL(call, code, opname)                                      \
    do {                                                                     \
        CU_ASSERT_PTR_NULL(call);                                            \
        CU_ASSERT_EQUAL(dj_ctx_status(c), (code));                           \
        CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), (opname));                \
        CU_ASSERT(strlen(dj_ctx_error(c)) > 5);                              \
        dj_ctx_reset(c);                                                     \
    } while (0)

static void test_errors(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 2);
    double a[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, t[24];
    for (int i = 0; i < 24; ++i)
        t[i] = 0.1 * i;
    dj_mat *V = (dj_mat *)1, *U = (dj_mat *)1, *R = (dj_mat *)1;
    /* shapes */
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_var(c, 3, 4, a, 3, t, 12), &V), DJ_EDIM, "dj_mat_eigh");
    CU_ASSERT_PTR_NULL(V);
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_var(c, 4, 3, a, 4, t, 12)), DJ_EDIM, "dj_mat_expm");
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_var(c, 3, 4, a, 3, t, 12), &R), DJ_EDIM, "dj_mat_qr");
    CU_ASSERT_PTR_NULL(R);
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 3, 4, a, 3, t, 12), &U, &V), DJ_EDIM, "dj_mat_svd");
    CU_ASSERT_PTR_NULL(U);
    CU_ASSERT_PTR_NULL(V);
    /* NULL */
    EXPECT_FAIL(dj_mat_eigh(c, NULL, NULL), DJ_EARG, "dj_mat_eigh");
    EXPECT_FAIL(dj_mat_qr(c, NULL, NULL), DJ_EARG, "dj_mat_qr");
    EXPECT_FAIL(dj_mat_svd(c, NULL, NULL, NULL), DJ_EARG, "dj_mat_svd");
    EXPECT_FAIL(dj_mat_expm(c, NULL), DJ_EARG, "dj_mat_expm");
    EXPECT_FAIL(dj_mat_norm_fro(c, NULL), DJ_EARG, "dj_mat_norm_fro");
    EXPECT_FAIL(dj_mat_norm_nuc(c, NULL), DJ_EARG, "dj_mat_norm_nuc");
    EXPECT_FAIL(dj_mat_norm_2(c, NULL), DJ_EARG, "dj_mat_norm_2");
    CU_ASSERT_PTR_NULL(dj_mat_eigh(NULL, NULL, NULL));
    CU_ASSERT_PTR_NULL(dj_mat_expm(NULL, NULL));
    /* NaN and Inf */
    double bad[9] = { 4, 1, 0, 1, 5, 1, 0, 1, 6 };
    bad[2] = NAN;
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_const(c, 3, 3, bad, 3), NULL), DJ_ENONFINITE, "dj_mat_eigh");
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_const(c, 3, 3, bad, 3), NULL), DJ_ENONFINITE, "dj_mat_qr");
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_const(c, 3, 3, bad, 3), NULL, NULL), DJ_ENONFINITE, "dj_mat_svd");
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_const(c, 3, 3, bad, 3)), DJ_ENONFINITE, "dj_mat_expm");
    EXPECT_FAIL(dj_mat_norm_nuc(c, dj_mat_const(c, 3, 3, bad, 3)), DJ_ENONFINITE, "dj_mat_norm_nuc");
    bad[2] = INFINITY;
    EXPECT_FAIL(dj_mat_norm_2(c, dj_mat_const(c, 3, 3, bad, 3)), DJ_ENONFINITE, "dj_mat_norm_2");
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_const(c, 3, 3, bad, 3)), DJ_ENONFINITE, "dj_mat_expm");
    /* eigh reads only the lower triangle: NaN above it is never seen */
    bad[2] = 0;
    bad[6] = NAN;
    dj_mat *lam = dj_mat_eigh(c, dj_mat_const(c, 3, 3, bad, 3), &V);
    CU_ASSERT_PTR_NOT_NULL(lam);
    CU_ASSERT_PTR_NOT_NULL(V);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_reset(c);
    /* repeated eigenvalues: vectors in forward mode fail, values do not */
    double id[9] = { 2, 0, 0, 0, 2, 0, 0, 0, 3 }, ts[18];
    for (int k = 0; k < 2; ++k)
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 3; ++i)
                ts[k * 9 + i + j * 3] = (double)(i + j + k);
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_var(c, 3, 3, id, 3, ts, 9), &V), DJ_EDOMAIN, "dj_mat_eigh");
    CU_ASSERT_PTR_NULL(V);
    double near[9] = { 2, 0, 0, 0, 2 + 1e-12, 0, 0, 0, 3 };
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_var(c, 3, 3, near, 3, ts, 9), &V), DJ_EDOMAIN, "dj_mat_eigh");
    lam = dj_mat_eigh(c, dj_mat_var(c, 3, 3, id, 3, ts, 9), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lam);
    CU_ASSERT_EQUAL(lam->val[0], 2.0);
    CU_ASSERT_EQUAL(lam->val[2], 3.0);
    DJ_ASSERT_CLOSE(lam->tan[2], ts[8], 1e-14);                 /* the simple one */
    DJ_ASSERT_CLOSE(lam->tan[0] + lam->tan[1], ts[0] + ts[4], 1e-14);   /* the pair's trace */
    /* with a constant input, or in primal mode, the vectors are fine */
    CU_ASSERT_PTR_NOT_NULL(dj_mat_eigh(c, dj_mat_const(c, 3, 3, id, 3), &V));
    CU_ASSERT_PTR_NOT_NULL(V);
    CU_ASSERT_PTR_NULL(V->tan);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* rank-deficient QR */
    double rd[12] = { 1, 2, 3, 4, 2, 4, 6, 8, 0, 1, 0, 1 };  /* col 2 = 2 col 1 */
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_var(c, 4, 3, rd, 4, t, 12), &R), DJ_ESINGULAR, "dj_mat_qr");
    double rd2[12] = { 1, 2, 3, 4, 0, 1, 0, 1, 1, 3, 3, 5 };  /* col 3 = col 1 + col 2 */
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_const(c, 4, 3, rd2, 4), NULL), DJ_ESINGULAR, "dj_mat_qr");
    /* SVD: repeated or zero singular values with vectors in forward mode */
    double sv[12] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5, 0 };   /* s = 1, 1, 0.5 */
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 4, 3, sv, 4, t, 12), &U, NULL), DJ_EDOMAIN, "dj_mat_svd");
    double sz[12] = { 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };     /* s = 3, 1, 0 */
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 4, 3, sz, 4, t, 12), NULL, &V), DJ_EDOMAIN, "dj_mat_svd");
    CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, dj_mat_var(c, 4, 3, sv, 4, t, 12), NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, dj_mat_const(c, 4, 3, sv, 4), &U, &V));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* norms: nuclear with a zero singular value, spectral with a repeated top */
    EXPECT_FAIL(dj_mat_norm_nuc(c, dj_mat_var(c, 4, 3, sz, 4, t, 12)), DJ_EDOMAIN, "dj_mat_norm_nuc");
    EXPECT_FAIL(dj_mat_norm_2(c, dj_mat_var(c, 4, 3, sv, 4, t, 12)), DJ_EDOMAIN, "dj_mat_norm_2");
    CU_ASSERT_PTR_NOT_NULL(dj_mat_norm_2(c, dj_mat_var(c, 4, 3, sz, 4, t, 12)));
    CU_ASSERT_PTR_NOT_NULL(dj_mat_norm_nuc(c, dj_mat_var(c, 4, 3, sv, 4, t, 12)));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* expm that overflows */
    double huge[4] = { 800, 0, 0, 1 };
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_const(c, 2, 2, huge, 2)), DJ_ENONFINITE, "dj_mat_expm");
    /* sticky: the first failure stays, later valid calls return NULL */
    CU_ASSERT_PTR_NULL(dj_mat_qr(c, dj_mat_const(c, 3, 4, a, 3), NULL));
    dj_mat *ok = dj_mat_const(c, 3, 3, id, 3);
    CU_ASSERT_PTR_NULL(ok);
    CU_ASSERT_PTR_NULL(dj_mat_eigh(c, ok, &V));
    CU_ASSERT_PTR_NULL(V);
    CU_ASSERT_PTR_NULL(dj_mat_expm(c, ok));
    CU_ASSERT_PTR_NULL(dj_mat_norm_fro(c, ok));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_EDIM);
    CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), "dj_mat_qr");
    dj_ctx_reset(c);
    /* an arena limit: DJ_ENOMEM, no crash */
    double big[64 * 64];
    uint64_t seed = 3;
    sym_test_matrix(&seed, big, 64);
    dj_ctx_set_limit(c, 4 * 64 * 64 * 8);
    dj_mat *B = dj_mat_const(c, 64, 64, big, 64);
    CU_ASSERT_PTR_NOT_NULL(B);
    CU_ASSERT_PTR_NULL(dj_mat_eigh(c, B, &V));
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
    dj_ctx_set_limit(c, 0);
    dj_ctx_reset(c);
    dj_ctx_free(c);
}

/* Arguments unchanged; a program run again reuses the arena. */
static void test_arena_and_args(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_FORWARD, 8);
    uint64_t seed = 77;
    double a[20 * 20], t[20 * 20 * 8], a0[400], t0[3200];
    sym_test_matrix(&seed, a, 20);
    mc_rand(&seed, t, 3200, -1, 1);
    memcpy(a0, a, sizeof a);
    memcpy(t0, t, sizeof t);
    size_t reserved = 0;
    for (int run = 0; run < 3; ++run) {
        dj_ctx_reset(c);
        dj_mat *A = dj_mat_var(c, 20, 20, a, 20, t, 400), *V, *U, *R;
        double av[400], at[3200];
        memcpy(av, A->val, sizeof av);
        memcpy(at, A->tan, sizeof at);
        dj_mat *out[8];
        out[0] = dj_mat_eigh(c, A, &V);
        out[1] = dj_mat_qr(c, A, &R);
        out[2] = dj_mat_svd(c, A, &U, &V);
        out[3] = dj_mat_svd(c, A, NULL, NULL);
        out[4] = dj_mat_expm(c, dj_mat_scale(c, A, 0.1));
        out[5] = dj_mat_norm_fro(c, A);
        out[6] = dj_mat_norm_nuc(c, A);
        out[7] = dj_mat_norm_2(c, A);
        for (int i = 0; i < 8; ++i)
            CU_ASSERT_PTR_NOT_NULL(out[i]);
        CU_ASSERT_EQUAL(memcmp(av, A->val, sizeof av), 0);
        CU_ASSERT_EQUAL(memcmp(at, A->tan, sizeof at), 0);
        if (run == 1)
            reserved = dj_ctx_bytes_reserved(c);
        if (run == 2)
            CU_ASSERT_EQUAL(dj_ctx_bytes_reserved(c), reserved);
    }
    CU_ASSERT_EQUAL(memcmp(a, a0, sizeof a), 0);
    CU_ASSERT_EQUAL(memcmp(t, t0, sizeof t), 0);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    /* primal mode: constant outputs */
    dj_ctx_set_mode(c, DJ_MODE_PRIMAL, 0);
    dj_mat *A = dj_mat_var(c, 20, 20, a, 20, t, 400), *V;
    CU_ASSERT_PTR_NULL(A->tan);
    CU_ASSERT_PTR_NULL(dj_mat_eigh(c, A, &V)->tan);
    CU_ASSERT_PTR_NULL(V->tan);
    CU_ASSERT_PTR_NULL(dj_mat_expm(c, dj_mat_scale(c, A, 0.1))->tan);
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "eigh: values and vectors vs differences", test_eigh_rules },
        { "qr: Q and R vs differences", test_qr_rules },
        { "svd: s, U and V vs differences", test_svd_rules },
        { "expm: every Pade degree and scaling vs differences", test_expm_rules },
        { "norms: Frobenius, nuclear, spectral vs differences", test_norm_rules },
        { "factor properties with tangents", test_factor_properties },
        { "expm properties and the block form", test_expm_properties },
        { "norms at zero", test_norm_zero },
        { "errors", test_errors },
        { "arena reuse, unchanged arguments, primal mode", test_arena_and_args },
        { NULL, NULL },
    };
    return dj_test_run("decomp", cases);
}
