/* check.c - finite differences (forward, central, Richardson), the complex
 * step, and the comparison of Jacobians. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "dualjac/check.h"
#include "dualjac/detail/cplx.h"
#include "dualjac/status.h"
#include "internal.h"

/* The arguments and workspace of a difference scheme: checks F, x, J, ldj;
 * *xw gets n + 2m doubles, the first n a copy of x (free with dj_free_). */
static int fd_work(const dj_function *F, const double *x, const double *J, size_t ldj,
                   double **xw)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || ldj < m || dj_mul_overflows_(n + 2 * m, sizeof(double)))
        return DJ_EDIM;
    *xw = dj_malloc_((n + 2 * m) * sizeof(double));
    if (*xw == NULL)
        return DJ_ENOMEM;
    memcpy(*xw, x, n * sizeof(double));
    return DJ_OK;
}

int dj_fd_central(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj, double *noise)
{
    double *xw;
    int rc = fd_work(F, x, J, ldj, &xw);
    if (rc != DJ_OK)
        return rc;
    size_t n = F->n, m = F->m;
    if (!(rel_step > 0.0))
        rel_step = cbrt(DBL_EPSILON);
    double *fp = xw + n, *fm = fp + m;
    for (size_t j = 0; j < n && rc == DJ_OK; ++j) {
        double h = rel_step * fmax(fabs(x[j]), 1.0);
        volatile double xp = x[j] + h, xm = x[j] - h;
        double den = xp - xm;        /* the step actually taken, exactly */
        xw[j] = xp;
        rc = dj_eval(F, xw, fp);
        if (rc == DJ_OK) {
            xw[j] = xm;
            rc = dj_eval(F, xw, fm);
        }
        xw[j] = x[j];
        if (rc != DJ_OK)
            break;
        for (size_t i = 0; i < m; ++i) {
            J[i + j * ldj] = (fp[i] - fm[i]) / den;
            if (noise != NULL)
                noise[i + j * m] = DBL_EPSILON * (fabs(fp[i]) + fabs(fm[i])) / den;
        }
    }
    dj_free_(xw);
    return rc;
}

/* ---- forward and Richardson differences ------------------------------------ */

int dj_fd_forward(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj)
{
    double *xw;
    int rc = fd_work(F, x, J, ldj, &xw);
    if (rc != DJ_OK)
        return rc;
    size_t n = F->n, m = F->m;
    if (!(rel_step > 0.0))
        rel_step = sqrt(DBL_EPSILON);
    double *f0 = xw + n, *fp = f0 + m;
    rc = dj_eval(F, x, f0);
    for (size_t j = 0; j < n && rc == DJ_OK; ++j) {
        double h = rel_step * fmax(fabs(x[j]), 1.0);
        volatile double xp = x[j] + h;
        double den = xp - x[j];      /* the step actually taken, exactly */
        xw[j] = xp;
        rc = dj_eval(F, xw, fp);
        xw[j] = x[j];
        if (rc != DJ_OK)
            break;
        for (size_t i = 0; i < m; ++i)
            J[i + j * ldj] = (fp[i] - f0[i]) / den;
    }
    dj_free_(xw);
    return rc;
}

/* The Richardson tableau: DJ_RICH_LEVELS central differences at steps
 * h0 / 2^k, extrapolated in h^2. */
#define DJ_RICH_LEVELS 4
#define DJ_RICH_REL_STEP 2e-3
/* Tableaux tried beyond the first, per column, and the relative estimate
 * below which a column needs none. */
#define DJ_RICH_RETRIES 2
#define DJ_RICH_GOOD 1e-10

/* The central differences of one column (d == NULL: direction e_j) or of
 * one direction d (then j is unused), at every level: D[k * mo + i] and
 * their rounding N[k * mo + i], where mo = m, or mo = 1 when w is given
 * (then the differences are those of g = w^T f). xw holds x on entry and on
 * return; fp, fm are m-vectors of workspace. */
static int rich_levels(const dj_function *F, const double *x, double *xw, size_t j,
                       const double *d, double h0, const double *w,
                       double *fp, double *fm, double *D, double *N)
{
    size_t n = F->n, m = F->m, mo = w ? 1 : m;
    int rc = DJ_OK;
    for (int k = 0; k < DJ_RICH_LEVELS && rc == DJ_OK; ++k) {
        double h = ldexp(h0, -k), den;
        if (d == NULL) {
            volatile double xp = x[j] + h, xm = x[j] - h;
            den = xp - xm;           /* the step actually taken, exactly */
            xw[j] = xp;
            rc = dj_eval(F, xw, fp);
            if (rc == DJ_OK) {
                xw[j] = xm;
                rc = dj_eval(F, xw, fm);
            }
            xw[j] = x[j];
        } else {
            /* x + t v is rounded per component: a relative change of the
             * direction of about eps |x| / h (1e-13), far below the
             * tolerances the result is used with */
            den = 2.0 * h;
            for (size_t jj = 0; jj < n; ++jj)
                xw[jj] = x[jj] + h * d[jj];
            rc = dj_eval(F, xw, fp);
            if (rc == DJ_OK) {
                for (size_t jj = 0; jj < n; ++jj)
                    xw[jj] = x[jj] - h * d[jj];
                rc = dj_eval(F, xw, fm);
            }
            memcpy(xw, x, n * sizeof(double));
        }
        if (rc != DJ_OK)
            break;
        if (w == NULL) {
            for (size_t i = 0; i < m; ++i) {
                D[k * mo + i] = (fp[i] - fm[i]) / den;
                N[k * mo + i] = DBL_EPSILON * (fabs(fp[i]) + fabs(fm[i])) / den;
            }
        } else {
            double gp = 0, gm = 0, ap = 0, am = 0;
            for (size_t i = 0; i < m; ++i) {
                gp += w[i] * fp[i];
                gm += w[i] * fm[i];
                ap += fabs(w[i] * fp[i]);
                am += fabs(w[i] * fm[i]);
            }
            D[k] = (gp - gm) / den;
            N[k] = DBL_EPSILON * (ap + am) / den;
        }
    }
    return rc;
}

/* Ridders' selection on one entry's tableau: D[k * stride], N[k * stride]
 * for k < DJ_RICH_LEVELS. *val gets the entry with the smallest estimated
 * error (truncation from its neighbours plus its rounding), *est that
 * estimate; NaN when none is finite (then *val is the finest difference).
 * *trunc (may be NULL): 1 when the plain differences still converge as h^2
 * (successive changes shrinking: truncation dominates, shorter steps would
 * help), 0 when they do not (rounding dominates, longer steps would help). */
static void rich_tableau(const double *D, const double *N, size_t stride,
                         double *val, double *est, int *trunc)
{
    double T[DJ_RICH_LEVELS][DJ_RICH_LEVELS], E[DJ_RICH_LEVELS][DJ_RICH_LEVELS];
    double best = D[(DJ_RICH_LEVELS - 1) * stride], best_err = NAN;
    for (int k = 0; k < DJ_RICH_LEVELS; ++k) {
        T[k][0] = D[k * stride];
        E[k][0] = N[k * stride];
        if (k == 0)
            continue;
        double e = fabs(T[k][0] - T[k - 1][0]) + E[k][0];
        if (isfinite(e) && !(e > best_err)) {
            best = T[k][0];
            best_err = e;
        }
        double f = 1.0;
        for (int l = 1; l <= k; ++l) {
            f *= 4.0;
            T[k][l] = (f * T[k][l - 1] - T[k - 1][l - 1]) / (f - 1.0);
            E[k][l] = (f * E[k][l - 1] + E[k - 1][l - 1]) / (f - 1.0);
            e = fmax(fabs(T[k][l] - T[k][l - 1]), fabs(T[k][l] - T[k - 1][l - 1])) + E[k][l];
            if (isfinite(e) && isfinite(T[k][l]) && !(e > best_err)) {
                best = T[k][l];
                best_err = e;
            }
        }
    }
    *val = best;
    *est = best_err;
    if (trunc) {
        double d1 = fabs(T[DJ_RICH_LEVELS - 2][0] - T[DJ_RICH_LEVELS - 3][0]);
        double d2 = fabs(T[DJ_RICH_LEVELS - 1][0] - T[DJ_RICH_LEVELS - 2][0]);
        *trunc = d2 < 0.5 * d1;
    }
}

/* The worst relative estimate of a column, est_i / max(|val_i|, 1e-3 max_k
 * |val_k|), and whether truncation (rather than rounding) dominates there. */
static double column_quality(size_t m, const double *val, const double *est,
                             const int *tr, int *trunc)
{
    double vmax = 0, worst = 0;
    for (size_t i = 0; i < m; ++i)
        vmax = fmax(vmax, fabs(val[i]));
    *trunc = 0;
    for (size_t i = 0; i < m; ++i) {
        double s = fmax(fabs(val[i]), 1e-3 * vmax);
        double q = !(est[i] <= DBL_MAX) ? INFINITY : (s > 0 ? est[i] / s : 0.0);
        if (q > worst) {
            worst = q;
            *trunc = tr[i];
        }
    }
    return worst;
}

int dj_fd_richardson(const dj_function *F, const double *x, double rel_step,
                     double *J, size_t ldj, double *err)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    const size_t per_m = 2 * DJ_RICH_LEVELS + 8;    /* with room for 2m ints */
    if (n == 0 || m == 0 || ldj < m || dj_mul_overflows_(m, per_m)
        || dj_mul_overflows_(n + per_m * m, sizeof(double)))
        return DJ_EDIM;
    if (!(rel_step > 0.0))
        rel_step = DJ_RICH_REL_STEP;
    double *xw = dj_malloc_((n + per_m * m) * sizeof(double));
    if (xw == NULL)
        return DJ_ENOMEM;
    double *fp = xw + n, *fm = fp + m, *D = fm + m, *N = D + DJ_RICH_LEVELS * m;
    double *val = N + DJ_RICH_LEVELS * m, *est = val + m, *val2 = est + m, *est2 = val2 + m;
    int *tr = (int *)(est2 + m), *tr2 = tr + m;
    memcpy(xw, x, n * sizeof(double));
    int rc = DJ_OK;
    for (size_t j = 0; j < n && rc == DJ_OK; ++j) {
        double h0 = rel_step * fmax(fabs(x[j]), 1.0);
        rc = rich_levels(F, x, xw, j, NULL, h0, NULL, fp, fm, D, N);
        if (rc != DJ_OK)
            break;
        for (size_t i = 0; i < m; ++i)
            rich_tableau(D + i, N + i, m, &val[i], &est[i], &tr[i]);
        /* The step, per column: when some entry's estimate is poor, try a
         * tableau 16 times shorter (truncation dominated) or longer
         * (rounding dominated), up to DJ_RICH_RETRIES times while it
         * helps; each entry keeps its best estimate. */
        int trunc, trunc2;
        double q = column_quality(m, val, est, tr, &trunc);
        double h = h0;
        for (int t = 0; t < DJ_RICH_RETRIES && q > DJ_RICH_GOOD && rc == DJ_OK; ++t) {
            h = trunc ? h / 16.0 : h * 16.0;
            if (!trunc && h > 0.5 * fmax(fabs(x[j]), 1.0))
                break;
            rc = rich_levels(F, x, xw, j, NULL, h, NULL, fp, fm, D, N);
            if (rc != DJ_OK)
                break;
            for (size_t i = 0; i < m; ++i) {
                rich_tableau(D + i, N + i, m, &val2[i], &est2[i], &tr2[i]);
                /* a smaller estimate; from longer steps, also a value
                 * consistent with the one it replaces (far from the
                 * asymptotic range a tableau can agree with itself by
                 * accident, while the shorter steps' estimate may only
                 * miss rounding) */
                if (!(est[i] <= DBL_MAX)
                    || (est2[i] < est[i]
                        && (trunc || fabs(val2[i] - val[i]) <= 2.0 * est[i]))) {
                    val[i] = val2[i];
                    est[i] = est2[i];
                    tr[i] = tr2[i];
                }
            }
            double q2 = column_quality(m, val, est, tr, &trunc2);
            if (!(q2 < 0.5 * q))
                break;
            q = q2;
            trunc = trunc2;
        }
        if (rc != DJ_OK)
            break;
        for (size_t i = 0; i < m; ++i) {
            J[i + j * ldj] = val[i];
            if (err != NULL)
                err[i + j * m] = est[i];
        }
    }
    dj_free_(xw);
    return rc;
}

/* ---- the complex step ------------------------------------------------------------ */

#define DJ_CPLX_REL_STEP 1e-20

int dj_fd_complex(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || ldj < m)
        return DJ_EDIM;
#if defined(__STDC_NO_COMPLEX__)
    (void)rel_step;
    return DJ_ENOFORM;
#else
    if (F->f_cplx == NULL)
        return DJ_ENOFORM;
    if (dj_mul_overflows_(n + m, sizeof(dj_cplx)))
        return DJ_EDIM;
    if (!(rel_step > 0.0))
        rel_step = DJ_CPLX_REL_STEP;
    dj_cplx *xc = dj_malloc_((n + m) * sizeof(dj_cplx));
    if (xc == NULL)
        return DJ_ENOMEM;
    dj_cplx *yc = xc + n;
    for (size_t j = 0; j < n; ++j)
        xc[j] = dj_cplx_make(x[j], 0.0);
    int rc = DJ_OK;
    for (size_t j = 0; j < n; ++j) {
        double h = rel_step * fmax(fabs(x[j]), 1.0);
        xc[j] = dj_cplx_make(x[j], h);
        rc = F->f_cplx(F->user, xc, yc);
        xc[j] = dj_cplx_make(x[j], 0.0);
        if (rc != 0)
            break;
        for (size_t i = 0; i < m; ++i)
            J[i + j * ldj] = dj_cplx_im(yc[i]) / h + 0.0;    /* -0 as +0 */
    }
    dj_free_(xc);
    return rc;
#endif
}

/* ---- comparison ---------------------------------------------------------------- */

dj_check_opts dj_check_opts_default(void)
{
    dj_check_opts o = { 1e-6, 1e-12, 1e-8, 10.0, 0.0, DJ_CHECK_REF_CENTRAL };
    return o;
}

dj_check_opts dj_check_opts_richardson(void)
{
    dj_check_opts o = { 1e-8, 0.0, 1e-9, 10.0, 0.0, DJ_CHECK_REF_RICHARDSON };
    return o;
}

dj_check_opts dj_check_opts_complex(void)
{
    dj_check_opts o = { 1e-11, 0.0, 1e-13, 0.0, 0.0, DJ_CHECK_REF_COMPLEX };
    return o;
}

/* opts with its negative fields replaced by the defaults of its reference
 * (NULL: all the defaults of `fallback`). */
static dj_check_opts resolve_opts_ref(const dj_check_opts *opts, int fallback)
{
    int ref = opts ? opts->reference : fallback;
    dj_check_opts d = ref == DJ_CHECK_REF_RICHARDSON ? dj_check_opts_richardson()
                      : ref == DJ_CHECK_REF_COMPLEX  ? dj_check_opts_complex()
                                                     : dj_check_opts_default();
    if (opts == NULL)
        return d;
    dj_check_opts o = *opts;
    if (!(o.rtol >= 0.0)) o.rtol = d.rtol;
    if (!(o.atol >= 0.0)) o.atol = d.atol;
    if (!(o.row_rtol >= 0.0)) o.row_rtol = d.row_rtol;
    if (!(o.noise_factor >= 0.0)) o.noise_factor = d.noise_factor;
    return o;
}

static dj_check_opts resolve_opts(const dj_check_opts *opts)
{
    return resolve_opts_ref(opts, DJ_CHECK_REF_CENTRAL);
}

int dj_check_compare(size_t m, size_t n, const double *J, size_t ldj,
                     const double *R, size_t ldr, const double *noise,
                     const dj_check_opts *opts, dj_check_report *rep,
                     double *row_digits)
{
    if (J == NULL || R == NULL || rep == NULL)
        return DJ_EARG;
    if (m == 0 || n == 0 || ldj < m || ldr < m)
        return DJ_EDIM;
    dj_check_opts o = resolve_opts(opts);
    memset(rep, 0, sizeof *rep);
    rep->m = m;
    rep->n = n;
    rep->min_digits = 16.0;
    rep->worst_ratio = -1.0;
    for (size_t i = 0; i < m; ++i) {
        double rowmax = 0.0, rowerr = 0.0;
        for (size_t j = 0; j < n; ++j)
            rowmax = fmax(rowmax, fabs(R[i + j * ldr]));
        for (size_t j = 0; j < n; ++j) {
            double a = J[i + j * ldj], b = R[i + j * ldr];
            double err = fabs(a - b), mag = fmax(fabs(a), fabs(b));
            if (isnan(a) != isnan(b) || (isnan(a) && isnan(b)))
                err = INFINITY;        /* NaN never agrees */
            else if (a == b)
                err = 0.0;             /* also equal infinities */
            double tol = o.atol + o.rtol * mag + o.row_rtol * rowmax;
            if (noise != NULL)
                tol += o.noise_factor * noise[i + j * m];
            double ratio = err == 0.0 ? 0.0 : (tol > 0.0 ? err / tol : INFINITY);
            double rel = err == 0.0 ? 0.0 : (mag > 0.0 ? err / mag : INFINITY);
            rep->max_abs_err = fmax(rep->max_abs_err, err);
            rep->max_rel_err = fmax(rep->max_rel_err, rel);
            rowerr = fmax(rowerr, err);
            if (ratio > 1.0 || isnan(ratio))
                rep->n_fail++;
            if (ratio > rep->worst_ratio) {
                rep->worst_ratio = ratio;
                rep->worst_row = i;
                rep->worst_col = j;
                rep->worst_value = a;
                rep->worst_ref = b;
            }
        }
        double digits = 16.0;
        if (rowerr > 0.0)
            digits = rowmax > 0.0 ? -log10(rowerr / rowmax) : 0.0;
        digits = fmin(16.0, fmax(0.0, isnan(digits) ? 0.0 : digits));
        if (row_digits != NULL)
            row_digits[i] = digits;
        rep->min_digits = fmin(rep->min_digits, digits);
    }
    rep->pass = rep->n_fail == 0;
    return rep->pass ? DJ_OK : DJ_ECHECK;
}

/* The check against the reference o->reference (o resolved). */
static int check_against(const dj_function *F, const double *x, const double *J,
                         size_t ldj, const dj_check_opts *o, dj_check_report *rep,
                         double *row_digits, double *R_out, double *err_out)
{
    if (F == NULL || x == NULL || J == NULL || rep == NULL)
        return DJ_EARG;
    if (o->reference != DJ_CHECK_REF_CENTRAL && o->reference != DJ_CHECK_REF_RICHARDSON
        && o->reference != DJ_CHECK_REF_COMPLEX)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || ldj < m || dj_mul_overflows_(m, n)
        || dj_mul_overflows_(m * n, 2 * sizeof(double)))
        return DJ_EDIM;
    double *R = dj_malloc_(2 * m * n * sizeof(double));
    if (R == NULL)
        return DJ_ENOMEM;
    double *noise = R + m * n;
    int rc;
    if (o->reference == DJ_CHECK_REF_COMPLEX) {
        rc = dj_fd_complex(F, x, o->rel_step, R, m);
        memset(noise, 0, m * n * sizeof(double));     /* no estimate: exact */
    } else if (o->reference == DJ_CHECK_REF_RICHARDSON) {
        rc = dj_fd_richardson(F, x, o->rel_step, R, m, noise);
    } else {
        rc = dj_fd_central(F, x, o->rel_step, R, m, noise);
    }
    if (rc == DJ_OK) {
        rc = dj_check_compare(m, n, J, ldj, R, m, noise, o, rep, row_digits);
        if (R_out)
            memcpy(R_out, R, m * n * sizeof(double));
        if (err_out)
            memcpy(err_out, noise, m * n * sizeof(double));
    }
    dj_free_(R);
    return rc;
}

int dj_check_jacobian(const dj_function *F, const double *x, const double *J,
                      size_t ldj, const dj_check_opts *opts,
                      dj_check_report *rep, double *row_digits)
{
    dj_check_opts o = resolve_opts(opts);
    return check_against(F, x, J, ldj, &o, rep, row_digits, NULL, NULL);
}

int dj_check_jacobian_ex(const dj_function *F, const double *x, const double *J,
                         size_t ldj, const dj_check_opts *opts,
                         dj_check_report *rep, double *row_digits,
                         double *R, double *err)
{
    dj_check_opts o = resolve_opts_ref(opts, DJ_CHECK_REF_RICHARDSON);
    return check_against(F, x, J, ldj, &o, rep, row_digits, R, err);
}

int dj_check_report_fprint(FILE *out, const dj_check_report *rep)
{
    if (out == NULL || rep == NULL)
        return DJ_EARG;
    fprintf(out, "%s: %zu x %zu Jacobian, %zu entr%s out of tolerance\n",
            rep->pass ? "PASS" : "FAIL", rep->m, rep->n, rep->n_fail,
            rep->n_fail == 1 ? "y" : "ies");
    fprintf(out, "  max abs err %.3e, max rel err %.3e, min digits %.1f\n",
            rep->max_abs_err, rep->max_rel_err, rep->min_digits);
    fprintf(out, "  worst entry (%zu, %zu): %.17g vs reference %.17g (err/tol %.3g)\n",
            rep->worst_row, rep->worst_col, rep->worst_value, rep->worst_ref,
            rep->worst_ratio);
    return DJ_OK;
}

/* ---- forward against reverse ------------------------------------------------- */

static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return 2.0 * (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0 - 1.0;
}

int dj_check_adjoint(const dj_function *F, const double *x, size_t probes, uint64_t seed,
                     double rtol, dj_adjoint_report *rep)
{
    if (F == NULL || x == NULL || rep == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || probes == 0)
        return DJ_EDIM;
    if (!(rtol > 0.0))
        rtol = 1e-12;
    if (dj_mul_overflows_(n + m, probes) || dj_mul_overflows_(2 * (n + m) * probes, sizeof(double)))
        return DJ_EDIM;
    double *V = dj_malloc_(2 * (n + m) * probes * sizeof(double));
    if (V == NULL)
        return DJ_ENOMEM;
    double *W = V + n * probes, *JV = W + m * probes, *JTW = JV + m * probes;
    uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < (n + m) * probes; ++i)
        V[i] = uniform(&s);
    memset(rep, 0, sizeof *rep);
    rep->probes = probes;
    int rc = dj_jvp_batch(F, x, probes, V, n, NULL, JV, m, NULL);
    if (rc == DJ_OK)
        rc = dj_vjp_batch(F, x, probes, W, m, NULL, JTW, n, NULL);
    if (rc == DJ_OK) {
        rep->pass = 1;
        for (size_t k = 0; k < probes; ++k) {
            double f = 0, r = 0, mag = 0;
            for (size_t i = 0; i < m; ++i) {
                f += W[i + k * m] * JV[i + k * m];
                mag += fabs(W[i + k * m] * JV[i + k * m]);
            }
            for (size_t j = 0; j < n; ++j) {
                r += JTW[j + k * n] * V[j + k * n];
                mag += fabs(JTW[j + k * n] * V[j + k * n]);
            }
            double e = f == r ? 0.0 : fabs(f - r) / (mag > 0 ? mag : 1.0);
            if (isnan(f) || isnan(r))
                e = INFINITY;
            if (k == 0 || e > rep->max_rel_err) {
                rep->max_rel_err = e;
                rep->worst_probe = k;
                rep->worst_fwd = f;
                rep->worst_rev = r;
            }
            if (!(e <= rtol))
                rep->pass = 0;
        }
        rc = rep->pass ? DJ_OK : DJ_ECHECK;
    }
    dj_free_(V);
    return rc;
}

int dj_check_modes(const dj_function *F, const double *x, const dj_check_opts *opts,
                   dj_check_report *rep, double *J_fwd, double *J_rev)
{
    if (F == NULL || x == NULL || rep == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || dj_mul_overflows_(m, n) || dj_mul_overflows_(m * n, 2 * sizeof(double)))
        return DJ_EDIM;
    double *Jf = dj_malloc_(2 * m * n * sizeof(double));
    if (Jf == NULL)
        return DJ_ENOMEM;
    double *Jr = Jf + m * n;
    /* forward and reverse sum the same products in different orders: entries
       agree to rounding relative to themselves or to their row's largest */
    dj_check_opts o = { 1e-12, 1e-14, 1e-12, 0.0, 0.0, DJ_CHECK_REF_CENTRAL };
    if (opts)
        o = resolve_opts(opts);
    int rc = dj_jacfwd(F, x, NULL, Jf, m, NULL);
    if (rc == DJ_OK)
        rc = dj_jacrev(F, x, NULL, Jr, m, NULL);
    if (rc == DJ_OK) {
        rc = dj_check_compare(m, n, Jr, m, Jf, m, NULL, &o, rep, NULL);
        if (J_fwd)
            memcpy(J_fwd, Jf, m * n * sizeof(double));
        if (J_rev)
            memcpy(J_rev, Jr, m * n * sizeof(double));
    }
    dj_free_(Jf);
    return rc;
}

/* ---- the fast check ------------------------------------------------------------ */

int dj_check_fast(const dj_function *F, const double *x, uint64_t seed,
                  dj_fast_report *rep)
{
    if (F == NULL || x == NULL || rep == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || dj_mul_overflows_(n, 3) || dj_mul_overflows_(m, 4)
        || dj_mul_overflows_(3 * n + 4 * m + 2 * DJ_RICH_LEVELS, sizeof(double)))
        return DJ_EDIM;
    double *v = dj_malloc_((3 * n + 4 * m + 2 * DJ_RICH_LEVELS) * sizeof(double));
    if (v == NULL)
        return DJ_ENOMEM;
    double *jtw = v + n, *xw = jtw + n, *w = xw + n, *jv = w + m, *fp = jv + m,
           *fm = fp + m, *D = fm + m, *N = D + DJ_RICH_LEVELS;
    uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
    /* v scaled to x, so that the steps t v_j are scaled to |x_j| */
    for (size_t j = 0; j < n; ++j)
        v[j] = uniform(&s) * fmax(fabs(x[j]), 1.0);
    for (size_t i = 0; i < m; ++i)
        w[i] = uniform(&s);
    memcpy(xw, x, n * sizeof(double));
    memset(rep, 0, sizeof *rep);
    rep->fwd = rep->rev = rep->fd = rep->fd_err = NAN;
    rep->rel_fwd_rev = rep->rel_fwd_fd = rep->rel_rev_fd = NAN;

    int rc = dj_jvp(F, x, v, NULL, jv);
    if (rc == DJ_OK)
        rep->has_fwd = 1;
    else if (rc != DJ_ENOFORM)
        goto out;
    rc = dj_vjp(F, x, w, NULL, jtw);
    if (rc == DJ_OK)
        rep->has_rev = 1;
    else if (rc != DJ_ENOFORM)
        goto out;
    rc = DJ_OK;
    if (!rep->has_fwd && !rep->has_rev) {
        rc = DJ_ENOFORM;
        goto out;
    }
    double scale = 0.0;
    if (rep->has_fwd) {
        double f = 0, a = 0;
        for (size_t i = 0; i < m; ++i) {
            f += w[i] * jv[i];
            a += fabs(w[i] * jv[i]);
        }
        rep->fwd = f;
        scale = fmax(scale, a);
    }
    if (rep->has_rev) {
        double r = 0, a = 0;
        for (size_t j = 0; j < n; ++j) {
            r += jtw[j] * v[j];
            a += fabs(jtw[j] * v[j]);
        }
        rep->rev = r;
        scale = fmax(scale, a);
    }
    rc = rich_levels(F, x, xw, 0, v, DJ_RICH_REL_STEP, w, fp, fm, D, N);
    if (rc != DJ_OK)
        goto out;
    rich_tableau(D, N, 1, &rep->fd, &rep->fd_err, NULL);
    rep->scale = scale;
    double div = scale > 0.0 ? scale : 1.0;
    dj_check_opts o = dj_check_opts_richardson();
    double fd_tol = o.rtol * scale + o.noise_factor * rep->fd_err;
    rep->pass_fwd_rev = rep->pass_fwd_fd = rep->pass_rev_fd = 1;
    if (rep->has_fwd && rep->has_rev) {
        rep->rel_fwd_rev = rep->fwd == rep->rev ? 0.0 : fabs(rep->fwd - rep->rev) / div;
        rep->pass_fwd_rev = rep->rel_fwd_rev <= 1e-12;
    }
    if (rep->has_fwd) {
        double e = fabs(rep->fwd - rep->fd);
        rep->rel_fwd_fd = e / div;
        rep->pass_fwd_fd = e <= fd_tol;
    }
    if (rep->has_rev) {
        double e = fabs(rep->rev - rep->fd);
        rep->rel_rev_fd = e / div;
        rep->pass_rev_fd = e <= fd_tol;
    }
    rep->pass = rep->pass_fwd_rev && rep->pass_fwd_fd && rep->pass_rev_fd;
    rc = rep->pass ? DJ_OK : DJ_ECHECK;
out:
    dj_free_(v);
    return rc;
}
