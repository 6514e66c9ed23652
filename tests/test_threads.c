/* test_threads.c - several threads computing Jacobians at once, each with
 * its own function data and its own context: scalar code in several
 * chunked forward passes (the thread-local memo of libm results), reverse
 * mode on scalar code (the thread-local dj_rvar tape), and a matrix program
 * with LAPACK operations in forward and reverse mode. Every thread compares
 * its results with Jacobians computed beforehand on the main thread: they
 * must be bit-identical. */
#include <pthread.h>
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

#include "tfun.h"


#define NTHREADS 4
#define ROUNDS 20
#define SN 70              /* 70 columns: several passes at every width */
#define SM (SN + 1)
#define K 4
#define MN (K * K)
#define MM (3 * K * K + K)

/* S = A^T A + K I; outputs inv(S), chol(S), expm(A / 4), eigenvalues of S */
static int prog(void *user, dj_ctx *c, const dj_mat *x, dj_mat **y)
{
    const double *shift = user;
    dj_mat *A = dj_mat_reshape(c, x, K, K);
    dj_mat *S = dj_mat_add(c, dj_mat_matmul(c, A, 1, A, 0),
                           dj_mat_scale(c, dj_mat_identity(c, K), K + *shift));
    dj_mat *r = dj_mat_vcat(c, dj_mat_vec(c, dj_mat_inv(c, S)), dj_mat_vec(c, dj_mat_chol(c, S)));
    r = dj_mat_vcat(c, r, dj_mat_vec(c, dj_mat_expm(c, dj_mat_scale(c, A, 0.25))));
    *y = dj_mat_vcat(c, r, dj_mat_eigh(c, S, NULL));
    return 0;
}

typedef struct job {
    int id;
    tfun_params params;        /* the thread's own function data */
    double shift;
    double sx[SN], mx[MN];
    double Jf8[SM * SN], Jf16[SM * SN], Jr[SM * SN];  /* references */
    double Mf[MM * MN], Mr[MM * MN];
    int ok;                    /* set by the thread: every result identical */
    int status;                /* first non-OK status seen */
} job;

static void jacobians(job *jb, double *Jf8, double *Jf16, double *Jr, double *Mf, double *Mr,
                      dj_ctx *cf, dj_ctx *cr, int *status)
{
    dj_function S = { .n = SN, .m = SM, .user = &jb->params, DJ_FORMS(tfun) };
    dj_function M = { .n = MN, .m = MM, .user = &jb->shift, .f_mat = prog };
    dj_jac_opts o8 = { 8, 0, NULL, 0, 0 }, o16 = { 16, 0, NULL, 0, 0 };
    dj_jac_opts of = { 0, 0, cf, 0, 0 }, orv = { 5, 0, cr, 0, 0 };
    int rc[5];
    rc[0] = dj_jacfwd(&S, jb->sx, NULL, Jf8, SM, &o8);
    rc[1] = dj_jacfwd(&S, jb->sx, NULL, Jf16, SM, &o16);
    rc[2] = dj_jacrev(&S, jb->sx, NULL, Jr, SM, NULL);
    rc[3] = dj_jacfwd(&M, jb->mx, NULL, Mf, MM, &of);
    rc[4] = dj_jacrev(&M, jb->mx, NULL, Mr, MM, &orv);
    *status = DJ_OK;
    for (int i = 0; i < 5; ++i)
        if (rc[i] != DJ_OK && *status == DJ_OK)
            *status = rc[i];
}

static void *worker(void *arg)
{
    job *jb = arg;
    double *Jf8 = malloc(sizeof jb->Jf8), *Jf16 = malloc(sizeof jb->Jf16);
    double *Jr = malloc(sizeof jb->Jr), *Mf = malloc(sizeof jb->Mf), *Mr = malloc(sizeof jb->Mr);
    dj_ctx *cf = dj_ctx_new(), *cr = dj_ctx_new();
    jb->ok = Jf8 && Jf16 && Jr && Mf && Mr && cf && cr;
    jb->status = DJ_OK;
    for (int r = 0; r < ROUNDS && jb->ok; ++r) {
        int st;
        jacobians(jb, Jf8, Jf16, Jr, Mf, Mr, cf, cr, &st);
        if (st != DJ_OK) {
            jb->status = st;
            jb->ok = 0;
            break;
        }
        jb->ok = memcmp(Jf8, jb->Jf8, sizeof jb->Jf8) == 0
              && memcmp(Jf16, jb->Jf16, sizeof jb->Jf16) == 0
              && memcmp(Jr, jb->Jr, sizeof jb->Jr) == 0
              && memcmp(Mf, jb->Mf, sizeof jb->Mf) == 0
              && memcmp(Mr, jb->Mr, sizeof jb->Mr) == 0;
    }
    dj_ctx_free(cf);
    dj_ctx_free(cr);
    free(Jf8); free(Jf16); free(Jr); free(Mf); free(Mr);
    return NULL;
}

static void test_threads(void)
{
    static job jobs[NTHREADS];
    uint64_t seed = 2024;
    for (int t = 0; t < NTHREADS; ++t) {
        job *jb = &jobs[t];
        memset(jb, 0, sizeof *jb);
        jb->id = t;
        jb->params.n = SN;
        jb->shift = 0.5 * t;
        for (size_t i = 0; i < SN; ++i)
            jb->sx[i] = dj_test_rand(&seed, -2, 2);
        for (size_t i = 0; i < MN; ++i)
            jb->mx[i] = dj_test_rand(&seed, -1, 1);
        /* the references, on the main thread, with contexts of their own */
        dj_ctx *cf = dj_ctx_new(), *cr = dj_ctx_new();
        CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cr);
        int st;
        jacobians(jb, jb->Jf8, jb->Jf16, jb->Jr, jb->Mf, jb->Mr, cf, cr, &st);
        CU_ASSERT_EQUAL_FATAL(st, DJ_OK);
        dj_ctx_free(cf);
        dj_ctx_free(cr);
        /* the modes agree with each other (to rounding: they are different
           computations), so the references are right */
        CU_ASSERT(dj_test_rel_diff(jb->Jf8, jb->Jr, SM * SN) < 1e-13);
        CU_ASSERT(dj_test_rel_diff(jb->Jf16, jb->Jr, SM * SN) < 1e-13);
        CU_ASSERT(dj_test_rel_diff(jb->Mf, jb->Mr, MM * MN) < 1e-12);
    }
    /* different inputs give different Jacobians: a thread that used
       another's data or tape would be caught */
    CU_ASSERT(memcmp(jobs[0].Jr, jobs[1].Jr, sizeof jobs[0].Jr) != 0);
    CU_ASSERT(memcmp(jobs[0].Mr, jobs[1].Mr, sizeof jobs[0].Mr) != 0);
    pthread_t th[NTHREADS];
    int started[NTHREADS];
    for (int t = 0; t < NTHREADS; ++t) {
        started[t] = pthread_create(&th[t], NULL, worker, &jobs[t]) == 0;
        CU_ASSERT(started[t]);
    }
    for (int t = 0; t < NTHREADS; ++t)
        if (started[t])
            pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; ++t) {
        if (!jobs[t].ok)
            fprintf(stderr, "\n  thread %d: results differ (status %d: %s)\n", t,
                    jobs[t].status, dj_strerror(jobs[t].status));
        CU_ASSERT(jobs[t].ok);
        CU_ASSERT_EQUAL(jobs[t].status, DJ_OK);
    }
}

int main(void)
{
    const dj_test_case cases[] = {
        { "threads: scalar forward (memo), scalar reverse (tape), matrix programs", test_threads },
        { NULL, NULL },
    };
    return dj_test_run("threads", cases);
}
