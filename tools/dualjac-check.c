/* dualjac-check - run every derivative check of dualjac on every built-in
 * problem and print a table.
 *
 *   dualjac-check [-x factor]... [-n size]... [--no-mat] [--plant]
 *
 * Problems: the Moré-Garbow-Hillstrom set (problems/mgh.c) at each size
 * (default: the allowed sizes nearest 10 and 30) and each multiple of its
 * standard starting point (default 1, 10 and 100); then the matrix programs
 * (problems/matprob.c) at two sizes each: mlp, inverse, logdet and the
 * Cholesky-based Gaussian log-likelihood (skipped with --no-mat).
 * For each, the Jacobian by automatic differentiation (dj_jacobian) is
 * checked
 *   central  against central differences (dj_check_jacobian, defaults),
 *   rich     against Richardson differences with per-entry error estimates
 *            (dj_check_jacobian_ex, defaults),
 *   cstep    against the complex step (DJ_CHECK_REF_COMPLEX,
 *            dj_check_opts_complex) where the problem has a complex form
 *            (the MGH problems; "-" for the matrix programs),
 *   formula  against the problem's hand-derived Jacobian (the problem
 *            library's own check: rtol 1e-10, row_rtol 1e-12, both exact
 *            to rounding),
 *   modes    forward against reverse mode, entry by entry (dj_check_modes),
 *   adjoint  w^T (J v) == (J^T w)^T v on 8 random pairs (dj_check_adjoint),
 *   fast     w^T J v forward, reverse and by differences (dj_check_fast).
 * Columns "digits" and "rich err" are those of the Richardson comparison
 * (chkder's per-row digits, smallest row; largest error relative to the
 * entry), "cs err" the complex step's largest error relative to the entry.
 * Every check runs with its documented default tolerances at every start:
 * none is loosened for the 10x and 100x points (all pass as they are). A
 * point where the problem's values overflow (|f| > 1e290 or not finite,
 * e.g. Chebyquad at 1000 x0) cannot be checked; it is listed as skipped,
 * with the reason, and counted.
 * --plant checks the checker: the largest entry of each AD Jacobian is
 * multiplied by 1 + 1e-4 before the checks that compare it (central, rich,
 * cstep, formula), which must then all FAIL, naming that entry (modes,
 * adjoint and fast do not see J and still pass). With --plant the exit
 * status is 0 when every such comparison failed and named the planted
 * entry as its worst, 1 when any missed it.
 * Exit status: 0 when every check passes, 1 when any fails, 2 on bad
 * arguments or an error that stopped a check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dualjac.h"
#include "mgh.h"
#include "matprob.h"

typedef struct tally {
    int rows, fails, errors, skipped;
    int planted, missed;     /* --plant: comparisons that saw a planted
                                entry, and those that did not catch and name it */
} tally;

static int g_plant;

static const char *pf(int rc, tally *t)
{
    if (rc == DJ_OK)
        return "pass";
    if (rc == DJ_ECHECK) {
        t->fails++;
        return "FAIL";
    }
    t->errors++;
    return "error";
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dualjac-check [-x factor]... [-n size]... [--no-mat] [--plant]\n"
                 "  runs the central, Richardson, complex-step, formula, forward/reverse,\n"
                 "  adjoint and fast checks on every built-in problem (MGH at 1, 10, 100\n"
                 "  x0 and sizes near 10 and 30 unless -x/-n say otherwise; the matrix\n"
                 "  programs at two sizes); exit 1 on any failure. --plant: one entry of\n"
                 "  each Jacobian off by 1e-4 relative, which every comparison must catch\n"
                 "  (exit 0 when all caught it and named the entry, 1 when any missed)\n");
}

static void header(void)
{
    printf("%-13s %-7s %5s %4s %5s %6s %9s %9s  %-7s %-7s %-7s %-7s %-7s %-7s %-7s\n",
           "problem", "shape", "n", "m", "x0", "digits", "rich err", "cs err", "central",
           "rich", "cstep", "formula", "modes", "adjoint", "fast");
}

/* One row: every check of F at x; H the hand-derived Jacobian (m-by-n). */
static void run_row(const char *name, const char *shape, const char *x0,
                    const dj_function *F, const double *x, const double *H, unsigned seed,
                    tally *t)
{
    size_t n = F->n, m = F->m;
    double *J = malloc(m * n * sizeof *J), *y = malloc(m * sizeof *y);
    if (J == NULL || y == NULL) {
        free(J);
        free(y);
        printf("%-13s %-7s %5zu %4zu %5s  out of memory\n", name, shape, n, m, x0);
        t->errors++;
        return;
    }
    /* a point where the problem's values overflow: nothing can be checked */
    int rc = dj_eval(F, x, y);
    int finite = rc == DJ_OK;
    for (size_t i = 0; finite && i < m; ++i)
        finite = isfinite(y[i]) && fabs(y[i]) < 1e290;
    if (rc == DJ_OK && !finite) {
        printf("%-13s %-7s %5zu %4zu %5s  skipped: f overflows here\n", name, shape, n, m, x0);
        t->skipped++;
        free(J);
        free(y);
        return;
    }
    if (rc == DJ_OK)
        rc = dj_jacobian(F, x, NULL, J, m, NULL);
    if (rc != DJ_OK) {
        printf("%-13s %-7s %5zu %4zu %5s  jacobian: %s\n", name, shape, n, m, x0,
               dj_strerror(rc));
        t->errors++;
        free(J);
        free(y);
        return;
    }
    size_t big = 0;
    if (g_plant) {
        for (size_t e = 0; e < m * n; ++e)
            if (fabs(J[e]) > fabs(J[big]))
                big = e;
        J[big] *= 1 + 1e-4;
    }
    dj_check_report r_central, r_rich, r_cs, r_hand, r_modes;
    dj_adjoint_report ar;
    dj_fast_report fr;
    dj_check_opts ocs = dj_check_opts_complex();
    dj_check_opts ohand = { 1e-10, 0.0, 1e-12, 0.0, 0.0, DJ_CHECK_REF_CENTRAL };
    int c1 = dj_check_jacobian(F, x, J, m, NULL, &r_central, NULL);
    int c2 = dj_check_jacobian_ex(F, x, J, m, NULL, &r_rich, NULL, NULL, NULL);
    int c3 = DJ_ENOFORM;
    if (F->f_cplx != NULL)
        c3 = dj_check_jacobian_ex(F, x, J, m, &ocs, &r_cs, NULL, NULL, NULL);
    int c4 = dj_check_compare(m, n, J, m, H, m, NULL, &ohand, &r_hand, NULL);
    int c5 = dj_check_modes(F, x, NULL, &r_modes, NULL, NULL);
    int c6 = dj_check_adjoint(F, x, 8, seed, 0.0, &ar);
    int c7 = dj_check_fast(F, x, 17 + seed, &fr);
    int f0 = t->fails, e0 = t->errors;
    if (g_plant) {
        const struct { int rc; const dj_check_report *r; } cmp[] = {
            { c1, &r_central }, { c2, &r_rich }, { c3, &r_cs }, { c4, &r_hand },
        };
        for (size_t k = 0; k < sizeof cmp / sizeof cmp[0]; ++k) {
            if (cmp[k].rc == DJ_ENOFORM)
                continue;
            t->planted++;
            if (cmp[k].rc != DJ_ECHECK || cmp[k].r->worst_row != big % m ||
                cmp[k].r->worst_col != big / m)
                t->missed++;
        }
    }
    const char *s1 = pf(c1, t), *s2 = pf(c2, t), *s3 = c3 == DJ_ENOFORM ? "-" : pf(c3, t),
               *s4 = pf(c4, t), *s5 = pf(c5, t), *s6 = pf(c6, t), *s7 = pf(c7, t);
    char digits[16] = "-", rerr[16] = "-", cerr[16] = "-";
    if (c2 == DJ_OK || c2 == DJ_ECHECK) {
        snprintf(digits, sizeof digits, "%.1f", r_rich.min_digits);
        snprintf(rerr, sizeof rerr, "%.1e", r_rich.max_rel_err);
    }
    if (c3 == DJ_OK || c3 == DJ_ECHECK)
        snprintf(cerr, sizeof cerr, "%.1e", r_cs.max_rel_err);
    printf("%-13s %-7s %5zu %4zu %5s %6s %9s %9s  %-7s %-7s %-7s %-7s %-7s %-7s %-7s\n", name,
           shape, n, m, x0, digits, rerr, cerr, s1, s2, s3, s4, s5, s6, s7);
    if (t->fails != f0 || t->errors != e0) {
        const struct { int rc; const char *what; const dj_check_report *r; } det[] = {
            { c1, "central", &r_central }, { c2, "Richardson", &r_rich },
            { c3, "complex step", &r_cs }, { c4, "formula", &r_hand },
            { c5, "forward vs reverse", &r_modes },
        };
        for (size_t d = 0; d < sizeof det / sizeof det[0]; ++d) {
            if (det[d].rc == DJ_ECHECK) {
                printf("  %s:\n", det[d].what);
                dj_check_report_fprint(stdout, det[d].r);
            } else if (det[d].rc != DJ_OK && det[d].rc != DJ_ENOFORM) {
                printf("  %s: %s\n", det[d].what, dj_strerror(det[d].rc));
            }
        }
        if (c6 == DJ_ECHECK)
            printf("  adjoint: max rel err %.3e at probe %zu\n", ar.max_rel_err, ar.worst_probe);
        else if (c6 != DJ_OK)
            printf("  adjoint: %s\n", dj_strerror(c6));
        if (c7 == DJ_ECHECK)
            printf("  fast: fwd %.17g rev %.17g fd %.17g (err %.3g)\n", fr.fwd, fr.rev, fr.fd,
                   fr.fd_err);
        else if (c7 != DJ_OK)
            printf("  fast: %s\n", dj_strerror(c7));
    }
    t->rows++;
    free(J);
    free(y);
}

static int run_mgh(const double *factors, size_t nf, const size_t *sizes, size_t ns, tally *t)
{
    for (size_t k = 0; k < mgh_count(); ++k) {
        size_t done[16], ndone = 0;
        for (size_t s = 0; s < ns; ++s) {
            size_t n0 = mgh_nearest_n(mgh_name(k), sizes[s]);
            int seen = n0 == 0;
            for (size_t d = 0; d < ndone; ++d)
                seen = seen || done[d] == n0;
            if (seen)
                continue;
            done[ndone++] = n0;
            mgh_problem p;
            if (mgh_init(&p, mgh_name(k), n0) != DJ_OK) {
                t->errors++;
                continue;
            }
            size_t n = p.n, m = p.m;
            double *x = malloc(n * sizeof *x), *H = calloc(m * n, sizeof *H);
            if (x == NULL || H == NULL) {
                free(x);
                free(H);
                return -1;
            }
            for (size_t f = 0; f < nf; ++f) {
                char x0[16];
                snprintf(x0, sizeof x0, "%gx", factors[f]);
                mgh_start(&p, factors[f], x);
                memset(H, 0, m * n * sizeof *H);
                if (mgh_jacobian(&p, x, H, m) != DJ_OK) {
                    t->errors++;
                    continue;
                }
                char shape[16];
                snprintf(shape, sizeof shape, "MGH %d", p.number);
                run_row(p.name, shape, x0, &p.F, x, H, (unsigned)(1 + k), t);
            }
            free(x);
            free(H);
        }
    }
    return 0;
}

/* the matrix programs, two sizes each */
static int run_mat(tally *t)
{
    for (int kind = 0; kind < 4; ++kind)
        for (int s = 0; s < 2; ++s) {
            matprob p;
            char shape[24];
            int rc;
            switch (kind) {
            case 0:
                rc = s == 0 ? matprob_mlp(&p, 4, 16, 3, 9) : matprob_mlp(&p, 12, 33, 12, 10);
                snprintf(shape, sizeof shape, "h=%zu", p.h);
                break;
            case 1:
                rc = matprob_inverse(&p, s == 0 ? 3 : 6);
                snprintf(shape, sizeof shape, "%zux%zu", p.n, p.n);
                break;
            case 2:
                rc = matprob_logdet(&p, s == 0 ? 3 : 6);
                snprintf(shape, sizeof shape, "%zux%zu", p.n, p.n);
                break;
            default:
                rc = s == 0 ? matprob_gauss(&p, 3, 2, 5) : matprob_gauss(&p, 6, 3, 6);
                snprintf(shape, sizeof shape, "%zux%zu", p.n, p.n);
                break;
            }
            if (rc != DJ_OK) {
                matprob_free(&p);
                t->errors++;
                continue;
            }
            size_t n = p.nin, m = p.nout;
            double *x = malloc(n * sizeof *x), *H = malloc(m * n * sizeof *H);
            if (x == NULL || H == NULL) {
                free(x);
                free(H);
                matprob_free(&p);
                return -1;
            }
            matprob_start(&p, 100 + (uint64_t)(2 * kind + s), x);
            if (matprob_jacobian(&p, x, H, m) != 0)
                t->errors++;
            else
                run_row(p.name, shape, "-", &p.F, x, H, (unsigned)(40 + 2 * kind + s), t);
            free(x);
            free(H);
            matprob_free(&p);
        }
    return 0;
}

int main(int argc, char **argv)
{
    double factors[16];
    size_t sizes[16], nsizes = 0, nfactors = 0;
    int mat = 1;
    for (int a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "-x") == 0 && a + 1 < argc && nfactors < 16) {
            char *end;
            double f = strtod(argv[++a], &end);
            if (*end != '\0' || !(f != 0.0) || !isfinite(f)) {
                usage(stderr);
                return 2;
            }
            factors[nfactors++] = f;
        } else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc && nsizes < 16) {
            char *end;
            unsigned long long v = strtoull(argv[++a], &end, 10);
            if (*end != '\0' || v == 0 || v > 100000) {
                usage(stderr);
                return 2;
            }
            sizes[nsizes++] = (size_t)v;
        } else if (strcmp(argv[a], "--no-mat") == 0) {
            mat = 0;
        } else if (strcmp(argv[a], "--plant") == 0) {
            g_plant = 1;
        } else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (nsizes == 0) {
        sizes[0] = 10;
        sizes[1] = 30;
        nsizes = 2;
    }
    if (nfactors == 0) {
        factors[0] = 1.0;
        factors[1] = 10.0;
        factors[2] = 100.0;
        nfactors = 3;
    }

    clock_t t0 = clock();
    tally t = { 0, 0, 0, 0, 0, 0 };
    printf("dualjac-check: every check on every built-in problem (MGH at");
    for (size_t f = 0; f < nfactors; ++f)
        printf(" %gx", factors[f]);
    printf(" the standard start%s)%s\n", mat ? "; matrix programs" : "",
           g_plant ? "\n  --plant: the largest entry of each Jacobian is off by 1e-4 relative" : "");
    header();
    if (run_mgh(factors, nfactors, sizes, nsizes, &t) != 0 || (mat && run_mat(&t) != 0)) {
        fprintf(stderr, "dualjac-check: out of memory\n");
        return 2;
    }
    printf("%d problem instances checked, %d skipped, %d check failures, %d errors "
           "(%.2f s)\n",
           t.rows, t.skipped, t.fails, t.errors, (double)(clock() - t0) / CLOCKS_PER_SEC);
    if (t.errors)
        return 2;
    if (g_plant) {
        printf("--plant: %d comparisons saw a planted error, %d did not fail naming "
               "its entry\n", t.planted, t.missed);
        return t.missed || t.planted == 0 ? 1 : 0;
    }
    return t.fails ? 1 : 0;
}
