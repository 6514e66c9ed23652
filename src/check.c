/* check.c - central finite differences and the comparison of Jacobians. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "dualjac/check.h"
#include "dualjac/status.h"
#include "internal.h"

int dj_fd_central(const dj_function *F, const double *x, double rel_step,
                  double *J, size_t ldj, double *noise)
{
    if (F == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || ldj < m || dj_mul_overflows_(n + 2 * m, sizeof(double)))
        return DJ_EDIM;
    if (!(rel_step > 0.0))
        rel_step = cbrt(DBL_EPSILON);
    double *xw = dj_malloc_((n + 2 * m) * sizeof(double));
    if (xw == NULL)
        return DJ_ENOMEM;
    double *fp = xw + n, *fm = fp + m;
    memcpy(xw, x, n * sizeof(double));
    int rc = DJ_OK;
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

dj_check_opts dj_check_opts_default(void)
{
    dj_check_opts o = { 1e-6, 1e-12, 1e-8, 10.0, 0.0 };
    return o;
}

static dj_check_opts resolve_opts(const dj_check_opts *opts)
{
    dj_check_opts d = dj_check_opts_default();
    if (opts == NULL)
        return d;
    dj_check_opts o = *opts;
    if (!(o.rtol >= 0.0)) o.rtol = d.rtol;
    if (!(o.atol >= 0.0)) o.atol = d.atol;
    if (!(o.row_rtol >= 0.0)) o.row_rtol = d.row_rtol;
    if (!(o.noise_factor >= 0.0)) o.noise_factor = d.noise_factor;
    return o;
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

int dj_check_jacobian(const dj_function *F, const double *x, const double *J,
                      size_t ldj, const dj_check_opts *opts,
                      dj_check_report *rep, double *row_digits)
{
    if (F == NULL || x == NULL || J == NULL || rep == NULL)
        return DJ_EARG;
    size_t n = F->n, m = F->m;
    if (n == 0 || m == 0 || ldj < m || dj_mul_overflows_(m, n)
        || dj_mul_overflows_(m * n, 2 * sizeof(double)))
        return DJ_EDIM;
    double *R = dj_malloc_(2 * m * n * sizeof(double));
    if (R == NULL)
        return DJ_ENOMEM;
    double *noise = R + m * n;
    dj_check_opts o = resolve_opts(opts);
    int rc = dj_fd_central(F, x, o.rel_step, R, m, noise);
    if (rc == DJ_OK)
        rc = dj_check_compare(m, n, J, ldj, R, m, noise, &o, rep, row_digits);
    dj_free_(R);
    return rc;
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
    dj_check_opts o = { 1e-12, 1e-14, 0.0, 0.0, 0.0 };
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
