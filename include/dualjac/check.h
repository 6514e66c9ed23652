/* dualjac/check.h - checking a Jacobian against finite differences.
 *
 * dj_fd_central computes a central-difference Jacobian from the primal form;
 * dj_check_compare compares any Jacobian with a reference and says how many
 * digits agree, where the worst entry is, and whether it passes;
 * dj_check_jacobian does both for a Jacobian the caller already has.
 * dj_fd_forward and dj_fd_richardson are the cheaper and the more accurate
 * differences; dj_check_jacobian_ex checks against the latter with a
 * tolerance per entry from its error estimate; dj_check_fast checks one
 * random projection w^T J v three ways (forward, reverse, differences).
 * dj_fd_complex is the complex step, exact to rounding, for functions also
 * given in complex form (dj_function.f_cplx); dj_check_jacobian_ex checks
 * against it with DJ_CHECK_REF_COMPLEX.
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

/* dj_fd_forward: forward differences,
 *     J[:, j] = (f(x + h_j e_j) - f(x)) / h_j,
 *     h_j = rel_step * max(|x_j|, 1)   (the step actually taken is used).
 * rel_step <= 0 selects the default sqrt(DBL_EPSILON) ~ 1.5e-8, which
 * balances truncation (h f''/2) against rounding (2 eps |f| / h): about 7-8
 * correct digits on well-scaled functions, half of what the arithmetic
 * carries; use it only where evaluations are dear. x[n]; J m-by-n with
 * ldj >= m. Uses the primal form (as dj_fd_central). Cost: n + 1
 * evaluations. */
int dj_fd_forward(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj);

/* dj_fd_richardson: Richardson-extrapolated central differences with an
 * error estimate per entry (Ridders' method on a small tableau).
 * Per column j: central differences D_k at the steps h_j / 2^k, k = 0..3,
 *     h_j = rel_step * max(|x_j|, 1),
 * are extrapolated in h^2 (T_k,l = (4^l T_k,l-1 - T_k-1,l-1) / (4^l - 1),
 * T_k,0 = D_k). Each tableau entry's error is estimated from its neighbours
 * (max(|T_k,l - T_k,l-1|, |T_k,l - T_k-1,l-1|); |T_k,0 - T_k-1,0| for the
 * plain differences) plus its rounding error (eps (|f_i(x+h)| + |f_i(x-h)|)
 * / 2h of each difference, carried through the extrapolation); per entry
 * the value with the smallest estimate is taken.
 * The step is then chosen per column: when an entry's estimate exceeds
 * 1e-10 of the entry (or of 1e-3 of the column's largest), the tableau is
 * repeated with steps 16 times shorter (when the differences still
 * converge as h^2: truncation dominates) or 16 times longer (when they do
 * not: rounding dominates, e.g. under a large constant offset; at most
 * half of max(|x_j|, 1)), up to twice while it halves the column's worst
 * estimate; each entry keeps its best value (one from longer steps only
 * when it agrees with the shorter steps' value within twice its estimate).
 * rel_step <= 0 selects the default 2e-3: large enough that rounding stays
 * near 1e-12 relative on well-scaled functions, small enough that the
 * eighth-order extrapolation has converged for functions varying on a
 * scale of |x_j| or 1.
 * Accuracy (tests/test_check_fd.c): about 1e-12 relative to the row on
 * smooth, well-scaled functions (2e-12 measured; 1e-10 is required); the
 * estimate is usually one to three orders above the actual error (it
 * measures the previous order's error), rarely below it. It cannot see
 * rounding inside f that |f| does not show (f a small difference of large
 * intermediates, e.g. MGH trig's n - sum cos x_j at n >= 200): there the
 * check's row_rtol has to cover it, or the caller's atol.
 * x[n]; J m-by-n with ldj >= m; err[m*n] (may be NULL): the estimates,
 * column-major with leading dimension m (NaN where no finite difference
 * could be formed, e.g. f not finite near x). Uses the primal form.
 * Cost: 8n evaluations (four central differences per column), up to 24n
 * when columns are retried; O(m) workspace. */
int dj_fd_richardson(const dj_function *F, const double *x, double rel_step,
                     double *J, size_t ldj, double *err);

/* dj_fd_complex: the complex step,
 *     J[:, j] = Im f(x + i h_j e_j) / h_j,   h_j = rel_step * max(|x_j|, 1),
 * from the complex form F->f_cplx (instantiate.h: DJ_TEMPLATE_CPLX and
 * DJ_FORMS_CPLX make it from the same source as the other forms).
 * rel_step <= 0 selects the default 1e-20. Nothing is subtracted, so there
 * is no cancellation and the step can be tiny: the truncation error is
 * h^2 f'''/6 relative (1e-40: none), and what is left is the rounding of
 * the same computation in complex arithmetic, about that of forward mode:
 * 1e-15 relative on well-conditioned entries (tests/test_complex_step.c
 * measures it). It is exact to rounding only where f_cplx is complex-safe
 * (detail/cplx.h); a step above about 1e-8 would make the O(h^2) terms
 * and the linearized erf/erfc matter, and one so small that h_j |df/dx|
 * underflows (below about 1e-300) loses digits.
 * x[n]; J m-by-n with ldj >= m (zeros come back as +0). Returns DJ_OK,
 * DJ_EARG (F, x or J NULL),
 * DJ_EDIM (n or m zero, ldj < m), DJ_ENOFORM (no f_cplx), DJ_ENOMEM, or a
 * non-zero return of f_cplx unchanged.
 * Cost: n complex evaluations (about 4 primal evaluations each); O(n + m)
 * workspace. */
int dj_fd_complex(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj);

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
                            <= 0: the default of the reference's
                            differences (dj_fd_central, dj_fd_richardson) */
    int reference;       /* a dj_check_ref: what dj_check_jacobian and
                            dj_check_jacobian_ex compare with */
} dj_check_opts;

/* The reference a Jacobian is checked against (dj_check_opts.reference). */
typedef enum dj_check_ref {
    DJ_CHECK_REF_CENTRAL = 0,     /* dj_fd_central, its rounding estimate as
                                     noise (the default of dj_check_jacobian) */
    DJ_CHECK_REF_RICHARDSON = 1,  /* dj_fd_richardson, its per-entry error
                                     estimate as noise (dj_check_jacobian_ex) */
    DJ_CHECK_REF_COMPLEX = 2      /* dj_fd_complex (needs f_cplx), no noise
                                     term: see dj_check_opts_complex */
} dj_check_ref;

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

/* dj_check_opts_default: the defaults listed above (reference central). */
dj_check_opts dj_check_opts_default(void);

/* dj_check_opts_richardson: the defaults of the check against Richardson
 * differences (reference DJ_CHECK_REF_RICHARDSON):
 *     rtol 1e-8, atol 0, row_rtol 1e-9, noise_factor 10, rel_step 0
 *     (dj_fd_richardson's default).
 * Why: the extrapolated differences are good to about 1e-12 relative on
 * smooth, well-scaled functions, and each entry comes with an estimate of
 * its own error (truncation from the tableau plus rounding), so the fixed
 * terms can be small: rtol 1e-8 keeps two digits of margin below a 1e-6
 * relative error, which is therefore caught (a Jacobian scaled by 1 + 1e-6
 * fails on well-scaled problems), while where the differences are poor (a
 * large constant offset, a starting point 100 times the usual one, a
 * function varying fast) the estimate grows with the actual error and 10
 * times it keeps correct Jacobians passing. row_rtol 1e-9 covers rounding
 * the estimate misses (cancellation inside f, up to a factor of about 1e4)
 * and still leaves a 1e-6 error in a row's largest entry visible; atol is
 * 0 because the estimate already bounds entries that are zero or tiny,
 * and any absolute floor would hide errors in Jacobians whose entries are
 * all small (outputs of size 1e-6 in inputs of size 1e6: entries 1e-12).
 * A field set negative in opts gets the default of the opts' reference. */
dj_check_opts dj_check_opts_richardson(void);

/* dj_check_opts_complex: the defaults of the check against the complex
 * step (reference DJ_CHECK_REF_COMPLEX):
 *     rtol 1e-11, atol 0, row_rtol 1e-13, noise_factor 0, rel_step 0
 *     (dj_fd_complex's 1e-20).
 * Why: the complex step has no truncation or cancellation error; it and an
 * automatic-differentiation Jacobian (or a correct hand-derived one) are
 * both exact to rounding, so they differ only by the rounding of their own
 * arithmetic. Measured (tests/test_complex_step.c: every MGH problem at
 * sizes 2-30 and 1, 10 and 100 times its starting point, forward, reverse
 * and hand Jacobians): at most 5e-15 relative to the row's largest entry;
 * relative to the entry itself usually below 1e-15, but up to 4e-13 where
 * the derivative cancels (trig's diagonal (i+2) sin x_i - cos x_i is 5e-4
 * from terms near 1 at n = 30). row_rtol 1e-13 keeps a factor 20 above
 * the row-relative rounding; rtol 1e-11 covers any entry that is itself
 * at least 1e-2 of its row even with such cancellation, and catches a
 * relative error of 1e-11 or more: a Jacobian scaled by 1 + 1e-6 fails by
 * five orders, an entry off by 1e-4 by seven. There is no error estimate
 * (noise_factor 0) and no absolute floor (atol 0): entries that are zero
 * in both agree exactly. A function whose derivative cancels more (a
 * difference of terms 1e5 times larger than the result, in an entry that
 * is also small against its row) needs row_rtol raised, and says so by
 * failing. */
dj_check_opts dj_check_opts_complex(void);

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
 * central differences of F's primal (or the reference opts->reference). As dj_check_compare otherwise; also
 * returns any error of dj_fd_central. Allocates O(mn) temporary space. */
int dj_check_jacobian(const dj_function *F, const double *x, const double *J,
                      size_t ldj, const dj_check_opts *opts,
                      dj_check_report *rep, double *row_digits);

/* dj_check_jacobian_ex: as dj_check_jacobian, with the reference chosen by
 * opts->reference and, when opts is NULL, the Richardson check with
 * dj_check_opts_richardson() (the recommended check: it catches relative
 * errors down to about 1e-6 where central differences stop near 1e-5).
 * With DJ_CHECK_REF_COMPLEX (F must have f_cplx, else DJ_ENOFORM) the
 * reference is dj_fd_complex, with dj_check_opts_complex()'s tolerances for
 * fields set negative, and err receives zeros (the step has no truncation
 * error to estimate); it catches relative errors down to about 1e-11.
 * Entry (i, j) passes when
 *     |J_ij - R_ij| <= atol + rtol max(|J_ij|, |R_ij|)
 *                      + row_rtol max_k |R_ik| + noise_factor err_ij
 * with err_ij dj_fd_richardson's estimate (or dj_fd_central's rounding
 * noise for the central reference); an entry whose estimate is NaN fails.
 * R and err (may be NULL) receive the reference and its estimates (m-by-n,
 * leading dimension m). Cost: that of dj_fd_richardson (8n evaluations
 * typically; 2n for central) and O(mn) temporary space. */
int dj_check_jacobian_ex(const dj_function *F, const double *x, const double *J,
                         size_t ldj, const dj_check_opts *opts,
                         dj_check_report *rep, double *row_digits,
                         double *R, double *err);

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
 * entry by entry (dj_check_compare with rtol 1e-12, row_rtol 1e-12 and
 * atol 1e-14 unless opts says otherwise: the two modes sum the same
 * products in different orders, so entries agree to rounding relative to
 * themselves or to their row's largest). J_fwd and J_rev (may be NULL) receive
 * them (m-by-n, leading dimension m). Returns as dj_check_compare, or the
 * drivers' errors. */
int dj_check_modes(const dj_function *F, const double *x, const dj_check_opts *opts,
                   dj_check_report *rep, double *J_fwd, double *J_rev);

/* What the fast check found: one random direction pair (v, w), the scalar
 * w^T J v three ways. */
typedef struct dj_fast_report {
    double fwd;          /* w . (J v), forward mode (dj_jvp); NaN without a
                            forward form */
    double rev;          /* (J^T w) . v, reverse mode (dj_vjp); NaN without a
                            reverse form */
    double fd;           /* d/dt w^T f(x + t v) at t = 0, Richardson */
    double fd_err;       /* its error estimate */
    double scale;        /* sum_i |w_i (J v)_i| (or sum_j |(J^T w)_j v_j|):
                            what the differences are relative to */
    double rel_fwd_rev;  /* |fwd - rev| / scale (NaN when one is missing) */
    double rel_fwd_fd;   /* |fwd - fd| / scale */
    double rel_rev_fd;   /* |rev - fd| / scale */
    int has_fwd, has_rev;
    int pass_fwd_rev;    /* rel_fwd_rev <= 1e-12 (1 when one is missing) */
    int pass_fwd_fd;     /* |fwd - fd| <= 1e-8 scale + 10 fd_err (1 when
                            fwd is missing) */
    int pass_rev_fd;     /* the same for rev */
    int pass;            /* all three */
} dj_fast_report;

/* dj_check_fast: a cheap check in the style of gradcheck's fast mode. One
 * random v in R^n and w in R^m (uniform in [-1, 1] from seed, v_j then
 * scaled by max(|x_j|, 1)) and
 *     w^T J v  by forward mode (dj_jvp), by reverse mode (dj_vjp, when F has
 *     a reverse form) and by Richardson differences of g(t) = w^T f(x + t v)
 *     (steps t = 2e-3 / 2^k, k = 0..3, the tableau of dj_fd_richardson).
 * Forward and reverse must agree to 1e-12 relative to the magnitude of the
 * summed products (both are exact to rounding); each must agree with the
 * differences within 1e-8 of that magnitude plus 10 times their error
 * estimate. One random projection catches an error in any entry unless it
 * happens to be orthogonal to (w, v) (probability zero), not which entry:
 * use dj_check_jacobian_ex to locate it.
 * Returns DJ_OK (pass), DJ_ECHECK (fail), DJ_ENOFORM (neither a forward
 * nor a reverse form), or the drivers' and F's errors.
 * Cost: one JVP, one VJP and 8 evaluations, whatever n and m. */
int dj_check_fast(const dj_function *F, const double *x, uint64_t seed,
                  dj_fast_report *rep);

/* dj_check_report_fprint: a few human-readable lines about rep on out.
 * Returns DJ_EARG on NULL arguments. This is the only dualjac call that
 * writes to a stream, and only to the one it is given. */
int dj_check_report_fprint(FILE *out, const dj_check_report *rep);

#ifdef __cplusplus
}
#endif

#endif
