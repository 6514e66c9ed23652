/* dualjac-check - run every derivative check of dualjac on every built-in
 * Moré-Garbow-Hillstrom problem and print a table.
 *
 *   dualjac-check [-x factor] [-n size]...
 *
 * For each problem and size (default: the allowed sizes nearest 10 and 30),
 * at the standard starting point times factor (default 1), the Jacobian by
 * automatic differentiation (dj_jacobian) is checked
 *   central  against central differences (dj_check_jacobian, defaults),
 *   rich     against Richardson differences with per-entry error estimates
 *            (dj_check_jacobian_ex, defaults),
 *   modes    forward against reverse mode, entry by entry (dj_check_modes),
 *   adjoint  w^T (J v) == (J^T w)^T v on 8 random pairs (dj_check_adjoint),
 *   fast     w^T J v forward, reverse and by differences (dj_check_fast).
 * Columns "digits" and "max rel err" are those of the Richardson comparison.
 * A point where the problem's values overflow is skipped (and said so).
 * Exit status: 0 when every check passes, 1 when any fails, 2 on bad
 * arguments or an error that stopped a check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dualjac.h"
#include "mgh.h"

static const char *pf(int rc, int *fails, int *errors)
{
    if (rc == DJ_OK)
        return "pass";
    if (rc == DJ_ECHECK) {
        ++*fails;
        return "FAIL";
    }
    ++*errors;
    return "error";
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dualjac-check [-x factor] [-n size]...\n"
                 "  runs the central, Richardson, forward/reverse, adjoint and fast\n"
                 "  checks on every built-in MGH problem; exit 1 on any failure\n");
}

int main(int argc, char **argv)
{
    double factor = 1.0;
    size_t sizes[16], nsizes = 0;
    for (int a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "-x") == 0 && a + 1 < argc) {
            char *end;
            factor = strtod(argv[++a], &end);
            if (*end != '\0' || !(factor != 0.0)) {
                usage(stderr);
                return 2;
            }
        } else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc && nsizes < 16) {
            char *end;
            unsigned long long v = strtoull(argv[++a], &end, 10);
            if (*end != '\0' || v == 0 || v > 100000) {
                usage(stderr);
                return 2;
            }
            sizes[nsizes++] = (size_t)v;
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

    int fails = 0, errors = 0, rows = 0;
    printf("dualjac-check: MGH problems at %g x0\n", factor);
    printf("%-13s %5s %5s %6s %11s  %-7s %-7s %-7s %-7s %-7s\n", "problem", "n", "m",
           "digits", "max rel err", "central", "rich", "modes", "adjoint", "fast");
    for (size_t k = 0; k < mgh_count(); ++k) {
        size_t done[16], ndone = 0;
        for (size_t s = 0; s < nsizes; ++s) {
            size_t n0 = mgh_nearest_n(mgh_name(k), sizes[s]);
            int seen = n0 == 0;
            for (size_t d = 0; d < ndone; ++d)
                seen = seen || done[d] == n0;
            if (seen)
                continue;
            done[ndone++] = n0;
            mgh_problem p;
            if (mgh_init(&p, mgh_name(k), n0) != DJ_OK) {
                errors++;
                continue;
            }
            size_t n = p.n, m = p.m;
            double *x = malloc(n * sizeof *x), *J = malloc(m * n * sizeof *J);
            if (x == NULL || J == NULL) {
                free(x);
                free(J);
                fprintf(stderr, "dualjac-check: out of memory\n");
                return 2;
            }
            mgh_start(&p, factor, x);
            /* skip a point where the problem's values overflow (Chebyquad
             * and Brown at 100 x0 and n ~ 200): nothing can be checked */
            int rc = dj_eval(&p.F, x, J);
            int finite = rc == DJ_OK;
            for (size_t i = 0; finite && i < m; ++i)
                finite = isfinite(J[i]) && fabs(J[i]) < 1e290;
            if (rc == DJ_OK && !finite) {
                printf("%-13s %5zu %5zu  skipped: f overflows at %g x0\n", p.name, n, m,
                       factor);
                free(x);
                free(J);
                continue;
            }
            if (rc == DJ_OK)
                rc = dj_jacobian(&p.F, x, NULL, J, m, NULL);
            if (rc != DJ_OK) {
                printf("%-13s %5zu %5zu  jacobian: %s\n", p.name, n, m, dj_strerror(rc));
                errors++;
                free(x);
                free(J);
                continue;
            }
            dj_check_report rc_central, rc_rich, rc_modes;
            dj_adjoint_report ar;
            dj_fast_report fr;
            int c1 = dj_check_jacobian(&p.F, x, J, m, NULL, &rc_central, NULL);
            int c2 = dj_check_jacobian_ex(&p.F, x, J, m, NULL, &rc_rich, NULL, NULL, NULL);
            int c3 = dj_check_modes(&p.F, x, NULL, &rc_modes, NULL, NULL);
            int c4 = dj_check_adjoint(&p.F, x, 8, 1 + k, 0.0, &ar);
            int c5 = dj_check_fast(&p.F, x, 17 + k, &fr);
            int f0 = fails, e0 = errors;
            const char *s1 = pf(c1, &fails, &errors), *s2 = pf(c2, &fails, &errors),
                       *s3 = pf(c3, &fails, &errors), *s4 = pf(c4, &fails, &errors),
                       *s5 = pf(c5, &fails, &errors);
            if (c2 == DJ_OK || c2 == DJ_ECHECK)
                printf("%-13s %5zu %5zu %6.1f %11.2e  %-7s %-7s %-7s %-7s %-7s\n", p.name, n,
                       m, rc_rich.min_digits, rc_rich.max_rel_err, s1, s2, s3, s4, s5);
            else
                printf("%-13s %5zu %5zu %6s %11s  %-7s %-7s %-7s %-7s %-7s\n", p.name, n, m,
                       "-", "-", s1, s2, s3, s4, s5);
            if (fails != f0 || errors != e0) {
                if (c1 == DJ_ECHECK) {
                    printf("  central:\n");
                    dj_check_report_fprint(stdout, &rc_central);
                }
                if (c2 == DJ_ECHECK) {
                    printf("  Richardson:\n");
                    dj_check_report_fprint(stdout, &rc_rich);
                }
                if (c3 == DJ_ECHECK) {
                    printf("  forward vs reverse:\n");
                    dj_check_report_fprint(stdout, &rc_modes);
                }
                if (c4 == DJ_ECHECK)
                    printf("  adjoint: max rel err %.3e at probe %zu\n", ar.max_rel_err,
                           ar.worst_probe);
                if (c5 == DJ_ECHECK)
                    printf("  fast: fwd %.17g rev %.17g fd %.17g (err %.3g)\n", fr.fwd,
                           fr.rev, fr.fd, fr.fd_err);
            }
            rows++;
            free(x);
            free(J);
        }
    }
    printf("%d problem instances, %d check failures, %d errors\n", rows, fails, errors);
    if (errors)
        return 2;
    return fails ? 1 : 0;
}
