/* dualjac/check.h - checking a Jacobian against finite differences.
 *
 * dj_fd_central computes a central-difference Jacobian from the primal form;
 * dj_check_compare compares any Jacobian with a reference and says how many
 * digits agree, where the worst entry is, and whether it passes;
 * dj_check_jacobian does both for a Jacobian the caller already has.
 * A check that cannot fail proves nothing: the test suite plants wrong
 * Jacobians (a flipped sign, a perturbed entry, swapped columns, a transpose)
 * and requires every one to be caught. */
#ifndef DUALJAC_CHECK_H
#define DUALJAC_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "jacobian.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dj_fd_central: central differences,
 *     J[:, j] = (f(x + h_j e_j) - f(x - h_j e_j)) / (2 h_j),
 *     h_j = rel_step * max(|x_j|, 1)   (rounded so that x_j +- h_j is exact).
 * rel_step <= 0 selects the default cbrt(DBL_EPSILON) ~ 6.1e-6, which
 * balances truncation (h^2 f'''/6) against rounding (eps |f| / h): about 10
 * correct digits on well-scaled functions.
 * x[n]; J m-by-n with ldj >= m. noise[m*n] (may be NULL): per entry, the
 * rounding error bound eps (|f_i(x+h)| + |f_i(x-h)|) / (2 h_j), column-major
 * with leading dimension m. Uses the primal form f (or, without it, a tangent
 * form with zero tangents). Cost: 2n evaluations. */
int dj_fd_central(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj, double *noise);

/* Tolerances of a comparison; NULL means all defaults. Entry (i, j) passes
 * when
 *     |J_ij - R_ij| <= atol + rtol max(|J_ij|, |R_ij|)
 *                      + row_rtol max_k |R_ik| + noise_factor noise_ij
 * Defaults and why: rtol 1e-6 (central differences are good to about 1e-10
 * relative on smooth, well-scaled functions, so 1e-6 leaves four digits of
 * margin and still catches an entry off by 1e-5); row_rtol 1e-8 (entries
 * much smaller than their row are dominated by the differencing noise of
 * the row); atol 1e-12; noise_factor 10 (the rounding estimate of
 * dj_fd_central, when given). Set a field to a negative value to get its
 * default. */
typedef struct dj_check_opts {
    double rtol;
    double atol;
    double row_rtol;
    double noise_factor;
    double rel_step;     /* finite-difference step for dj_check_jacobian;
                            <= 0: the default of dj_fd_central */
} dj_check_opts;

/* What a comparison found. */
typedef struct dj_check_report {
    size_t m, n;
    double max_abs_err;     /* max |J_ij - R_ij| */
    double max_rel_err;     /* max |J_ij - R_ij| / max(|J_ij|, |R_ij|), 0/0 = 0 */
    size_t worst_row;       /* the entry with the largest error / tolerance */
    size_t worst_col;
    double worst_value;     /* J there */
    double worst_ref;       /* R there */
    double worst_ratio;     /* its error / tolerance (> 1: fails) */
    size_t n_fail;          /* entries out of tolerance */
    double min_digits;      /* smallest per-row digits score */
    int pass;               /* 1 when every entry is within tolerance */
} dj_check_report;

/* dj_check_opts_default: the defaults listed above. */
dj_check_opts dj_check_opts_default(void);

/* dj_check_compare: compare J with a reference R (both m-by-n, column-major,
 * ldj, ldr >= m). noise (may be NULL): per-entry noise of R, m-by-n with
 * leading dimension m, as dj_fd_central gives it.
 * row_digits[m] (may be NULL): per row, the number of correct digits in the
 * style of MINPACK's chkder, -log10(max_j |J_ij - R_ij| / max_j |R_ij|),
 * clamped to [0, 16] (16 when the row agrees exactly).
 * Returns DJ_OK when J passes, DJ_ECHECK when it does not (rep says where),
 * DJ_EARG / DJ_EDIM on bad arguments. Cost: O(mn). */
int dj_check_compare(size_t m, size_t n, const double *J, size_t ldj,
                     const double *R, size_t ldr, const double *noise,
                     const dj_check_opts *opts, dj_check_report *rep,
                     double *row_digits);

/* dj_check_jacobian: compare a Jacobian J of F at x (computed any way) with
 * central differences of F's primal. As dj_check_compare otherwise; also
 * returns any error of dj_fd_central. Allocates O(mn) temporary space. */
int dj_check_jacobian(const dj_function *F, const double *x, const double *J,
                      size_t ldj, const dj_check_opts *opts,
                      dj_check_report *rep, double *row_digits);

/* ---- forward against reverse ------------------------------------------------- */

/* What the adjoint test found. */
typedef struct dj_adjoint_report {
    size_t probes;          /* random (v, w) pairs tried */
    double max_rel_err;     /* max |w.(Jv) - (J^T w).v| / (|w|.|Jv| + |J^T w|.|v|)
                               (magnitudes of the summed products) */
    size_t worst_probe;
    double worst_fwd;       /* w.(Jv) there (forward mode) */
    double worst_rev;       /* (J^T w).v there (reverse mode) */
    int pass;
} dj_adjoint_report;

/* dj_check_adjoint: the adjoint identity w^T (J v) == (J^T w)^T v on
 * `probes` random directions (v in R^n, w in R^m, uniform in [-1, 1],
 * from `seed`), J v by forward mode (dj_jvp_batch) and J^T w by reverse
 * mode (dj_vjp_batch); passes when every relative error is at most rtol
 * (<= 0: 1e-12, a few hundred roundings of the summed products). Needs a
 * forward and a reverse form. Returns DJ_OK (pass), DJ_ECHECK (fail), or
 * the drivers' errors. Cost: two batched passes. */
int dj_check_adjoint(const dj_function *F, const double *x, size_t probes, uint64_t seed,
                     double rtol, dj_adjoint_report *rep);

/* dj_check_modes: the full forward and reverse Jacobians of F at x compared
 * entry by entry (dj_check_compare with rtol 1e-12, atol 1e-14 and no row
 * term unless opts says otherwise). J_fwd and J_rev (may be NULL) receive
 * them (m-by-n, leading dimension m). Returns as dj_check_compare, or the
 * drivers' errors. */
int dj_check_modes(const dj_function *F, const double *x, const dj_check_opts *opts,
                   dj_check_report *rep, double *J_fwd, double *J_rev);

/* dj_check_report_fprint: a few human-readable lines about rep on out.
 * Returns DJ_EARG on NULL arguments. This is the only dualjac call that
 * writes to a stream, and only to the one it is given. */
int dj_check_report_fprint(FILE *out, const dj_check_report *rep);

#ifdef __cplusplus
}
#endif

#endif
