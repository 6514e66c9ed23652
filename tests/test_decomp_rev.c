/* test_decomp_rev.c - reverse mode (adjoint rules) of eigh, QR, SVD, expm
 * and the norms: the dot-product test (mat_check.h: adjoint_check) for
 * every op and every combination of outputs a program can use (one output,
 * several, the same output twice, outputs asked for and left unused), for
 * several shapes and q in {1, 3, 8, 17}; the reverse Jacobian of a program
 * using all of them against the forward one; the tape entries; the error
 * paths in reverse mode. */
#include "mat_check.h"
#include "decomp_ops.h"

static const size_t qs[] = { 1, 3, 8, 17 };
#define NQS (sizeof qs / sizeof *qs)
/* <Yb, dY> and <Xb, dX>: agreement to 1e-13 relative to the sum of the
 * magnitudes of the products */
#define ADJ_TOL 1e-13

/* ---- programs (those with one output each: decomp_ops.h) --------------------- */

/* eigh */
static dj_mat *e_v_lam(dj_ctx *c, dj_mat **in, void *u)         /* [V lam] */
{
    (void)u;
    dj_mat *V = NULL, *lam = dj_mat_eigh(c, in[0], &V);
    return dj_mat_hcat(c, V, lam);
}
static dj_mat *e_lam_v(dj_ctx *c, dj_mat **in, void *u)         /* [lam V], read in the other order */
{
    (void)u;
    dj_mat *V = NULL, *lam = dj_mat_eigh(c, in[0], &V);
    dj_mat *s = dj_mat_sin(c, lam);
    return dj_mat_hcat(c, s, dj_mat_tanh(c, V));
}
static dj_mat *e_mix(dj_ctx *c, dj_mat **in, void *u)           /* V lam, V V^T, sum lam */
{
    (void)u;
    dj_mat *V = NULL, *lam = dj_mat_eigh(c, in[0], &V);
    dj_mat *x = dj_mat_matvec(c, V, lam);
    dj_mat *y = dj_mat_matmul(c, V, 0, dj_mat_exp(c, V), 1);
    return dj_mat_add(c, dj_mat_hcat(c, x, y), dj_mat_sum(c, lam));
}

/* qr */
static dj_mat *q_both(dj_ctx *c, dj_mat **in, void *u)         /* [Q; R] */
{
    (void)u;
    dj_mat *R = NULL, *Q = dj_mat_qr(c, in[0], &R);
    return dj_mat_vcat(c, Q, R);
}
/* Q R (= A) and sin(R) Q^T exp(Q). The right factors are given transposed:
 * dj_mat_matmul's values in forward mode come from a wider GEMM when B has
 * tangents and is not transposed, and can differ from the primal's in the
 * last bits (seen at 32x32), which adjoint_check's equal-values test
 * rejects; that is matmul's matter, not these rules'. */
static dj_mat *q_qr(dj_ctx *c, dj_mat **in, void *u)
{
    (void)u;
    dj_mat *R = NULL, *Q = dj_mat_qr(c, in[0], &R);
    dj_mat *a = dj_mat_matmul(c, Q, 0, dj_mat_transpose(c, R), 1);
    dj_mat *QtE = dj_mat_matmul(c, Q, 1, dj_mat_transpose(c, dj_mat_exp(c, Q)), 1);
    dj_mat *b = dj_mat_matmul(c, dj_mat_sin(c, R), 0, dj_mat_transpose(c, QtE), 1);
    return dj_mat_vcat(c, a, b);
}

/* svd */
static dj_mat *s_uv(dj_ctx *c, dj_mat **in, void *u)            /* [U; V] */
{
    (void)u;
    dj_mat *U = NULL, *V = NULL;
    dj_mat_svd(c, in[0], &U, &V);
    return dj_mat_vcat(c, U, V);
}
static dj_mat *s_us(dj_ctx *c, dj_mat **in, void *u)            /* U s, V not asked */
{
    (void)u;
    dj_mat *U = NULL, *s = dj_mat_svd(c, in[0], &U, NULL);
    return dj_mat_matvec(c, U, dj_mat_exp(c, s));
}
static dj_mat *s_vs(dj_ctx *c, dj_mat **in, void *u)            /* [V s, V^2] */
{
    (void)u;
    dj_mat *V = NULL, *s = dj_mat_svd(c, in[0], NULL, &V);
    return dj_mat_hcat(c, dj_mat_matvec(c, V, s), dj_mat_matmul(c, V, 0, V, 0));
}
static dj_mat *s_usv(dj_ctx *c, dj_mat **in, void *u)           /* U diag(s) V^T (= A) */
{
    (void)u;
    dj_mat *U = NULL, *V = NULL, *s = dj_mat_svd(c, in[0], &U, &V);
    dj_mat *US = dj_mat_emul(c, U, dj_mat_transpose(c, s));
    return dj_mat_matmul(c, US, 0, V, 1);
}
static dj_mat *s_all(dj_ctx *c, dj_mat **in, void *u)           /* [U; V] sin(s) + sum(s) */
{
    (void)u;
    dj_mat *U = NULL, *V = NULL, *s = dj_mat_svd(c, in[0], &U, &V);
    dj_mat *x = dj_mat_matvec(c, dj_mat_vcat(c, U, dj_mat_tanh(c, V)), dj_mat_sin(c, s));
    return dj_mat_add(c, x, dj_mat_sum(c, s));
}

static dj_mat *p_expm2(dj_ctx *c, dj_mat **in, void *u)         /* expm used twice */
{
    (void)u;
    dj_mat *E = dj_mat_expm(c, in[0]);
    return dj_mat_matmul(c, E, 0, dj_mat_sin(c, E), 1);
}
static dj_mat *p_norms(dj_ctx *c, dj_mat **in, void *u)         /* all three, combined */
{
    (void)u;
    dj_mat *a = dj_mat_norm_fro(c, in[0]), *b = dj_mat_norm_nuc(c, in[0]);
    dj_mat *d = dj_mat_norm_2(c, dj_mat_sin(c, in[0]));
    return dj_mat_vcat(c, dj_mat_vcat(c, a, dj_mat_emul(c, a, b)), d);
}

static int adj_all_q(const char *name, mc_prog f, const mc_input *in, uint64_t seed, double tol)
{
    int fails = 0;
    for (size_t q = 0; q < NQS; ++q) {
        int r = adjoint_check(name, f, NULL, 1, in, qs[q], seed + q, tol);
        if (r)
            fprintf(stderr, "\n  %s %zux%zu kind %d q=%zu: %d failures\n", name, in->rows,
                    in->cols, in->kind, qs[q], r);
        fails += r;
    }
    return fails;
}

/* Each program on the m-by-n a: varying (every q), and constant (q = 3). */
static void adj_progs(const prog_entry *progs, size_t np, size_t m, size_t n, const double *a,
                      uint64_t seed)
{
    for (size_t o = 0; o < np; ++o) {
        mc_input in[1] = { { m, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(adj_all_q(progs[o].name, progs[o].f, in, seed, ADJ_TOL), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(adjoint_check(progs[o].name, progs[o].f, NULL, 1, in, 3, seed,
                                      ADJ_TOL), 0);
    }
}

/* ---- the dot-product test ------------------------------------------------------ */

static void test_eigh_adjoint(void)
{
    const prog_entry progs[] = { { "eigh values", p_eig_vals },
                                 { "eigh values (V asked)", p_eig_vals_v },
                                 { "eigh vectors", p_eig_vecs }, { "eigh [V lam]", e_v_lam },
                                 { "eigh [lam V]", e_lam_v }, { "eigh mixed", e_mix } };
    uint64_t seed = 2024;
    for (size_t s = 0; s < DEC_NNS; ++s) {
        size_t n = dec_ns[s];
        double *a = malloc(n * n * sizeof *a);
        sym_test_matrix(&seed, a, n);
        for (size_t o = 0; o < sizeof progs / sizeof *progs; ++o) {
            /* symmetric tangents, and general ones: the forward rule reads
               only tril(dA), the adjoint lands on the lower triangle */
            mc_input in[1] = { { n, n, a, MC_SYMMETRIC } };
            CU_ASSERT_EQUAL(adj_all_q(progs[o].name, progs[o].f, in, seed, ADJ_TOL), 0);
            in[0].kind = MC_GENERAL;
            CU_ASSERT_EQUAL(adj_all_q(progs[o].name, progs[o].f, in, seed + 7, ADJ_TOL), 0);
            in[0].kind = MC_CONST;
            CU_ASSERT_EQUAL(adjoint_check(progs[o].name, progs[o].f, NULL, 1, in, 3, seed,
                                          ADJ_TOL), 0);
        }
        free(a);
    }
}

/* The adjoint of the lower-triangle reading: the upper triangle of Ab is 0
 * and Ab with symmetric directions is the symmetric gradient. */
static void test_eigh_triangle(void)
{
    uint64_t seed = 11;
    size_t n = 6;
    double a[36], yb[6 * 7], g[36];
    sym_test_matrix(&seed, a, n);
    mc_rand(&seed, yb, 42, -1, 1);
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 1);
    dj_mat *A = dj_mat_var(c, n, n, a, n, a, 36);
    dj_mat *Y = e_v_lam(c, &A, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(Y);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, Y, yb, 42), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, n), DJ_OK);
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < j; ++i)
            CU_ASSERT_EQUAL(g[i + j * n], 0.0);
    dj_ctx_free(c);
}

static void test_qr_adjoint(void)
{
    const prog_entry progs[] = { { "qr Q", p_qr_q }, { "qr Q (R asked)", p_qr_q_r },
                                 { "qr R", p_qr_r }, { "qr [Q; R]", q_both }, { "qr QR", q_qr } };
    uint64_t seed = 31;
    for (size_t s = 0; s < NQR_SHAPES; ++s) {
        size_t m = qr_shapes[s][0], n = qr_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        qr_test_matrix(&seed, a, m, n);
        adj_progs(progs, sizeof progs / sizeof *progs, m, n, a, seed);
        free(a);
    }
}

static void test_svd_adjoint(void)
{
    const prog_entry progs[] = { { "svd s", p_svd_s }, { "svd s (U, V asked)", p_svd_s_uv },
                                 { "svd U", p_svd_u }, { "svd V", p_svd_v },
                                 { "svd U (both asked)", p_svd_uv_u },
                                 { "svd V (both asked)", p_svd_uv_v }, { "svd [U; V]", s_uv },
                                 { "svd U s", s_us }, { "svd [V s, V^2]", s_vs },
                                 { "svd U S V^T", s_usv }, { "svd all", s_all } };
    uint64_t seed = 57;
    for (size_t s = 0; s < NSVD_SHAPES; ++s) {
        size_t m = svd_shapes[s][0], n = svd_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        svd_separated(&seed, a, m, n, 1.0);
        adj_progs(progs, sizeof progs / sizeof *progs, m, n, a, seed);
        /* values alone on a generic matrix */
        mc_rand(&seed, a, m * n, -1, 1);
        mc_input in[1] = { { m, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(adjoint_check("svd s (random)", p_svd_s, NULL, 1, in, 8, seed, ADJ_TOL),
                        0);
        free(a);
    }
}

/* expm: sizes, and norms that select each Pade degree and several scalings */
static void test_expm_adjoint(void)
{
    uint64_t seed = 99;
    for (size_t s = 0; s < DEC_NNS; ++s)
        for (size_t t = 0; t < NEXPM_NORMS; ++t) {
            size_t n = dec_ns[s];
            double *a = malloc(n * n * sizeof *a);
            rand_norm1(&seed, a, n, expm_norms[t]);
            /* a non-normal matrix: ||A^T||_1 != ||A||_1 for n > 1, so the
               adjoint's run at A^T must keep the primal's degree and scaling */
            mc_input in[1] = { { n, n, a, MC_GENERAL } };
            CU_ASSERT_EQUAL(adj_all_q("expm", p_expm, in, seed, ADJ_TOL), 0);
            if (t == 3 || t == 5) {
                CU_ASSERT_EQUAL(adjoint_check("expm twice", p_expm2, NULL, 1, in, 8, seed,
                                              ADJ_TOL), 0);
                in[0].kind = MC_CONST;
                CU_ASSERT_EQUAL(adjoint_check("expm", p_expm, NULL, 1, in, 3, seed, ADJ_TOL), 0);
            }
            free(a);
        }
}

static void test_norm_adjoint(void)
{
    uint64_t seed = 4242;
    for (size_t s = 0; s < NNORM_SHAPES; ++s) {
        size_t m = norm_shapes[s][0], n = norm_shapes[s][1];
        double *a = malloc(m * n * sizeof *a);
        svd_separated_any(&seed, a, m, n, 0.5);
        mc_input in[1] = { { m, n, a, MC_GENERAL } };
        CU_ASSERT_EQUAL(adj_all_q("norm_fro", p_fro, in, seed, ADJ_TOL), 0);
        CU_ASSERT_EQUAL(adj_all_q("norm_nuc", p_nuc, in, seed, ADJ_TOL), 0);
        CU_ASSERT_EQUAL(adj_all_q("norm_2", p_norm2, in, seed, ADJ_TOL), 0);
        CU_ASSERT_EQUAL(adj_all_q("norms combined", p_norms, in, seed, ADJ_TOL), 0);
        mc_rand(&seed, a, m * n, -1, 1);        /* a generic spectrum */
        CU_ASSERT_EQUAL(adjoint_check("norm_fro", p_fro, NULL, 1, in, 8, seed, ADJ_TOL), 0);
        CU_ASSERT_EQUAL(adjoint_check("norm_nuc", p_nuc, NULL, 1, in, 8, seed, ADJ_TOL), 0);
        CU_ASSERT_EQUAL(adjoint_check("norm_2", p_norm2, NULL, 1, in, 8, seed, ADJ_TOL), 0);
        in[0].kind = MC_CONST;
        CU_ASSERT_EQUAL(adjoint_check("norm_nuc", p_nuc, NULL, 1, in, 3, seed, ADJ_TOL), 0);
        free(a);
    }
}

/* ---- reverse Jacobian = forward Jacobian ---------------------------------------- */

typedef struct { size_t m, n; } jp_shape;

/* x = vec(A), A m-by-n (m >= n > 1): y = [Q; R; s; U; V; lam, W of sym(A^T A);
 * expm(A1/2) (A1 the top n-by-n block); the three norms], all vec'd. */
static int jac_prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const jp_shape *sh = user;
    size_t m = sh->m, n = sh->n;
    dj_mat *A = dj_mat_reshape(c, x, m, n);
    dj_mat *R = NULL, *U = NULL, *V = NULL, *W = NULL;
    dj_mat *Q = dj_mat_qr(c, A, &R);
    dj_mat *s = dj_mat_svd(c, A, &U, &V);
    dj_mat *S = dj_mat_matmul(c, A, 1, A, 0);
    dj_mat *lam = dj_mat_eigh(c, S, &W);
    dj_mat *E = dj_mat_expm(c, dj_mat_scale(c, dj_mat_block(c, A, 0, 0, n, n), 0.5));
    dj_mat *parts[] = { Q, R, s, U, V, lam, W, E, dj_mat_norm_fro(c, A),
                        dj_mat_norm_nuc(c, A), dj_mat_norm_2(c, A) };
    dj_mat *Y = NULL;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; ++i) {
        dj_mat *v = dj_mat_vec(c, parts[i]);
        Y = Y ? dj_mat_vcat(c, Y, v) : v;
    }
    *y = Y;
    return 0;
}

static void test_jacrev(void)
{
    const jp_shape shapes[] = { { 4, 3 }, { 6, 6 }, { 9, 4 } };
    for (size_t t = 0; t < sizeof shapes / sizeof *shapes; ++t) {
        jp_shape sh = shapes[t];
        size_t m = sh.m, n = sh.n, nin = m * n;
        size_t nout = m * n + n * n + n + m * n + n * n + n + n * n + n * n + 3;
        dj_function F = { .n = nin, .m = nout, .user = &sh, .f_mat = jac_prog };
        double *x = malloc(nin * sizeof *x), *Jf = malloc(nout * nin * sizeof *Jf);
        double *Jr = malloc(nout * nin * sizeof *Jr), *y = malloc(nout * sizeof *y);
        uint64_t seed = 500 + t;
        svd_separated(&seed, x, m, n, 1.0);       /* distinct singular values */
        CU_ASSERT_EQUAL_FATAL(dj_jacfwd(&F, x, NULL, Jf, nout, NULL), DJ_OK);
        const int chunks[] = { 0, 1, 5, 17 };
        for (size_t ch = 0; ch < 4; ++ch) {
            dj_jac_opts o = { chunks[ch], 0, NULL, 0, 0 };
            int rc = dj_jacrev(&F, x, y, Jr, nout, &o);
            CU_ASSERT_EQUAL(rc, DJ_OK);
            double e = 0, big = 0;
            for (size_t i = 0; i < nout * nin; ++i) {
                e = fmax(e, fabs(Jr[i] - Jf[i]));
                big = fmax(big, fabs(Jf[i]));
            }
            if (!(e <= 1e-12 * big))
                fprintf(stderr, "\n  jacrev %zux%zu chunk %d: max err %.3g (max %.3g)\n", m, n,
                        chunks[ch], e, big);
            CU_ASSERT(e <= 1e-12 * big);
        }
        free(x); free(Jf); free(Jr); free(y);
    }
}

/* ---- tape entries, zero adjoints, errors ------------------------------------------ */

#define EXPECT_FAIL(call, code, opname)                                      \
    do {                                                                     \
        CU_ASSERT_PTR_NULL(call);                                            \
        CU_ASSERT_EQUAL(dj_ctx_status(c), (code));                           \
        CU_ASSERT_STRING_EQUAL(dj_ctx_error_op(c), (opname));                \
        dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);                              \
    } while (0)

static void test_tape(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    uint64_t seed = 5;
    double a[20], s[16];
    svd_separated(&seed, a, 5, 4, 1.0);
    sym_test_matrix(&seed, s, 4);
    dj_mat *A = dj_mat_var(c, 5, 4, a, 5, a, 20), *S = dj_mat_var(c, 4, 4, s, 4, s, 16);
    dj_mat *U, *V, *R;
    size_t t0 = dj_ctx_tape_ops(c);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, A, &U, &V));
    CU_ASSERT(U->on_tape && V->on_tape);
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), t0 + 3);           /* one entry per output */
    CU_ASSERT_PTR_NOT_NULL(dj_mat_qr(c, A, &R));
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), t0 + 5);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_eigh(c, S, NULL));
    CU_ASSERT_PTR_NOT_NULL(dj_mat_expm(c, S));
    CU_ASSERT_PTR_NOT_NULL(dj_mat_norm_nuc(c, A));
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), t0 + 8);
    /* constants are not recorded */
    dj_mat *K = dj_mat_const(c, 5, 4, a, 5);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, K, &U, &V));
    CU_ASSERT(!U->on_tape && U->tan == NULL);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_norm_fro(c, K));
    CU_ASSERT_EQUAL(dj_ctx_tape_ops(c), t0 + 8);
    /* a sweep from an output nothing else used */
    double yb[2 * 16], g[20];
    mc_rand(&seed, yb, 32, -1, 1);
    CU_ASSERT_PTR_NOT_NULL(dj_mat_svd(c, A, NULL, &V));
    CU_ASSERT_EQUAL(dj_ctx_backward(c, V, yb, 16), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, g, 5), DJ_OK);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_OK);
    dj_ctx_free(c);
}

static void test_errors_reverse(void)
{
    dj_ctx *c = dj_ctx_new();
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    double a[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    dj_mat *V = (dj_mat *)1, *U = (dj_mat *)1, *R = (dj_mat *)1;
    /* shapes and NULL */
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_var(c, 3, 4, a, 3, a, 12), &V), DJ_EDIM, "dj_mat_eigh");
    CU_ASSERT_PTR_NULL(V);
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_var(c, 3, 4, a, 3, a, 12), &R), DJ_EDIM, "dj_mat_qr");
    CU_ASSERT_PTR_NULL(R);
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 3, 4, a, 3, a, 12), &U, &V), DJ_EDIM, "dj_mat_svd");
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_var(c, 4, 3, a, 4, a, 12)), DJ_EDIM, "dj_mat_expm");
    EXPECT_FAIL(dj_mat_norm_2(c, NULL), DJ_EARG, "dj_mat_norm_2");
    /* repeated eigenvalues: vectors fail, values do not (and their adjoint
       is V diag(lamb) V^T, well defined when lamb is equal on the cluster) */
    double id[9] = { 2, 0, 0, 0, 2, 0, 0, 0, 3 };
    EXPECT_FAIL(dj_mat_eigh(c, dj_mat_var(c, 3, 3, id, 3, id, 9), &V), DJ_EDOMAIN, "dj_mat_eigh");
    CU_ASSERT_PTR_NULL(V);
    dj_mat *A = dj_mat_var(c, 3, 3, id, 3, id, 9);
    dj_mat *lam = dj_mat_eigh(c, A, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lam);
    double lb[6] = { 1, 1, 0, 0, 0, 5 }, g[12];
    CU_ASSERT_EQUAL(dj_ctx_backward(c, lam, lb, 3), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 3), DJ_OK);
    const double want0[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 0 };
    for (int i = 0; i < 9; ++i)
        DJ_ASSERT_CLOSE(g[i], want0[i], 1e-14);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, g, 3), DJ_OK);
    DJ_ASSERT_CLOSE(g[8], 5.0, 1e-14);
    DJ_ASSERT_CLOSE(g[0] + g[4], 0.0, 1e-14);
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    /* rank-deficient QR */
    double rd[12] = { 1, 2, 3, 4, 2, 4, 6, 8, 0, 1, 0, 1 };
    EXPECT_FAIL(dj_mat_qr(c, dj_mat_var(c, 4, 3, rd, 4, rd, 12), &R), DJ_ESINGULAR, "dj_mat_qr");
    /* SVD with vectors: repeated or zero singular values */
    double sv[12] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5, 0 };   /* s = 1, 1, 0.5 */
    double sz[12] = { 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };     /* s = 3, 1, 0 */
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 4, 3, sv, 4, sv, 12), &U, NULL), DJ_EDOMAIN, "dj_mat_svd");
    EXPECT_FAIL(dj_mat_svd(c, dj_mat_var(c, 4, 3, sz, 4, sz, 12), NULL, &V), DJ_EDOMAIN, "dj_mat_svd");
    /* values alone are fine there: Ab = U diag(sb) V^T */
    A = dj_mat_var(c, 4, 3, sz, 4, sz, 12);
    dj_mat *s = dj_mat_svd(c, A, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    double sb[6] = { 1, 0, 0, 0, 0, 1 };
    CU_ASSERT_EQUAL(dj_ctx_backward(c, s, sb, 3), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 0, g, 4), DJ_OK);
    DJ_ASSERT_CLOSE(g[0], 1.0, 1e-14);                 /* u1 v1^T = e1 e1^T */
    DJ_ASSERT_CLOSE(fabs(g[5]), 0.0, 1e-14);
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    /* norms: nuclear with a zero singular value, spectral with a repeated top */
    EXPECT_FAIL(dj_mat_norm_nuc(c, dj_mat_var(c, 4, 3, sz, 4, sz, 12)), DJ_EDOMAIN, "dj_mat_norm_nuc");
    EXPECT_FAIL(dj_mat_norm_2(c, dj_mat_var(c, 4, 3, sv, 4, sv, 12)), DJ_EDOMAIN, "dj_mat_norm_2");
    /* Frobenius at zero: value 0, adjoint 0 */
    double z[6] = { 0 }, ones[2] = { 1, 1 };
    A = dj_mat_var(c, 2, 3, z, 2, z, 6);
    dj_mat *f = dj_mat_norm_fro(c, A);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->val[0], 0.0);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, f, ones, 1), DJ_OK);
    CU_ASSERT_EQUAL(dj_mat_get_adjoint(c, A, 1, g, 2), DJ_OK);
    for (int i = 0; i < 6; ++i)
        CU_ASSERT_EQUAL(g[i], 0.0);
    dj_ctx_set_mode(c, DJ_MODE_REVERSE, 2);
    /* expm that overflows */
    double huge[4] = { 800, 0, 0, 1 };
    EXPECT_FAIL(dj_mat_expm(c, dj_mat_var(c, 2, 2, huge, 2, huge, 4)), DJ_ENONFINITE, "dj_mat_expm");
    /* the adjoint storage over the arena limit: the sweep fails, no crash */
    uint64_t seed = 3;
    double big[16 * 16], yb[2 * 16 * 16];
    mc_rand(&seed, big, 256, -1, 1);
    mc_rand(&seed, yb, 512, -1, 1);
    A = dj_mat_var(c, 16, 16, big, 16, big, 256);
    dj_mat *E = dj_mat_expm(c, A);
    dj_mat *Q = dj_mat_qr(c, E, &R);
    CU_ASSERT_PTR_NOT_NULL_FATAL(Q);
    dj_ctx_set_limit(c, dj_ctx_bytes_used(c) + 4096);
    CU_ASSERT_EQUAL(dj_ctx_backward(c, R, yb, 256), DJ_ENOMEM);
    CU_ASSERT_EQUAL(dj_ctx_status(c), DJ_ENOMEM);
    dj_ctx_set_limit(c, 0);
    /* a failed context: the sweep returns its status */
    CU_ASSERT_EQUAL(dj_ctx_backward(c, R, yb, 256), DJ_ENOMEM);
    dj_ctx_free(c);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "adjoint test: eigh, every output combination", test_eigh_adjoint },
        { "eigh: the adjoint stays on the lower triangle", test_eigh_triangle },
        { "adjoint test: qr, every output combination", test_qr_adjoint },
        { "adjoint test: svd, every output combination", test_svd_adjoint },
        { "adjoint test: expm, every Pade degree and scaling", test_expm_adjoint },
        { "adjoint test: norms", test_norm_adjoint },
        { "reverse Jacobian = forward Jacobian", test_jacrev },
        { "tape entries", test_tape },
        { "errors in reverse mode", test_errors_reverse },
        { NULL, NULL },
    };
    return dj_test_run("decomp_rev", cases);
}
