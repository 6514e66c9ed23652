/* mgh.c - the variable-size nonlinear-equation / least-squares problems of
 * Moré, Garbow and Hillstrom (ACM TOMS 7(1), 1981): the residuals, written
 * once in mgh_residuals.inc and instantiated for every dualjac type, the
 * standard starting points, and hand-derived analytic Jacobians. */
#include <math.h>
#include <string.h>
#include "mgh.h"

/* Largest n mgh_init accepts. */
#define MGH_MAX_N ((size_t)100000)

#define MGH_N(user) (((const mgh_problem *)(user))->n)
#define MGH_M(user) (((const mgh_problem *)(user))->m)
#define MGH_SQRT5 2.2360679774997896964091736687313
#define MGH_SQRT10 3.1622776601683793319988935444327
#define MGH_SQRT_1EM5 3.1622776601683793319988935444327e-3 /* sqrt(a), a = 1e-5 */

#define DJ_TEMPLATE "mgh_residuals.inc"
#define DJ_TEMPLATE_CPLX 1      /* every residual is complex-safe as written */
#include <dualjac/instantiate.h>

/* ---- starting points (the paper's x0) ------------------------------------ */

static void start_rosenbrock(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = j % 2 == 0 ? -1.2 : 1.0;
}

static void start_powell(size_t n, double *x)
{
    static const double p[4] = { 3.0, -1.0, 0.0, 1.0 };
    for (size_t j = 0; j < n; ++j)
        x[j] = p[j % 4];
}

static void start_penalty1(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = (double)(j + 1);
}

static void start_vardim(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = 1.0 - (double)(j + 1) / (double)n;
}

static void start_trig(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = 1.0 / (double)n;
}

static void start_half(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = 0.5;
}

/* bvp and inteq: t_j (t_j - 1), t_j = j h, h = 1/(n+1). */
static void start_bvp(size_t n, double *x)
{
    double h = 1.0 / (double)(n + 1);
    for (size_t j = 0; j < n; ++j) {
        double t = (double)(j + 1) * h;
        x[j] = t * (t - 1.0);
    }
}

static void start_minus_one(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = -1.0;
}

static void start_one(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = 1.0;
}

static void start_chebyquad(size_t n, double *x)
{
    for (size_t j = 0; j < n; ++j)
        x[j] = (double)(j + 1) / (double)(n + 1);
}

/* ---- analytic Jacobians ----------------------------------------------------
 * Each writes the nonzeros of J (m-by-n, column-major, ldj); the caller has
 * already zeroed the m-by-n block. Indices 0-based as in the template. */
#define JE(i, j) J[(i) + (j) * ldj]

static void jac_rosenbrock(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t i = 0; i + 1 < n; i += 2) {
        JE(i, i) = -20.0 * x[i];
        JE(i, i + 1) = 10.0;
        JE(i + 1, i) = -1.0;
    }
}

static void jac_powell(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t i = 0; i + 3 < n; i += 4) {
        JE(i, i) = 1.0;
        JE(i, i + 1) = 10.0;
        JE(i + 1, i + 2) = MGH_SQRT5;
        JE(i + 1, i + 3) = -MGH_SQRT5;
        double d = x[i + 1] - 2.0 * x[i + 2];
        JE(i + 2, i + 1) = 2.0 * d;
        JE(i + 2, i + 2) = -4.0 * d;
        double e = x[i] - x[i + 3];
        JE(i + 3, i) = 2.0 * MGH_SQRT10 * e;
        JE(i + 3, i + 3) = -2.0 * MGH_SQRT10 * e;
    }
}

static void jac_penalty1(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t j = 0; j < n; ++j) {
        JE(j, j) = MGH_SQRT_1EM5;
        JE(n, j) = 2.0 * x[j];
    }
}

static void jac_vardim(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    double s = 0.0;
    for (size_t j = 0; j < n; ++j)
        s += (double)(j + 1) * (x[j] - 1.0);
    for (size_t j = 0; j < n; ++j) {
        double w = (double)(j + 1);
        JE(j, j) = 1.0;
        JE(n, j) = w;
        JE(n + 1, j) = 2.0 * s * w;
    }
}

/* d f_i / d x_j = sin x_j (j != i); (i + 2) sin x_i - cos x_i on the diagonal. */
static void jac_trig(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t j = 0; j < n; ++j) {
        double sj = sin(x[j]);
        for (size_t i = 0; i < n; ++i)
            JE(i, j) = sj;
        JE(j, j) = (double)(j + 2) * sj - cos(x[j]);
    }
}

/* Rows i < n-1: 1, and 2 on the diagonal. Last row: prod_{k != j} x_k, from
 * prefix and suffix products (no division, so zeros in x are fine). */
static void jac_brown(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t j = 0; j < n; ++j) {
        for (size_t i = 0; i + 1 < n; ++i)
            JE(i, j) = 1.0;
        if (j + 1 < n)
            JE(j, j) = 2.0;
    }
    double pre = 1.0;                   /* prod_{k < j} x_k */
    for (size_t j = 0; j < n; ++j) {
        JE(n - 1, j) = pre;
        pre *= x[j];
    }
    double suf = 1.0;                   /* prod_{k > j} x_k */
    for (size_t j = n; j-- > 0;) {
        JE(n - 1, j) *= suf;
        suf *= x[j];
    }
}

/* Tridiagonal: -1 off the diagonal, 2 + (3/2) h^2 (x_i + t_i + 1)^2 on it. */
static void jac_bvp(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    double h = 1.0 / (double)(n + 1);
    for (size_t i = 0; i < n; ++i) {
        double b = x[i] + (double)(i + 1) * h + 1.0;
        JE(i, i) = 2.0 + 1.5 * h * h * b * b;
        if (i > 0)
            JE(i, i - 1) = -1.0;
        if (i + 1 < n)
            JE(i, i + 1) = -1.0;
    }
}

/* d f_i / d x_j = delta_ij + (3h/2) w_ij (x_j + t_j + 1)^2,
 * w_ij = (1 - t_i) t_j for j <= i, t_i (1 - t_j) for j > i. */
static void jac_inteq(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    double h = 1.0 / (double)(n + 1);
    for (size_t j = 0; j < n; ++j) {
        double tj = (double)(j + 1) * h;
        double b = x[j] + tj + 1.0;
        double d = 1.5 * h * b * b;
        for (size_t i = 0; i < n; ++i) {
            double ti = (double)(i + 1) * h;
            double w = j <= i ? (1.0 - ti) * tj : ti * (1.0 - tj);
            JE(i, j) = d * w;
        }
        JE(j, j) += 1.0;
    }
}

static void jac_broyden_tri(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t i = 0; i < n; ++i) {
        JE(i, i) = 3.0 - 4.0 * x[i];
        if (i > 0)
            JE(i, i - 1) = -1.0;
        if (i + 1 < n)
            JE(i, i + 1) = -2.0;
    }
}

/* Diagonal 2 + 15 x_i^2; -(1 + 2 x_j) for j in J_i. */
static void jac_broyden_band(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)m;
    for (size_t i = 0; i < n; ++i) {
        size_t lo = i > 5 ? i - 5 : 0, hi = i + 1 < n ? i + 1 : n - 1;
        for (size_t j = lo; j <= hi; ++j)
            JE(i, j) = j == i ? 2.0 + 15.0 * x[i] * x[i] : -(1.0 + 2.0 * x[j]);
    }
}

/* delta_ij - 2/m (rows i >= n: -2/m). Independent of x. */
static void jac_linear_full(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    (void)x;
    double c = -2.0 / (double)m;
    for (size_t j = 0; j < n; ++j) {
        for (size_t i = 0; i < m; ++i)
            JE(i, j) = c;
        JE(j, j) += 1.0;
    }
}

/* d f_i / d x_j = (1/n) d/dx T_i(2x - 1) at x_j. With u = 2x - 1 and
 * D_i = d T_i / dx: D_0 = 0, D_1 = 2, D_{i+1} = 4 T_i + 2u D_i - D_{i-1}. */
static void jac_chebyquad(size_t n, size_t m, const double *x, double *J, size_t ldj)
{
    double rn = 1.0 / (double)n;
    for (size_t j = 0; j < n; ++j) {
        double u = 2.0 * x[j] - 1.0;
        double tm = 1.0, tc = u;        /* T_{i-1}, T_i */
        double dm = 0.0, dc = 2.0;      /* D_{i-1}, D_i */
        JE(0, j) = rn * dc;
        for (size_t i = 1; i < m; ++i) {
            double tn = 2.0 * u * tc - tm;
            double dn = 4.0 * tc + 2.0 * u * dc - dm;
            JE(i, j) = rn * dn;
            tm = tc;
            tc = tn;
            dm = dc;
            dc = dn;
        }
    }
}

#undef JE

/* ---- the table ------------------------------------------------------------ */

typedef struct mgh_info {
    const char *name;
    const char *title;
    int number;
    size_t nmin, nstep;      /* allowed n: nmin, nmin + nstep, ... */
    size_t extra_m;          /* m = n + extra_m */
    void (*start)(size_t n, double *x);
    void (*jac)(size_t n, size_t m, const double *x, double *J, size_t ldj);
    dj_function forms;       /* only the form pointers are used */
} mgh_info;

#define MGH_ENTRY(nm, ttl, num, nmin_, nstep_, extra, st)                     \
    { #nm, ttl, num, nmin_, nstep_, extra, st, jac_##nm,                      \
      { DJ_FORMS_CPLX(mgh_##nm) } }

static const mgh_info mgh_table[] = {
    MGH_ENTRY(rosenbrock, "Extended Rosenbrock function (MGH 21)", 21, 2, 2, 0, start_rosenbrock),
    MGH_ENTRY(powell, "Extended Powell singular function (MGH 22)", 22, 4, 4, 0, start_powell),
    MGH_ENTRY(penalty1, "Penalty function I (MGH 23)", 23, 1, 1, 1, start_penalty1),
    MGH_ENTRY(vardim, "Variably dimensioned function (MGH 25)", 25, 1, 1, 2, start_vardim),
    MGH_ENTRY(trig, "Trigonometric function (MGH 26)", 26, 1, 1, 0, start_trig),
    MGH_ENTRY(brown, "Brown almost-linear function (MGH 27)", 27, 1, 1, 0, start_half),
    MGH_ENTRY(bvp, "Discrete boundary value function (MGH 28)", 28, 1, 1, 0, start_bvp),
    MGH_ENTRY(inteq, "Discrete integral equation function (MGH 29)", 29, 1, 1, 0, start_bvp),
    MGH_ENTRY(broyden_tri, "Broyden tridiagonal function (MGH 30)", 30, 1, 1, 0, start_minus_one),
    MGH_ENTRY(broyden_band, "Broyden banded function (MGH 31)", 31, 1, 1, 0, start_minus_one),
    MGH_ENTRY(linear_full, "Linear function - full rank, m = n (MGH 32)", 32, 1, 1, 0, start_one),
    MGH_ENTRY(chebyquad, "Chebyquad function, m = n (MGH 35)", 35, 1, 1, 0, start_chebyquad),
};

#define MGH_COUNT (sizeof mgh_table / sizeof mgh_table[0])

static const mgh_info *find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < MGH_COUNT; ++i)
        if (strcmp(mgh_table[i].name, name) == 0)
            return &mgh_table[i];
    return NULL;
}

/* The problem's table entry; p->name must be one of the table's names. */
static const mgh_info *info_of(const mgh_problem *p)
{
    return p == NULL ? NULL : find(p->name);
}

static int n_allowed(const mgh_info *e, size_t n)
{
    return n >= e->nmin && n <= MGH_MAX_N && (n - e->nmin) % e->nstep == 0;
}

size_t mgh_count(void)
{
    return MGH_COUNT;
}

const char *mgh_name(size_t i)
{
    return i < MGH_COUNT ? mgh_table[i].name : NULL;
}

int mgh_init(mgh_problem *p, const char *name, size_t n)
{
    const mgh_info *e = find(name);
    if (p == NULL || e == NULL)
        return DJ_EARG;
    if (!n_allowed(e, n))
        return DJ_EDIM;
    p->name = e->name;
    p->title = e->title;
    p->number = e->number;
    p->n = n;
    p->m = n + e->extra_m;
    p->F = e->forms;
    p->F.n = p->n;
    p->F.m = p->m;
    p->F.user = p;
    return DJ_OK;
}

/* The smallest allowed n >= n; 0 for an unknown name or when there is none
 * (n above the largest size mgh_init accepts). */
size_t mgh_nearest_n(const char *name, size_t n)
{
    const mgh_info *e = find(name);
    if (e == NULL)
        return 0;
    if (n <= e->nmin)
        return e->nmin;
    if (n > MGH_MAX_N)
        return 0;
    size_t r = (n - e->nmin) % e->nstep;
    if (r != 0)
        n += e->nstep - r;
    return n <= MGH_MAX_N ? n : 0;
}

void mgh_start(const mgh_problem *p, double factor, double *x)
{
    const mgh_info *e = info_of(p);
    if (e == NULL || x == NULL)
        return;
    e->start(p->n, x);
    if (factor != 1.0)
        for (size_t j = 0; j < p->n; ++j)
            x[j] *= factor;
}

int mgh_jacobian(const mgh_problem *p, const double *x, double *J, size_t ldj)
{
    const mgh_info *e = info_of(p);
    if (e == NULL || x == NULL || J == NULL)
        return DJ_EARG;
    if (!n_allowed(e, p->n) || p->m != p->n + e->extra_m || ldj < p->m)
        return DJ_EDIM;
    for (size_t j = 0; j < p->n; ++j)
        memset(J + j * ldj, 0, p->m * sizeof(double));
    e->jac(p->n, p->m, x, J, ldj);
    return DJ_OK;
}
